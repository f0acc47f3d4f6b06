/*
 * kernel/kern/kalloc.ts — GNU Mach's general purpose allocator on top of
 * the slab allocator (kern/slab.c kalloc part, 8d03c760): 13 power-of-two
 * caches "kalloc_32" … "kalloc_131072" whose slabs come from kmem_map,
 * and anything larger straight from kmem_map. kfree needs the size.
 */
import { assert } from "./debug.ts";
import {
    KMEM_CF_VERIFY,
    KMEM_ERR_REDZONE,
    KMEM_REDZONE_BYTE,
    kmem_cache_alloc,
    kmem_cache_error,
    kmem_cache_free,
    kmem_cache_init,
    type Kmem,
    type KmemCache,
} from "./kmem.ts";
import { hex_digits } from "../../util/hex.ts";

export const KALLOC_FIRST_SHIFT = 5;
export const KALLOC_NR_CACHES = 13;

const PAGE_SIZE = 4096;
const round_page = (size: number): number => Math.ceil(size / PAGE_SIZE) * PAGE_SIZE;

/** kalloc_pagealloc(): kmem_alloc_wired(kmem_map), 0 on failure. */
function kalloc_pagealloc(kmem: Kmem, size: number): number {
    return kmem.backend.pagealloc("kmem_map", round_page(size));
}

function kalloc_pagefree(kmem: Kmem, va: number, size: number): void {
    kmem.backend.pagefree("kmem_map", va, round_page(size));
}

/** kalloc_init(): the kalloc caches, appended to the cache list. */
export function kalloc_init(kmem: Kmem): void {
    assert(kmem.kalloc_caches.length === 0, "kalloc_init: called twice");
    for (let i = 0, size = 1 << KALLOC_FIRST_SHIFT; i < KALLOC_NR_CACHES; i++, size *= 2) {
        kmem.kalloc_caches.push(
            kmem_cache_init(
                kmem,
                `kalloc_${size}`,
                size,
                0,
                null,
                (s) => kalloc_pagealloc(kmem, s),
                (va, s) => kalloc_pagefree(kmem, va, s),
                0,
            ),
        );
    }
}

/** The cache index for `size` (> 0); ≥ KALLOC_NR_CACHES means "straight from kmem_map". */
export function kalloc_get_index(size: number): number {
    assert(size !== 0, "kalloc_get_index: size != 0");
    const s = (size - 1) >>> KALLOC_FIRST_SHIFT;
    return s === 0 ? 0 : 32 - Math.clz32(s);
}

function kalloc_cache(kmem: Kmem, index: number): KmemCache {
    const cache = kmem.kalloc_caches[index];
    assert(cache !== undefined, "kalloc: kalloc_init has not run");
    return cache;
}

/** kalloc(): `size` bytes of wired kernel memory, or 0 (size 0 or no memory). */
export function kalloc(kmem: Kmem, size: number): number {
    if (size === 0) return 0;
    const index = kalloc_get_index(size);
    if (index >= KALLOC_NR_CACHES) return kalloc_pagealloc(kmem, size);
    const cache = kalloc_cache(kmem, index);
    const buf = kmem_cache_alloc(kmem, cache);
    // kalloc_verify(): the bytes past the request are redzone too.
    if (buf !== 0 && cache.flags & KMEM_CF_VERIFY && size < cache.obj_size) {
        kmem.backend.fill(buf + size, cache.obj_size - size, KMEM_REDZONE_BYTE);
    }
    return buf;
}

/** kfree(): gives back what kalloc(size) returned; nothing for a null address or size 0. */
export function kfree(kmem: Kmem, va: number, size: number): void {
    if (va === 0 || size === 0) return;
    const index = kalloc_get_index(size);
    if (index >= KALLOC_NR_CACHES) {
        kalloc_pagefree(kmem, va, size);
        return;
    }
    const cache = kalloc_cache(kmem, index);
    if (cache.flags & KMEM_CF_VERIFY && size < cache.obj_size) {
        // kfree_verify(): [size, obj_size) must still be redzone bytes.
        const tail = kmem.backend.read(va + size, cache.obj_size - size);
        for (let i = 0; i < tail.length; i++) {
            if (tail[i] !== KMEM_REDZONE_BYTE) {
                kmem_cache_error(
                    kmem,
                    cache,
                    va,
                    KMEM_ERR_REDZONE,
                    va + size + i,
                    `found ${hex_digits(tail[i]!, 2)}, expected 0xbb; kfree size ${size}`,
                );
            }
        }
    }
    kmem_cache_free(kmem, cache, va);
}
