/*
 * kernel/kern/zalloc.ts — models GNU Mach's zone allocator (kern/zalloc.c)
 * and the kalloc built on it (kern/kalloc.c), as they were before the slab
 * allocator replaced both (7bc54a62, 2011-12-13; master 3f7ad298, 2012-01).
 *
 * Three eras (ZALLOC_ERAS below; docs/fidelity.md §8):
 *   "1997"  f07a4c84  initial import: every failure panics "zalloc"; no
 *                     align argument; zone_map 12 MiB; no gc kentry hack.
 *   "2009"  a72523c6 + fa6c711d (2009-10-14): panic text "zalloc: zone %s
 *                     exhausted" (f5acee12, 2001-01-28) for all failures;
 *                     zone_map 64 MiB; zone_gc pre-allocates two kentries
 *                     before each kmem_free ("Hack Hack").
 *   "2011"  dc642e0d (2011-08-22) .. a12a1067: the three out-of-memory
 *                     panics get their own texts; kalloc_map 64 MiB.
 * The 2001-01 .. 2009-10 tree is era "2009" with zone_map_size 12 MiB and
 * gc_kentry_hack 0 (efc3d9c4, the same day as a72523c6, is gc_kentry_hack 1).
 *
 * All state lives in a per-kernel Zalloc context. Memory is only touched
 * through the KmemBackend: zone pages come from backend.pagealloc("zone_map"),
 * large kalloc blocks from backend.pagealloc("kalloc_map"), and the free list
 * of each zone is threaded through the free elements in guest memory (first
 * word of an element = next free element, LIFO).
 *
 * Struct zone and zone_page_table are TypeScript objects, but each has a
 * real address: a zone's struct is an element of the "zones" zone (or
 * zget_space at bootstrap), and the page table is kmem_alloc_wired from the
 * bottom of zone_map, exactly where Mach puts it.
 *
 * Model bookkeeping that Mach does not have (used by zone_verify and
 * zone_whatis only, never to decide what Mach decides): the set of elements
 * each zone has carved, and which of them are handed out.
 *
 * Locks and sleeping are not modelled (one thread); `doing_alloc` is kept
 * for zone_info only.
 */
import { assert, panic } from "./debug.ts";
import type { KmemBackend } from "./kmem_backend.ts";
import { hex } from "../../util/hex.ts";

const PAGE_SIZE = 4096;

function round_page(x: number): number {
    return Math.ceil(x / PAGE_SIZE) * PAGE_SIZE;
}

function atop(x: number): number {
    return Math.floor(x / PAGE_SIZE);
}

function align_up(x: number, align: number): number {
    return Math.ceil(x / align) * align;
}

/* Memory type bits of zinit (kern/zalloc.h). */
export const ZONE_PAGEABLE = 0x00000001;
/** zone_gc may give this zone's wholly free pages back to zone_map. */
export const ZONE_COLLECTABLE = 0x00000002;
/** zalloc returns 0 instead of growing past max_size. */
export const ZONE_EXHAUSTIBLE = 0x00000004;
/** Panic if the zone is exhausted — only when zone_ignore_overflow is FALSE. */
export const ZONE_FIXED = 0x00000008;

/** zone_page_table values (kern/zalloc.c). */
const ZONE_PAGE_USED = 0;
export const ZONE_PAGE_UNUSED = -1;

/** Size of struct zone_page_table_entry on i386: next pointer + two shorts. */
const SIZEOF_ZONE_PAGE_TABLE_ENTRY = 8;

/** Default size of the zone memory stolen at boot, outside zone_map (zdata_size). */
export const ZDATA_SIZE = 420 * 1024;

/** The zones zone holds at most this many struct zone (zone_bootstrap). */
const ZONE_ZONE_MAX = 128;

export type ZallocEra = "1997" | "2009" | "2011";

/** What differs between the eras, with the commits that set it. */
export interface ZallocEraParams {
    era: ZallocEra;
    /** The tree the era describes. */
    source: string;
    /** Default zone_map_size of kern/zalloc.c (the kernel passes its own). */
    zone_map_size: number;
    /** Default kalloc_map_size of kern/kalloc.c (informational: the backend owns kalloc_map). */
    kalloc_map_size: number;
    /** sizeof(struct zone) on i386. */
    sizeof_zone: number;
    /** zinit/zget_space have the align argument (added 2007; 6b146e80 rule from 2009-10-14). */
    has_align: boolean;
    /** How many vm_map_kentry_zone elements zone_gc zallocs and zfrees before each kmem_free. */
    gc_kentry_hack: number;
    /** FIXED zone over max_size, zone_ignore_overflow FALSE (after printf `zone "%s" empty.`). */
    panic_fixed: string;
    /** kmem_alloc_pageable(zone_map) failed for a PAGEABLE zone. */
    panic_pageable: string;
    /** kmem_alloc_wired(zone_map) failed for a COLLECTABLE zone. */
    panic_wired: string;
    /** zget_space failed (every other zone). */
    panic_space: string;
}

const MiB = 1024 * 1024;

