/*
 * kernel/i386/pmap.ts — models GNU Mach's i386/intel/pmap.c and pmap.h as of
 * 2014 (commit 8d03c760, "Reduce kmem_map to make room for kentry_data_size"),
 * native i386, NCPUS = 1, configure's default (no kdb) unless `mach_kdb`.
 *
 * The page tables are real: the page directory (PAE: a PDPT and four page
 * directories), the page-table pages (PTPs) and every PTE live in guest RAM
 * and are read and written through PhysMem, so the emulated CPU and the
 * software walker translate exactly what this module built.
 *
 * What is modelled as in Mach:
 *   - pmap_bootstrap: one page directory (PAE: 4 PD pages, then the PDPT),
 *     then one PTP per 4 MiB (PAE: 2 MiB) from phystokv(phys_first_addr) up
 *     to kernel_virtual_end, in that allocation order; direct-map PTEs
 *     VALID|WRITE|GLOBAL, read-only for pages wholly inside the kernel text;
 *     kernel PDEs VALID|WRITE; kernel_virtual_end capped at
 *     VM_MAX_KERNEL_ADDRESS. No later kernel PTP is ever allocated (no
 *     pmap_growkernel): expanding the kernel pmap panics.
 *   - pmap_enter's kernel quirks: the "falls in physical memory area!" range
 *     check (compiled out under MACH_KDB), and a read-only non-wired kernel
 *     mapping is *removed* instead of entered (the 386 ignores R/W in kernel
 *     mode). pmap_protect to read-only on the kernel pmap also removes.
 *   - PTE templates: USER on user pmaps, WRITE from the protection, WIRED
 *     (software bit 0x200), NCACHE|WTHRU for pa >= phys_last_addr; re-entering
 *     the same page keeps only the MOD bit. Non-bootstrap kernel mappings are
 *     not global (Mach sets INTEL_PTE_GLOBAL only in pmap_bootstrap and
 *     pmap_map_bd).
 *   - pmap_page_protect's protection switch: READ and READ|EXECUTE
 *     write-protect, VM_PROT_ALL does nothing, everything else removes
 *     (panicking on a wired mapping), as pmap_protect's does for a range.
 *   - User PDEs VALID|USER|WRITE; user PTPs are freed only by pmap_destroy.
 *   - resident_count counts every non-zero PTE entered or removed (not the
 *     bootstrap direct map), wired_count the WIRED ones.
 *   - TLB: PMAP_UPDATE_TLBS flushes once per pmap_remove/pmap_protect call
 *     (even when nothing changed, as Mach does), once per pmap_enter that
 *     replaced or changed a present PTE, and only when the pmap is active
 *     (the kernel pmap always is); pmap_clear_modify/_reference flush when
 *     the page is mapped (phys_attribute_clear). INVALIDATE_TLB is a full
 *     flush (Mmu.flush_tlb); the single-page invlpg variant is not
 *     distinguished.
 *
 * Departures:
 *   - pv lists cover user mappings only and live on the host (pv_head). A
 *     mapping beyond a page's first takes a struct pv_entry buffer from
 *     pv_list_cache, as Mach's does; the first stands for the page's slot
 *     in pv_head_table, which pmap_init allocates in kernel_map. Besides
 *     Mach's per-page queries (pmap_phys_attributes, pmap_page_protect),
 *     older per-VA reference/modify queries read one guest PTE's A/D bits.
 *     Removing a direct-map PTE (a managed page that never got a pv entry)
 *     panics with Mach's "pmap_remove: null pv_list!", which is what Mach
 *     does after pmap_init.
 *   - No SMP (no cpus_using sets, no update lists, no locks), no Xen
 *     (MACH_PV_PAGETABLES / MACH_HYP), no pmap_map / pmap_map_bd, no
 *     pmap_collect, no LINUX_DEV BIOS PDE at linear 0 (nor the temporary
 *     low direct mapping of i386at_init).
 *   - kvtolin is the identity (the 2012-05+ layout where
 *     VM_MIN_KERNEL_ADDRESS == LINEAR_MIN_KERNEL_ADDRESS); user space is
 *     [0, vm_min_kernel_address). The pre-2012 segmented layout is not
 *     modelled.
 *   - Model assertions Mach does not make: page-aligned arguments, user pmap
 *     operations stay below the kernel base, pmap_change_wiring needs a
 *     valid PTE, a destroyed or active pmap is not destroyed.
 *   - The PAE page directories need not be physically contiguous (Mach's
 *     come from kmem_alloc_wired, contiguous only in VA): `dir_pages` lists
 *     them; `dirbase` is the first.
 *   - pmap_activate also marks the previously loaded user pmap inactive
 *     (one CPU, one CR3).
 *   - PTE values are JS numbers (PAE: high word * 2^32 + low word, physical
 *     bits up to 51; bits 52–63 are never set by this module).
 */
import type { Mmu, PhysFill, PhysMem } from "../../emulator/types.ts";
import { assert, panic } from "../kern/debug.ts";
import { VM_PROT_ALL, VM_PROT_EXECUTE, VM_PROT_READ, VM_PROT_WRITE } from "../vm/vm_prot.ts";
import { PAGE_SIZE, page_aligned } from "./vm_param.ts";
import { hex_pad8, printf_hash_x, printf_x } from "../../util/hex.ts";

/* ---- pmap.h: PTE bits ---- */

export const INTEL_PTE_VALID = 0x001;
export const INTEL_PTE_WRITE = 0x002;
export const INTEL_PTE_USER = 0x004;
export const INTEL_PTE_WTHRU = 0x008;
export const INTEL_PTE_NCACHE = 0x010;
export const INTEL_PTE_REF = 0x020;
export const INTEL_PTE_MOD = 0x040;
/** Large-page bit (in GNU Mach only from 2016+; never set here). */
export const INTEL_PTE_PS = 0x080;
export const INTEL_PTE_GLOBAL = 0x100;
/** Software bit: the mapping is wired. */
export const INTEL_PTE_WIRED = 0x200;
export const INTEL_OFFMASK = 0xfff;

/** proc_reg.h: the CR4 bits this pmap relies on. */
export const CR4_PSE = 0x10;
export const CR4_PAE = 0x20;
export const CR4_PGE = 0x80;

/** The pmap.h macros that differ between the 2-level and the PAE build. */
export interface PmapGeometry {
    readonly PAE: boolean;
    /** Bytes per pt_entry_t. */
    readonly PTE_SIZE: 4 | 8;
    readonly PDPSHIFT: number;
    readonly PDPNUM: number;
    readonly PDESHIFT: number;
    readonly PDEMASK: number;
    readonly PTESHIFT: number;
    readonly PTEMASK: number;
    /** Entries per page-table page (and per page-directory page). */
    readonly NPTES: number;
    /** Entries in the whole page directory (PDPNUM pages). */
    readonly NPDES: number;
    /** VA bytes mapped by one PDE. */
    readonly PDE_MAPPED_SIZE: number;
}

/** 2-level: there is no PDPT (PDPSHIFT 32 makes lin2pdpnum 0). */
export const PMAP_GEOMETRY_2LEVEL: PmapGeometry = Object.freeze({
    PAE: false,
    PTE_SIZE: 4,
    PDPSHIFT: 32,
    PDPNUM: 1,
    PDESHIFT: 22,
    PDEMASK: 0x3ff,
    PTESHIFT: 12,
    PTEMASK: 0x3ff,
    NPTES: 1024,
    NPDES: 1024,
    PDE_MAPPED_SIZE: 0x400000,
});

