/*
 * kernel/kern/slab.ts — a minimal model of kern/slab.c (GNU Mach 2014,
 * rbraun): caches, the 2011–2016 slab size computation, slabs backed by
 * kmem_map (or a custom page source such as the kentry area), and
 * slab_info()-style counters.
 *
 * Minimal on purpose (the full allocator — buffer control in guest RAM,
 * CPU pools, verify mode, reaping — is a later piece of work): buffers are
 * handed out in address order from slabs whose pages are really allocated
 * and mapped, but the free lists are kept on the host side.
 */
import { panic } from "./debug.ts";
import type { Kernel } from "./kernel.ts";

export const KMEM_CF_SLAB_EXTERNAL = 0x02;
export const KMEM_CF_NO_RECLAIM = 0x04;
export const KMEM_CF_DIRECT = 0x10;

const PAGE_SIZE = 4096;
const KMEM_ALIGN_MIN = 8;
const KMEM_BUF_SIZE_THRESHOLD = PAGE_SIZE / 8;
const KMEM_MIN_BUFS_PER_SLAB = 8;
const KMEM_SLAB_SIZE_THRESHOLD = 8 * PAGE_SIZE;
/** sizeof(struct kmem_slab) on i386. */
const KMEM_SLAB_SIZE = 32;

export interface KmemCache {
    name: string;
    obj_size: number;
    align: number;
    buf_size: number;
    slab_size: number;
    bufs_per_slab: number;
    flags: number;
    nr_objs: number;
    nr_bufs: number;
    nr_slabs: number;
    /** Free buffers, lowest address handed out first. */
    free: number[];
    /** Slab page source: returns the slab's kernel VA, or 0 when no memory. */
    slab_alloc: (size: number) => number;
}

/** Slab geometry as kmem_cache_compute_sizes computed it from 2011-12 to 2016-02. */
export function kmem_cache_compute_sizes(buf_size: number, noOffSlab: boolean):
    { slab_size: number; bufs_per_slab: number; flags: number } {
    const embedAlways = noOffSlab || buf_size < KMEM_BUF_SIZE_THRESHOLD;
    let i = 0;
    let wasteMin = Infinity;
    let optimal = PAGE_SIZE;
    let optimalEmbed = true;
    let buffers: number;
    let slabSize: number;
    do {
        i++;
        slabSize = Math.ceil((i * buf_size) / PAGE_SIZE) * PAGE_SIZE;
        const free = slabSize - (embedAlways ? KMEM_SLAB_SIZE : 0);
        buffers = Math.floor(free / buf_size);
        let waste = free % buf_size;
        if (buffers > i) i = buffers;
        let embed = embedAlways;
        if (!embedAlways && waste >= KMEM_SLAB_SIZE) {
            waste -= KMEM_SLAB_SIZE;
            embed = true;
        }
        if (waste <= wasteMin) {
            wasteMin = waste;
            optimal = slabSize;
            optimalEmbed = embed;
        }
    } while (buffers < KMEM_MIN_BUFS_PER_SLAB && slabSize < KMEM_SLAB_SIZE_THRESHOLD);
    const bufs = Math.floor((optimal - (optimalEmbed ? KMEM_SLAB_SIZE : 0)) / buf_size);
    let flags = 0;
    if (!optimalEmbed) flags |= KMEM_CF_SLAB_EXTERNAL;
    else if (optimal === PAGE_SIZE) flags |= KMEM_CF_DIRECT;
    return { slab_size: optimal, bufs_per_slab: bufs, flags };
}

export function kmem_cache_init(
    k: Kernel, name: string, obj_size: number, align: number,
    slab_alloc: (size: number) => number, flags = 0,
): KmemCache {
    const a = Math.max(align, KMEM_ALIGN_MIN);
    const buf_size = Math.ceil(obj_size / a) * a;
    const geo = kmem_cache_compute_sizes(buf_size, (flags & KMEM_CF_NO_RECLAIM) !== 0);
    const cache: KmemCache = {
        name, obj_size, align: a, buf_size, slab_size: geo.slab_size, bufs_per_slab: geo.bufs_per_slab,
        flags: flags | geo.flags, nr_objs: 0, nr_bufs: 0, nr_slabs: 0, free: [], slab_alloc,
    };
    k.caches.push(cache);
    return cache;
}

function kmem_cache_grow(cache: KmemCache): boolean {
    const base = cache.slab_alloc(cache.slab_size);
    if (base === 0) return false;
    for (let i = cache.bufs_per_slab - 1; i >= 0; i--) cache.free.push(base + i * cache.buf_size);
    cache.nr_bufs += cache.bufs_per_slab;
    cache.nr_slabs++;
    return true;
}

/** A buffer's kernel VA, or 0 when the cache cannot grow (Mach returns 0 too). */
export function kmem_cache_alloc(cache: KmemCache): number {
    if (cache.free.length === 0 && !kmem_cache_grow(cache)) return 0;
    cache.nr_objs++;
    return cache.free.pop()!;
}

export function kmem_cache_free(cache: KmemCache, addr: number): void {
    if (cache.free.includes(addr)) panic(`mem: error: kmem_cache_free(): attempting to free the same address twice, cache: ${cache.name}`);
    cache.nr_objs--;
    cache.free.push(addr);
}

/** slab_info() lines (GNU Mach's columns). */
export function slab_info(k: Kernel, print: (line: string) => void): void {
    print("cache                  obj slab  bufs   objs   bufs    total reclaimable");
    print("name                  size size /slab  usage  count   memory      memory");
    for (const c of k.caches) {
        const total = c.nr_slabs * c.slab_size;
        print(`${c.name.padEnd(20)} ${String(c.obj_size).padStart(5)} ${String(c.slab_size / 1024).padStart(3)}k ` +
            `${String(c.bufs_per_slab).padStart(5)} ${String(c.nr_objs).padStart(6)} ${String(c.nr_bufs).padStart(6)} ` +
            `${String(total / 1024).padStart(7)}k ${String(0).padStart(10)}k`);
    }
}