export const ZALLOC_ERAS: Readonly<Record<ZallocEra, ZallocEraParams>> = {
    "1997": {
        era: "1997",
        source: 'f07a4c84 (1997-02-25, initial import): bare panic("zalloc"); zone_map_size 12 MiB; kalloc_map_size 8 MiB',
        zone_map_size: 12 * MiB,
        kalloc_map_size: 8 * MiB,
        sizeof_zone: 44,
        has_align: false,
        gc_kentry_hack: 0,
        panic_fixed: "zalloc",
        panic_pageable: "zalloc",
        panic_wired: "zalloc",
        panic_space: "zalloc",
    },
    "2009": {
        era: "2009",
        source: "f5acee12 (2001-01-28, panic texts), efc3d9c4/a72523c6 (2009-10-14, gc kentry hack), fa6c711d (2009-10-14, zone_map_size 64 MiB); kalloc_map_size still 8 MiB",
        zone_map_size: 64 * MiB,
        kalloc_map_size: 8 * MiB,
        sizeof_zone: 48,
        has_align: true,
        gc_kentry_hack: 2,
        panic_fixed: "zalloc: zone %s exhausted",
        panic_pageable: "zalloc: zone %s exhausted",
        panic_wired: "zalloc: zone %s exhausted",
        panic_space: "zalloc: zone %s exhausted",
    },
    "2011": {
        era: "2011",
        source: "dc642e0d (2011-08-22, split panic texts), 07dc2f7b (2011-04-22, kalloc_map_size 64 MiB); last zone tree a12a1067",
        zone_map_size: 64 * MiB,
        kalloc_map_size: 64 * MiB,
        sizeof_zone: 48,
        has_align: true,
        gc_kentry_hack: 2,
        panic_fixed: "zalloc: zone %s exhausted",
        panic_pageable: "zalloc: no pageable memory for zone %s",
        panic_wired: "zalloc: no wired memory for zone %s",
        panic_space: "zalloc: no memory for zone %s",
    },
};

/** A panic template with the zone name put in (Mach's printf %s). */
export function zalloc_panic_text(template: string, zone_name: string): string {
    return template.replace("%s", zone_name);
}

/** struct zone. */
export interface Zone {
    /** Kernel VA of the struct (an element of "zones", or zget_space'd at bootstrap). */
    readonly addr: number;
    /** Elements in use (ZONE_COUNT; GNU Mach builds without it and reports 0). */
    count: number;
    /** Head of the free list (a kernel VA, 0 = empty). */
    free_elements: number;
    cur_size: number;
    max_size: number;
    elem_size: number;
    align: number;
    alloc_size: number;
    doing_alloc: boolean;
    zone_name: string;
    type: number;
    next_zone: Zone | null;
    /** Model: every element carved for this zone and not reclaimed by zone_gc. */
    readonly elements: Set<number>;
    /**
     * Model: how many times each element is handed out now (zalloc/zget
     * minus zfree). A freed element keeps its entry at 0 until zone_gc takes
     * the element: deleting on every zfree made V8 rehash the map, several
     * times the cost of the allocator itself.
     */
    readonly allocated: Map<number, number>;
    /** Model: bytes added by explicit zcram calls (they may exceed max_size). */
    crammed: number;
    /** Model: max_size given at zinit (after rounding). */
    readonly initial_max_size: number;
}

export interface ZallocOptions {
    /** Size of the zone_map submap; the backend's "zone_map" must be this size. */
    zone_map_size: number;
    era: ZallocEra;
    /** Start of zone_map when known; otherwise the page table's address (first fit puts it at the bottom). */
    zone_map_min?: number;
    /** The pmap_steal_memory'd zdata area; when absent it is taken from backend.pagealloc("zdata", …). */
    zdata?: number;
    /** Default ZDATA_SIZE (420 KiB); 0 = no stolen area. */
    zdata_size?: number;
    /** Mach default TRUE: FIXED zones silently grow past max_size. */
    zone_ignore_overflow?: boolean;
    /** Mach default FALSE: zfree walks the free list and panics "zfree" on a double free. */
    zone_check?: boolean;
    /** Mach default TRUE. */
    zone_gc_allowed?: boolean;
    /** Override the era's number of kentry pre-allocations in zone_gc (0 before 2009-10-14, 1 for efc3d9c4). */
    gc_kentry_hack?: number;
    /** zalloc(vm_map_kentry_zone) for zone_gc's "Hack Hack"; default: zalloc(z.vm_map_kentry_zone). */
    kentry_prealloc?: () => number;
    /** zfree(vm_map_kentry_zone, va) for the hack; default: zfree(z.vm_map_kentry_zone, va). */
    kentry_free?: (va: number) => void;
    /** Clock ticks per second (hz). Default 100. */
    hz?: number;
    /** Do not run zone_init yet (the caller runs it where vm_mem_bootstrap does). */
    defer_zone_init?: boolean;
}

/** The zone allocator of one kernel. */
export interface Zalloc {
    readonly backend: KmemBackend;
    readonly era: ZallocEraParams;
    readonly hz: number;
    zone_zone: Zone | null;
    first_zone: Zone | null;
    last_zone: Zone | null;
    num_zones: number;
    zone_ignore_overflow: boolean;
    zone_check: boolean;
    /* zget_space */
    zdata: number;
    zdata_size: number;
    zalloc_next_space: number;
    zalloc_end_of_space: number;
    zalloc_wasted_space: number;
    /* zone_map and its page table */
    zone_map_size: number;
    zone_map_ready: boolean;
    zone_page_table: number;
    zone_table_size: number;
    zone_map_min_address: number;
    zone_map_max_address: number;
    zone_pages: number;
    /** zone_page_table[i].in_free_list / .alloc_count (C shorts) / .next (index, -1 = none). */
    zpt_in_free_list: Int16Array;
    zpt_alloc_count: Int16Array;
    /* zone_gc */
    zone_gc_allowed: boolean;
    zone_gc_last_tick: number;
    zone_gc_max_rate: number;
    gc_kentry_hack: number;
    vm_map_kentry_zone: Zone | null;
    kentry_prealloc: (() => number) | null;
    kentry_free: ((va: number) => void) | null;
    /** Model statistics. */
    stats: { zone_gc_runs: number; zone_gc_pages_freed: number; kentry_prealloc_calls: number };
    /* kalloc */
    kalloc_max: number;
    first_k_zone: number;
    k_zone: (Zone | null)[];
    /** Model: live kalloc_map blocks (va → rounded size). */
    kalloc_big: Map<number, number>;
    /** Model: element address → owning zone (all zones). */
    readonly owner: Map<number, Zone>;
    /** Model: zone struct address → zone. */
    readonly struct_of: Map<number, Zone>;
    /** Model: largest elem_size of any zone (bounds zone_whatis' search). */
    max_elem_size: number;
}