export const PMAP_GEOMETRY_PAE: PmapGeometry = Object.freeze({
    PAE: true,
    PTE_SIZE: 8,
    PDPSHIFT: 30,
    PDPNUM: 4,
    PDESHIFT: 21,
    PDEMASK: 0x1ff,
    PTESHIFT: 12,
    PTEMASK: 0x1ff,
    NPTES: 512,
    NPDES: 2048,
    PDE_MAPPED_SIZE: 0x200000,
});

export function pmap_geometry(pae: boolean): PmapGeometry {
    return pae ? PMAP_GEOMETRY_PAE : PMAP_GEOMETRY_2LEVEL;
}

/** VM_MAX_KERNEL_ADDRESS of the 2012+ layout (LINEAR_MAX_KERNEL_ADDRESS). */
export const VM_MAX_KERNEL_ADDRESS = 0xffffffff;

const TWO32 = 0x100000000;
/** Physical-address bits 32–51 of a PAE entry's high word. */
const PAE_HIGH_ADDR = 0x000fffff;
/** INTEL_PTE_PFN (PAE) 0x00007ffffffff000: high-word part. */
const PAE_PFN_HIGH = 0x7fff;
/** Bits the CPU sets behind our back; ignored when comparing entries. */
const HW_AD = INTEL_PTE_REF | INTEL_PTE_MOD;

/* ---- the pmap ---- */

/** pmap.c's module globals, shared by every pmap of one machine. */
export interface PmapGlobals {
    kernel_pmap: Pmap;
    /** VM_MIN_KERNEL_ADDRESS (= VM_MAX_ADDRESS = LINEAR_MIN_KERNEL_ADDRESS). */
    vm_min_kernel_address: number;
    phys_first_addr: number;
    phys_last_addr: number;
    /** phystokv(phys_last_addr). */
    kernel_virtual_start: number;
    kernel_virtual_end: number;
    /** Physical range of the kernel text (its whole pages are mapped read-only). */
    text_start: number;
    text_end: number;
    /** CPU_HAS_FEATURE(CPU_FEATURE_PGE): bootstrap PTEs get INTEL_PTE_GLOBAL, CR4.PGE is set. */
    pge: boolean;
    /** MACH_KDB build: pmap_enter's kernel range check is compiled out. */
    mach_kdb: boolean;
    /** The pmap whose directory is in CR3 (the kernel pmap until a user pmap is activated). */
    current: Pmap;
    /** Page-table pages allocated for user pmaps and not yet freed (Mach's inuse_ptepages_count). */
    inuse_ptepages_count: number;
    /** PMAP_UPDATE_TLBS calls that flushed (also counted when mmu is null). */
    tlb_flushes: number;
    /**
     * pv_head_table for user mappings: page-aligned pa → the (pmap, va) pairs
     * that map it. Kernel mappings are wired and never need reverse lookup.
     */
    pv_head: Map<number, PvEntry[]>;
    /** pmap_phys_attributes: REF/MOD bits harvested from PTEs that were removed or cleared. */
    phys_attributes: Map<number, number>;
    /**
     * pv_list_cache (kmem_cache "pv_entry"): a struct pv_entry for each
     * mapping of a page beyond the first, whose entry is the page's slot in
     * pv_head_table. Set by the kernel once its allocator runs; null (no
     * buffers) for a bare pmap. pv_alloc returns 0 when memory is out.
     */
    pv_alloc: (() => number) | null;
    pv_free: ((kva: number) => void) | null;
}

/** One user mapping of a physical page (struct pv_entry). */
export interface PvEntry {
    pmap: Pmap;
    va: number;
    /** Kernel VA of its struct pv_entry from pv_list_cache; 0 for the head, which lives in pv_head_table. */
    kva: number;
}

export interface Pmap {
    name: string;
    pae: boolean;
    /** Physical address of the page directory (PAE: of the first PD page). */
    dirbase: number;
    /** PAE: physical address of the PDPT (the CR3 value); 2-level: = dirbase. */
    pdpbase: number;
    /** Physical addresses of the PDPNUM page-directory pages, in VA order. */
    dir_pages: number[];
    mem: PhysMem;
    /** null = no CPU (the `none` engine): TLB flushes and CR3 loads are no-ops. */
    mmu: Mmu | null;
    /** Physical page for a new page-table page; null for the kernel pmap. */
    ptp_alloc: (() => number) | null;
    is_kernel: boolean;
    ref_count: number;
    resident_count: number;
    wired_count: number;
    /** Page-table pages this pmap owns (kernel: the pre-allocated ones). */
    ptp_count: number;
    /** Loaded in CR3 now (cpus_using); the kernel pmap always is. */
    active: boolean;
    globals: PmapGlobals;
}

export interface PmapBootstrapArgs {
    mem: PhysMem;
    mmu: Mmu | null;
    pae: boolean;
    /** KERNELBASE: 0x80000000 (Debian 2G/2G), 0xC0000000 (upstream). */
    vm_min_kernel_address: number;
    /** Direct-mapped RAM [phys_first_addr, phys_last_addr), page aligned. */
    phys_first_addr: number;
    phys_last_addr: number;
    /** phystokv(phys_last_addr) + VM_KERNEL_MAP_SIZE; capped at VM_MAX_KERNEL_ADDRESS here as in Mach. */
    kernel_virtual_end: number;
    /** Physical range of the kernel text: pages wholly inside are mapped read-only. */
    text_start: number;
    text_end: number;
    /** pmap_grab_page: a physical page (not necessarily zeroed). */
    grab_page: () => number;
    /** CPU has PGE (default true). */
    pge?: boolean;
    /** MACH_KDB build (default false). */
    mach_kdb?: boolean;
}

/* ---- formatting for panic strings (kern/printf.c: %p and %x print bare hex, %#x adds 0x) ---- */

/* ---- entries ---- */

/** Read one entry: the low word, plus (PAE) the physical bits 32–51 of the high word. */
export function pmap_entry_read(mem: PhysMem, pae: boolean, addr: number): number {
    const lo = mem.read32(addr) >>> 0;
    if (!pae) return lo;
    return (mem.read32(addr + 4) & PAE_HIGH_ADDR) * TWO32 + lo;
}

/** WRITE_PTE. PAE: a valid entry is written high word first, an invalid one low word first. */
export function pmap_entry_write(mem: PhysMem, pae: boolean, addr: number, e: number): void {
    const lo = e % TWO32;
    if (!pae) {
        mem.write32(addr, lo);
        return;
    }
    const hi = Math.floor(e / TWO32);
    if (lo & INTEL_PTE_VALID) {
        mem.write32(addr + 4, hi);
        mem.write32(addr, lo);
    } else {
        mem.write32(addr, lo);
        mem.write32(addr + 4, hi);
    }
}

/** The low 12 bits of an entry. */
export function pte_flags(e: number): number {
    return e & 0xfff;
}

