/*
 * kernel/vm/vm_object.ts — models the part of vm/vm_object.c (GNU Mach, 2014,
 * commit 8d03c760) that vm_map needs: allocation, references and
 * vm_object_coalesce.
 *
 * An object here is an identity, a size and a reference count. What Mach
 * keeps beside them (resident page list, pager ports, shadow and copy
 * chains, paging_in_progress, the object cache) is not modelled, so every
 * test Mach makes on those fields is taken as passing: an object never has a
 * pager, a shadow or a copy. Objects live in the host heap; their Mach
 * storage (vm_object_cache in kmem_map) is the slab model's business.
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
}

export const KERNEL_OBJECT_NAME = "kernel_object";
export const VM_SUBMAP_OBJECT_NAME = "vm_submap_object";

let vm_object_next_id = 1;

/** A new object with one reference, owned by the caller. */
export function vm_object_allocate(size: number, name = "vm_object"): VmObject {
    return { id: vm_object_next_id++, size, name, ref_count: 1 };
}

export function vm_object_reference(object: VmObject | null): void {
    if (object === null) return;
    assert(object.ref_count > 0, `vm_object_reference: ${object.name} has no references`);
    object.ref_count++;
}

/**
 * Drops one reference. Mach terminates or caches the object at zero; there
 * is nothing to terminate here, the object just stays at 0 references.
 */
export function vm_object_deallocate(object: VmObject | null): void {
    if (object === null) return;
    assert(object.ref_count > 0, `vm_object_deallocate: ${object.name} has no references`);
    object.ref_count--;
}

/**
 * Whether the range after a map entry can be taken into the entry's object
 * (vm_map_enter's merge from below). Mach refuses when the next range has
 * its own object, or the previous object is referenced more than once (or
 * paged, shadowed, copied, in paging: never the case here); otherwise it
 * grows the previous object to cover the new range.
 */
export function vm_object_coalesce(
    prev_object: VmObject | null, next_object: VmObject | null,
    prev_offset: number, _next_offset: number, prev_size: number, next_size: number,
): boolean {
    if (next_object !== null) return false;
    if (prev_object === null) return true;
    if (prev_object.ref_count > 1) return false;
    const newsize = prev_offset + prev_size + next_size;
    if (newsize > prev_object.size) prev_object.size = newsize;
    return true;
}