function era_panic(template: string, zone: Zone): never {
    panic(zalloc_panic_text(template, zone.zone_name));
}

/* ---------------------------------------------------------------------- */
/* Bootstrap                                                              */
/* ---------------------------------------------------------------------- */

/**
 * zone_bootstrap: the all-zones list, zget_space over zdata, and the
 * "zones" zone; then zone_init (unless opts.defer_zone_init).
 */
export function zone_bootstrap(backend: KmemBackend, opts: ZallocOptions): Zalloc {
    const era = ZALLOC_ERAS[opts.era];
    assert(era !== undefined, () => `zone_bootstrap: unknown era ${String(opts.era)}`);
    assert(
        opts.zone_map_size > 0 && opts.zone_map_size % PAGE_SIZE === 0,
        "zone_bootstrap: zone_map_size must be a page multiple",
    );
    const zdata_size = opts.zdata_size ?? ZDATA_SIZE;
    let zdata = opts.zdata ?? 0;
    if (zdata === 0 && zdata_size > 0) {
        zdata = backend.pagealloc("zdata", round_page(zdata_size));
        assert(zdata !== 0, "zone_bootstrap: no memory for zdata");
    }
    const z: Zalloc = {
        backend,
        era,
        hz: opts.hz ?? 100,
        zone_zone: null,
        first_zone: null,
        last_zone: null,
        num_zones: 0,
        zone_ignore_overflow: opts.zone_ignore_overflow ?? true,
        zone_check: opts.zone_check ?? false,
        zdata,
        zdata_size,
        zalloc_next_space: zdata,
        zalloc_end_of_space: zdata + zdata_size,
        zalloc_wasted_space: 0,
        zone_map_size: opts.zone_map_size,
        zone_map_ready: false,
        zone_page_table: 0,
        zone_table_size: 0,
        zone_map_min_address: 0,
        zone_map_max_address: 0,
        zone_pages: 0,
        zpt_in_free_list: new Int16Array(0),
        zpt_alloc_count: new Int16Array(0),
        zone_gc_allowed: opts.zone_gc_allowed ?? true,
        zone_gc_last_tick: 0,
        zone_gc_max_rate: 0,
        gc_kentry_hack: opts.gc_kentry_hack ?? era.gc_kentry_hack,
        vm_map_kentry_zone: null,
        kentry_prealloc: opts.kentry_prealloc ?? null,
        kentry_free: opts.kentry_free ?? null,
        stats: { zone_gc_runs: 0, zone_gc_pages_freed: 0, kentry_prealloc_calls: 0 },
        kalloc_max: 0,
        first_k_zone: -1,
        k_zone: [],
        kalloc_big: new Map(),
        owner: new Map(),
        struct_of: new Map(),
        max_elem_size: 0,
    };
    z.zone_zone = zinit(
        z,
        era.sizeof_zone,
        ZONE_ZONE_MAX * era.sizeof_zone,
        era.sizeof_zone,
        0,
        "zones",
    );
    if (!opts.defer_zone_init) zone_init(z, opts.zone_map_min);
    return z;
}

/**
 * zone_init: the zone_page_table (8 B per zone_map page) is allocated from
 * zone_map itself; the pages above it are the collectable range, all
 * marked ZONE_PAGE_UNUSED.
 */
export function zone_init(z: Zalloc, zone_map_min?: number): void {
    assert(!z.zone_map_ready, "zone_init called twice");
    const table_size = atop(z.zone_map_size) * SIZEOF_ZONE_PAGE_TABLE_ENTRY;
    const table = z.backend.pagealloc("zone_map", round_page(table_size));
    if (table === 0) panic("zone_init");
    const map_min = zone_map_min ?? table;
    const zone_max = map_min + z.zone_map_size;
    const zone_min = table + round_page(table_size);
    z.zone_page_table = table;
    z.zone_table_size = table_size;
    z.zone_map_min_address = zone_min;
    z.zone_map_max_address = zone_max;
    z.zone_pages = atop(zone_max - zone_min);
    /* The table has an entry for every zone_map page; zone_pages of them are initialized. */
    z.zpt_in_free_list = new Int16Array(atop(z.zone_map_size));
    z.zpt_alloc_count = new Int16Array(atop(z.zone_map_size));
    z.zone_map_ready = true;
    zone_page_init(z, zone_min, zone_max - zone_min, ZONE_PAGE_UNUSED);
}

/* ---------------------------------------------------------------------- */
/* zinit, zcram, zget_space                                               */
/* ---------------------------------------------------------------------- */

/**
 * zinit(size, [align,] max, alloc, memtype, name). `align` is the last
 * parameter here (optional, default 0) so calls read like the 1997 ones;
 * eras before 2007 had no align at all.
 */
export function zinit(
    z: Zalloc,
    size: number,
    max: number,
    alloc: number,
    memtype: number,
    name: string,
    align = 0,
): Zone {
    assert(z.era.has_align || align === 0, "zinit: this era has no align argument");
    const addr =
        z.zone_zone === null ? zget_space(z, z.era.sizeof_zone, 0) : zalloc(z, z.zone_zone);
    if (addr === 0) panic("zinit");
    if (alloc === 0) alloc = PAGE_SIZE;
    if (size === 0) size = 4;
    alloc = round_page(alloc);
    max = round_page(max);
    if (max < alloc) max = alloc;
    if (align > 0) {
        if (PAGE_SIZE % align !== 0 || align % 4 !== 0) panic("zinit");
        size = align_up(size, align);
    }
    const zone: Zone = {
        addr,
        count: 0,
        free_elements: 0,
        cur_size: 0,
        max_size: max,
        elem_size: size - 1 + 4 - ((size - 1) % 4),
        align,
        alloc_size: alloc,
        doing_alloc: false,
        zone_name: name,
        type: memtype >>> 0,
        next_zone: null,
        elements: new Set(),
        allocated: new Map(),
        crammed: 0,
        initial_max_size: max,
    };
    if (z.last_zone === null) z.first_zone = zone;
    else z.last_zone.next_zone = zone;
    z.last_zone = zone;
    z.num_zones++;
    z.struct_of.set(addr, zone);
    z.max_elem_size = Math.max(z.max_elem_size, zone.elem_size);
    return zone;
}