/** pte_to_pa: the frame address (INTEL_PTE_PFN). */
export function pte_to_pa(e: number, pae: boolean): number {
    const lo = (e & 0xfffff000) >>> 0;
    return pae ? (Math.floor(e / TWO32) & PAE_PFN_HIGH) * TWO32 + lo : lo;
}

/** pa_to_pte | flags. */
function make_pte(pa: number, flags: number): number {
    return pa + flags;
}

/* ---- address arithmetic ---- */

/** lin2pdenum: index into the whole directory (PAE: 11 bits, the 4 PDs as one array). */
export function lin2pdenum(p: Pmap, va: number): number {
    return p.pae ? (va >>> 21) & 0x7ff : va >>> 22;
}
/** pdenum2lin. */
export function pdenum2lin(p: Pmap, pdenum: number): number {
    return pdenum * (p.pae ? 0x200000 : 0x400000);
}
/** ptenum: index inside the page-table page. */
export function ptenum(p: Pmap, va: number): number {
    return p.pae ? (va >>> 12) & 0x1ff : (va >>> 12) & 0x3ff;
}
export function phystokv(p: Pmap, pa: number): number {
    return pa + p.globals.vm_min_kernel_address;
}

/** Physical address of directory entry `pdenum`. */
export function pmap_pde_addr(p: Pmap, pdenum: number): number {
    if (!p.pae) return p.dirbase + 4 * pdenum;
    const page = p.dir_pages[pdenum >>> 9];
    assert(page !== undefined, () => `pmap_pde: pdenum ${pdenum} out of range`);
    return page + 8 * (pdenum & 0x1ff);
}

/** pmap_pde: physical address of the PDE mapping `va` (kvtolin is the identity). */
export function pmap_pde(p: Pmap, va: number): number {
    return pmap_pde_addr(p, lin2pdenum(p, va >>> 0));
}

/**
 * pmap_pte: physical address of the PTE for `va`, or null when its PDE is not
 * valid (the map would have to grow) or the pmap is destroyed.
 */
export function pmap_pte(p: Pmap, va: number): number | null {
    if (p.ref_count <= 0) return null;
    va >>>= 0;
    const pde = pmap_entry_read(p.mem, p.pae, pmap_pde(p, va));
    if (!(pde & INTEL_PTE_VALID)) return null;
    return pte_to_pa(pde, p.pae) + (p.pae ? 8 : 4) * ptenum(p, va);
}

/** Is `va` in the bootstrap direct map [phystokv(phys_first), phystokv(phys_last))? */
function in_direct_map(g: PmapGlobals, va: number): boolean {
    return va >= g.phys_first_addr + g.vm_min_kernel_address && va < g.kernel_virtual_start;
}

/** PDE indices [first, last] of the kernel page tables pre-allocated by pmap_bootstrap. */
export function pmap_kernel_pde_range(p: Pmap): { first: number; last: number } {
    const g = p.globals;
    const start = g.phys_first_addr + g.vm_min_kernel_address;
    const first = lin2pdenum(p, start);
    if (g.kernel_virtual_end <= start) return { first, last: first - 1 };
    return { first, last: lin2pdenum(p, g.kernel_virtual_end - 1) };
}

/* ---- TLB ---- */

/** PMAP_UPDATE_TLBS: flush when the pmap is in use (INVALIDATE_TLB = full flush). */
export function pmap_update_tlbs(p: Pmap, _s: number, _e: number): void {
    if (!p.active) return;
    p.globals.tlb_flushes++;
    p.mmu?.flush_tlb();
}

/* ---- bootstrap ---- */

/** One kernel PTP of pmap_bootstrap: the direct map's PTEs for va in [lo, hi), the rest zero. */
interface DirectPtp {
    base: number;
    lo: number;
    hi: number;
    kb: number;
    text_start: number;
    text_end: number;
    global: number;
    pte_size: number;
}

/**
 * The PTP's PTEs into a zeroed page image. Counted by PTE index j and
 * physical address, made small integers (`| 0`, `>>> 0`): arithmetic on a
 * kernel VA above 2 GiB gives heap numbers in unoptimized code, and so would
 * everything computed from them, ~500k of them at 2 GiB of RAM.
 */
function direct_ptp_image(p: DirectPtp, view: DataView): void {
    const jend = ((p.hi - p.base) / PAGE_SIZE) | 0;
    let pa = (p.lo - p.kb) >>> 0;
    for (let j = ((p.lo - p.base) / PAGE_SIZE) | 0; j < jend; j++, pa += PAGE_SIZE) {
        const ro = pa >= p.text_start && pa + PAGE_SIZE <= p.text_end;
        const pte = (pa | INTEL_PTE_VALID | (ro ? 0 : INTEL_PTE_WRITE) | p.global) >>> 0;
        view.setUint32(j * p.pte_size, pte, true);
    }
}

/** The scratch page direct_ptp_fill builds an image in (fills run one at a time). */
const ptp_scratch = new Uint8Array(PAGE_SIZE);

/** The PTP as a PhysMem fill: any bytes of it, from the whole page's image. */
function direct_ptp_fill(p: DirectPtp): PhysFill {
    return (dst, off) => {
        direct_ptp_image(p, new DataView(ptp_scratch.fill(0).buffer));
        dst.set(ptp_scratch.subarray(off, off + dst.length));
    };
}

/**
 * pmap_bootstrap: build kernel_pmap. Page directory pages first (PAE: the
 * four PDs, then the PDPT), then one PTP per PDE from phystokv(phys_first)
 * to kernel_virtual_end, each written to RAM with a single bulk write.
 */
