/*
 * kernel/kern/kobj.ts — where the kernel's own objects come from: GNU
 * Mach's named caches in the slab era (kern/task.c task_cache "task",
 * kern/thread.c thread_cache "thread", vm/vm_object.c vm_object_cache
 * "vm_object", vm/vm_map.c vm_map_cache "vm_map", ipc/ipc_init.c "ipc_space"
 * and "ipc_port", i386/intel/pmap.c pmap_cache "pmap"), or the zones of
 * the zone era ("tasks", "threads", "vm objects", "maps", "ipc spaces",
 * "ipc ports", "pmap" in Mach 3 / GNU Mach before 2011-12).
 *
 * The object sizes are the i386 sizeof of each struct at 8d03c760, from
 * mach_structs.ts (derived from the GNU Mach tree, see that file), except
 * struct task, whose size is the preset's task_size (168 in v1.4, 192 at
 * 8d03c760: the one cache whose geometry differs between the real kernels,
 * as mach86 diff reads them). The zone era uses the same sizes: the
 * structs changed little between 2011 and 2014, and the model does not
 * claim otherwise (departure).
 */
import {
    KMEM_CACHE_NOCPUPOOL,
    KMEM_CACHE_NOOFFSLAB,
    KMEM_CACHE_NORECLAIM,
    kmem_cache_init,
    kmem_cache_nr_live,
    type KmemCache,
} from "./kmem.ts";
import { zinit, zone_named, type Zone } from "./zalloc.ts";
import { panic } from "./debug.ts";
import type { Kernel } from "./kernel.ts";
import { MACH_CACHES_2014 } from "./mach_structs.ts";

/** Slab cache name → the zone that held the same objects before 2011-12. */
const ZONE_NAMES: Readonly<Record<string, string>> = {
    task: "tasks",
    thread: "threads",
    vm_object: "vm objects",
    vm_map: "maps",
    ipc_space: "ipc spaces",
    ipc_port: "ipc ports",
    pmap: "pmap",
    pv_entry: "pv_list",
};

function mach_cache(k: Kernel, name: string): (typeof MACH_CACHES_2014)[number] {
    const c = MACH_CACHES_2014.find((x) => x.name === name);
    if (!c) panic(`kobj: no struct size for cache ${name}`);
    return name === "task" ? { ...c, size: k.params.task_size } : c;
}

/** The cache (slab era: created at boot by kobj_caches_init, or now) or zone (made on first use). */
function cache(k: Kernel, name: string): KmemCache | Zone {
    if (k.kmem) {
        kobj_caches_init(k, [name]);
        return k.kmem.caches.find((c) => c.name === name)!;
    }
    const zname = ZONE_NAMES[name] ?? name;
    const z = k.zone!;
    const { size } = mach_cache(k, name);
    return zone_named(z, zname) ?? zinit(z, size, 1024 * Math.max(size, 4096), 4096, 0, zname);
}

const FLAG_BITS: Readonly<Record<string, number>> = {
    KMEM_CACHE_NOCPUPOOL,
    KMEM_CACHE_NOOFFSLAB,
    KMEM_CACHE_NORECLAIM,
};

/**
 * The caches GNU Mach 8d03c760 creates at this point of its boot, in its
 * order, with the measured sizes, alignments and flags (slab era; the zone
 * era makes its zones on first use). Creating a cache allocates nothing:
 * slabinfo lists it, empty, as Mach's does.
 */
export function kobj_caches_init(k: Kernel, names: readonly string[]): void {
    if (!k.kmem) return;
    for (const name of names) {
        if (k.kmem.caches.some((c) => c.name === name)) continue;
        const c = mach_cache(k, name);
        const flags = c.flags.reduce((f, x) => f | (FLAG_BITS[x] ?? 0), 0);
        kmem_cache_init(k.kmem, name, c.size, c.alignArg, null, null, null, flags);
    }
}

/** A struct `name` from its cache (or zone): its kernel VA, 0 when the allocator is out of memory. */
export function kobj_alloc(k: Kernel, name: string): number {
    const c = cache(k, name);
    return k.allocator.cache_alloc(c);
}

export function kobj_free(k: Kernel, name: string, va: number): void {
    if (va === 0) return;
    const c = cache(k, name);
    k.allocator.cache_free(c, va);
}

/** How many `name` objects are allocated now (not counting those parked in a CPU pool). */
export function kobj_live(k: Kernel, name: string): number {
    const c = cache(k, name);
    return "zone_name" in c ? c.count : kmem_cache_nr_live(c);
}