/** ADD_TO_ZONE: push on the free list, through guest memory. */
function add_to_zone(z: Zalloc, zone: Zone, element: number): void {
    z.backend.write32(element, zone.free_elements);
    zone.free_elements = element;
    zone.count--;
}

/** REMOVE_FROM_ZONE: pop the free list (0 when empty). */
function remove_from_zone(z: Zalloc, zone: Zone): number {
    const ret = zone.free_elements;
    if (ret !== 0) {
        zone.count++;
        zone.free_elements = z.backend.read32(ret);
    }
    return ret;
}

function note_element(z: Zalloc, zone: Zone, element: number): void {
    zone.elements.add(element);
    z.owner.set(element, zone);
}

/** Whether `element` is handed out now (model bookkeeping). */
function zone_handed_out(zone: Zone, element: number): boolean {
    return (zone.allocated.get(element) ?? 0) > 0;
}

function note_handout(zone: Zone, element: number): void {
    zone.allocated.set(element, (zone.allocated.get(element) ?? 0) + 1);
}

/** zcram: give `size` bytes at `newmem` to the zone, one element at a time. */
export function zcram(z: Zalloc, zone: Zone, newmem: number, size: number): void {
    zcram_internal(z, zone, newmem, size);
    zone.crammed += Math.floor(size / zone.elem_size) * zone.elem_size;
}

function zcram_internal(z: Zalloc, zone: Zone, newmem: number, size: number): void {
    if (newmem === 0) panic("zcram - memory at zero");
    const elem_size = zone.elem_size;
    while (size >= elem_size) {
        add_to_zone(z, zone, newmem);
        zone_page_alloc(z, newmem, elem_size);
        zone.count++;
        note_element(z, zone, newmem);
        size -= elem_size;
        newmem += elem_size;
        zone.cur_size += elem_size;
    }
}

/**
 * zget_space: bump allocation for ordinary zones, from zdata first, then
 * from zone_map at least a page at a time. A new chunk that does not follow
 * the old one wastes the old one's rest. Never given back. 0 = no memory.
 */
export function zget_space(z: Zalloc, size: number, align: number): number {
    let new_space = 0;
    let space_to_add = 0;
    if (align > 0) {
        assert(align < PAGE_SIZE, "align < PAGE_SIZE");
        z.zalloc_next_space = align_up(z.zalloc_next_space, align);
    }
    while (z.zalloc_next_space + size > z.zalloc_end_of_space) {
        space_to_add = round_page(size);
        if (new_space === 0) {
            assert(z.zone_map_ready, "zget_space: zone_map used before zone_init");
            new_space = z.backend.pagealloc("zone_map", space_to_add);
            if (new_space === 0) return 0;
            zone_page_init(z, new_space, space_to_add, ZONE_PAGE_USED);
            if (align > 0) z.zalloc_next_space = align_up(z.zalloc_next_space, align);
            continue;
        }
        if (new_space !== z.zalloc_end_of_space) {
            z.zalloc_wasted_space += z.zalloc_end_of_space - z.zalloc_next_space;
            z.zalloc_next_space = new_space;
        }
        z.zalloc_end_of_space = new_space + space_to_add;
        new_space = 0;
    }
    const result = z.zalloc_next_space;
    z.zalloc_next_space += size;
    /* Only another thread could have refilled the space meanwhile; kept for fidelity. */
    if (new_space !== 0) z.backend.pagefree("zone_map", new_space, space_to_add);
    return result;
}

/* ---------------------------------------------------------------------- */
/* zalloc, zget, zfree                                                    */
/* ---------------------------------------------------------------------- */

/** zalloc: an element, growing the zone as Mach does; 0 only for EXHAUSTIBLE zones. */
export function zalloc(z: Zalloc, zone: Zone | null): number {
    if (zone === null) panic("zalloc: null zone");
    let addr = remove_from_zone(z, zone);
    while (addr === 0) {
        const step = (zone.type & ZONE_PAGEABLE) !== 0 ? zone.alloc_size : zone.elem_size;
        if (zone.cur_size + step > zone.max_size) {
            if ((zone.type & ZONE_EXHAUSTIBLE) !== 0) break;
            if ((zone.type & ZONE_FIXED) === 0) {
                zone.max_size = (zone.max_size + (zone.max_size >>> 1)) >>> 0;
            } else if (!z.zone_ignore_overflow) {
                z.backend.printf(`zone "${zone.zone_name}" empty.\n`);
                era_panic(z.era.panic_fixed, zone);
            }
        }
        if ((zone.type & ZONE_PAGEABLE) !== 0) {
            /* kmem_alloc_pageable(zone_map): modelled as wired pages of zone_map. */
            zone.doing_alloc = true;
            const mem = z.backend.pagealloc("zone_map", zone.alloc_size);
            if (mem === 0) era_panic(z.era.panic_pageable, zone);
            zcram_internal(z, zone, mem, zone.alloc_size);
            zone.doing_alloc = false;
            addr = remove_from_zone(z, zone);
        } else if ((zone.type & ZONE_COLLECTABLE) !== 0) {
            const mem = z.backend.pagealloc("zone_map", zone.alloc_size);
            if (mem === 0) era_panic(z.era.panic_wired, zone);
            zone_page_init(z, mem, zone.alloc_size, ZONE_PAGE_USED);
            zcram_internal(z, zone, mem, zone.alloc_size);
            addr = remove_from_zone(z, zone);
        } else {
            const mem = zget_space(z, zone.elem_size, zone.align);
            if (mem === 0) era_panic(z.era.panic_space, zone);
            zone.count++;
            zone.cur_size += zone.elem_size;
            zone_page_alloc(z, mem, zone.elem_size);
            note_element(z, zone, mem);
            note_handout(zone, mem);
            return mem;
        }
        /* Mach would spin here for ever: alloc_size holds no element. */
        assert(
            addr !== 0,
            () =>
                `zalloc: zone ${zone.zone_name} alloc_size ${zone.alloc_size} < elem_size ${zone.elem_size}`,
        );
    }
    if (addr !== 0) note_handout(zone, addr);
    return addr;
}

