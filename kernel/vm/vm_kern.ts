/*
 * kernel/vm/vm_kern.ts — models vm/vm_kern.c of GNU Mach 8d03c760 (2014):
 * kmem_init, kmem_alloc, kmem_alloc_wired, kmem_alloc_aligned,
 * kmem_alloc_pageable, kmem_free and kmem_submap.
 *
 * As in Mach, a shortage of kernel VA fails (KERN_NO_SPACE, with Mach's
 * printf_once message, after one slab_collect() retry as from 134d5b6b)
 * while a shortage of physical pages would block in VM_PAGE_WAIT.
 * printf_once flags are per call site, as Mach's.
 *
 * Departures: the functions take the Kernel as first argument and return
 * {kr, addr} instead of writing through a pointer; a physical shortage
 * during boot panics (nothing could ever wake the waiter); `tag` names the
 * caller for the layout tree; the "no more room" messages name the map
 * ("kernel_map") where Mach prints its address (%p); kmem_alloc_pages
 * neither inserts the pages into an object nor wires them through
 * vm_page_wire (they are grabbed wired, see vm_resident.ts for what the
 * vm_page array shows of them).
 */
import { KERN_SUCCESS, type KernReturn } from "../kern/kern_return.ts";
import { panic } from "../kern/debug.ts";
import { printf_once, type Kernel } from "../kern/kernel.ts";
import { pmap_enter, pmap_extract, pmap_remove } from "../i386/pmap.ts";

import { round_page, trunc_page } from "../i386/vm_param.ts";
import {
    vm_map_create,
    vm_map_enter,
    vm_map_find_entry,
    vm_map_lookup_entry,
    vm_map_remove,
    vm_map_submap,
    type VmMap,
    type VmMapEntry,
    type VmMapEntrySource,
    type VmMapHooks,
} from "./vm_map.ts";
import { vm_object_allocate, vm_object_reference, type VmObject } from "./vm_object.ts";
import { VM_PAGE_TO_PHYS, vm_page_grab, vm_page_lookup_phys, vm_page_release } from "./vm_page.ts";
import { VM_INHERIT_DEFAULT, VM_PROT_ALL, VM_PROT_DEFAULT } from "./vm_prot.ts";

export interface KmemResult {
    kr: KernReturn;
    addr: number;
}

/** What deleting a map range does below vm_map: unmap, and free wired pages. */
function kmem_hooks(k: Kernel): VmMapHooks {
    return {
        entry_delete(_map: VmMap, entry: VmMapEntry, start: number, end: number) {
            if (entry.is_sub_map || entry.wired_count === 0) return;
            // A kmem_realloc'd object is mapped twice until the old region is freed:
            // only the last mapping's removal frees its pages.
            const shared =
                entry.object !== null &&
                entry.object !== k.kernel_object &&
                entry.object.ref_count > 1;
            for (let va = start; va < end && !shared; va += 4096) {
                const pa = pmap_extract(k.kernel_pmap!, va);
                const i = pa ? vm_page_lookup_phys(k.vm_page!, pa) : -1;
                if (i >= 0) vm_page_release(k.vm_page!, i);
            }
            pmap_remove(k.kernel_pmap!, start, end);
        },
        printf_once: (site: string, s: string) => printf_once(k, site, s),
    };
}

/** kmem_init: kernel_map spans the direct map plus the reserve; entry #1 covers what is in use. */
export function kmem_init(k: Kernel, start: number, end: number, source: VmMapEntrySource): VmMap {
    const min = k.params.vm_min_kernel_address;
    const map = vm_map_create(k.kernel_pmap, min, end, false, source, kmem_hooks(k), "kernel_map");
    k.kernel_map = map;
    if (start !== min) {
        const r = vm_map_enter(
            map,
            min,
            start - min,
            0,
            true,
            null,
            0,
            false,
            VM_PROT_DEFAULT,
            VM_PROT_ALL,
            VM_INHERIT_DEFAULT,
            "direct map + pmap_steal_memory",
        );
        if (r.kr !== KERN_SUCCESS) panic(`kmem_init: vm_map_enter failed (${r.kr})`);
    }
    return map;
}

