/*
 * emulator/pagewalk.ts — a software i386 page-table walker (no v86).
 *
 * Translates a guest linear address the way the MMU would, reading the
 * page tables through the PhysMem interface, and records every entry it
 * touched so a debugger or a crash dump can show *why* an address maps
 * where it does (or why it does not map at all).
 *
 * Modes:
 *   - CR0.PG clear: identity, no steps.
 *   - 2-level (CR4.PAE clear): 1024 × 4-byte PDEs, 1024 × 4-byte PTEs;
 *     PDE.PS selects a 4 MiB page only when CR4.PSE is set, otherwise the
 *     bit is ignored and the PDE points to a page table. PSE-36 high
 *     address bits (PDE bits 13–20) are ignored.
 *   - PAE (CR4.PAE set): 4 × 8-byte PDPTEs, 512 × 8-byte PDEs (PS = 2 MiB,
 *     always honoured), 512 × 8-byte PTEs. Entry addresses may exceed
 *     4 GiB (bits 32–51 of an entry); they are computed with
 *     multiplication, so results above 2^32 are exact doubles.
 *
 * Not modelled: CR0.WP, EFER.NXE, reserved-bit (RSVD) faults, A/D updates.
 * `writable`/`user` are the plain AND of the R/W and U/S bits on the path.
 */
import type { PhysMem } from "./types.ts";
import { hex, hex_digits, hex_pad8, printf_08x } from "../util/hex.ts";

/** GNU Mach's names for the i386 page-table entry bits (i386/intel/pmap.h). */
export const INTEL_PTE = {
    INTEL_PTE_VALID: 0x001,
    INTEL_PTE_WRITE: 0x002,
    INTEL_PTE_USER: 0x004,
    INTEL_PTE_WTHRU: 0x008,
    INTEL_PTE_NCACHE: 0x010,
    INTEL_PTE_REF: 0x020,
    INTEL_PTE_MOD: 0x040,
    INTEL_PTE_PS: 0x080,
    INTEL_PTE_GLOBAL: 0x100,
} as const;

export const CR0_PG = 0x80000000;
export const CR4_PSE = 0x10;
export const CR4_PAE = 0x20;

export const PAGE_4K = 0x1000;
export const PAGE_2M = 0x200000;
export const PAGE_4M = 0x400000;

export interface PagingMode {
    cr0: number;
    cr3: number;
    cr4: number;
}

export interface WalkStep {
    level: "PDPTE" | "PDE" | "PTE";
    /** Index of the entry inside its table. */
    index: number;
    /** Physical address of the entry (may exceed 2^32 in PAE). */
    entryAddr: number;
    /** Low 32 bits of the entry. */
    entry: number;
    /** High 32 bits of the entry (PAE only). */
    entryHigh?: number;
    /** Decoded bits, space separated ("P W U A D PS G ..."), "-" when none. */
    flags: string;
    /** What the entry means, e.g. "present, page table at 0x00123000", "not present", "4 MiB page at 0x00400000". */
    note: string;
}

export interface Walk {
    va: number;
    /** Physical address, or null when not mapped. */
    pa: number | null;
    steps: WalkStep[];
    /** 4096, 2 MiB or 4 MiB; 0 when unmapped. 4096 when paging is off. */
    pageSize: number;
    /** AND of R/W along the path (false when unmapped). */
    writable: boolean;
    /** AND of U/S along the path (false when unmapped). */
    user: boolean;
    /** Why `pa` is null, e.g. "PDE 0x300 not present". */
    fault?: string;
}

const TWO32 = 0x100000000;
/** Physical-address bits 32–51 of a PAE entry's high word (bit 63 is NX, 52–62 are ignored). */
const PAE_HIGH_ADDR_MASK = 0x000fffff;

/** Decode the flag bits of one entry; `large` means a PDE whose PS bit is honoured. */
function decodeFlags(
    level: WalkStep["level"],
    lo: number,
    hi: number | undefined,
    pae: boolean,
    large: boolean,
): string {
    const out: string[] = [];
    const bit = (mask: number, name: string): void => {
        if (lo & mask) out.push(name);
    };
    bit(INTEL_PTE.INTEL_PTE_VALID, "P");
    if (level === "PDPTE" && pae) {
        // Legacy-PAE PDPTEs have only P, PWT and PCD.
        bit(INTEL_PTE.INTEL_PTE_WTHRU, "WT");
        bit(INTEL_PTE.INTEL_PTE_NCACHE, "CD");
    } else {
        bit(INTEL_PTE.INTEL_PTE_WRITE, "W");
        bit(INTEL_PTE.INTEL_PTE_USER, "U");
        bit(INTEL_PTE.INTEL_PTE_WTHRU, "WT");
        bit(INTEL_PTE.INTEL_PTE_NCACHE, "CD");
        bit(INTEL_PTE.INTEL_PTE_REF, "A");
        bit(INTEL_PTE.INTEL_PTE_MOD, "D");
        // Bit 7 is PS in a PDE and PAT in a PTE.
        bit(INTEL_PTE.INTEL_PTE_PS, level === "PTE" ? "PAT" : "PS");
        bit(INTEL_PTE.INTEL_PTE_GLOBAL, "G");
        if (large) bit(0x1000, "PAT");
    }
    const avl = (lo >>> 9) & 7;
    if (avl !== 0) out.push(`AVL=${avl}`);
    if (pae && hi !== undefined && hi & 0x80000000) out.push("NX");
    return out.length > 0 ? out.join(" ") : "-";
}