/** zget: pop the free list or return 0; never grows the zone (interrupt level). */
export function zget(z: Zalloc, zone: Zone | null): number {
    if (zone === null) panic("zalloc: null zone");
    const addr = remove_from_zone(z, zone);
    if (addr !== 0) note_handout(zone, addr);
    return addr;
}

/** zfree: push on the free list; with zone_check, a double free panics "zfree". */
export function zfree(z: Zalloc, zone: Zone, elem: number): void {
    assert(elem !== 0, () => `zfree: element 0 in zone ${zone.zone_name}`);
    if (z.zone_check) {
        const seen = new Set<number>();
        for (let e = zone.free_elements; e !== 0 && !seen.has(e); e = z.backend.read32(e)) {
            if (e === elem) panic("zfree");
            seen.add(e);
        }
    }
    add_to_zone(z, zone, elem);
    const n = zone.allocated.get(elem);
    if (n) zone.allocated.set(elem, n - 1);
}

/* ---------------------------------------------------------------------- */
/* zone_page_table                                                        */
/* ---------------------------------------------------------------------- */

/** The table index range [i, j] of [addr, addr+size), or null outside the collectable range. */
function zpt_range(z: Zalloc, addr: number, size: number): [number, number] | null {
    if (!z.zone_map_ready) return null;
    if (addr < z.zone_map_min_address || addr + size > z.zone_map_max_address) return null;
    return [atop(addr - z.zone_map_min_address), atop(addr + size - 1 - z.zone_map_min_address)];
}

function zone_page_init(z: Zalloc, addr: number, size: number, value: number): void {
    const r = zpt_range(z, addr, size);
    if (r === null) return;
    for (let i = r[0]; i <= r[1]; i++) {
        z.zpt_alloc_count[i] = value;
        z.zpt_in_free_list[i] = 0;
    }
}

function zone_page_alloc(z: Zalloc, addr: number, size: number): void {
    const r = zpt_range(z, addr, size);
    if (r === null) return;
    for (let i = r[0]; i <= r[1]; i++) {
        const a = z.zpt_alloc_count[i]!;
        z.zpt_alloc_count[i] = a === ZONE_PAGE_UNUSED ? 1 : a + 1;
    }
}

function zone_page_dealloc(z: Zalloc, addr: number, size: number): void {
    const r = zpt_range(z, addr, size);
    if (r === null) return;
    for (let i = r[0]; i <= r[1]; i++) z.zpt_alloc_count[i] = z.zpt_alloc_count[i]! - 1;
}

function zone_page_in_use(z: Zalloc, addr: number, size: number): void {
    const r = zpt_range(z, addr, size);
    if (r === null) return;
    for (let i = r[0]; i <= r[1]; i++) z.zpt_in_free_list[i] = z.zpt_in_free_list[i]! - 1;
}

function zone_page_free(z: Zalloc, addr: number, size: number): void {
    const r = zpt_range(z, addr, size);
    if (r === null) return;
    for (let i = r[0]; i <= r[1]; i++) {
        const f = z.zpt_in_free_list[i]!;
        z.zpt_in_free_list[i] = f === ZONE_PAGE_UNUSED ? 1 : f + 1;
    }
}

/** zone_add_free_page_list: pages of the range whose alloc_count is 0 go on the list (head first). */
function zone_add_free_page_list(z: Zalloc, list: number[], addr: number, size: number): void {
    const r = zpt_range(z, addr, size);
    if (r === null) return;
    for (let i = r[0]; i <= r[1]; i++) {
        if (z.zpt_alloc_count[i] === 0) {
            list.unshift(i);
            z.zpt_alloc_count[i] = ZONE_PAGE_UNUSED;
            z.zpt_in_free_list[i] = 0;
        }
    }
}

/** zone_page(addr) as C computes it: no range check, but beyond the table we read "not zero". */
function zone_page_alloc_count_raw(z: Zalloc, addr: number): number {
    const i = Math.floor((addr - z.zone_map_min_address) / PAGE_SIZE);
    if (i < 0 || i >= z.zpt_alloc_count.length) return 1;
    return z.zpt_alloc_count[i]!;
}

/* ---------------------------------------------------------------------- */
/* Garbage collection                                                     */
/* ---------------------------------------------------------------------- */

/**
 * zone_gc: in every COLLECTABLE (and not PAGEABLE) zone, unlink the free
 * elements of pages that are entirely free, then give those pages back to
 * zone_map, one kmem_free each, each preceded by the kentry "Hack Hack".
 * Returns the number of pages freed (Mach returns nothing).
 */
