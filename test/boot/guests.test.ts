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

    it("a fault without a usable IDT resets the machine (triple fault), as on QEMU -no-reboot: exit code 6", async () => {
        const r = await boot({ kernel: image("noidt") });
        expect(r.exitCode).toBe(6);
        expect(r.stop).toMatchObject({ kind: "reset", cause: "triple fault" });
        expect(r.stop.kind === "reset" && r.stop.detail).toMatch(
            /the IDT \(limit 0x0\) has no gate for vector 8/,
        );
        expect(r.console).toContain("about to fault");
    });

    it("a triple fault through a dead IDT resets the machine", async () => {
        const r = await boot({ kernel: image("triple") });
        expect(r.exitCode).toBe(6);
        expect(r.stop).toMatchObject({ kind: "reset", cause: "triple fault" });
        expect(r.stop.kind === "reset" && r.stop.detail).toMatch(
            /IDT gate 8 \(#DF\) at 0x[0-9a-f]+ is not present/,
        );
        expect(r.console).toContain("about to triple fault");
    });

    it("a double fault v86 cannot deliver through a valid gate 8 is a guest crash: exit code 4", async () => {
        const r = await boot({ kernel: image("stop"), cmdline: "how=10" });
        expect(r.exitCode).toBe(4);
        expect(r.stop.kind).toBe("crash");
        expect(r.stop.kind === "crash" && r.stop.reason).toMatch(
            /^CPU exception #\w+ could not be delivered .*gate 8/,
        );
        expect(r.console).toContain("stop 10");
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