export function pmap_bootstrap(a: PmapBootstrapArgs): Pmap {
    const gm = pmap_geometry(a.pae);
    const kb = a.vm_min_kernel_address;
    assert(
        page_aligned(a.phys_first_addr) && page_aligned(a.phys_last_addr),
        "pmap_bootstrap: phys range page aligned",
    );
    assert(
        a.phys_first_addr < a.phys_last_addr,
        "pmap_bootstrap: phys_first_addr < phys_last_addr",
    );
    assert(
        page_aligned(kb) && kb > 0 && kb < TWO32,
        "pmap_bootstrap: VM_MIN_KERNEL_ADDRESS page aligned",
    );
    const kernel_virtual_start = kb + a.phys_last_addr;
    assert(kernel_virtual_start <= TWO32, "pmap_bootstrap: direct map fits below 4 GiB");
    let kernel_virtual_end = a.kernel_virtual_end;
    if (kernel_virtual_end < kernel_virtual_start || kernel_virtual_end > VM_MAX_KERNEL_ADDRESS) {
        kernel_virtual_end = VM_MAX_KERNEL_ADDRESS;
    }
    const pge = a.pge ?? true;
    const global = pge ? INTEL_PTE_GLOBAL : 0;

    const grab = (): number => {
        const pa = a.grab_page();
        assert(
            page_aligned(pa) && pa >= 0 && pa < TWO32,
            () => `pmap_grab_page: bad page ${hex_pad8(pa)}`,
        );
        return pa;
    };

    // The kernel page directory (init_alloc_aligned order: the PDs, then the PDPT).
    const dir_pages: number[] = [];
    for (let i = 0; i < gm.PDPNUM; i++) dir_pages.push(grab());
    const pdpbase = a.pae ? grab() : dir_pages[0]!;

    const g = {
        vm_min_kernel_address: kb,
        phys_first_addr: a.phys_first_addr,
        phys_last_addr: a.phys_last_addr,
        kernel_virtual_start,
        kernel_virtual_end,
        text_start: a.text_start,
        text_end: a.text_end,
        pge,
        mach_kdb: a.mach_kdb ?? false,
        inuse_ptepages_count: 0,
        tlb_flushes: 0,
        pv_head: new Map(),
        pv_alloc: null,
        pv_free: null,
        phys_attributes: new Map(),
    } as PmapGlobals;
    const kernel: Pmap = {
        name: "kernel_pmap",
        pae: a.pae,
        dirbase: dir_pages[0]!,
        pdpbase,
        dir_pages,
        mem: a.mem,
        mmu: a.mmu,
        ptp_alloc: null,
        is_kernel: true,
        ref_count: 1,
        resident_count: 0,
        wired_count: 0,
        ptp_count: 0,
        active: true,
        globals: g,
    };
    g.kernel_pmap = kernel;
    g.current = kernel;

    // The directory image, written once at the end.
    const dir = new Uint8Array(gm.PDPNUM * PAGE_SIZE);
    const dirView = new DataView(dir.buffer);

    const direct_start = kb + a.phys_first_addr;
    const page = new Uint8Array(PAGE_SIZE); // a PTP for a memory that cannot defer it
    const { first, last } = pmap_kernel_pde_range(kernel);
    for (let pdenum = first; pdenum <= last; pdenum++) {
        const pt_pa = grab();
        kernel.ptp_count++;
        const base = pdenum * gm.PDE_MAPPED_SIZE;
        const ptp: DirectPtp = {
            base,
            lo: Math.max(base, direct_start),
            hi: Math.min(base + gm.PDE_MAPPED_SIZE, kernel_virtual_start),
            kb,
            text_start: a.text_start,
            text_end: a.text_end,
            global,
            pte_size: gm.PTE_SIZE,
        };
        // A sparse memory makes the ~1 MiB of direct-map PTPs only where
        // they are used; the bytes are the same either way.
        const fill = direct_ptp_fill(ptp);
        if (a.mem.defer) a.mem.defer(pt_pa, PAGE_SIZE, fill);
        else {
            fill(page, 0);
            a.mem.write(pt_pa, page);
        }
        const pde = (pt_pa | INTEL_PTE_VALID | INTEL_PTE_WRITE) >>> 0;
        dirView.setUint32(pdenum * gm.PTE_SIZE, pde, true);
    }
    for (let i = 0; i < gm.PDPNUM; i++) {
        a.mem.write(dir_pages[i]!, dir.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE));
    }
    if (a.pae) {
        const pdpt = new Uint8Array(PAGE_SIZE);
        const v = new DataView(pdpt.buffer);
        for (let i = 0; i < gm.PDPNUM; i++)
            v.setUint32(8 * i, (dir_pages[i]! | INTEL_PTE_VALID) >>> 0, true);
        a.mem.write(pdpbase, pdpt);
    }
    return kernel;
}

/** pmap_virtual_space: [kernel_virtual_start, kernel_virtual_end). */
export function pmap_virtual_space(p: Pmap): { start: number; end: number } {
    return { start: p.globals.kernel_virtual_start, end: p.globals.kernel_virtual_end };
}

/** The CR3 value for this pmap (set_pmap). */
export function pmap_cr3(p: Pmap): number {
    return p.pae ? p.pdpbase : p.dirbase;
}

/** The CR4 bits the kernel sets with paging on (i386at_init): PAE, PGE. PSE is never used. */
export function pmap_cr4_bits(p: Pmap): number {
    return (p.pae ? CR4_PAE : 0) | (p.globals.pge ? CR4_PGE : 0);
}

/** PMAP_ACTIVATE_*: load CR3 and mark the pmap in use (the previous user pmap is no longer). */
export function pmap_activate(p: Pmap): void {
    assert(p.ref_count > 0, () => `pmap_activate: ${p.name} is destroyed`);
    const g = p.globals;
    if (g.current !== p && !g.current.is_kernel) g.current.active = false;
    g.current = p;
    p.active = true;
    p.mmu?.set_cr3(pmap_cr3(p));
}

/* ---- create / destroy ---- */

/**
 * pmap_create: `dir_pas` are the pages the caller allocated (Mach:
 * kmem_alloc_wired(kernel_map, PDPNUM * 4096), PAE: one more for the PDPT,
 * last). The whole kernel directory is copied: kernel PDEs are shared by
 * value, which works only because kernel PTPs never change after bootstrap.
 */
export function pmap_create(
    kernel: Pmap,
    dir_pas: number[],
    ptp_alloc: () => number,
    name: string,
): Pmap {
    assert(kernel.is_kernel, "pmap_create: needs the kernel pmap");
    const gm = pmap_geometry(kernel.pae);
    const want = gm.PDPNUM + (kernel.pae ? 1 : 0);
    assert(
        dir_pas.length === want,
        () => `pmap_create: ${want} directory pages expected, got ${dir_pas.length}`,
    );
    for (const pa of dir_pas) {
        assert(
            page_aligned(pa) && pa >= 0 && pa < TWO32,
            () => `pmap_create: bad directory page ${hex_pad8(pa)}`,
        );
    }
    assert(new Set(dir_pas).size === dir_pas.length, "pmap_create: directory pages not distinct");
    const mem = kernel.mem;
    const dir_pages = dir_pas.slice(0, gm.PDPNUM);
    for (let i = 0; i < gm.PDPNUM; i++) {
        mem.write(dir_pages[i]!, mem.read(kernel.dir_pages[i]!, PAGE_SIZE));
    }
    let pdpbase = dir_pages[0]!;
    if (kernel.pae) {
        pdpbase = dir_pas[gm.PDPNUM]!;
        const pdpt = new Uint8Array(PAGE_SIZE);
        const v = new DataView(pdpt.buffer);
        for (let i = 0; i < gm.PDPNUM; i++)
            v.setUint32(8 * i, (dir_pages[i]! | INTEL_PTE_VALID) >>> 0, true);
        mem.write(pdpbase, pdpt);
    }
    return {
        name,
        pae: kernel.pae,
        dirbase: dir_pages[0]!,
        pdpbase,
        dir_pages,
        mem,
        mmu: kernel.mmu,
        ptp_alloc,
        is_kernel: false,
        ref_count: 1,
        resident_count: 0,
        wired_count: 0,
        ptp_count: 0,
        active: false,
        globals: kernel.globals,
    };
}

/** pmap_reference. */
export function pmap_reference(p: Pmap): void {
    assert(p.ref_count > 0, () => `pmap_reference: ${p.name} is destroyed`);
    p.ref_count++;
}

/**
 * pmap_destroy: drop a reference; on the last one, free every user PTP
 * through `ptp_free` (pmap_page_table_page_dealloc). The directory pages are
 * the caller's to free (Mach: kmem_free of dirbase and pdpbase). Returns
 * true when the pmap was retired.
 */