export function zone_gc(z: Zalloc): number {
    if (!z.zone_map_ready) return 0;
    z.stats.zone_gc_runs++;
    const mem = z.backend;
    const free_pages: number[] = [];
    const max_zones = z.num_zones;
    let zone = z.first_zone;
    for (let n = 0; n < max_zones; n++) {
        assert(zone !== null, "zone_gc: zone list shorter than num_zones");
        if ((zone.type & (ZONE_PAGEABLE | ZONE_COLLECTABLE)) === ZONE_COLLECTABLE) {
            const elem_size = zone.elem_size;
            /* Count the free elements of each page. */
            for (let elt = zone.free_elements; elt !== 0; elt = mem.read32(elt))
                zone_page_free(z, elt, elem_size);
            /* Unlink the elements of wholly free pages. */
            let elt = zone.free_elements;
            let last = elt;
            while (elt !== 0) {
                const next = mem.read32(elt);
                const in_range = elt >= z.zone_map_min_address && elt <= z.zone_map_max_address;
                const page = atop(elt - z.zone_map_min_address);
                if (in_range && z.zpt_in_free_list[page] === z.zpt_alloc_count[page]) {
                    zone.cur_size -= elem_size;
                    zone_page_in_use(z, elt, elem_size);
                    zone_page_dealloc(z, elt, elem_size);
                    /* C adds elem_size-1 to a struct pointer, i.e. 4*(elem_size-1) bytes. */
                    if (
                        z.zpt_alloc_count[page] === 0 ||
                        zone_page_alloc_count_raw(z, elt + 4 * (elem_size - 1)) === 0
                    ) {
                        zone_add_free_page_list(z, free_pages, elt, elem_size);
                    }
                    zone.elements.delete(elt);
                    zone.allocated.delete(elt);
                    z.owner.delete(elt);
                    if (elt === last) {
                        zone.free_elements = next;
                        last = next;
                    } else {
                        mem.write32(last, next);
                    }
                    elt = next;
                } else {
                    if (in_range) z.zpt_in_free_list[page] = 0;
                    last = elt;
                    elt = next;
                }
            }
        }
        zone = zone.next_zone;
    }
    for (const i of free_pages) {
        const free_addr = z.zone_map_min_address + PAGE_SIZE * i;
        kentry_hack(z);
        mem.pagefree("zone_map", free_addr, PAGE_SIZE);
        z.stats.zone_gc_pages_freed++;
    }
    return free_pages.length;
}

/**
 * "Hack Hack" (efc3d9c4, a72523c6): make sure vm_map_delete's clip can find
 * kentries on the free list without calling zget_space while zone_map is
 * locked — zalloc N elements of vm_map_kentry_zone, then zfree them.
 */
function kentry_hack(z: Zalloc): void {
    const n = z.gc_kentry_hack;
    if (n <= 0) return;
    const kz = z.vm_map_kentry_zone;
    const get = z.kentry_prealloc ?? (kz !== null ? () => zalloc(z, kz) : null);
    const put = z.kentry_free ?? (kz !== null ? (va: number) => zfree(z, kz, va) : null);
    if (get === null || put === null) return;
    const held: number[] = [];
    for (let i = 0; i < n; i++) {
        z.stats.kentry_prealloc_calls++;
        held.push(get());
    }
    for (const va of held) put(va);
}

/** sched_tick: seconds since boot (recompute_priorities runs once per hz ticks). */
export function sched_tick(z: Zalloc): number {
    return Math.floor(z.backend.ticks() / z.hz);
}

/**
 * consider_zone_gc (from vm_pageout_scan). zone_gc_max_rate defaults to hz
 * but is compared with sched_tick, which counts seconds: at most one zone_gc
 * every hz+1 seconds. Returns whether zone_gc ran.
 */
export function consider_zone_gc(z: Zalloc): boolean {
    if (z.zone_gc_max_rate === 0) z.zone_gc_max_rate = z.hz;
    const now = sched_tick(z);
    if (z.zone_gc_allowed && now > z.zone_gc_last_tick + z.zone_gc_max_rate) {
        z.zone_gc_last_tick = now;
        zone_gc(z);
        return true;
    }
    return false;
}

/* ---------------------------------------------------------------------- */
/* kalloc over zones                                                      */
/* ---------------------------------------------------------------------- */

/** MINSIZE of kern/kalloc.h. */
const KALLOC_MINSIZE = 16;

/** k_zone_max[] of kern/kalloc.c: element limits of kalloc.1 … kalloc.32768 (same 1997–2011). */
export const K_ZONE_MAX: readonly number[] = [
    1024, 1024, 1024, 1024, 1024, 4096, 4096, 4096, 4096, 1024, 1024, 1024, 1024, 4096, 64, 64,
];

/**
 * kalloc_init's zone part: kalloc_max = 16 KiB (PAGE_SIZE < 16 KiB) and one
 * zone "kalloc.<size>" per power of two from MINSIZE below kalloc_max, with
 * max k_zone_max[i]*size, alloc size, COLLECTABLE from PAGE_SIZE up.
 * kalloc_map itself is the backend's "kalloc_map".
 */
export function kalloc_zone_init(z: Zalloc): void {
    assert(z.kalloc_max === 0, "kalloc_zone_init called twice");
    z.kalloc_max = PAGE_SIZE < 16 * 1024 ? 16 * 1024 : PAGE_SIZE;
    for (let i = 0, size = 1; size < z.kalloc_max; i++, size <<= 1) {
        if (size < KALLOC_MINSIZE) {
            z.k_zone[i] = null;
            continue;
        }
        if (size === KALLOC_MINSIZE) z.first_k_zone = i;
        z.k_zone[i] = zinit(
            z,
            size,
            K_ZONE_MAX[i]! * size,
            size,
            size >= PAGE_SIZE ? ZONE_COLLECTABLE : 0,
            `kalloc.${size}`,
        );
    }
}

/**
 * The block size of a request, and its kalloc zone index when the block is
 * below kalloc_max: sizes under kalloc_max round up to a power of two from
 * MINSIZE (so 8193 … 16383 become 16384 and go to kalloc_map); larger sizes
 * stay as asked.
 */
function k_block(z: Zalloc, size: number): { zindex: number; allocsize: number } {
    if (size >= z.kalloc_max) return { zindex: -1, allocsize: size };
    let allocsize = KALLOC_MINSIZE;
    let zindex = z.first_k_zone;
    while (allocsize < size) {
        allocsize <<= 1;
        zindex++;
    }
    return { zindex, allocsize };
}

function k_zone_at(z: Zalloc, zindex: number): Zone {
    const zone = z.k_zone[zindex];
    assert(zone !== undefined && zone !== null, () => `kalloc: no zone at index ${zindex}`);
    return zone;
}

/**
 * kalloc of the zone era (named zkalloc so it cannot be confused with the
 * slab era's kalloc): power-of-two zones below kalloc_max, else wired pages
 * of kalloc_map; 0 when kalloc_map is full.
 */