function unmapped(va: number, steps: WalkStep[], fault: string): Walk {
    return { va, pa: null, steps, pageSize: 0, writable: false, user: false, fault };
}

function notPresent(level: WalkStep["level"], index: number): string {
    return `${level} ${hex(index)} not present`;
}

/** Append " (entry beyond RAM)" when the entry lies outside [0, mem.size). */
function where(mem: PhysMem, addr: number, len: number, note: string): string {
    return addr + len > mem.size ? `${note} (entry beyond RAM)` : note;
}

/** Translate `va` under `mode`, reading the page tables from `mem`. */
export function page_walk(mem: PhysMem, mode: PagingMode, va: number): Walk {
    va = va >>> 0;
    if (!(mode.cr0 & CR0_PG)) {
        return { va, pa: va, steps: [], pageSize: PAGE_4K, writable: true, user: true };
    }
    return mode.cr4 & CR4_PAE ? walkPae(mem, mode, va) : walk2(mem, mode, va);
}

/** One table entry read during a walk (4 bytes, or 8 under PAE). */
interface Entry {
    lo: number;
    hi: number;
    step: WalkStep;
}

/** Read entry `index` of the table at `base`, record it as a step. */
function readEntry(
    mem: PhysMem,
    steps: WalkStep[],
    level: WalkStep["level"],
    base: number,
    index: number,
    pae: boolean,
    large: (lo: number) => boolean,
): Entry {
    const width = pae ? 8 : 4;
    const entryAddr = base + width * index;
    const lo = mem.read32(entryAddr) >>> 0;
    const hi = pae ? mem.read32(entryAddr + 4) >>> 0 : 0;
    const step: WalkStep = {
        level,
        index,
        entryAddr,
        entry: lo,
        flags: decodeFlags(level, lo, pae ? hi : undefined, pae, large(lo)),
        note: "",
    };
    if (pae) step.entryHigh = hi;
    steps.push(step);
    return { lo, hi, step };
}

/** Set the step's note (flagging entries beyond RAM); false when the entry is not present. */
function present(mem: PhysMem, e: Entry, pae: boolean, note: string): boolean {
    const ok = (e.lo & INTEL_PTE.INTEL_PTE_VALID) !== 0;
    e.step.note = where(mem, e.step.entryAddr, pae ? 8 : 4, ok ? note : "not present");
    return ok;
}

const allows = (lo: number, bit: number) => (lo & bit) !== 0;
const W = INTEL_PTE.INTEL_PTE_WRITE;
const U = INTEL_PTE.INTEL_PTE_USER;

function walk2(mem: PhysMem, mode: PagingMode, va: number): Walk {
    const steps: WalkStep[] = [];
    const pse = (mode.cr4 & CR4_PSE) !== 0;
    const isLarge = (lo: number) => pse && (lo & INTEL_PTE.INTEL_PTE_PS) !== 0;

    const pdIndex = va >>> 22;
    const pde = readEntry(
        mem,
        steps,
        "PDE",
        (mode.cr3 & 0xfffff000) >>> 0,
        pdIndex,
        false,
        isLarge,
    );
    const ptBase = (pde.lo & 0xfffff000) >>> 0;
    const base4m = (pde.lo & 0xffc00000) >>> 0;
    const pdeNote = isLarge(pde.lo)
        ? `4 MiB page at ${hex_pad8(base4m)}`
        : `present, page table at ${hex_pad8(ptBase)}` +
          (pde.lo & INTEL_PTE.INTEL_PTE_PS ? " (PS ignored: CR4.PSE clear)" : "");
    if (!present(mem, pde, false, pdeNote)) return unmapped(va, steps, notPresent("PDE", pdIndex));
    const writable = allows(pde.lo, W);
    const user = allows(pde.lo, U);
    if (isLarge(pde.lo)) {
        return {
            va,
            pa: (base4m | (va & 0x3fffff)) >>> 0,
            steps,
            pageSize: PAGE_4M,
            writable,
            user,
        };
    }

    const ptIndex = (va >>> 12) & 0x3ff;
    const pte = readEntry(mem, steps, "PTE", ptBase, ptIndex, false, () => false);
    const frame = (pte.lo & 0xfffff000) >>> 0;
    if (!present(mem, pte, false, `4 KiB page at ${hex_pad8(frame)}`)) {
        return unmapped(va, steps, notPresent("PTE", ptIndex));
    }
    return {
        va,
        pa: (frame | (va & 0xfff)) >>> 0,
        steps,
        pageSize: PAGE_4K,
        writable: writable && allows(pte.lo, W),
        user: user && allows(pte.lo, U),
    };
}