export function pmap_destroy(p: Pmap, ptp_free: (pa: number) => void): boolean {
    assert(!p.is_kernel, "pmap_destroy: kernel pmap");
    assert(p.ref_count > 0, () => `pmap_destroy: ${p.name} already destroyed`);
    if (p.ref_count > 1) {
        p.ref_count--;
        return false;
    }
    assert(!p.active, () => `pmap_destroy: ${p.name} is loaded in CR3`);
    p.ref_count = 0;
    const end = lin2pdenum(p, p.globals.vm_min_kernel_address);
    for (let i = 0; i < end; i++) {
        const pde = pmap_entry_read(p.mem, p.pae, pmap_pde_addr(p, i));
        if (pde & INTEL_PTE_VALID) {
            ptp_free(pte_to_pa(pde, p.pae));
            p.ptp_count--;
            p.globals.inuse_ptepages_count--;
        }
    }
    p.dir_pages = [];
    p.dirbase = 0;
    p.pdpbase = 0;
    return true;
}

/* ---- remove / protect / enter ---- */

function check_range(p: Pmap, what: string, s: number, e: number): void {
    assert(p.ref_count > 0, () => `${what}: ${p.name} is destroyed`);
    assert(
        page_aligned(s) && page_aligned(e) && s >= 0 && s <= e && e <= TWO32,
        () => `${what}: bad range ${hex_pad8(s)}-${hex_pad8(e)}`,
    );
    if (!p.is_kernel) {
        assert(
            e <= p.globals.vm_min_kernel_address,
            () => `${what}: user range ${hex_pad8(s)}-${hex_pad8(e)} reaches kernel space`,
        );
    }
}

/**
 * pmap_remove_range: clear `count` PTEs starting at physical address `spte`
 * (mapping `va` onward, all in one PTP) and update the counts.
 */
function pmap_remove_range(p: Pmap, va: number, spte: number, count: number): void {
    const size = p.pae ? 8 : 4;
    const raw = p.mem.read(spte, count * size);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const g = p.globals;
    let num_removed = 0;
    let num_unwired = 0;
    for (let i = 0; i < count; i++, va += PAGE_SIZE) {
        const lo = view.getUint32(i * size, true);
        const hi = p.pae ? view.getUint32(i * size + 4, true) : 0;
        if (lo === 0 && hi === 0) continue;
        if (p.is_kernel && in_direct_map(g, va)) {
            // A managed page mapped by pmap_bootstrap has no pv entry.
            panic("pmap_remove: null pv_list!");
        }
        num_removed++;
        if (lo & INTEL_PTE_WIRED) num_unwired++;
        if (!p.is_kernel) pv_remove(p, va, pte_to_pa(lo + hi * TWO32, p.pae), lo);
        pmap_entry_write(p.mem, p.pae, spte + i * size, 0);
    }
    p.resident_count -= num_removed;
    p.wired_count -= num_unwired;
}

/** pmap_remove: remove [s, e) (page aligned). One TLB flush per call. */
export function pmap_remove(p: Pmap, s: number, e: number): void {
    check_range(p, "pmap_remove", s, e);
    const _s = s;
    const pdesz = p.pae ? 0x200000 : 0x400000;
    while (s < e) {
        const l = Math.min(e, (Math.floor(s / pdesz) + 1) * pdesz);
        const pte = pmap_pte(p, s);
        if (pte !== null) pmap_remove_range(p, s, pte, (l - s) / PAGE_SIZE);
        s = l;
    }
    pmap_update_tlbs(p, _s, e);
}

/**
 * pmap_protect: lower the protection of [s, e). READ (or READ|EXECUTE)
 * clears INTEL_PTE_WRITE — on the kernel pmap it removes the mappings;
 * READ|WRITE and ALL do nothing; anything else removes.
 */
export function pmap_protect(p: Pmap, s: number, e: number, prot: number): void {
    check_range(p, "pmap_protect", s, e);
    switch (prot) {
        case VM_PROT_READ:
        case VM_PROT_READ | VM_PROT_EXECUTE:
            break;
        case VM_PROT_READ | VM_PROT_WRITE:
        case VM_PROT_ALL:
            return;
        default:
            pmap_remove(p, s, e);
            return;
    }
    if (p.is_kernel) {
        // The i386 ignores the write-permission bit in kernel mode.
        pmap_remove(p, s, e);
        return;
    }
    const _s = s;
    const size = p.pae ? 8 : 4;
    const pdesz = p.pae ? 0x200000 : 0x400000;
    while (s < e) {
        const l = Math.min(e, (Math.floor(s / pdesz) + 1) * pdesz);
        const spte = pmap_pte(p, s);
        if (spte !== null) {
            const count = (l - s) / PAGE_SIZE;
            const raw = p.mem.read(spte, count * size);
            const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
            for (let i = 0; i < count; i++) {
                const lo = view.getUint32(i * size, true);
                if (lo & INTEL_PTE_VALID && lo & INTEL_PTE_WRITE) {
                    p.mem.write32(spte + i * size, (lo & ~INTEL_PTE_WRITE) >>> 0);
                }
            }
        }
        s = l;
    }
    pmap_update_tlbs(p, _s, e);
}

/** The PTE pmap_enter writes. */
function pte_template(p: Pmap, pa: number, prot: number, wired: boolean): number {
    let flags = INTEL_PTE_VALID;
    if (!p.is_kernel) flags |= INTEL_PTE_USER;
    if (prot & VM_PROT_WRITE) flags |= INTEL_PTE_WRITE;
    // cpu_type >= CPU_TYPE_I486: memory beyond RAM is uncached.
    if (pa >= p.globals.phys_last_addr) flags |= INTEL_PTE_NCACHE | INTEL_PTE_WTHRU;
    if (wired) flags |= INTEL_PTE_WIRED;
    return make_pte(pa, flags);
}

/**
 * pmap_enter of `count` consecutive pages (va + 4096 n to pa + 4096 n), for
 * the boot's page-by-page loops (pmap_steal_memory): a writable kernel
 * page whose PTE is still empty is entered here, with what pmap_enter does
 * for it (the counts, the PTE); every other page by pmap_enter itself.
 */
export function pmap_enter_run(
    p: Pmap,
    va: number,
    pa: number,
    count: number,
    prot: number,
    wired: boolean,
): void {
    const g = p.globals;
    va >>>= 0;
    const last = (count - 1) * PAGE_SIZE;
    const fast =
        p.is_kernel &&
        p.ref_count > 0 &&
        (prot & VM_PROT_WRITE) !== 0 &&
        page_aligned(va) &&
        page_aligned(pa) &&
        pa >= 0 &&
        pa + last < (p.pae ? 2 ** 47 : TWO32) &&
        (g.mach_kdb || (va >= g.kernel_virtual_start && va + last < g.kernel_virtual_end));
    for (let n = 0; n < count; n++) {
        const v = va + n * PAGE_SIZE;
        const a = pa + n * PAGE_SIZE;
        const pte = fast ? pmap_pte(p, v) : null;
        if (pte === null || pmap_entry_read(p.mem, p.pae, pte) !== 0) {
            pmap_enter(p, v, a, prot, wired);
            continue;
        }
        p.resident_count++;
        if (wired) p.wired_count++;
        pmap_entry_write(p.mem, p.pae, pte, pte_template(p, a, prot, wired));
    }
}

/**
 * pmap_enter: map `va` to `pa` with `prot` (VM_PROT_*), wired or not. User
 * pmaps grow a page-table page on demand; the kernel pmap cannot.
 */
