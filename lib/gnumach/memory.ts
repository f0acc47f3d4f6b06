/*
 * lib/gnumach/memory.ts — where a kernel's bytes are read from: guest RAM
 * through the CPU's own page tables, guest RAM by physical address, or the
 * ELF file's initialised data (a kernel that has not run yet).
 *
 * Reads only: nothing here has a write path to the guest. Translations go
 * through emulator/pagewalk.ts with the CR0/CR3/CR4 the caller gives (the
 * stopped CPU's, from Machine.cpuState(), or the modelled kernel's pmap), and
 * are cached per page for the life of the object: make a new one whenever
 * the guest has run again.
 */
import { type PagingMode, page_walk } from "../../emulator/pagewalk.ts";
import type { PhysMem } from "../../emulator/types.ts";
import type { Elf32 } from "../debuginfo/elf32.ts";

/** Read access to a kernel's address space. */
export interface KernelMemory {
    /** `len` bytes at `va` (a copy); throws UnmappedError when any of them is not mapped. */
    read(va: number, len: number): Uint8Array;
}

/** An address the kernel's page tables (or the ELF file) do not map. */
export class UnmappedError extends Error {
    readonly va: number;
    constructor(va: number, why: string) {
        super(`0x${(va >>> 0).toString(16).padStart(8, "0")}: ${why}`);
        this.name = "UnmappedError";
        this.va = va >>> 0;
    }
}

const PAGE = 4096;

/** Guest RAM seen through the page tables that `mode` selects (CR3), the way the CPU sees it. */
export class GuestMemory implements KernelMemory {
    private readonly mem: PhysMem;
    private readonly mode: PagingMode;
    /** Virtual page number -> physical page address, or the walker's reason it is not mapped. */
    private readonly pages = new Map<number, number | string>();

    constructor(mem: PhysMem, mode: PagingMode) {
        this.mem = mem;
        this.mode = { cr0: mode.cr0, cr3: mode.cr3, cr4: mode.cr4 };
    }

    /** The physical address of `va`, or throws UnmappedError with the walker's reason. */
    translate(va: number): number {
        va >>>= 0;
        const vpn = Math.floor(va / PAGE);
        let pa = this.pages.get(vpn);
        if (pa === undefined) {
            const w = page_walk(this.mem, this.mode, vpn * PAGE);
            pa = w.pa === null ? (w.fault ?? "not mapped") : w.pa;
            this.pages.set(vpn, pa);
        }
        if (typeof pa === "string") throw new UnmappedError(va, pa);
        return pa + (va % PAGE);
    }

    read(va: number, len: number): Uint8Array {
        va >>>= 0;
        const out = new Uint8Array(len);
        let done = 0;
        while (done < len) {
            const at = va + done;
            const n = Math.min(len - done, PAGE - (at % PAGE));
            const pa = this.translate(at);
            if (pa + n > this.mem.size)
                throw new UnmappedError(at, `maps to 0x${pa.toString(16)}, beyond RAM`);
            out.set(this.mem.read(pa, n), done);
            done += n;
        }
        return out;
    }
}

/** Guest RAM by physical address (what boot_info and the module list hold). */
export class PhysicalMemory implements KernelMemory {
    private readonly mem: PhysMem;
    constructor(mem: PhysMem) {
        this.mem = mem;
    }
    read(pa: number, len: number): Uint8Array {
        if (pa < 0 || pa + len > this.mem.size) throw new UnmappedError(pa, "beyond RAM");
        return this.mem.read(pa, len);
    }
}

/** The ELF file's allocated sections at their link addresses (.data as built, .bss zero). */
export class ElfMemory implements KernelMemory {
    private readonly elf: Elf32;
    constructor(elf: Elf32) {
        this.elf = elf;
    }
    read(va: number, len: number): Uint8Array {
        const b = this.elf.readStatic(va >>> 0, len);
        if (!b) throw new UnmappedError(va, `not in an allocated section of ${this.elf.path}`);
        return b;
    }
}
