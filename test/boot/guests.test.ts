/*
 * Boot tier: real guest kernels from images/ on v86, through the library's
 * boot(): how each one stops, and the exit code mach86 gives that.
 */
import { describe, expect, it } from "vitest";
import { exit_code } from "../../lib/index.ts";
import { boot, image } from "./helpers.ts";

describe("boot: guest outcomes", () => {
    it("hello prints its greeting and exits 0", async () => {
        const r = await boot({ kernel: image("hello") });
        expect(r.console).toBe("Hello from mach86!\n");
        expect(r.stop).toEqual({ kind: "exit", value: 0 });
        expect(r.exitCode).toBe(0);
    });

    it("an a.out kludge kernel boots", async () => {
        const r = await boot({ kernel: image("aout") });
        expect(r.console).toBe("Hello from an a.out kludge kernel!\n");
        expect(r.exitCode).toBe(0);
    });

    it("the guest's whole exit value is the result; mach86's exit code stays in its own space", async () => {
        for (const value of [1, 2, 3, 42, 258, 300]) {
            const r = await boot({ kernel: image("exitcode"), cmdline: `code=${value}` });
            expect(r.stop).toEqual({ kind: "exit", value });
            expect(r.exitCode, `value ${value}`).toBe(1); // failure, never 2 (bad input) or 3 (timeout)
            expect(exit_code(r.stop, "guest")).toBe(value & 0xff);
            expect(exit_code(r.stop, "qemu")).toBe(((value << 1) | 1) & 0xff);
        }
    });

    it("a fault without a usable IDT is a guest crash (exit code 4)", async () => {
        const r = await boot({ kernel: image("noidt") });
        expect(r.stop.kind).toBe("crash");
        expect(r.stop.kind === "crash" && r.stop.reason).toMatch(/^CPU exception #\w+ with no IDT/);
        expect(r.exitCode).toBe(4);
        expect(r.console).toContain("about to fault");
    });

    it("a triple fault is reported, with what a real CPU would do", async () => {
        const r = await boot({ kernel: image("triple") });
        expect(["crash", "reset"]).toContain(r.stop.kind);
        if (r.stop.kind === "crash") {
            expect(r.stop.reason).toMatch(/could not be delivered .*triple-fault/);
            expect(r.exitCode).toBe(4);
        } else expect(r.exitCode).toBe(6);
        expect(r.console).toContain("about to triple fault");
    });

    it("cli; hlt stops the machine with exit code 0", async () => {
        const r = await boot({ kernel: image("halt") });
        expect(r.stop.kind).toBe("halt");
        expect(r.exitCode).toBe(0);
        expect(r.console).toBe("halting\n");
    });

    it("a looping guest times out with exit code 3 (wall clock and instruction budget)", async () => {
        const wall = await boot({ kernel: image("loop"), timeout: "300ms" });
        expect(wall.stop).toEqual({ kind: "timeout", limit: "0.3 s" });
        expect(wall.exitCode).toBe(3);
        const budget = await boot({ kernel: image("loop"), maxInstructions: 5_000_000 });
        expect(budget.exitCode).toBe(3);
        expect(budget.instructions).toBeGreaterThanOrEqual(5_000_000);
    });

    it("the CPU really pages: PSE and 4 KiB mappings set up by the guest work", async () => {
        const r = await boot({ kernel: image("pagetest") });
        expect(r.console).toContain("pagetest ok");
        expect(r.exitCode).toBe(0);
    });

    it("the console streams as it arrives, and is captured whole", async () => {
        const chunks: Uint8Array[] = [];
        const r = await boot({ kernel: image("hello"), onConsole: (c) => chunks.push(c) });
        expect(Buffer.concat(chunks).toString()).toBe("Hello from mach86!\n");
        expect(r.console).toBe("Hello from mach86!\n");
    });

    it("boots with 1856 MiB of RAM (the d-i size) and 2047.875 MiB (v86's cap)", async () => {
        for (const memory of ["1856M", "2047.875M"]) {
            const r = await boot({ kernel: image("hello"), memory });
            expect(r.exitCode).toBe(0);
            expect(r.memory).toBe(Math.round(parseFloat(memory) * 1048576));
        }
    });
});

describe("boot: determinism", () => {
    it("same image and options give identical console and instruction counts", async () => {
        const runs = [];
        for (let i = 0; i < 3; i++) {
            runs.push(await boot({ kernel: image("spin"), cmdline: "iters=3000000" }));
        }
        for (const r of runs) {
            expect(r.exitCode).toBe(0);
            expect(r.console).toBe(runs[0]!.console);
            expect(r.instructions).toBe(runs[0]!.instructions);
            expect(r.cpu).toEqual(runs[0]!.cpu);
        }
        expect(runs[0]!.console).toMatch(/^spin iters=3000000\nspin done acc=0x[0-9a-f]{8}\n$/);
    });
});
