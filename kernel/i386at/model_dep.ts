/*
 * kernel/i386at/model_dep.ts — models i386/i386at/model_dep.c of GNU Mach
 * 8d03c760 (Feb 2014): mem_size_init, init_alloc_aligned (the boot physical
 * allocator), pmap_next_page / pmap_grab_page / pmap_free_pages, and the
 * part of i386at_init that copies the command line and the modules.
 *
 * Departures: the CPU-side work of i386at_init (set_cr3, CR0.PG, GDT/IDT)
 * is done by the stub image on the real CPU; there is no kernel symbol
 * table (kern_sym_start/end) to skip.
 */
import { MULTIBOOT_INFO } from "../../boot/index.ts";
import { panic } from "../kern/debug.ts";
import type { Kernel } from "../kern/kernel.ts";
import { round_page, trunc_page } from "../i386/vm_param.ts";
import { phys_copy } from "../vm/vm_resident.ts";
import { hex } from "../../util/hex.ts";

const MiB = 1024 * 1024;
const SIXTEEN_MIB = 16 * MiB;
const MB_ARD_MEMORY = 1;
const FOUR_GIB = 2 ** 32;

type Range = { start: number; end: number };

/** Per-kernel memo of a list of ranges. */
function memo(
    cache: WeakMap<Kernel, Range[]>,
    k: Kernel,
    compute: (k: Kernel) => Range[],
): Range[] {
    let r = cache.get(k);
    if (!r) {
        r = compute(k);
        cache.set(k, r);
    }
    return r;
}

/** Usable RAM regions of the multiboot memory map, [start, end) below 4 GiB. */
const regionCache = new WeakMap<Kernel, Range[]>();

function ram_regions(k: Kernel): Range[] {
    return memo(regionCache, k, compute_ram_regions);
}

function compute_ram_regions(k: Kernel): { start: number; end: number }[] {
    return (k.boot_info.mmap ?? [])
        .filter((m) => m.type === MB_ARD_MEMORY && m.base_addr < FOUR_GIB)
        .map((m) => ({ start: m.base_addr, end: Math.min(m.base_addr + m.length, 0xffffffff) }));
}

/** Find the last physical address and cap it to what the kernel can direct-map. */
export function mem_size_init(k: Kernel): void {
    const bi = k.boot_info;
    k.phys_first_addr = 0;
    k.phys_last_addr = 0;
    if (bi.flags & MULTIBOOT_INFO.MEM_MAP) {
        for (const m of bi.mmap ?? []) {
            if (m.type !== MB_ARD_MEMORY) continue;
            if (m.base_addr >= FOUR_GIB) {
                k.printf(`Ignoring ${Math.floor(m.length / MiB)}MiB RAM region above 4GiB\n`);
                continue;
            }
            let end = m.base_addr + m.length;
            if (end >= FOUR_GIB) {
                k.printf("Truncating memory region to 4GiB\n");
                end = 0xffffffff;
            }
            if (end > k.phys_last_addr) k.phys_last_addr = end;
            k.printf(`AT386 boot: physical memory map from ${hex(m.base_addr)} to ${hex(end)}\n`);
        }
    } else {
        k.phys_last_addr = (0x400 + bi.mem_upper) * 0x400;
    }
    k.printf(
        `AT386 boot: physical memory from ${hex(k.phys_first_addr)} to ${hex(k.phys_last_addr)}\n`,
    );

    const p = k.params;
    const max_phys_size = p.vm_max_kernel_address - p.vm_min_kernel_address - p.vm_kernel_map_size;
    if (k.phys_last_addr - k.phys_first_addr > max_phys_size) {
        k.phys_last_addr = k.phys_first_addr + max_phys_size;
        k.printf(
            `Truncating memory to ${Math.floor((k.phys_last_addr - k.phys_first_addr) / MiB)}MiB\n`,
        );
    }
    k.phys_first_addr = round_page(k.phys_first_addr);
    k.phys_last_addr = trunc_page(k.phys_last_addr);
    // "possibly overestimated": the kernel image and the modules are never subtracted.
    k.avail_remaining = k.phys_last_addr - (0x100000 - bi.mem_lower * 0x400 - 0x1000);
}

/**
 * Ranges init_alloc_aligned must step over: the kernel, cmdline, module
 * array and module data. Mach recomputes them on every call from boot_info;
 * they only change when i386at_init moves boot_info, so they are cached.
 */
const skipCache = new WeakMap<Kernel, Range[]>();

function skip_ranges(k: Kernel): Range[] {
    return memo(skipCache, k, compute_skip_ranges);
}

/** boot_info moved: recompute the skip ranges on the next allocation. */
function boot_info_changed(k: Kernel): void {
    skipCache.delete(k);
}

function compute_skip_ranges(k: Kernel): { start: number; end: number }[] {
    const bi = k.boot_info;
    const out = [{ start: k.kernel_start, end: k.kernel_end }];
    if (bi.flags & MULTIBOOT_INFO.CMDLINE && bi.cmdline) {
        out.push({ start: bi.cmdline, end: bi.cmdline + (bi.cmdline_str ?? "").length + 1 });
    }
    if (bi.flags & MULTIBOOT_INFO.MODS && bi.mods_addr) {
        out.push({ start: bi.mods_addr, end: bi.mods_addr + 16 * bi.mods_count });
        for (const m of bi.mods ?? []) out.push({ start: m.mod_start, end: m.mod_end });
    }
    return out;
}