export function pmap_enter(p: Pmap, va: number, pa: number, prot: number, wired: boolean): void {
    // The checks build their message only when they fail (no closure per call).
    if (!(p.ref_count > 0)) assert(false, `pmap_enter: ${p.name} is destroyed`);
    va >>>= 0;
    if (!(page_aligned(va) && page_aligned(pa) && pa >= 0))
        assert(false, `pmap_enter: unaligned ${hex_pad8(va)} -> ${hex_pad8(pa)}`);
    if (!(p.pae ? pa < 2 ** 47 : pa < TWO32))
        assert(false, `pmap_enter: pa ${hex_pad8(pa)} beyond the physical address size`);
    const g = p.globals;
    const mem = p.mem;
    if (p.is_kernel) {
        if (!g.mach_kdb && (va < g.kernel_virtual_start || va >= g.kernel_virtual_end)) {
            panic(`pmap_enter(${printf_x(va)}, ${printf_x(pa)}) falls in physical memory area!`);
        }
    } else {
        assert(
            va < g.vm_min_kernel_address,
            () => `pmap_enter: user va ${hex_pad8(va)} in kernel space`,
        );
    }

    if (p.is_kernel && !(prot & VM_PROT_WRITE) && !wired) {
        // A read-only kernel mapping cannot be entered: remove any existing one.
        const pte = pmap_pte(p, va);
        if (pte !== null && pmap_entry_read(mem, p.pae, pte) !== 0) {
            pmap_remove_range(p, va, pte, 1);
            pmap_update_tlbs(p, va, va + PAGE_SIZE);
        }
        return;
    }

    let pte = pmap_pte(p, va);
    while (pte === null) {
        if (p.is_kernel) {
            // Would have to enter the new page-table page in every pmap.
            panic(`pmap_expand kernel pmap to ${printf_hash_x(va)}`);
        }
        const ptp = p.ptp_alloc!();
        assert(
            page_aligned(ptp) && ptp >= 0 && (p.pae || ptp < TWO32),
            () => `pmap_enter: bad page-table page ${hex_pad8(ptp)}`,
        );
        mem.fill(ptp, PAGE_SIZE, 0);
        pmap_entry_write(
            mem,
            p.pae,
            pmap_pde(p, va),
            make_pte(ptp, INTEL_PTE_VALID | INTEL_PTE_USER | INTEL_PTE_WRITE),
        );
        p.ptp_count++;
        g.inuse_ptepages_count++;
        pte = pmap_pte(p, va);
    }

    const old = pmap_entry_read(mem, p.pae, pte);
    if (old !== 0 && pte_to_pa(old, p.pae) === pa) {
        // Same page: only the wiring or the protection changes.
        if (wired && !(old & INTEL_PTE_WIRED)) p.wired_count++;
        else if (!wired && old & INTEL_PTE_WIRED) p.wired_count--;
        let template = pte_template(p, pa, prot, wired);
        if (old & INTEL_PTE_MOD) template += INTEL_PTE_MOD;
        pmap_entry_write(mem, p.pae, pte, template);
        pmap_update_tlbs(p, va, va + PAGE_SIZE);
        return;
    }
    if (old !== 0) {
        pmap_remove_range(p, va, pte, 1);
        pmap_update_tlbs(p, va, va + PAGE_SIZE);
    }
    p.resident_count++;
    if (wired) p.wired_count++;
    if (!p.is_kernel) pv_enter(p, va, pa);
    pmap_entry_write(mem, p.pae, pte, pte_template(p, pa, prot, wired));
}

/* ---- pv lists: the user mappings of each physical page ---- */

function pv_enter(p: Pmap, va: number, pa: number): void {
    const g = p.globals;
    const list = g.pv_head.get(pa);
    if (!list) {
        g.pv_head.set(pa, [{ pmap: p, va, kva: 0 }]);
        return;
    }
    // A second mapping of the page: its entry comes from pv_list_cache.
    const kva = g.pv_alloc?.() ?? 0;
    if (g.pv_alloc && kva === 0)
        panic(
            `pmap_enter: no memory for a pv_entry (${hex_pad8(va)} -> ${hex_pad8(pa)} in ${p.name})`,
        );
    list.push({ pmap: p, va, kva });
}

/** Drop (p, va) from pa's list, keeping the REF/MOD bits the PTE had. */
function pv_remove(p: Pmap, va: number, pa: number, pte_lo: number): void {
    const g = p.globals;
    const list = g.pv_head.get(pa);
    const i = list ? list.findIndex((e) => e.pmap === p && e.va === va) : -1;
    if (!list || i < 0)
        panic(`pmap_remove: null pv_list! (${hex_pad8(va)} -> ${hex_pad8(pa)} in ${p.name})`);
    const [gone] = list.splice(i, 1);
    // Removing the head moves the next entry into pv_head_table: its buffer goes back instead.
    const freed = gone!.kva || (list[0]?.kva ?? 0);
    if (i === 0 && list[0]) list[0].kva = 0;
    if (freed) g.pv_free?.(freed);
    if (list.length === 0) g.pv_head.delete(pa);
    const ad = pte_lo & HW_AD;
    if (ad) g.phys_attributes.set(pa, (g.phys_attributes.get(pa) ?? 0) | ad);
}

/**
 * The pv lists' own invariants: no empty list, the head in pv_head_table
 * (no buffer), and with a pv_list_cache, one distinct buffer for every
 * other entry. Returns the problems and the number of buffers held.
 */
export function pmap_pv_verify(g: PmapGlobals): { problems: string[]; buffers: number } {
    const problems: string[] = [];
    const seen = new Set<number>();
    for (const [pa, list] of g.pv_head) {
        const where = `pv list of ${hex_pad8(pa)}`;
        if (list.length === 0) problems.push(`${where} is empty but still in pv_head_table`);
        list.forEach((e, i) => {
            if (i === 0 && e.kva)
                problems.push(`${where}: the head holds a pv_entry buffer ${hex_pad8(e.kva)}`);
            if (i > 0 && g.pv_alloc && !e.kva)
                problems.push(
                    `${where}: mapping ${i} (${hex_pad8(e.va)} in ${e.pmap.name}) has no pv_entry buffer`,
                );
            if (e.kva && seen.has(e.kva))
                problems.push(`${where}: pv_entry buffer ${hex_pad8(e.kva)} used twice`);
            if (e.kva) seen.add(e.kva);
        });
    }
    return { problems, buffers: seen.size };
}

/** The user mappings of physical page `pa` (a copy: callers may remove them). */
export function pmap_pv_list(g: PmapGlobals, pa: number): PvEntry[] {
    return (g.pv_head.get(pa) ?? []).slice();
}

/**
 * pmap_page_protect: lower every user mapping of `pa` to `prot`, as Mach's
 * switch decides: READ and READ|EXECUTE write-protect them (copy-on-write),
 * VM_PROT_ALL leaves them, any other protection — NONE (vm_pageout_scan
 * before freeing or cleaning a page), but also READ|WRITE or EXECUTE —
 * removes them all, harvesting their REF/MOD bits; removing a wired one
 * panics.
 */
