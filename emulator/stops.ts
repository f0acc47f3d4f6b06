/*
 * emulator/stops.ts — what a v86 panic means for the guest.
 *
 * v86 cannot deliver an exception through a bad IDT gate: it panics
 * ("Unimplemented: #GP handler", "#NP handler", "#TS handler", "#SS
 * handler") where a real i386 would raise a double fault. If the double
 * fault cannot be delivered either — IDTR too short for vector 8, or gate 8
 * not present or not a gate — a real CPU shuts down (triple fault), and a
 * PC resets: that is a `reset`, as QEMU -no-reboot stops there. If gate 8 is
 * a usable gate, a real CPU would have run the guest's double-fault handler:
 * v86 cannot, and that is a `crash` (a limit of the emulator, not the guest's
 * doing).
 */
import { CR0_PG, page_walk } from "./pagewalk.ts";
import type { CpuState, PhysMem } from "./types.ts";
import { hex } from "../util/hex.ts";

const DF_VECTOR = 8;
/** Gate types: 16/32-bit interrupt and trap gates, task gate. */
const GATE_TYPES = new Set([0x5, 0x6, 0x7, 0xe, 0xf]);

export type PanicMeaning =
    { kind: "triple fault"; detail: string } | { kind: "crash"; reason: string };

/** Why gate 8 of the IDT cannot take a double fault, or undefined if it can. */
function double_fault_gate_problem(mem: PhysMem, s: CpuState): string | undefined {
    if (s.idtrLimit < DF_VECTOR * 8 + 7) {
        return `the IDT (limit ${hex(s.idtrLimit)}) has no gate for vector 8 (#DF)`;
    }
    const linear = s.idtrBase + DF_VECTOR * 8;
    let pa = linear;
    if (s.cr0 & CR0_PG) {
        const w = page_walk(mem, { cr0: s.cr0, cr3: s.cr3, cr4: s.cr4 }, linear);
        if (w.pa === null) return `the IDT's gate 8 at ${hex(linear)} is not mapped (${w.fault})`;
        pa = w.pa;
    }
    const hi = mem.read32(pa + 4);
    if (!(hi & 0x8000)) return `IDT gate 8 (#DF) at ${hex(linear)} is not present`;
    if (hi & 0x1000 || !GATE_TYPES.has((hi >> 8) & 0xf)) {
        return `IDT entry 8 (#DF) at ${hex(linear)} is not a gate (type ${hex((hi >> 8) & 0x1f)})`;
    }
    return undefined;
}

/** Judge v86's panic text at the CPU state it left. */
export function panic_meaning(panicText: string, mem: PhysMem, s: CpuState): PanicMeaning {
    const v86 = panicText.replace(/^panicked at [^\n]*\n?/, "").trim();
    const exc =
        /(#\w+) handler/.exec(v86)?.[1] ??
        (/CS selector is (null|invalid)/.test(v86) ? "#GP" : undefined);
    if (!exc) return { kind: "crash", reason: v86 ? `v86 panic: ${v86}` : "v86 stopped" };
    const problem = double_fault_gate_problem(mem, s);
    if (problem) {
        return {
            kind: "triple fault",
            detail: `${exc} could not be delivered and ${problem} (eip ${hex(s.eip)}; v86: ${v86})`,
        };
    }
    return {
        kind: "crash",
        reason:
            `CPU exception ${exc} could not be delivered through the IDT at ${hex(s.idtrBase)}; ` +
            `a real CPU would now run the double-fault handler (gate 8), which v86 cannot (v86: ${v86})`,
    };
}