/** Physical address held in a PAE entry: bits 32–51 from `hi`, bits 12–31 of `lo` masked by `loMask`. */
function paeAddr(lo: number, hi: number, loMask: number): number {
    return (hi & PAE_HIGH_ADDR_MASK) * TWO32 + ((lo & loMask) >>> 0);
}

function walkPae(mem: PhysMem, mode: PagingMode, va: number): Walk {
    const steps: WalkStep[] = [];
    const isLarge = (lo: number) => (lo & INTEL_PTE.INTEL_PTE_PS) !== 0;

    // PDPT: four 8-byte entries at CR3 bits 5–31. PDPTEs carry no R/W or U/S: they count as 1.
    const pdptIndex = va >>> 30;
    const pdpte = readEntry(
        mem,
        steps,
        "PDPTE",
        (mode.cr3 & 0xffffffe0) >>> 0,
        pdptIndex,
        true,
        () => false,
    );
    const pdBase = paeAddr(pdpte.lo, pdpte.hi, 0xfffff000);
    if (!present(mem, pdpte, true, `present, page directory at ${hex_pad8(pdBase)}`)) {
        return unmapped(va, steps, notPresent("PDPTE", pdptIndex));
    }

    const pdIndex = (va >>> 21) & 0x1ff;
    const pde = readEntry(mem, steps, "PDE", pdBase, pdIndex, true, isLarge);
    const base2m = paeAddr(pde.lo, pde.hi, 0xffe00000);
    const ptBase = paeAddr(pde.lo, pde.hi, 0xfffff000);
    const pdeNote = isLarge(pde.lo)
        ? `2 MiB page at ${hex_pad8(base2m)}`
        : `present, page table at ${hex_pad8(ptBase)}`;
    if (!present(mem, pde, true, pdeNote)) return unmapped(va, steps, notPresent("PDE", pdIndex));
    const writable = allows(pde.lo, W);
    const user = allows(pde.lo, U);
    if (isLarge(pde.lo)) {
        return { va, pa: base2m + (va & 0x1fffff), steps, pageSize: PAGE_2M, writable, user };
    }

    const ptIndex = (va >>> 12) & 0x1ff;
    const pte = readEntry(mem, steps, "PTE", ptBase, ptIndex, true, () => false);
    const frame = paeAddr(pte.lo, pte.hi, 0xfffff000);
    if (!present(mem, pte, true, `4 KiB page at ${hex_pad8(frame)}`)) {
        return unmapped(va, steps, notPresent("PTE", ptIndex));
    }
    return {
        va,
        pa: frame + (va & 0xfff),
        steps,
        pageSize: PAGE_4K,
        writable: writable && allows(pte.lo, W),
        user: user && allows(pte.lo, U),
    };
}

function sizeName(bytes: number): string {
    return bytes >= 0x100000 ? `${bytes / 0x100000} MiB` : `${bytes / 1024} KiB`;
}

/**
 * Human-readable lines: one per step, then a result line. E.g.
 *   PDE   [0x300] @0x00101c00 = 0x00102027  P W A  present, page table at 0x00102000
 *   PTE   [0x001] @0x00102004 = 0x00400063  P W A D  4 KiB page at 0x00400000
 *   VA 0xc0001234 -> PA 0x00400234  (4 KiB page, RW, supervisor)
 */
export function format_walk(w: Walk): string[] {
    const lines = w.steps.map((s) => {
        const value =
            s.entryHigh === undefined
                ? hex_pad8(s.entry)
                : hex_pad8(s.entryHigh) + printf_08x(s.entry);
        const idx = `[${hex_digits(s.index, 3)}]`;
        return `${s.level.padEnd(5)} ${idx} @${hex_pad8(s.entryAddr)} = ${value}  ${s.flags}  ${s.note}`;
    });
    if (w.pa === null) {
        lines.push(`VA ${hex_pad8(w.va)} -> not mapped (${w.fault ?? "fault"})`);
    } else if (w.steps.length === 0) {
        lines.push(`VA ${hex_pad8(w.va)} -> PA ${hex_pad8(w.pa)}  (paging off, identity)`);
    } else {
        const access = `${w.writable ? "RW" : "RO"}, ${w.user ? "user" : "supervisor"}`;
        lines.push(
            `VA ${hex_pad8(w.va)} -> PA ${hex_pad8(w.pa)}  (${sizeName(w.pageSize)} page, ${access})`,
        );
    }
    return lines;
}
