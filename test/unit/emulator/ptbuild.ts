/*
 * test/unit/emulator/ptbuild.ts — a tiny i386 page-table builder for tests.
 *
 * Builds 2-level (non-PAE) and PAE page tables in any PhysMem, taking table
 * pages from a bump allocator, so the same calls give the same bytes every
 * time (deterministic: no randomness, no hidden state besides `PtAlloc.next`).
 *
 *     const a = pt_alloc(mem, 0x100000);            // tables from 1 MiB up
 *     const cr3 = new_pd(a);                        // 2-level directory
 *     map4k(a, cr3, 0xc0000000, 0x00400000, P | W);
 *     map4m(a, cr3, 0x80000000, 0x00800000, P | W | U);   // needs CR4.PSE to walk as 4 MiB
 *
 *     const cr3p = new_pdpt(a);                     // PAE: PDPT at the start of a fresh page
 *     pae_map4k(a, cr3p, 0x1000, 0x1_2345_6000, P | W);  // PA may exceed 4 GiB
 *     pae_map2m(a, cr3p, 0x40000000, 0x00200000, P);
 *
 * Conventions:
 *   - `flags` are the low 12 bits written to the leaf entry exactly as given
 *     (P is *not* implied, so tests can build not-present leaves); map4m and
 *     pae_map2m add PS themselves.
 *   - Intermediate entries created on demand get `dirFlags` (default
 *     P|W|U, so the leaf alone decides access); an existing present
 *     intermediate entry is reused unchanged. PAE PDPTEs get P only
 *     (legacy-PAE PDPTEs have no R/W/U bits).
 *   - Mapping a 4 KiB page under a present large-page PDE, or a large page
 *     over a present page-table PDE, throws.
 *   - Table pages are zeroed when allocated. In PAE, table pages may lie
 *     above 4 GiB (set `a.next` there with a large SparsePhysMem); the PDPT
 *     itself must be below 4 GiB since CR3 is 32-bit.
 */
import type { PhysMem } from "../../../emulator/types.ts";

export const P = 0x001;
export const W = 0x002;
export const U = 0x004;
export const PS = 0x080;
export const DIR_FLAGS = P | W | U;

const TWO32 = 0x100000000;
const PAGE = 0x1000;

/** Bump allocator of zeroed 4 KiB table pages in [next, limit). */
export interface PtAlloc {
    readonly mem: PhysMem;
    /** Next free page-aligned physical address; tests may move it. */
    next: number;
    /** Exclusive upper bound for table pages. */
    readonly limit: number;
}

export function pt_alloc(mem: PhysMem, start: number, limit: number = mem.size): PtAlloc {
    if (start % PAGE !== 0)
        throw new Error(`pt_alloc: start 0x${start.toString(16)} not page aligned`);
    return { mem, next: start, limit };
}

/** A fresh zeroed 4 KiB page. */
export function alloc_page(a: PtAlloc): number {
    if (a.next % PAGE !== 0)
        throw new Error(`alloc_page: next 0x${a.next.toString(16)} not page aligned`);
    if (a.next + PAGE > a.limit) throw new Error("alloc_page: out of table pages");
    const pa = a.next;
    a.next += PAGE;
    a.mem.fill(pa, PAGE, 0);
    return pa;
}

/** Write a 64-bit entry given its physical address part `pa` (may exceed 2^32) and low/high flag bits. */
function write64(mem: PhysMem, at: number, pa: number, flagsLo: number, flagsHi = 0): void {
    const lo = pa % TWO32;
    const hi = Math.floor(pa / TWO32);
    mem.write32(at, (lo | flagsLo) >>> 0);
    mem.write32(at + 4, (hi | flagsHi) >>> 0);
}

function checkAligned(what: string, n: number, align: number): void {
    if (n % align !== 0)
        throw new Error(`${what} 0x${n.toString(16)} not aligned to 0x${align.toString(16)}`);
}

/* ---- 2-level (non-PAE) ---- */

/** Allocate an empty page directory; returns the CR3 value. */
export function new_pd(a: PtAlloc): number {
    const pd = alloc_page(a);
    if (pd >= TWO32) throw new Error("new_pd: page directory above 4 GiB");
    return pd;
}

/** Physical address of the PDE for `va` (2-level). */
export function pde_addr(cr3: number, va: number): number {
    return ((cr3 & 0xfffff000) >>> 0) + 4 * (va >>> 22);
}

/** Physical address of the PTE for `va` under page table `pt` (2-level). */
export function pte_addr(pt: number, va: number): number {
    return pt + 4 * ((va >>> 12) & 0x3ff);
}