/** Grab, wire and map a physical page for every page of [addr, addr+size). */
function kmem_alloc_pages(k: Kernel, addr: number, size: number): void {
    for (let va = addr; va < addr + size; va += 4096) {
        const i = vm_page_grab(k.vm_page!);
        if (i < 0)
            panic(
                "kmem_alloc_pages: out of physical memory during boot (VM_PAGE_WAIT would never return)",
            );
        pmap_enter(k.kernel_pmap!, va, VM_PAGE_TO_PHYS(k.vm_page!, i), VM_PROT_DEFAULT, true);
    }
}

/** One VA search, retried once after slab_collect() as GNU Mach does since 2014-02-06. */
function find_with_retry(
    k: Kernel,
    map: VmMap,
    size: number,
    mask: number,
    object: VmObject | null,
    tag: string,
) {
    let r = vm_map_find_entry(map, size, mask, object, tag);
    if (r.kr !== KERN_SUCCESS) {
        collect(k);
        r = vm_map_find_entry(map, size, mask, object, tag);
    }
    return r;
}

/** The 2014-02-06 retry: reap free slabs (rate limited by slab_collect itself), then search again. */
function collect(k: Kernel): void {
    k.allocator.kmem_alloc_retry();
}

/** vm_kern.c's printf_once calls in 8d03c760: site and text (kmem_alloc_aligned's has three o's). */
const KMEM_ONCE = {
    kmem_alloc: { site: "vm/vm_kern.c:404", text: "no more room for kmem_alloc" },
    kmem_realloc: { site: "vm/vm_kern.c:481", text: "no more room for kmem_realloc" },
    kmem_alloc_wired: { site: "vm/vm_kern.c:578", text: "no more room for kmem_alloc_wired" },
    kmem_alloc_aligned: {
        site: "vm/vm_kern.c:664",
        text: "no more rooom for kmem_alloc_aligned",
    },
    kmem_alloc_pageable: {
        site: "vm/vm_kern.c:726",
        text: "no more room for kmem_alloc_pageable",
    },
} as const;

function fail(
    k: Kernel,
    fn: keyof typeof KMEM_ONCE,
    map: VmMap,
    size: number,
    kr: KernReturn,
    tag: string,
): KmemResult {
    const once = KMEM_ONCE[fn];
    printf_once(k, once.site, `${once.text} in ${map.name}\n`);
    k.failed = {
        what: `${fn}(${map.name}, ${round_page(size)}) for ${tag}`,
        map: map.name,
        size,
        kr,
    };
    return { kr, addr: 0 };
}

/** kmem_alloc: contiguous wired memory with an object of its own (never merges with neighbours). */
export function kmem_alloc(k: Kernel, map: VmMap, size: number, tag = "kmem_alloc"): KmemResult {
    size = round_page(size);
    const object = vm_object_allocate(size, tag);
    const r = find_with_retry(k, map, size, 0, null, tag);
    if (r.kr !== KERN_SUCCESS || !r.entry) return fail(k, "kmem_alloc", map, size, r.kr, tag);
    r.entry.object = object;
    r.entry.offset = 0;
    kmem_alloc_pages(k, r.addr, size);
    return { kr: KERN_SUCCESS, addr: r.addr };
}

/** kmem_alloc_wired: wired memory in kernel_object (merges with adjacent kernel_object regions). */
export function kmem_alloc_wired(
    k: Kernel,
    map: VmMap,
    size: number,
    tag = "kmem_alloc_wired",
): KmemResult {
    size = round_page(size);
    const r = find_with_retry(k, map, size, 0, k.kernel_object, tag);
    if (r.kr !== KERN_SUCCESS) return fail(k, "kmem_alloc_wired", map, size, r.kr, tag);
    kmem_alloc_pages(k, r.addr, size);
    return { kr: KERN_SUCCESS, addr: r.addr };
}

/** kmem_alloc_aligned: like kmem_alloc_wired, aligned on its (power of two) size. */
export function kmem_alloc_aligned(
    k: Kernel,
    map: VmMap,
    size: number,
    tag = "kmem_alloc_aligned",
): KmemResult {
    size = round_page(size);
    if ((size & (size - 1)) !== 0) panic("kmem_alloc_aligned");
    const r = find_with_retry(k, map, size, size - 1, k.kernel_object, tag);
    if (r.kr !== KERN_SUCCESS) return fail(k, "kmem_alloc_aligned", map, size, r.kr, tag);
    kmem_alloc_pages(k, r.addr, size);
    return { kr: KERN_SUCCESS, addr: r.addr };
}