export function pmap_page_protect(g: PmapGlobals, pa: number, prot: number): void {
    let remove: boolean;
    switch (prot) {
        case VM_PROT_READ:
        case VM_PROT_READ | VM_PROT_EXECUTE:
            remove = false;
            break;
        case VM_PROT_ALL:
            return;
        default:
            remove = true;
    }
    for (const { pmap, va } of pmap_pv_list(g, pa)) {
        if (remove) {
            const pte = pmap_pte(pmap, va);
            if (pte !== null && pmap.mem.read32(pte) & INTEL_PTE_WIRED)
                panic("pmap_remove_all removing a wired page");
            pmap_remove(pmap, va, va + PAGE_SIZE);
        } else {
            pmap_protect(pmap, va, va + PAGE_SIZE, VM_PROT_READ);
        }
    }
}

/** The REF/MOD bits of `pa`: harvested ones, or'ed with every live PTE's. */
function phys_attribute_test(g: PmapGlobals, pa: number, bit: number): boolean {
    if ((g.phys_attributes.get(pa) ?? 0) & bit) return true;
    for (const { pmap, va } of g.pv_head.get(pa) ?? []) {
        if (attribute_test(pmap, va, bit)) return true;
    }
    return false;
}

function phys_attribute_clear(g: PmapGlobals, pa: number, bit: number): void {
    const a = g.phys_attributes.get(pa) ?? 0;
    if (a & bit) {
        if (a & ~bit) g.phys_attributes.set(pa, a & ~bit);
        else g.phys_attributes.delete(pa);
    }
    for (const { pmap, va } of g.pv_head.get(pa) ?? []) attribute_clear(pmap, va, bit);
}

/** Mach's pmap_is_modified(phys): set by the CPU in any PTE mapping the page. */
export function pmap_phys_is_modified(g: PmapGlobals, pa: number): boolean {
    return phys_attribute_test(g, pa, INTEL_PTE_MOD);
}
export function pmap_phys_is_referenced(g: PmapGlobals, pa: number): boolean {
    return phys_attribute_test(g, pa, INTEL_PTE_REF);
}
export function pmap_phys_clear_modify(g: PmapGlobals, pa: number): void {
    phys_attribute_clear(g, pa, INTEL_PTE_MOD);
}
export function pmap_phys_clear_reference(g: PmapGlobals, pa: number): void {
    phys_attribute_clear(g, pa, INTEL_PTE_REF);
}

/** pmap_change_wiring: set or clear INTEL_PTE_WIRED of an existing mapping. */
export function pmap_change_wiring(p: Pmap, va: number, wired: boolean): void {
    const pte = pmap_pte(p, va);
    if (pte === null) panic("pmap_change_wiring: pte missing");
    const e = pmap_entry_read(p.mem, p.pae, pte);
    assert(e & INTEL_PTE_VALID, () => `pmap_change_wiring: ${hex_pad8(va >>> 0)} not mapped`);
    const lo = e % TWO32;
    if (wired && !(lo & INTEL_PTE_WIRED)) {
        p.wired_count++;
        p.mem.write32(pte, (lo | INTEL_PTE_WIRED) >>> 0);
    } else if (!wired && lo & INTEL_PTE_WIRED) {
        p.wired_count--;
        p.mem.write32(pte, (lo & ~INTEL_PTE_WIRED) >>> 0);
    }
}

/** pmap_extract: the physical address `va` maps to, 0 when unmapped. */
export function pmap_extract(p: Pmap, va: number): number {
    va >>>= 0;
    const pte = pmap_pte(p, va);
    if (pte === null) return 0;
    const e = pmap_entry_read(p.mem, p.pae, pte);
    if (!(e & INTEL_PTE_VALID)) return 0;
    return pte_to_pa(e, p.pae) + (va & INTEL_OFFMASK);
}

/* ---- reference and modify bits (read from the guest PTE) ---- */

function attribute_test(p: Pmap, va: number, bit: number): boolean {
    const pte = pmap_pte(p, va);
    if (pte === null) return false;
    const lo = p.mem.read32(pte) >>> 0;
    return (lo & INTEL_PTE_VALID) !== 0 && (lo & bit) !== 0;
}

function attribute_clear(p: Pmap, va: number, bit: number): void {
    const pte = pmap_pte(p, va);
    if (pte === null) return;
    const lo = p.mem.read32(pte) >>> 0;
    if (!(lo & INTEL_PTE_VALID)) return;
    if (lo & bit) p.mem.write32(pte, (lo & ~bit) >>> 0);
    // The TLB caches the A/D state: the CPU must walk again to set the bit.
    pmap_update_tlbs(p, va, va + PAGE_SIZE);
}

export function pmap_is_modified(p: Pmap, va: number): boolean {
    return attribute_test(p, va, INTEL_PTE_MOD);
}
export function pmap_is_referenced(p: Pmap, va: number): boolean {
    return attribute_test(p, va, INTEL_PTE_REF);
}
export function pmap_clear_modify(p: Pmap, va: number): void {
    attribute_clear(p, va, INTEL_PTE_MOD);
}
export function pmap_clear_reference(p: Pmap, va: number): void {
    attribute_clear(p, va, INTEL_PTE_REF);
}

/* ---- invariants ---- */

const MAX_PROBLEMS = 50;

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * `nwords` little-endian 32-bit words at `addr`, in one bulk read (PAE
 * entries are word pairs: low, high).
 */
function read_words(mem: PhysMem, addr: number, nwords: number): Uint32Array {
    const raw = mem.read(addr, nwords * 4);
    if (HOST_LITTLE_ENDIAN && raw.byteOffset % 4 === 0)
        return new Uint32Array(raw.buffer, raw.byteOffset, nwords);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const out = new Uint32Array(nwords);
    for (let i = 0; i < nwords; i++) out[i] = view.getUint32(4 * i, true);
    return out;
}

/**
 * pmap_verify: check the invariants of `p`'s page tables in guest RAM against
 * its bookkeeping. Returns the violations found (empty when all hold).
 *   - PAE: PDPTE i = dir_pages[i] | VALID.
 *   - Kernel pmap: exactly the pre-allocated PDEs are present (VALID|WRITE);
 *     direct-map PTEs map va − KERNELBASE (VALID|WRITE|GLOBAL, text read-only);
 *     every other non-zero PTE is valid, supervisor, inside
 *     [kernel_virtual_start, kernel_virtual_end) (unless MACH_KDB).
 *   - User pmap: kernel-range PDEs equal the kernel pmap's; user PDEs are 0 or
 *     VALID|USER|WRITE; user PTEs are 0 or valid user mappings.
 *   - resident_count / wired_count / ptp_count match the non-zero / wired PTEs
 *     and the page-table pages found; no page-table page is used twice.
 * A/D bits are ignored (the CPU sets them).
 */