/** Map the 4 KiB page at `va` to `pa`; returns the PTE's physical address. */
export function map4k(
    a: PtAlloc,
    cr3: number,
    va: number,
    pa: number,
    flags: number,
    dirFlags = DIR_FLAGS,
): number {
    checkAligned("map4k va", va >>> 0, PAGE);
    checkAligned("map4k pa", pa, PAGE);
    if (pa >= TWO32) throw new Error("map4k: pa above 4 GiB needs PAE");
    const at = pde_addr(cr3, va >>> 0);
    let pde = a.mem.read32(at) >>> 0;
    if (pde & P && pde & PS)
        throw new Error(`map4k: va 0x${(va >>> 0).toString(16)} is under a 4 MiB page`);
    if (!(pde & P)) {
        const pt = alloc_page(a);
        if (pt >= TWO32) throw new Error("map4k: page table above 4 GiB");
        pde = (pt | (dirFlags & 0xfff & ~PS)) >>> 0;
        a.mem.write32(at, pde);
    }
    const pteAt = pte_addr((pde & 0xfffff000) >>> 0, va >>> 0);
    a.mem.write32(pteAt, ((pa & 0xfffff000) | (flags & 0xfff)) >>> 0);
    return pteAt;
}

/** Map the 4 MiB page at `va` to `pa` (PDE with PS); returns the PDE's physical address. */
export function map4m(a: PtAlloc, cr3: number, va: number, pa: number, flags: number): number {
    checkAligned("map4m va", va >>> 0, 0x400000);
    checkAligned("map4m pa", pa, 0x400000);
    if (pa >= TWO32) throw new Error("map4m: PSE-36 addresses not supported");
    const at = pde_addr(cr3, va >>> 0);
    const old = a.mem.read32(at) >>> 0;
    if (old & P && !(old & PS))
        throw new Error(`map4m: va 0x${(va >>> 0).toString(16)} already has a page table`);
    a.mem.write32(at, (pa | (flags & 0xfff) | PS) >>> 0);
    return at;
}

/* ---- PAE ---- */

/** Allocate an empty PDPT (at the start of a fresh page); returns the CR3 value. */
export function new_pdpt(a: PtAlloc): number {
    const pdpt = alloc_page(a);
    if (pdpt >= TWO32) throw new Error("new_pdpt: PDPT above 4 GiB");
    return pdpt;
}

function read64(mem: PhysMem, at: number): { lo: number; hi: number; addr: number } {
    const lo = mem.read32(at) >>> 0;
    const hi = mem.read32(at + 4) >>> 0;
    return { lo, hi, addr: (hi & 0x000fffff) * TWO32 + ((lo & 0xfffff000) >>> 0) };
}

/** Physical address of the PAE PDE for `va`, creating the page directory if absent. */
export function pae_pde_addr(a: PtAlloc, cr3: number, va: number): number {
    const pdpteAt = ((cr3 & 0xffffffe0) >>> 0) + 8 * ((va >>> 0) >>> 30);
    let pdpte = read64(a.mem, pdpteAt);
    if (!(pdpte.lo & P)) {
        write64(a.mem, pdpteAt, alloc_page(a), P);
        pdpte = read64(a.mem, pdpteAt);
    }
    return pdpte.addr + 8 * (((va >>> 0) >>> 21) & 0x1ff);
}

export interface PaeOptions {
    /** Flags for a page directory entry created on demand (default P|W|U). */
    dirFlags?: number;
    /** Set bit 63 (NX) in the leaf. */
    nx?: boolean;
}

/** PAE: map the 4 KiB page at `va` to `pa` (may exceed 4 GiB); returns the PTE's physical address. */
export function pae_map4k(
    a: PtAlloc,
    cr3: number,
    va: number,
    pa: number,
    flags: number,
    opts: PaeOptions = {},
): number {
    checkAligned("pae_map4k va", va >>> 0, PAGE);
    checkAligned("pae_map4k pa", pa, PAGE);
    const pdeAt = pae_pde_addr(a, cr3, va);
    let pde = read64(a.mem, pdeAt);
    if (pde.lo & P && pde.lo & PS)
        throw new Error(`pae_map4k: va 0x${(va >>> 0).toString(16)} is under a 2 MiB page`);
    if (!(pde.lo & P)) {
        write64(a.mem, pdeAt, alloc_page(a), (opts.dirFlags ?? DIR_FLAGS) & 0xfff & ~PS);
        pde = read64(a.mem, pdeAt);
    }
    const pteAt = pde.addr + 8 * (((va >>> 0) >>> 12) & 0x1ff);
    write64(a.mem, pteAt, pa, flags & 0xfff, opts.nx ? 0x80000000 : 0);
    return pteAt;
}

/** PAE: map the 2 MiB page at `va` to `pa` (may exceed 4 GiB); returns the PDE's physical address. */
export function pae_map2m(
    a: PtAlloc,
    cr3: number,
    va: number,
    pa: number,
    flags: number,
    opts: PaeOptions = {},
): number {
    checkAligned("pae_map2m va", va >>> 0, 0x200000);
    checkAligned("pae_map2m pa", pa, 0x200000);
    const pdeAt = pae_pde_addr(a, cr3, va);
    const old = read64(a.mem, pdeAt);
    if (old.lo & P && !(old.lo & PS))
        throw new Error(`pae_map2m: va 0x${(va >>> 0).toString(16)} already has a page table`);
    write64(a.mem, pdeAt, pa, (flags & 0xfff) | PS, opts.nx ? 0x80000000 : 0);
    return pdeAt;
}
