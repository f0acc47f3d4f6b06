/*
 * kernel/vm/vm_init.ts — models vm/vm_init.c (vm_mem_bootstrap) and the
 * allocator parts of vm_map_init / slab_init / zone_init / kalloc_init of
 * GNU Mach, in Mach's order:
 *
 *   slab era (8d03c760):  vm_page_bootstrap → slab_bootstrap → vm_object_bootstrap
 *       → vm_map_init → kmem_init → pmap_init → slab_init → kalloc_init
 *   zone era (a12a1067):  vm_page_bootstrap → zone_bootstrap → vm_object_bootstrap
 *       → vm_map_init → kmem_init → pmap_init → zone_init → kalloc_init
 *
 * (vm_fault_init, vm_page_module_init and memory_manager_default_init
 * allocate no kernel VA and are not modelled.)
 */
import { panic } from "../kern/debug.ts";
import type { Kernel } from "../kern/kernel.ts";
import { kalloc_init } from "../kern/kalloc.ts";
import {
    KMEM_CACHE_NOCPUPOOL,
    KMEM_CACHE_NOOFFSLAB,
    KMEM_CACHE_NORECLAIM,
    kmem_cache_alloc,
    kmem_cache_free,
    kmem_cache_init,
    slab_bootstrap,
    slab_init,
    type Kmem,
    type KmemCache,
} from "../kern/kmem.ts";
import { kmem_backend } from "../kern/kmem_kernel.ts";
import {
    kalloc_zone_init,
    zalloc,
    zcram,
    zfree,
    zinit,
    zone_bootstrap,
    zone_init,
    ZDATA_SIZE,
    ZONE_FIXED,
    type Zalloc,
    type Zone,
} from "../kern/zalloc.ts";
import { round_page } from "../i386/vm_param.ts";
import { kmem_alloc_wired, kmem_init, kmem_submap } from "./vm_kern.ts";
import { vm_map_enter, vm_map_entry_extend, type VmMapEntrySource } from "./vm_map.ts";
import { VM_INHERIT_DEFAULT, VM_PROT_ALL, VM_PROT_DEFAULT } from "./vm_prot.ts";
import { pmap_enter } from "../i386/pmap.ts";
import { vm_object_allocate } from "./vm_object.ts";
import { slab_allocator, zone_allocator } from "../kern/allocator.ts";
import { kobj_alloc, kobj_caches_init, kobj_free } from "../kern/kobj.ts";
import { VM_PAGE_TO_PHYS, vm_page_grab } from "./vm_page.ts";
import { vm_page_bootstrap } from "./vm_resident.ts";

/** Map-entry storage for the kernel's maps. */
export interface EntrySources {
    /** Non-pageable kernel maps (kernel_map, kmem_map, device_io_map): the kentry cache / zone. */
    kentry: VmMapEntrySource;
    /** Pageable maps (ipc_kernel_map, user maps): vm_map_entry_cache / zone. */
    entry: VmMapEntrySource;
}

function cache_source(kmem: Kmem, cache: KmemCache, empty: string): VmMapEntrySource {
    return {
        name: cache.name,
        alloc: () => kmem_cache_alloc(kmem, cache) || panic(empty),
        free: (kva: number) => kmem_cache_free(kmem, cache, kva),
    };
}

function zone_source(z: Zalloc, zone: Zone): VmMapEntrySource {
    return {
        name: zone.zone_name,
        alloc: () => zalloc(z, zone) || panic("vm_map_entry_create"),
        free: (kva: number) => zfree(z, zone, kva),
    };
}

/** kentry_pagealloc: a bump allocator over the stolen kentry area, never freed; then x15's kentry_map, if any. */
function kentry_pagealloc(k: Kernel, size: number): number {
    if (size > k.kentry_data_size)
        return kentry_map_grow(k, size) || panic("vm_map: kentry memory exhausted");
    const va = k.kentry_data;
    k.kentry_data += size;
    k.kentry_data_size -= size;
    return va;
}

/**
 * x15's alternative to the fixed kentry area: a kentry_map submap whose
 * single entry is extended (and its pages wired) as the kentry cache grows,
 * so kernel map entries never need a kernel map entry of their own.
 */
