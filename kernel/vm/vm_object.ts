/*
 * kernel/vm/vm_object.ts — models the part of vm/vm_object.c (GNU Mach, 2014,
 * commit 8d03c760) that vm_map needs: allocation, references and
 * vm_object_coalesce.
 *
 * An object is an identity, a size, a reference count and — for the
 * anonymous memory of user tasks — its resident pages (offset → vm_page
 * index), a shadow (the object it was copied from, for copy-on-write) and
 * what the default pager holds for it (offset → paging-area slot). Kernel
 * objects (kernel_object, the submap object, kmem_alloc objects) never get
 * pages here: kernel memory is tracked by the pmap and the allocators.
 * vm_object_coalesce refuses an object referenced more than once, paged out
 * or shadowing another, as Mach does. `shadowed` and `use_shared_copy` are
 * Mach's flags for vm_map_fork's copy strategies.
 *
 * Departures: copy objects, pager ports, paging_in_progress, the object
 * cache and vm_object_collapse (which vm_object_coalesce tries first in
 * Mach) are not modelled. Objects live in the host heap; user objects also
 * take a struct vm_object from vm_object_cache (kva), whose fields are not
 * written.
 *
 * kernel_object and vm_submap_object are statically allocated in Mach and
 * set up by vm_object_bootstrap; here the boot code creates them with
 * vm_object_allocate under the names below, one pair per boot. vm_map
 * recognizes vm_submap_object by that name (vm_map_submap).
 */
import { assert } from "../kern/debug.ts";

export interface VmObject {
    /** Creation number, unique in the process; for dumps only. */
    id: number;
    /** Bytes; grows through vm_object_coalesce. */
    size: number;
    /** "kernel_object", "vm_submap_object", "kmem_alloc object", … */
    name: string;
    /** References from map entries and from the kernel; never below 0. */
    ref_count: number;
    /** Resident pages: offset → vm_page index (vm_page_insert keeps it). */
    pages: Map<number, number>;
    /** Copy-on-write: the object this one shadows, and where in it offset 0 lies. */
    shadow: VmObject | null;
    shadow_offset: number;
    /** Anonymous memory (pager_created on first pageout: the default pager); also Mach's `temporary`. */
    internal: boolean;
    /** A symmetric copy was made of it (vm_object_copy_temporary): sharing it needs a shadow first. */
    shadowed: boolean;
    /** Shared by vm_map_fork's SHARE: later copies would use the delayed (copy object) strategy. */
    use_shared_copy: boolean;
    /** The default pager's copy of paged-out pages: offset → paging-area slot. */
    pager: Map<number, number> | null;
    /** Called when the last reference goes (vm_object_terminate); set by the VM that owns pages. */
    terminate: ((o: VmObject) => void) | null;
    /** vm_object_page_remove(o, start, end): drop resident and paged-out pages in [start, end). */
    page_remove: ((o: VmObject, start: number, end: number) => void) | null;
    /** Kernel VA of the struct vm_object (0: not allocated from vm_object_cache). */
    kva: number;
}

export const KERNEL_OBJECT_NAME = "kernel_object";
export const VM_SUBMAP_OBJECT_NAME = "vm_submap_object";

let vm_object_next_id = 1;

/** A new object with one reference, owned by the caller. */
export function vm_object_allocate(size: number, name = "vm_object"): VmObject {
    return {
        id: vm_object_next_id++,
        size,
        name,
        ref_count: 1,
        pages: new Map(),
        shadow: null,
        shadow_offset: 0,
        internal: false,
        shadowed: false,
        use_shared_copy: false,
        pager: null,
        terminate: null,
        page_remove: null,
        kva: 0,
    };
}

export function vm_object_reference(object: VmObject | null): void {
    if (object === null) return;
    assert(object.ref_count > 0, () => `vm_object_reference: ${object.name} has no references`);
    object.ref_count++;
}

/**
 * Drops one reference. At zero an object with a `terminate` hook is
 * terminated (its pages freed, its paging-area slots released, its shadow
 * dereferenced); other objects just stay at 0 references (Mach's object
 * cache is not modelled).
 */
export function vm_object_deallocate(object: VmObject | null): void {
    if (object === null) return;
    assert(object.ref_count > 0, () => `vm_object_deallocate: ${object.name} has no references`);
    object.ref_count--;
    if (object.ref_count === 0 && object.terminate) object.terminate(object);
}

/**
 * Whether the range after a map entry can be taken into the entry's object
 * (vm_map_enter's merge from below). Mach refuses when the next range has
 * its own object, or the previous object is referenced more than once (or
 * paged, shadowed, copied, in paging: never the case here); otherwise it
 * grows the previous object to cover the new range.
 */
export function vm_object_coalesce(
    prev_object: VmObject | null,
    next_object: VmObject | null,
    prev_offset: number,
    _next_offset: number,
    prev_size: number,
    next_size: number,
): boolean {
    if (next_object !== null) return false;
    if (prev_object === null) return true;
    if (prev_object.ref_count > 1) return false;
    if (prev_object.shadow !== null || prev_object.pager !== null) return false;
    // Pages may remain beyond the entry's end from an earlier deallocation:
    // the new range must read as zero fill, so they go (as in Mach).
    prev_object.page_remove?.(
        prev_object,
        prev_offset + prev_size,
        prev_offset + prev_size + next_size,
    );
    const newsize = prev_offset + prev_size + next_size;
    if (newsize > prev_object.size) prev_object.size = newsize;
    return true;
}