export function zkalloc(z: Zalloc, size: number): number {
    assert(z.kalloc_max !== 0, "kalloc_init_called");
    const { zindex, allocsize } = k_block(z, size);
    if (allocsize < z.kalloc_max) return zalloc(z, k_zone_at(z, zindex));
    const rounded = round_page(allocsize);
    const addr = z.backend.pagealloc("kalloc_map", rounded);
    if (addr !== 0) z.kalloc_big.set(addr, rounded);
    return addr;
}

/** kget of the zone era: zget on the kalloc zone; a block of kalloc_max or more panics "kget". */
export function zkget(z: Zalloc, size: number): number {
    assert(z.kalloc_max !== 0, "kalloc_init_called");
    const { zindex, allocsize } = k_block(z, size);
    if (allocsize < z.kalloc_max) return zget(z, k_zone_at(z, zindex));
    panic("kget");
}

/** kfree of the zone era (zkfree): the caller passes the size it asked for. */
export function zkfree(z: Zalloc, data: number, size: number): void {
    assert(z.kalloc_max !== 0, "kalloc_init_called");
    const { zindex, allocsize } = k_block(z, size);
    if (allocsize < z.kalloc_max) {
        zfree(z, k_zone_at(z, zindex), data);
        return;
    }
    const rounded = round_page(allocsize);
    z.kalloc_big.delete(data);
    z.backend.pagefree("kalloc_map", data, rounded);
}

/* ---------------------------------------------------------------------- */
/* Debugging: host_zone_info, verify, whatis                              */
/* ---------------------------------------------------------------------- */

/** One zone as host_zone_info reports it (zone_name_t + zone_info_t), plus model extras. */
export interface ZoneInfo {
    name: string;
    /** zi_count: elements in use (Mach builds without ZONE_COUNT and reports 0). */
    count: number;
    cur_size: number;
    max_size: number;
    elem_size: number;
    alloc_size: number;
    pageable: boolean;
    /** zi_sleepable: GNU Mach never sets it (left 0); reported false. */
    sleepable: boolean;
    exhaustible: boolean;
    collectable: boolean;
    /** Model extras. */
    fixed: boolean;
    type: number;
    free: number;
    addr: number;
}

/** host_zone_info: one row per zone, in zinit order. */
export function zone_info(z: Zalloc): ZoneInfo[] {
    const rows: ZoneInfo[] = [];
    for (let zone = z.first_zone; zone !== null; zone = zone.next_zone) {
        rows.push({
            name: zone.zone_name.slice(0, 79),
            count: zone.count,
            cur_size: zone.cur_size,
            max_size: zone.max_size,
            elem_size: zone.elem_size,
            alloc_size: zone.alloc_size,
            pageable: (zone.type & ZONE_PAGEABLE) !== 0,
            sleepable: false,
            exhaustible: (zone.type & ZONE_EXHAUSTIBLE) !== 0,
            collectable: (zone.type & ZONE_COLLECTABLE) !== 0,
            fixed: (zone.type & ZONE_FIXED) !== 0,
            type: zone.type,
            free: Math.max(0, zone.elements.size - zone.count),
            addr: zone.addr,
        });
    }
    return rows;
}

function kib(n: number): string {
    return n % 1024 === 0 ? `${n / 1024}K` : `${(n / 1024).toFixed(1)}K`;
}

/** A zprint-style table of zone_info (model format), then the zget_space totals. */
export function zone_info_print(z: Zalloc, print: (line: string) => void): void {
    print("zone name                   elem   cur size   max size  count   free  alloc flags");
    for (const r of zone_info(z)) {
        const flags =
            (r.pageable ? "P" : "-") +
            (r.collectable ? "C" : "-") +
            (r.exhaustible ? "E" : "-") +
            (r.fixed ? "F" : "-");
        print(
            `${r.name.padEnd(25).slice(0, 25)} ${String(r.elem_size).padStart(6)} ${kib(r.cur_size).padStart(10)} ` +
                `${kib(r.max_size).padStart(10)} ${String(r.count).padStart(6)} ${String(r.free).padStart(6)} ` +
                `${kib(r.alloc_size).padStart(6)} ${flags}`,
        );
    }
    print(
        `zone_map ${kib(z.zone_map_size)}, zdata ${kib(z.zdata_size)}, ` +
            `zget_space next ${hex(z.zalloc_next_space)} end ${hex(z.zalloc_end_of_space)}, ` +
            `wasted ${z.zalloc_wasted_space}`,
    );
}

/** Where Mach's memory for a zone element may come from. */
function in_zone_memory(z: Zalloc, addr: number, size: number): boolean {
    const inZdata = addr >= z.zdata && addr + size <= z.zdata + z.zdata_size;
    const inMap =
        z.zone_map_ready && addr >= z.zone_map_min_address && addr + size <= z.zone_map_max_address;
    return inZdata || inMap;
}

/**
 * zone_verify: the zone's free list (walked in guest memory) and counters
 * against the model's record of its elements. Returns the problems found.
 */
