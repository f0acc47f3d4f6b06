/*
 * kernel/vm/vm_init.ts — models vm/vm_init.c (vm_mem_bootstrap) and the
 * VM parts of vm_map_init / slab_init / pmap_init of GNU Mach 8d03c760,
 * in Mach's order:
 *
 *   vm_page_bootstrap → slab_bootstrap → vm_object_bootstrap → vm_map_init
 *   → kmem_init → pmap_init → slab_init → kalloc_init
 *
 * (vm_fault_init, vm_page_module_init and memory_manager_default_init
 * allocate no kernel VA and are not modelled.)
 */
import { panic } from "../kern/debug.ts";
import type { Kernel } from "../kern/kernel.ts";
import { kmem_cache_alloc, kmem_cache_free, kmem_cache_init, KMEM_CF_NO_RECLAIM, type KmemCache } from "../kern/slab.ts";
import { round_page } from "../i386/vm_param.ts";
import { kmem_alloc_wired, kmem_init, kmem_submap } from "./vm_kern.ts";
import type { VmMapEntrySource } from "./vm_map.ts";
import { vm_object_allocate } from "./vm_object.ts";
import { vm_page_grab } from "./vm_page.ts";
import { vm_page_bootstrap } from "./vm_resident.ts";

/** Map-entry storage for the kernel's maps, one source per cache. */
export interface EntrySources {
    /** Non-pageable kernel maps (kernel_map, kmem_map, device_io_map): the kentry cache. */
    kentry: VmMapEntrySource;
    /** Pageable maps (ipc_kernel_map, user maps): vm_map_entry_cache. */
    entry: VmMapEntrySource;
}

/** A VmMapEntrySource over a slab cache; `empty` is what Mach does when the cache cannot grow. */
function cache_source(cache: KmemCache, empty: () => never): VmMapEntrySource {
    return {
        name: cache.name,
        alloc: () => kmem_cache_alloc(cache) || empty(),
        free: (kva: number) => kmem_cache_free(cache, kva),
    };
}

/** kentry_pagealloc: a bump allocator over the stolen kentry area, never freed. */
function kentry_pagealloc(k: Kernel, size: number): number {
    if (size > k.kentry_data_size) panic("vm_map: kentry memory exhausted");
    const va = k.kentry_data;
    k.kentry_data += size;
    k.kentry_data_size -= size;
    return va;
}

/** Slab pages for ordinary caches: kmem_map, or (no kmem_map, HEAD) physical pages via the direct map. */
function slab_pagealloc(k: Kernel, size: number): number {
    if (k.kmem_map) return kmem_alloc_wired(k, k.kmem_map, size, "slab").addr;
    if (size !== 4096) return kmem_alloc_wired(k, k.kernel_map!, size, "slab").addr;
    const i = vm_page_grab(k.vm_page!);
    return i < 0 ? 0 : (k.vm_page!.phys[i]! + k.params.vm_min_kernel_address) >>> 0;
}

/** vm_map_init: the map-entry caches (the kentry one only while the kentry area exists). */
function vm_map_init(k: Kernel): EntrySources {
    const size = k.params.vm_map_entry_size;
    const entry = kmem_cache_init(k, "vm_map_entry", size, 0, (s) => slab_pagealloc(k, s));
    const entrySource = cache_source(entry, () => panic("vm_map_entry_create"));
    if (k.params.kentry_pages === 0) return { kentry: entrySource, entry: entrySource };
    const kentry = kmem_cache_init(k, "vm_map_kentry", size, 0, (s) => kentry_pagealloc(k, s), KMEM_CF_NO_RECLAIM);
    return { kentry: cache_source(kentry, () => panic("vm_map_kentry_create")), entry: entrySource };
}

/** pmap_init's tables: pv_head_table, pv_lock_table (1 bit/page) and pmap_phys_attributes. */
function pmap_init(k: Kernel): void {
    const npages = Math.floor((k.phys_last_addr - k.phys_first_addr) / 4096);
    const s = k.params.pv_entry_size * npages + Math.ceil(npages / 8) + npages;
    const r = kmem_alloc_wired(k, k.kernel_map!, round_page(s), "pmap_init (pv_head_table, pv_lock_table, phys attributes)");
    if (r.kr) panic("pmap_init");
}

/** slab_init / kalloc_init / zone_init: the allocator submaps of the era. */
function allocator_submaps(k: Kernel, src: EntrySources): void {
    const p = k.params;
    if (p.zone_map_size) k.zone_map = kmem_submap(k, k.kernel_map!, p.zone_map_size, false, "zone_map", src.kentry);
    if (p.kmem_map_size) k.kmem_map = kmem_submap(k, k.kernel_map!, p.kmem_map_size, false, "kmem_map", src.kentry);
    if (p.kalloc_map_size) k.kalloc_map = kmem_submap(k, k.kernel_map!, p.kalloc_map_size, false, "kalloc_map", src.kentry);
}

export function vm_mem_bootstrap(k: Kernel): EntrySources {
    const { start, end } = vm_page_bootstrap(k);
    k.kernel_object = vm_object_allocate(k.params.vm_max_kernel_address - k.params.vm_min_kernel_address + 1, "kernel_object");
    k.vm_submap_object = vm_object_allocate(0, "vm_submap_object");
    const src = vm_map_init(k);
    kmem_init(k, start, end, src.kentry);
    pmap_init(k);
    allocator_submaps(k, src);
    return src;
}
