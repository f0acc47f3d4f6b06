/*
 * Emu tier: breakpoints and precise host stops on real guests. A breakpoint
 * stops the first time execution reaches its address — also when the code
 * is already JIT-compiled — with EIP at the address and the guest's bytes
 * back; the run can then go on as if nothing had happened. A stop from a
 * console callback comes right after the byte that asked for it.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, run_guest } from "./guest.ts";

const MIB = 1 << 20;
const BP = "build/images/bp.elf";

function symbol(elf: string, name: string): number {
    const out = execFileSync("nm", [join(ROOT, elf)], { encoding: "utf8" });
    const line = out.split("\n").find((l) => l.endsWith(` ${name}`));
    if (!line) throw new Error(`${name} not in ${elf}`);
    return Number.parseInt(line.split(" ")[0]!, 16);
}

describe("breakpoints", () => {
    const target = symbol(BP, "bp_target");
    const count = symbol(BP, "bp_count");

    it("before the run: stops at the first call, bytes restored, then runs on to the end", async () => {
        let original: Uint8Array | undefined;
        const r = await run_guest({
            kernel: BP,
            ramSize: 16 * MIB,
            before: (m) => {
                original = m.mem.read(target, 2);
                m.addBreakpoint({ phys: target, label: "bp_target" });
            },
        });
        const m = r.machine;
        expect(r.result.stop).toEqual({ kind: "stop_point", point: "bp_target" });
        expect(r.result.cpu.eip).toBe(target);
        expect(m.mem.read32(count)).toBe(0);
        expect([...m.mem.read(target, 2)]).toEqual([...original!]);
        expect(r.console).toBe("bp start\n");
        const end = await m.run({ maxInstructions: 1e9 });
        expect(end.stop).toEqual({ kind: "exit", value: 0 });
        expect(m.console.text()).toBe("bp start\nbp done count=3000000\n");
        await m.destroy();
    });

    it("in hot, JIT-compiled code: stops at the next call with the calls so far counted", async () => {
        const r = await run_guest({
            kernel: BP,
            ramSize: 16 * MIB,
            limits: { maxInstructions: 6_000_000 },
        });
        const m = r.machine;
        expect(r.result.stop.kind).toBe("timeout");
        const before = m.mem.read32(count);
        expect(before).toBeGreaterThan(100_000); // far past v86's JIT threshold
        m.addBreakpoint({ phys: target, label: "bp_target" });
        const hit = await m.run({ maxInstructions: 1e9 });
        expect(hit.stop).toEqual({ kind: "stop_point", point: "bp_target" });
        expect(hit.cpu.eip).toBe(target);
        const at = m.mem.read32(count);
        expect(at).toBeGreaterThanOrEqual(before);
        expect(at).toBeLessThan(before + 2);
        const end = await m.run({ maxInstructions: 1e9 });
        expect(end.stop).toEqual({ kind: "exit", value: 0 });
        expect(m.console.text()).toBe("bp start\nbp done count=3000000\n");
        await m.destroy();
    });

    it("refuses an address outside RAM and a second breakpoint on the same bytes", async () => {
        const r = await run_guest({
            kernel: BP,
            ramSize: 16 * MIB,
            limits: { maxInstructions: 10 },
        });
        const m = r.machine;
        expect(() => m.addBreakpoint({ phys: 16 * MIB, label: "x" })).toThrow(RangeError);
        m.addBreakpoint({ phys: target, label: "a" });
        expect(() => m.addBreakpoint({ phys: target + 1, label: "b" })).toThrow(/overlaps a/);
        await m.destroy();
    });
});

describe("stop from a console callback", () => {
    it("stops right after the byte that completed the match, and goes on", async () => {
        let seen = "";
        const r = await run_guest({
            kernel: "build/images/hello.elf",
            ramSize: 16 * MIB,
            before: (m) =>
                m.console.watch((b) => {
                    seen += String.fromCharCode(b);
                    if (seen.endsWith("from"))
                        m.stop({ kind: "stop_point", point: "console:from" });
                }),
        });
        const m = r.machine;
        expect(r.result.stop).toEqual({ kind: "stop_point", point: "console:from" });
        expect(r.console).toBe("Hello from");
        expect(m.mem.read8(r.result.cpu.eip - 1)).toBe(0xee); // just after lib/console.c's outb %al, (%dx)
        const end = await m.run({ maxInstructions: 1e8 });
        expect(end.stop).toEqual({ kind: "exit", value: 0 });
        expect(m.console.text()).toBe("Hello from mach86!\n");
        await m.destroy();
    });
});
