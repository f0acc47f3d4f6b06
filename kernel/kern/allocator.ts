/*
 * kernel/kern/allocator.ts — the kernel's general-purpose allocator as one
 * interface, implemented by the slab allocator (kern/slab.c + kern/kalloc.c,
 * GNU Mach from 2011-12) and by the zone allocator (kern/zalloc.c +
 * kern/kalloc.c before it).
 *
 * Not a GNU Mach file. Mach has one allocator per tree, chosen when the tree
 * was written; the model has both, so it chooses once, in vm_mem_bootstrap
 * (parameter `zalloc`), and every caller that does not care which era it
 * runs in goes through k.allocator. Era-specific code (slabinfo, zoneinfo,
 * whatis, the boot's own cache and zone set-up) still uses k.kmem or k.zone.
 *
 * Departure: the pre-2014 zone era's kmem_alloc never reaped anything on
 * failure; `kmem_alloc_retry` is what 134d5b6b (2014-02-06) added to the
 * slab era's vm_kern.c, and does nothing in the zone era.
 */
import { assert } from "./debug.ts";
import { kalloc, kfree } from "./kalloc.ts";
import {
    kmem_cache_alloc,
    kmem_cache_free,
    kmem_cache_nr_live,
    kmem_verify,
    slab_collect,
    slab_info,
    type Kmem,
    type KmemCache,
} from "./kmem.ts";
import {
    consider_zone_gc,
    zalloc,
    zfree,
    zkalloc,
    zkfree,
    zone_info_print,
    zone_verify_all,
    type Zalloc,
    type Zone,
} from "./zalloc.ts";

/** A cache of one kind of object: a slab cache or a zone, as the era has it. */
export type ObjCache = KmemCache | Zone;

export interface Allocator {
    /** The allocator's name in verify reports: "slab" or "zalloc" ("none" before boot). */
    readonly name: "slab" | "zalloc" | "none";
    /** kalloc / kfree: a block of `size` bytes; 0 when out of memory. */
    kalloc(size: number): number;
    kfree(va: number, size: number): void;
    /** One object from a cache of this era (kmem_cache_alloc / zalloc); 0 when out of memory. */
    cache_alloc(c: ObjCache): number;
    cache_free(c: ObjCache, va: number): void;
    /** Give free memory back: slab_collect (slab era), consider_zone_gc (zone era). */
    collect(): void;
    /** The kmem_alloc retry of 134d5b6b: slab_collect in the slab era, nothing in the zone era. */
    kmem_alloc_retry(): void;
    /** slab_info() or the zone table, one line per call of `print`. */
    info(print: (line: string) => void): void;
    /** Invariant violations of the allocator's own structures (empty when sound). */
    verify(): string[];
    /** Bytes of memory the allocator holds (slabs or zone pages, wasted zget space included). */
    held_bytes(): number;
    /** Bytes handed out to callers (live objects × their size). */
    live_bytes(): number;
}

function cast_slab(c: ObjCache): KmemCache {
    assert(!("zone_name" in c), () => `slab allocator given zone ${(c as Zone).zone_name}`);
    return c;
}

function cast_zone(c: ObjCache): Zone {
    assert("zone_name" in c, () => `zone allocator given slab cache ${(c as KmemCache).name}`);
    return c;
}

export function slab_allocator(kmem: Kmem): Allocator {
    return {
        name: "slab",
        kalloc: (size) => kalloc(kmem, size),
        kfree: (va, size) => kfree(kmem, va, size),
        cache_alloc: (c) => kmem_cache_alloc(kmem, cast_slab(c)),
        cache_free: (c, va) => kmem_cache_free(kmem, cast_slab(c), va),
        collect: () => void slab_collect(kmem),
        kmem_alloc_retry: () => void slab_collect(kmem),
        info: (print) => slab_info(kmem, print),
        verify: () => kmem_verify(kmem),
        held_bytes: () => kmem.caches.reduce((s, c) => s + c.nr_slabs * c.slab_size, 0),
        live_bytes: () => kmem.caches.reduce((s, c) => s + kmem_cache_nr_live(c) * c.obj_size, 0),
    };
}

export function zone_allocator(z: Zalloc): Allocator {
    return {
        name: "zalloc",
        kalloc: (size) => zkalloc(z, size),
        kfree: (va, size) => zkfree(z, va, size),
        cache_alloc: (c) => zalloc(z, cast_zone(c)),
        cache_free: (c, va) => zfree(z, cast_zone(c), va),
        collect: () => void consider_zone_gc(z),
        kmem_alloc_retry: () => undefined,
        info: (print) => zone_info_print(z, print),
        verify: () => zone_verify_all(z),
        held_bytes: () => {
            let held = z.zalloc_wasted_space;
            for (let zone = z.first_zone; zone; zone = zone.next_zone) held += zone.cur_size;
            return held;
        },
        live_bytes: () => {
            let live = 0;
            for (let zone = z.first_zone; zone; zone = zone.next_zone)
                live += zone.count * zone.elem_size;
            return live;
        },
    };
}

/**
 * The allocator of a kernel that has not reached vm_mem_bootstrap: reading
 * it finds nothing, allocating from it is a bug in mach86.
 */
export const NO_ALLOCATOR: Allocator = {
    name: "none",
    kalloc: () => unbooted(),
    kfree: () => unbooted(),
    cache_alloc: () => unbooted(),
    cache_free: () => unbooted(),
    collect: () => undefined,
    kmem_alloc_retry: () => undefined,
    info: () => undefined,
    verify: () => [],
    held_bytes: () => 0,
    live_bytes: () => 0,
};

function unbooted(): never {
    assert(false, "allocator used before vm_mem_bootstrap chose one");
}