/** kmem_alloc_pageable: VA only, no pages (no retry: Mach does not retry this one). */
export function kmem_alloc_pageable(
    k: Kernel,
    map: VmMap,
    size: number,
    tag = "kmem_alloc_pageable",
): KmemResult {
    size = round_page(size);
    const r = vm_map_enter(
        map,
        map.min_offset,
        size,
        0,
        true,
        null,
        0,
        false,
        VM_PROT_DEFAULT,
        VM_PROT_ALL,
        VM_INHERIT_DEFAULT,
        tag,
    );
    if (r.kr !== KERN_SUCCESS) return fail(k, "kmem_alloc_pageable", map, size, r.kr, tag);
    return { kr: KERN_SUCCESS, addr: r.addr };
}

/**
 * kmem_realloc: a larger copy of a kmem_alloc region, found while the old
 * region still exists; the old pages are mapped again at the new address,
 * new pages fill the tail, and the caller frees the old region.
 */
export function kmem_realloc(
    k: Kernel,
    map: VmMap,
    oldaddr: number,
    oldsize: number,
    newsize: number,
): KmemResult {
    const oldmin = trunc_page(oldaddr);
    const oldmax = round_page(oldaddr + oldsize);
    oldsize = oldmax - oldmin;
    newsize = round_page(newsize);
    const r = find_with_retry(k, map, newsize, 0, null, "kmem_realloc");
    if (r.kr !== KERN_SUCCESS || !r.entry)
        return fail(k, "kmem_realloc", map, newsize, r.kr, "kmem_realloc");
    const old = vm_map_lookup_entry(map, oldmin);
    if (!old.found || !old.entry?.object) panic("kmem_realloc");
    const object = old.entry.object;
    if (object.size !== oldsize) panic("kmem_realloc");
    vm_object_reference(object);
    object.size = newsize;
    r.entry.object = object;
    r.entry.offset = 0;
    r.entry.tag = old.entry.tag;
    for (let off = 0; off < oldsize; off += 4096) {
        pmap_enter(
            k.kernel_pmap!,
            r.addr + off,
            pmap_extract(k.kernel_pmap!, oldmin + off),
            VM_PROT_DEFAULT,
            true,
        );
    }
    kmem_alloc_pages(k, r.addr + oldsize, newsize - oldsize);
    return { kr: KERN_SUCCESS, addr: r.addr };
}

export function kmem_free(_k: Kernel, map: VmMap, addr: number, size: number): void {
    const kr = vm_map_remove(map, trunc_page(addr), round_page(addr + size));
    if (kr !== KERN_SUCCESS) panic("kmem_free");
}

/** kmem_submap: carve a submap out of `parent`; any failure panics "kmem_submap". */
export function kmem_submap(
    k: Kernel,
    parent: VmMap,
    size: number,
    pageable: boolean,
    name: string,
    source: VmMapEntrySource,
): VmMap {
    size = round_page(size);
    // The entry takes a reference to vm_submap_object; vm_map_submap drops it again.
    vm_object_reference(k.vm_submap_object);
    const r = vm_map_enter(
        parent,
        parent.min_offset,
        size,
        0,
        true,
        k.vm_submap_object,
        0,
        false,
        VM_PROT_DEFAULT,
        VM_PROT_ALL,
        VM_INHERIT_DEFAULT,
        name,
    );
    if (r.kr !== KERN_SUCCESS) {
        k.failed = { what: `kmem_submap(${name}, ${size})`, map: parent.name, size, kr: r.kr };
        panic("kmem_submap");
    }
    const map = vm_map_create(
        k.kernel_pmap,
        r.addr,
        r.addr + size,
        pageable,
        source,
        kmem_hooks(k),
        name,
    );
    if (vm_map_submap(parent, r.addr, r.addr + size, map) !== KERN_SUCCESS) panic("kmem_submap");
    return map;
}