export function zone_verify(z: Zalloc, zone: Zone): string[] {
    const out: string[] = [];
    const name = zone.zone_name;
    const seen = new Set<number>();
    const limit = zone.elements.size + 1;
    for (let e = zone.free_elements; e !== 0; e = z.backend.read32(e)) {
        if (seen.has(e)) {
            out.push(`${name}: free list loops at ${hex(e)}`);
            break;
        }
        seen.add(e);
        if (seen.size > limit) {
            out.push(`${name}: free list longer than the zone's ${zone.elements.size} elements`);
            break;
        }
        if (e % 4 !== 0 || (zone.align > 0 && e % zone.align !== 0))
            out.push(`${name}: misaligned free element ${hex(e)}`);
        if (!zone.elements.has(e))
            out.push(`${name}: free element ${hex(e)} is not an element of the zone`);
        if (zone_handed_out(zone, e))
            out.push(`${name}: element ${hex(e)} is both free and allocated`);
        const o = z.owner.get(e);
        if (o !== undefined && o !== zone)
            out.push(`${name}: free element ${hex(e)} belongs to zone ${o.zone_name}`);
    }
    const free = seen.size;
    let handed = 0;
    for (const [e, n] of zone.allocated) {
        if (n === 0) continue;
        handed += n;
        if (n > 1) out.push(`${name}: element ${hex(e)} handed out ${n} times`);
        if (!zone.elements.has(e))
            out.push(`${name}: allocated element ${hex(e)} is not an element of the zone`);
    }
    if (zone.count !== handed)
        out.push(`${name}: count ${zone.count} but ${handed} elements allocated`);
    if (zone.elements.size !== handed + free) {
        out.push(`${name}: ${zone.elements.size} elements but ${handed} allocated + ${free} free`);
    }
    if (zone.cur_size !== zone.elements.size * zone.elem_size) {
        out.push(
            `${name}: cur_size ${zone.cur_size} != ${zone.elements.size} elements x ${zone.elem_size}`,
        );
    }
    for (const e of zone.elements) {
        if (z.owner.get(e) !== zone) out.push(`${name}: element ${hex(e)} owned by another zone`);
        if (zone.crammed === 0 && !in_zone_memory(z, e, zone.elem_size)) {
            out.push(`${name}: element ${hex(e)} outside zdata and zone_map`);
        }
    }
    /*
     * cur_size vs max_size: a zone grows by one step (elem_size, or
     * alloc_size for PAGEABLE/COLLECTABLE) after the max_size check, and a
     * non-FIXED zone raises max_size by half when the step would cross it.
     * So cur_size ≤ max_size + step (+ explicit zcram), as long as a step is
     * at most half of the zone's first max_size. FIXED zones with
     * zone_ignore_overflow grow without limit, as in Mach.
     */
    const step =
        (zone.type & (ZONE_PAGEABLE | ZONE_COLLECTABLE)) !== 0 ? zone.alloc_size : zone.elem_size;
    const fixedUnbounded =
        (zone.type & ZONE_FIXED) !== 0 &&
        (zone.type & ZONE_EXHAUSTIBLE) === 0 &&
        z.zone_ignore_overflow;
    const checkable =
        (zone.type & ZONE_EXHAUSTIBLE) !== 0 ||
        (zone.type & ZONE_FIXED) !== 0 ||
        step <= zone.initial_max_size >>> 1;
    if (!fixedUnbounded && checkable && zone.cur_size > zone.max_size + step + zone.crammed) {
        out.push(`${name}: cur_size ${zone.cur_size} > max_size ${zone.max_size} + ${step}`);
    }
    if (zone.max_size < zone.initial_max_size)
        out.push(`${name}: max_size shrank below ${zone.initial_max_size}`);
    return out;
}

/**
 * zone_verify_all: every zone, plus the zone_page_table: each used page of
 * the collectable range has alloc_count = the number of live elements that
 * touch it.
 */
export function zone_verify_all(z: Zalloc): string[] {
    const out: string[] = [];
    for (let zone = z.first_zone; zone !== null; zone = zone.next_zone)
        out.push(...zone_verify(z, zone));
    if (!z.zone_map_ready) return out;
    const touching = new Map<number, number>();
    for (const [e, zone] of z.owner) {
        const r = zpt_range(z, e, zone.elem_size);
        if (r === null) continue;
        for (let i = r[0]; i <= r[1]; i++) touching.set(i, (touching.get(i) ?? 0) + 1);
    }
    for (let i = 0; i < z.zone_pages; i++) {
        const a = z.zpt_alloc_count[i]!;
        const n = touching.get(i) ?? 0;
        if (n > 0 ? a !== n : a !== 0 && a !== ZONE_PAGE_UNUSED) {
            out.push(
                `zone_page_table[${i}] (${hex(z.zone_map_min_address + i * PAGE_SIZE)}): alloc_count ${a}, ${n} live elements`,
            );
        }
    }
    return out;
}

export type ZoneWhatis =
    | {
          kind: "element";
          zone: Zone;
          element: number;
          offset: number;
          state: "allocated" | "free";
          struct_of?: Zone;
      }
    | { kind: "zone_page_table"; offset: number }
    | { kind: "kalloc_map"; block: number; size: number; offset: number }
    | { kind: "zdata"; offset: number }
    | { kind: "zone_map"; offset: number };

/** What a kernel VA is, as far as the zone allocator knows; null = not zone memory. */
export function zone_whatis(z: Zalloc, va: number): ZoneWhatis | null {
    const lo = Math.max(0, va - z.max_elem_size + 1);
    for (let e = va - (va % 4); e >= lo; e -= 4) {
        const zone = z.owner.get(e);
        if (zone !== undefined && va < e + zone.elem_size) {
            const state = zone_handed_out(zone, e) ? "allocated" : "free";
            const s = z.struct_of.get(e);
            return s !== undefined
                ? { kind: "element", zone, element: e, offset: va - e, state, struct_of: s }
                : { kind: "element", zone, element: e, offset: va - e, state };
        }
    }
    for (const [b, size] of z.kalloc_big) {
        if (va >= b && va < b + size) return { kind: "kalloc_map", block: b, size, offset: va - b };
    }
    if (z.zone_map_ready && va >= z.zone_page_table && va < z.zone_map_min_address) {
        return { kind: "zone_page_table", offset: va - z.zone_page_table };
    }
    if (va >= z.zdata && va < z.zdata + z.zdata_size)
        return { kind: "zdata", offset: va - z.zdata };
    if (z.zone_map_ready && va >= z.zone_map_min_address && va < z.zone_map_max_address) {
        return { kind: "zone_map", offset: va - z.zone_map_min_address };
    }
    return null;
}

/** The zone whose name is `name` (first match), or null. */
export function zone_named(z: Zalloc, name: string): Zone | null {
    for (let zone = z.first_zone; zone !== null; zone = zone.next_zone)
        if (zone.zone_name === name) return zone;
    return null;
}
