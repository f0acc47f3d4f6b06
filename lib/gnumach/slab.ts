/*
 * lib/gnumach/slab.ts — GNU Mach's slab caches read from kernel memory, in
 * the order of kern/slab.c's kmem_cache_list (creation order), with the
 * columns slab_info() prints and host_slab_info() returns: the model's
 * SlabInfo shape (kernel/kern/kmem.ts), so the same formatter prints both.
 *
 * How each column is computed, as slab_info() and host_slab_info() of GNU
 * Mach 8d03c760 and v1.4 do: obj_size, slab_size, bufs_per_slab, nr_objs,
 * nr_bufs, nr_slabs, nr_free_slabs, align, buf_size read as they are;
 * mem_usage = (nr_slabs * slab_size) >> 10 and mem_reclaimable =
 * (nr_free_slabs * slab_size) >> 10 (KiB); flags = the KMEM_CF_* bits
 * mapped to CACHE_FLAGS_* (the same values, 0x01..0x10, in both files);
 * cpu_pool_size = cpu_pool_type->array_size when the kernel was built with
 * SLAB_USE_CPU_POOLS (struct kmem_cache then has cpu_pool_type), else 0.
 *
 * The list: `static struct list kmem_cache_list`, linked through each
 * cache's `node` member (kern/list.h: prev, next). A kernel of the zone era
 * has no kmem_cache_list: see zalloc.ts.
 */
import type { SlabInfo } from "../../kernel/kern/kmem.ts";
import type { KernelView, Ref } from "./view.ts";

/** KMEM_CF_* of kern/slab.c, which host_slab_info maps one to one onto CACHE_FLAGS_*. */
const KMEM_CF_MASK = 0x1f;
const MAX_CACHES = 4096;

/** One cache: slab_info()'s columns plus where the struct kmem_cache lives. */
export interface CacheInfo extends SlabInfo {
    address: number;
}

/** Whether this kernel has the slab allocator (kern/slab.c's cache list). */
export function has_slab(view: KernelView): boolean {
    return view.findVar("kmem_cache_list") !== undefined;
}

/** Every cache on kmem_cache_list, in list order. */
export function slab_info_read(view: KernelView): CacheInfo[] {
    const list = view.var("kmem_cache_list");
    const out: CacheInfo[] = [];
    for (let node = list.get("next").num(); node !== list.addr;) {
        if (out.length >= MAX_CACHES)
            throw new Error(`kmem_cache_list: more than ${MAX_CACHES} caches (a corrupt list?)`);
        const cache = view.containerOf(node, "struct kmem_cache", "node");
        out.push(cache_read(cache));
        node = cache.get("node.next").num();
    }
    return out;
}

function cache_read(c: Ref): CacheInfo {
    const n = (path: string) => c.get(path).num();
    const slab_size = n("slab_size");
    const nr_slabs = n("nr_slabs");
    const nr_free_slabs = n("nr_free_slabs");
    const cpu_pool_size =
        c.has("cpu_pool_type") && n("cpu_pool_type") !== 0
            ? c.get("cpu_pool_type").deref().get("array_size").num()
            : 0;
    return {
        name: c.get("name").str(),
        flags: n("flags") & KMEM_CF_MASK,
        cpu_pool_size,
        obj_size: n("obj_size"),
        align: n("align"),
        buf_size: n("buf_size"),
        slab_size,
        bufs_per_slab: n("bufs_per_slab"),
        nr_objs: n("nr_objs"),
        nr_bufs: n("nr_bufs"),
        nr_slabs,
        nr_free_slabs,
        // vm_size_t arithmetic: 32 bits on i386, then >> 10.
        mem_usage: Math.floor(((nr_slabs * slab_size) >>> 0) / 1024),
        mem_reclaimable: Math.floor(((nr_free_slabs * slab_size) >>> 0) / 1024),
        address: c.addr,
    };
}