function kentry_map_create(k: Kernel, src: EntrySources): void {
    const map = kmem_submap(
        k,
        k.kernel_map!,
        k.params.kentry_map_size,
        false,
        "kentry_map",
        src.kentry,
    );
    const r = vm_map_enter(
        map,
        map.min_offset,
        4096,
        0,
        false,
        k.kernel_object,
        0,
        false,
        VM_PROT_DEFAULT,
        VM_PROT_ALL,
        VM_INHERIT_DEFAULT,
        "kentry slabs (one entry, extended on growth)",
    );
    if (r.kr) panic("kentry_map_create");
    kentry_map_wire(k, map.min_offset, 4096);
    k.kentry_map = map;
    k.kentry_map_next = map.min_offset;
}

function kentry_map_wire(k: Kernel, va: number, size: number): void {
    for (let off = 0; off < size; off += 4096) {
        const i = vm_page_grab(k.vm_page!);
        if (i < 0) panic("kentry_map: out of physical memory");
        pmap_enter(k.kernel_pmap!, va + off, VM_PAGE_TO_PHYS(k.vm_page!, i), VM_PROT_DEFAULT, true);
    }
}

/** Next `size` bytes of kentry_map, extending its entry if needed; 0 when the submap is full. */
function kentry_map_grow(k: Kernel, size: number): number {
    const map = k.kentry_map;
    if (!map) return 0;
    const entry = map.entries[0]!;
    const va = k.kentry_map_next;
    if (va + size > entry.vme_end) {
        const old = entry.vme_end;
        if (vm_map_entry_extend(map, entry, round_page(va + size)) !== 0) return 0;
        kentry_map_wire(k, old, entry.vme_end - old);
    }
    k.kentry_map_next = va + size;
    return va;
}

/** Without kmem_map (HEAD), one-page slabs come straight from physical pages via the direct map. */
function physical_slab(k: Kernel, size: number): number {
    if (size !== 4096) return kmem_alloc_wired(k, k.kernel_map!, size, "slab").addr;
    const i = vm_page_grab(k.vm_page!);
    return i < 0 ? 0 : (VM_PAGE_TO_PHYS(k.vm_page!, i) + k.params.vm_min_kernel_address) >>> 0;
}

/** vm_map_init, slab era: the map-entry caches (the kentry one while the kentry area exists). */
function vm_map_init_slab(k: Kernel, kmem: Kmem): EntrySources {
    const size = k.params.vm_map_entry_size;
    const noKmemMap = k.params.kmem_map_size === 0;
    const entry = kmem_cache_init(
        kmem,
        "vm_map_entry",
        size,
        0,
        null,
        noKmemMap ? (s) => physical_slab(k, s) : null,
        null,
        0,
    );
    const entrySource = cache_source(kmem, entry, "vm_map_entry_create");
    if (k.params.kentry_pages === 0) return { kentry: entrySource, entry: entrySource };
    const pool = k.params.kentry_cpu_pool ? 0 : KMEM_CACHE_NOCPUPOOL;
    const kentry = kmem_cache_init(
        kmem,
        "vm_map_kentry",
        size,
        0,
        null,
        (s) => kentry_pagealloc(k, s),
        null,
        pool | KMEM_CACHE_NOOFFSLAB | KMEM_CACHE_NORECLAIM,
    );
    return { kentry: cache_source(kmem, kentry, "vm_map_kentry_create"), entry: entrySource };
}

/** vm_map_init, zone era: the FIXED kentry zone crammed with the stolen kentry area. */
function vm_map_init_zone(k: Kernel, z: Zalloc): EntrySources {
    const size = k.params.vm_map_entry_size;
    const entry = zinit(z, size, 1024 * 1024, 4096, 0, "map entries");
    const kentry = zinit(
        z,
        size,
        k.kentry_data_size,
        k.kentry_data_size,
        ZONE_FIXED,
        "kernel map entries",
    );
    zcram(z, kentry, k.kentry_data, k.kentry_data_size);
    z.vm_map_kentry_zone = kentry;
    return { kentry: zone_source(z, kentry), entry: zone_source(z, entry) };
}