/**
 * The boot physical allocator: a bump pointer that starts at 16 MiB when
 * there is more RAM than that, wraps to 0x1000 once it reaches the end,
 * and skips memory-map holes and everything the boot loader left in RAM.
 * Returns the physical address, or null at the end of memory (Mach: FALSE).
 */
export function init_alloc_aligned(k: Kernel, size: number): number | null {
    for (;;) {
        k.avail_next = round_page(k.avail_next);
        if (!k.init_alloc_wrapped && k.phys_last_addr > SIXTEEN_MIB) {
            if (k.avail_next < SIXTEEN_MIB) k.avail_next = SIXTEEN_MIB;
            else if (k.avail_next === k.phys_last_addr) {
                // Above 16 MiB is used up: continue with low memory, which stays last on the free list.
                k.avail_next = 0x1000;
                k.init_alloc_wrapped = true;
            }
        }
        if (k.avail_next === (k.init_alloc_wrapped ? SIXTEEN_MIB : k.phys_last_addr)) return null;
        const addr = k.avail_next;
        k.avail_next += size;
        const moved = init_alloc_skip(k, addr);
        if (moved !== null) {
            k.avail_next = moved;
            continue;
        }
        k.avail_remaining -= size;
        return addr;
    }
}

/** Where the bump pointer must move to when [addr, avail_next) is not usable, else null. */
function init_alloc_skip(k: Kernel, addr: number): number | null {
    const next = k.avail_next;
    if (k.boot_info.flags & MULTIBOOT_INFO.MEM_MAP) {
        const regions = ram_regions(k);
        if (!regions.some((r) => r.start <= addr && next <= r.end)) {
            const later = regions
                .filter((r) => next <= r.start)
                .sort((a, b) => a.start - b.start)[0];
            // No further region: the end of memory (which may wrap around 16 MiB).
            return !later || later.start >= k.phys_last_addr ? k.phys_last_addr : later.start;
        }
    } else if (next > k.boot_info.mem_lower * 0x400 && addr < 0x100000) {
        return 0x100000;
    }
    for (const r of skip_ranges(k)) {
        if (next > r.start && addr < r.end) return r.end;
    }
    return null;
}

export function pmap_next_page(k: Kernel): number | null {
    return init_alloc_aligned(k, 4096);
}

/**
 * pmap_next_page called up to `max` times at once, for the boot's loops
 * over every page: the first page as pmap_next_page gives it, then the
 * pages after it that it would give next without moving the bump pointer
 * (same region, no skipped range, no wrap). Returns the first physical
 * address and how many pages, or null at the end of memory.
 */
export function pmap_next_pages(k: Kernel, max: number): { pa: number; count: number } | null {
    const pa = pmap_next_page(k);
    if (pa === null) return null;
    let end = k.init_alloc_wrapped ? SIXTEEN_MIB : k.phys_last_addr;
    if (k.boot_info.flags & MULTIBOOT_INFO.MEM_MAP) {
        const r = ram_regions(k).find((r) => r.start <= pa && pa + 4096 <= r.end);
        if (r) end = Math.min(end, r.end);
    } else end = pa + 4096; // the mem_lower rule: one page at a time
    for (const r of skip_ranges(k)) if (r.start >= pa + 4096) end = Math.min(end, r.start);
    const count = Math.max(1, Math.min(max, Math.floor((end - pa) / 4096)));
    k.avail_next = pa + count * 4096;
    k.avail_remaining -= (count - 1) * 4096;
    return { pa, count };
}

export function pmap_grab_page(k: Kernel): number {
    const pa = pmap_next_page(k);
    if (pa === null) panic("Not enough memory to initialize Mach");
    return pa;
}

export function pmap_free_pages(k: Kernel): number {
    return Math.floor(k.avail_remaining / 4096);
}

/**
 * i386at_init's copies: the command line, the module array and every
 * module's data and string move to init_alloc_aligned memory ("before
 * losing access to it when it is too far in physical memory").
 */
export function i386at_copy_boot_info(k: Kernel): void {
    const bi = k.boot_info;
    const mem = k.mem;
    if (bi.flags & MULTIBOOT_INFO.CMDLINE && bi.cmdline) {
        const len = (bi.cmdline_str ?? "").length + 1;
        bi.cmdline = copy_phys(k, bi.cmdline, len, "cmdline");
        boot_info_changed(k);
    }
    if (!(bi.flags & MULTIBOOT_INFO.MODS) || !bi.mods) return;
    bi.mods_addr = copy_phys(k, bi.mods_addr, bi.mods_count * 16, "module array");
    boot_info_changed(k);
    bi.mods.forEach((m, i) => {
        const size = m.mod_end - m.mod_start;
        m.mod_start = copy_phys(k, m.mod_start, size, `module ${i}`);
        m.mod_end = m.mod_start + size;
        boot_info_changed(k);
        m.string = copy_phys(k, m.string, m.cmdline.length + 1, `module ${i} string`);
        mem.write32(bi.mods_addr + 16 * i, m.mod_start);
        mem.write32(bi.mods_addr + 16 * i + 4, m.mod_end);
        mem.write32(bi.mods_addr + 16 * i + 8, m.string);
    });
}

function copy_phys(k: Kernel, from: number, len: number, what: string): number {
    const to = init_alloc_aligned(k, round_page(len));
    if (to === null) panic(`i386at_init: no memory to copy the ${what}`);
    phys_copy(k, to, from, len);
    return to;
}
