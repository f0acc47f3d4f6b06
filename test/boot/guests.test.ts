/*
 * Boot tier: real guest kernels from images/ on v86, through `mach86 boot`.
 */
import { describe, expect, it } from "vitest";
import { boot, image } from "./helpers.ts";

describe("boot: guest outcomes", () => {
    it("hello prints its greeting and exits 0", async () => {
        const r = await boot({ kernel: image("hello") });
        expect(r.console).toBe("Hello from mach86!\n");
        expect(r.exitCode).toBe(0);
        expect(r.result?.stop).toEqual({ kind: "exit", value: 0 });
        expect(r.stderr).toBe("");
    });

    it("an a.out kludge kernel boots", async () => {
        const r = await boot({ kernel: image("aout") });
        expect(r.console).toBe("Hello from an a.out kludge kernel!\n");
        expect(r.exitCode).toBe(0);
    });

    it("the exit port value becomes the exit code (V & 0xFF)", async () => {
        const r = await boot({ kernel: image("exitcode"), cmdline: "code=42" });
        expect(r.exitCode).toBe(42);
        const wide = await boot({ kernel: image("exitcode"), cmdline: "code=300" });
        expect(wide.exitCode).toBe(300 & 0xff);
        expect(wide.result?.stop).toMatchObject({ kind: "exit", value: 300 });
    });

    it("a fault without a usable IDT resets the machine (triple fault), as on QEMU -no-reboot", async () => {
        const r = await boot({ kernel: image("noidt") });
        expect(r.exitCode).toBe(1);
        expect(r.stderr).toMatch(/^mach86: machine reset \(triple fault\) at eip=0x[0-9a-f]{8}/m);
        expect(r.result?.stop).toMatchObject({ kind: "reset", cause: "triple fault" });
        expect(r.result?.stop.kind === "reset" && r.result.stop.detail).toMatch(
            /the IDT \(limit 0x0\) has no gate for vector 8/,
        );
        expect(r.console).toContain("about to fault");
    });

    it("a triple fault through a dead IDT resets the machine", async () => {
        const r = await boot({ kernel: image("triple") });
        expect(r.exitCode).toBe(1);
        expect(r.result?.stop).toMatchObject({ kind: "reset", cause: "triple fault" });
        expect(r.result?.stop.kind === "reset" && r.result.stop.detail).toMatch(
            /IDT gate 8 \(#DF\) at 0x[0-9a-f]+ is not present/,
        );
        expect(r.console).toContain("about to triple fault");
    });

    it("a double fault v86 cannot deliver through a valid gate 8 is a reported guest crash, exit 1", async () => {
        const r = await boot({ kernel: image("stop"), cmdline: "how=10" });
        expect(r.exitCode).toBe(1);
        expect(r.stderr).toMatch(
            /^mach86: guest crashed: CPU exception #\w+ could not be delivered .*gate 8/m,
        );
        expect(r.stderr).toMatch(
            /eip=0x[0-9a-f]{8} .*cr0=0x[0-9a-f]{8} cr2=0x[0-9a-f]{8} cr3=0x[0-9a-f]{8}/,
        );
        expect(r.stderr).toContain("| stop 10");
    });

    it("cli; hlt stops the machine with exit 0", async () => {
        const r = await boot({ kernel: image("halt") });
        expect(r.result?.stop.kind).toBe("halt");
        expect(r.exitCode).toBe(0);
        expect(r.console).toBe("halting\n");
    });

    it("a looping guest times out with exit 3 (wall clock and instruction budget)", async () => {
        const wall = await boot({ kernel: image("loop"), timeout: "300ms" });
        expect(wall.exitCode).toBe(3);
        expect(wall.stderr).toMatch(/timeout after 0.3 s/);
        const budget = await boot({ kernel: image("loop"), maxInstructions: 5_000_000 });
        expect(budget.exitCode).toBe(3);
        expect(budget.result!.instructions).toBeGreaterThanOrEqual(5_000_000);
    });

    it("the CPU really pages: PSE and 4 KiB mappings set up by the guest work", async () => {
        const r = await boot({ kernel: image("pagetest") });
        expect(r.console).toContain("pagetest ok");
        expect(r.exitCode).toBe(0);
    });

    it("--quiet captures but does not stream the console", async () => {
        const r = await boot({ kernel: image("hello"), quiet: true });
        expect(r.stdout).toBe("");
        expect(r.console).toBe("Hello from mach86!\n");
    });

    it("boots with 1856 MiB of RAM (the d-i size) and 2047.875 MiB (v86's cap)", async () => {
        for (const memory of ["1856M", "2047.875M"]) {
            const r = await boot({ kernel: image("hello"), memory, quiet: true });
            expect(r.exitCode).toBe(0);
        }
    });
});

describe("boot: determinism", () => {
    it("same image and options give identical console and instruction counts", async () => {
        const runs = [];
        for (let i = 0; i < 3; i++) {
            runs.push(await boot({ kernel: image("spin"), cmdline: "iters=3000000", quiet: true }));
        }
        for (const r of runs) {
            expect(r.exitCode).toBe(0);
            expect(r.console).toBe(runs[0]!.console);
            expect(r.result!.instructions).toBe(runs[0]!.result!.instructions);
            expect(r.result!.cpu).toEqual(runs[0]!.result!.cpu);
        }
        expect(runs[0]!.console).toMatch(/^spin iters=3000000\nspin done acc=0x[0-9a-f]{8}\n$/);
    });
});