export function pmap_verify(p: Pmap): string[] {
    const problems: string[] = [];
    let dropped = 0;
    const bad = (msg: string): void => {
        if (problems.length < MAX_PROBLEMS) problems.push(`${p.name}: ${msg}`);
        else dropped++;
    };
    if (p.ref_count <= 0) return [`${p.name}: destroyed`];
    const gm = pmap_geometry(p.pae);
    const g = p.globals;
    const kernel = g.kernel_pmap;
    const mem = p.mem;
    const kb = g.vm_min_kernel_address;

    if (p.dir_pages.length !== gm.PDPNUM)
        bad(`${p.dir_pages.length} directory pages, expected ${gm.PDPNUM}`);
    if (p.dirbase !== p.dir_pages[0]) bad("dirbase is not the first directory page");
    if (!p.pae && p.pdpbase !== p.dirbase) bad("pdpbase != dirbase without PAE");
    if (p.active !== (p.is_kernel || g.current === p))
        bad(`active=${p.active} but CR3 holds ${g.current.name}`);
    const words = p.pae ? 2 : 1;
    if (p.pae) {
        const pdpt = read_words(mem, p.pdpbase, 2 * gm.PDPNUM);
        for (let i = 0; i < gm.PDPNUM; i++) {
            const want = ((p.dir_pages[i] ?? 0) | INTEL_PTE_VALID) >>> 0;
            if (pdpt[2 * i] !== want || pdpt[2 * i + 1] !== 0) {
                bad(
                    `PDPTE ${i} = ${hex_pad8(pdpt[2 * i + 1]!)}:${hex_pad8(pdpt[2 * i]!)}, expected ${hex_pad8(want)}`,
                );
            }
        }
    }

    /** The whole directory of `q` as words. */
    const directory = (q: Pmap): Uint32Array => {
        const out = new Uint32Array(gm.NPDES * words);
        for (let i = 0; i < gm.PDPNUM; i++) {
            const page = q.dir_pages[i];
            if (page !== undefined)
                out.set(read_words(mem, page, gm.NPTES * words), i * gm.NPTES * words);
        }
        return out;
    };
    const pdes = directory(p);
    const kernel_pdes = p.is_kernel ? pdes : directory(kernel);

    const { first, last } = pmap_kernel_pde_range(kernel);
    const user_end = lin2pdenum(p, kb);
    const dir_set = new Set(p.dir_pages);
    if (p.pae) dir_set.add(p.pdpbase);
    const ptps = new Set<number>();
    let resident = 0;
    let wired = 0;
    let ptp_count = 0;
    const direct_start = g.phys_first_addr + kb;
    const kvs = g.kernel_virtual_start;
    const kve = g.kernel_virtual_end;
    const global = g.pge ? INTEL_PTE_GLOBAL : 0;
    const pde_want = p.is_kernel
        ? INTEL_PTE_VALID | INTEL_PTE_WRITE
        : INTEL_PTE_VALID | INTEL_PTE_USER | INTEL_PTE_WRITE;

    for (let i = 0; i < gm.NPDES; i++) {
        const lo = pdes[i * words]!;
        const hi = p.pae ? pdes[i * words + 1]! : 0;
        const base = i * gm.PDE_MAPPED_SIZE;
        const where = (): string => `PDE ${printf_hash_x(i)} (${hex_pad8(base)})`;
        const kernel_slot = i >= first && i <= last;
        if (!p.is_kernel && i >= user_end) {
            const klo = kernel_pdes[i * words]!;
            const khi = p.pae ? kernel_pdes[i * words + 1]! : 0;
            if (((lo ^ klo) & ~INTEL_PTE_REF) !== 0 || hi !== khi) {
                bad(`${where()} = ${hex_pad8(lo)} differs from the kernel's ${hex_pad8(klo)}`);
            }
            continue; // kernel page tables are checked on the kernel pmap
        }
        if (lo === 0 && hi === 0) {
            if (p.is_kernel && kernel_slot)
                bad(`${where()} missing: kernel page tables are pre-allocated`);
            continue;
        }
        const flags = lo & 0xfff & ~HW_AD;
        if (flags !== pde_want)
            bad(
                `${where()} = ${hex_pad8(lo)}: flags ${printf_hash_x(flags)}, expected ${printf_hash_x(pde_want)}`,
            );
        if (p.is_kernel && !kernel_slot)
            bad(`${where()} present outside the pre-allocated kernel range`);
        const pt = pte_to_pa(hi * TWO32 + lo, p.pae);
        if (ptps.has(pt)) bad(`${where()}: page table ${hex_pad8(pt)} used twice`);
        if (dir_set.has(pt)) bad(`${where()}: page table ${hex_pad8(pt)} is a directory page`);
        ptps.add(pt);
        ptp_count++;
        if (!(lo & INTEL_PTE_VALID)) continue;

        const t = read_words(mem, pt, gm.NPTES * words);
        // Direct-map PTEs [jd0, jd1) of this table (kernel pmap only).
        let jd0 = 0;
        let jd1 = 0;
        if (p.is_kernel) {
            jd0 = Math.min(gm.NPTES, Math.max(0, Math.ceil((direct_start - base) / PAGE_SIZE)));
            jd1 = Math.min(gm.NPTES, Math.max(jd0, Math.ceil((kvs - base) / PAGE_SIZE)));
        }
        for (let j = jd0; j < jd1; j++) {
            const elo = t[j * words]!;
            const pa = base + j * PAGE_SIZE - kb;
            const ro = pa >= g.text_start && pa + PAGE_SIZE <= g.text_end;
            const want = (pa | INTEL_PTE_VALID | (ro ? 0 : INTEL_PTE_WRITE) | global) >>> 0;
            if ((elo & ~HW_AD) >>> 0 !== want || (p.pae && t[j * 2 + 1] !== 0)) {
                bad(
                    `direct map PTE ${hex_pad8(pa + kb)} = ${hex_pad8(elo)}, expected ${hex_pad8(want)}`,
                );
            }
        }
        for (let j = 0; j < gm.NPTES; j++) {
            if (j === jd0 && jd1 > jd0) {
                j = jd1 - 1;
                continue;
            }
            const elo = t[j * words]!;
            const ehi = p.pae ? t[j * 2 + 1]! : 0;
            if ((elo | ehi) === 0) continue;
            const va = base + j * PAGE_SIZE;
            resident++;
            if (elo & INTEL_PTE_WIRED) wired++;
            if (!(elo & INTEL_PTE_VALID))
                bad(`PTE ${hex_pad8(va)} = ${hex_pad8(elo)} non-zero but not valid`);
            if (p.is_kernel) {
                if (elo & INTEL_PTE_USER)
                    bad(`kernel PTE ${hex_pad8(va)} = ${hex_pad8(elo)} has USER`);
                if (!g.mach_kdb && (va < kvs || va >= kve)) {
                    bad(
                        `kernel PTE ${hex_pad8(va)} outside [kernel_virtual_start, kernel_virtual_end)`,
                    );
                }
            } else if (!(elo & INTEL_PTE_USER)) {
                bad(`user PTE ${hex_pad8(va)} = ${hex_pad8(elo)} lacks USER`);
            }
            if ((ehi & ~PAE_PFN_HIGH) !== 0)
                bad(`PTE ${hex_pad8(va)}: high word ${hex_pad8(ehi)} has bits beyond the PFN`);
        }
    }
    if (resident !== p.resident_count)
        bad(`resident_count ${p.resident_count}, ${resident} mappings found`);
    if (wired !== p.wired_count) bad(`wired_count ${p.wired_count}, ${wired} wired mappings found`);
    if (ptp_count !== p.ptp_count) bad(`ptp_count ${p.ptp_count}, ${ptp_count} page tables found`);
    if (dropped > 0) problems.push(`${p.name}: … and ${dropped} more`);
    return problems;
}