/** pmap_init's tables: pv_head_table, pv_lock_table (1 bit/page) and pmap_phys_attributes. */
function pmap_init(k: Kernel): void {
    const npages = Math.floor((k.phys_last_addr - k.phys_first_addr) / 4096);
    const s = k.params.pv_entry_size * npages + Math.ceil(npages / 8) + npages;
    const r = kmem_alloc_wired(
        k,
        k.kernel_map!,
        round_page(s),
        "pmap_init (pv_head_table, pv_lock_table, phys attributes)",
    );
    if (r.kr) panic("pmap_init");
}

/** slab_init + kalloc_init, or zone_init + kalloc_init: the allocator submaps of the era. */
function allocator_init(k: Kernel, src: EntrySources): void {
    const p = k.params;
    if (k.zone) {
        k.zone_map = kmem_submap(k, k.kernel_map!, p.zone_map_size, false, "zone_map", src.kentry);
        zone_init(k.zone, k.zone_map.min_offset);
    }
    if (p.kmem_map_size)
        k.kmem_map = kmem_submap(k, k.kernel_map!, p.kmem_map_size, false, "kmem_map", src.kentry);
    if (k.kmem) slab_init(k.kmem);
    if (p.kalloc_map_size)
        k.kalloc_map = kmem_submap(
            k,
            k.kernel_map!,
            p.kalloc_map_size,
            false,
            "kalloc_map",
            src.kentry,
        );
    if (k.kmem) kalloc_init(k.kmem);
    if (k.zone) kalloc_zone_init(k.zone);
}

export function vm_mem_bootstrap(k: Kernel): EntrySources {
    const backend = kmem_backend(k, () => k.ticks);
    const { start, end } = vm_page_bootstrap(k, k.params.zalloc ? ZDATA_SIZE : 0);
    // The era's allocator, chosen once: everything era-neutral goes through k.allocator.
    let vm_map_init: () => EntrySources;
    if (k.params.zalloc) {
        const z = zone_bootstrap(backend, {
            zone_map_size: k.params.zone_map_size,
            era: "2011",
            zdata: k.zdata,
            zdata_size: ZDATA_SIZE,
            defer_zone_init: true,
        });
        k.zone = z;
        k.allocator = zone_allocator(z);
        vm_map_init = () => vm_map_init_zone(k, z);
    } else {
        const kmem = slab_bootstrap(backend, {
            verify: k.params.slab_verify === 1,
            cpu_pools: k.params.cpu_pools === 1,
        });
        k.kmem = kmem;
        k.allocator = slab_allocator(kmem);
        vm_map_init = () => vm_map_init_slab(k, kmem);
    }
    k.kernel_object = vm_object_allocate(
        k.params.vm_max_kernel_address - k.params.vm_min_kernel_address + 1,
        "kernel_object",
    );
    k.vm_submap_object = vm_object_allocate(0, "vm_submap_object");
    // vm_object_bootstrap's caches, then vm_map_init's (Mach's order, mach_structs.ts).
    kobj_caches_init(k, [
        "vm_object",
        "vm_external",
        "small_existence_map",
        "large_existence_map",
        "vm_map",
    ]);
    const src = vm_map_init();
    kobj_caches_init(k, ["vm_map_copy"]);
    kmem_init(k, start, end, src.kentry);
    if (k.params.kentry_map_size) kentry_map_create(k, src);
    pmap_init(k);
    kobj_caches_init(k, ["pmap", "pv_entry"]);
    // pv_list_cache: the pv entries of pages mapped more than once (user mappings).
    const g = k.kernel_pmap!.globals;
    g.pv_alloc = () => kobj_alloc(k, "pv_entry");
    g.pv_free = (kva) => kobj_free(k, "pv_entry", kva);
    allocator_init(k, src);
    kobj_caches_init(k, ["vm_fault_state"]);
    // vm_page_module_init: struct vm_page of the preset's era (44 B in 2014).
    if (k.kmem) kmem_cache_init(k.kmem, "vm_page", k.params.vm_page_size, 0, null, null, null, 0);
    return src;
}
