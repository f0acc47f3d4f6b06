/*
 * emulator/breakpoints.ts — stop the machine the first time execution
 * reaches an address, and leave no trace in the guest.
 *
 * v86's release build has no debug hook (no single step, no exception hook),
 * so a breakpoint is a patch: the two bytes at the physical address become
 * `out 0xCC, al` (E6 CC). The OUT reaches mach86's handler on port 0xCC
 * synchronously, inside the instruction, with v86's previous_ip = the
 * breakpoint's linear address. The handler puts the original bytes back
 * (invalidating JIT code compiled from them, like every host write),
 * points EIP back at the address and stops the run before the next
 * instruction: the state is that of the instruction at the address about
 * to execute, with the guest's own IF. Every other breakpoint's bytes are
 * restored at the same stop. Port 0xCC belongs to the second DMA
 * controller: an OUT to it from anywhere else goes on to v86's DMA.
 *
 * Limits: the OUT needs CPL 0 (or IOPL ≥ CPL) — kernel code; a patch is
 * two bytes, so if the instruction at the address is one byte long and a
 * jump lands on the byte after it, the CPU executes 0xCC there (INT3: the
 * guest's #BP handler, or a triple fault) instead of the guest's byte; a
 * guest that reads or rewrites its own code sees or clobbers the patch (a
 * byte pair the guest changed is not restored).
 */
import type { PhysMem } from "./types.ts";
import { hex } from "../util/hex.ts";

export const BREAKPOINT_PORT = 0xcc;
const PATCH = Uint8Array.of(0xe6, BREAKPOINT_PORT);

export interface Breakpoint {
    /** Physical address of the instruction's first byte. */
    phys: number;
    /** Label reported in the stop reason (a symbol, an address). */
    label: string;
}

interface Armed extends Breakpoint {
    saved: Uint8Array;
}

export class Breakpoints {
    private readonly armed = new Map<number, Armed>();
    private readonly mem: PhysMem;

    constructor(mem: PhysMem) {
        this.mem = mem;
    }

    get count(): number {
        return this.armed.size;
    }

    /** Patch the address; throws RangeError outside RAM or when one is already there. */
    add(bp: Breakpoint): void {
        if (bp.phys < 0 || bp.phys + PATCH.length > this.mem.size) {
            throw new RangeError(`breakpoint ${bp.label}: ${hex(bp.phys)} is not in RAM`);
        }
        for (const other of this.armed.values()) {
            if (Math.abs(other.phys - bp.phys) < PATCH.length) {
                throw new RangeError(`breakpoint ${bp.label}: overlaps ${other.label}`);
            }
        }
        this.armed.set(bp.phys, { ...bp, saved: this.mem.read(bp.phys, PATCH.length) });
        this.mem.write(bp.phys, PATCH);
    }

    /** The breakpoint whose patch is at `phys`, if any. */
    at(phys: number): Breakpoint | undefined {
        return this.armed.get(phys);
    }

    /** Put every original byte pair back (those the guest did not overwrite) and forget them. */
    clear(): void {
        for (const bp of this.armed.values()) {
            const now = this.mem.read(bp.phys, PATCH.length);
            if (now[0] === PATCH[0] && now[1] === PATCH[1]) this.mem.write(bp.phys, bp.saved);
        }
        this.armed.clear();
    }
}
