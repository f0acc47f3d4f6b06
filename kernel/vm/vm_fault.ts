/*
 * kernel/vm/vm_fault.ts — models vm/vm_fault.c of GNU Mach 8d03c760 (2014)
 * for anonymous memory: vm_map_lookup (the entry, its protection, a
 * zero-fill object made at the first fault, the shadow object a write
 * makes on a needs_copy entry), the page lookup down the shadow chain,
 * page-in from the default pager, zero fill, the copy-on-write copy, and
 * pmap_enter of the result into the task's page tables in guest RAM.
 *
 * As in Mach (software_reference_bits, vm_fault_dirty_handling off): the
 * faulted page is activated only if it is on no pageout queue, and marked
 * referenced; a zero-filled or paged-in page has its modify attribute
 * cleared; the copy-on-write copy is not marked dirty (the write that
 * faulted will dirty it); its source is deactivated and loses every
 * mapping (pmap_page_protect NONE), since the maps sharing it cannot be
 * told apart. A write to a VM_PROT_NOTIFY entry without write permission
 * is KERN_WRITE_PROTECTION_FAILURE.
 *
 * Departures: no object locking, busy pages or paging_in_progress (one
 * CPU, the pager is synchronous): the source of a copy is taken off the
 * queues by vm_page_wire while the copy is made; no shadow-chain collapse;
 * no copy objects (copy_object pushes); unprivileged page allocation waits
 * by running the pageout daemon (vm_page_wait); no wiring faults
 * (change_wiring, user wiring does not exist); only anonymous (internal)
 * objects.
 */
import type { BootedKernel } from "../kern/kernel.ts";
import {
    KERN_INVALID_ADDRESS,
    KERN_PROTECTION_FAILURE,
    KERN_SUCCESS,
    KERN_WRITE_PROTECTION_FAILURE,
    type KernReturn,
} from "../kern/kern_return.ts";
import type { Task } from "../kern/task.ts";
import { pmap_enter, pmap_page_protect, pmap_phys_clear_modify } from "../i386/pmap.ts";
import { trunc_page } from "../i386/vm_param.ts";
import { vm_map_lookup_entry, type VmMapEntry } from "./vm_map.ts";
import type { VmObject } from "./vm_object.ts";
import {
    VM_PAGE_TO_PHYS,
    PAGE_ACTIVE,
    PAGE_INACTIVE,
    PG_REFERENCE,
    vm_page_activate,
    vm_page_deactivate,
    vm_page_flags,
    vm_page_insert,
    vm_page_wire,
} from "./vm_page.ts";
import { vm_page_grab_user, vm_page_wait, vm_pagein, type VmRuntime } from "./vm_pageout.ts";
import { VM_PROT_NONE, VM_PROT_NOTIFY, VM_PROT_WRITE } from "./vm_prot.ts";
import { vm_object_anonymous } from "./vm_user.ts";
import { hex } from "../../util/hex.ts";

/** A page for `what`, waiting (running the pageout daemon) while free memory is below the reserve. */
/** The faulting thread, for the messages of a wait or an out-of-memory panic (made only then). */
interface Faulter {
    task: Task;
    va: number;
}

function page_grab(k: BootedKernel, vm: VmRuntime, who: Faulter): number {
    for (;;) {
        const i = vm_page_grab_user(k, vm);
        if (i >= 0) return i;
        vm_page_wait(k, vm, `${who.task.name} fault at ${hex(who.va)}`);
    }
}

/** vm_map_lookup's object part: a zero-fill object at the first fault, a shadow at the first write. */
function entry_object(k: BootedKernel, task: Task, e: VmMapEntry, write: boolean): VmObject {
    if (e.object === null) {
        e.object = vm_object_anonymous(k, e.vme_end - e.vme_start, `${task.name} anonymous`);
        e.offset = 0;
    }
    if (write && e.needs_copy) {
        // vm_object_shadow: the entry's reference passes to the shadow link.
        const shadow = vm_object_anonymous(k, e.vme_end - e.vme_start, `${task.name} copy`);
        shadow.shadow = e.object;
        shadow.shadow_offset = e.offset;
        e.object = shadow;
        e.offset = 0;
        e.needs_copy = false;
    }
    return e.object;
}

/** Make the page at `offset` of `object` resident from the default pager's copy, if it has one. */
function page_in(
    k: BootedKernel,
    vm: VmRuntime,
    object: VmObject,
    offset: number,
    who: Faulter,
): number {
    const slot = object.pager?.get(offset);
    if (slot === undefined) return -1;
    // The daemon (run by page_grab when memory is short) only pages out, so the offset stays absent.
    const i = page_grab(k, vm, who);
    vm_pagein(k, vm, object, offset, i);
    vm_page_insert(k.vm_page, i, object, offset);
    return i;
}

/**
 * vm_fault(map, vaddr, fault_type, change_wiring=FALSE): resolve a fault of
 * `task` at `va`; KERN_INVALID_ADDRESS outside every entry,
 * KERN_PROTECTION_FAILURE when the entry does not allow the access.
 */
export function vm_fault(k: BootedKernel, task: Task, va: number, fault_type: number): KernReturn {
    const vm = k.vm!;
    const t = k.vm_page;
    t.stats.faults++;
    const map = task.map!;
    va = trunc_page(va >>> 0);
    const hit = vm_map_lookup_entry(map, va);
    if (!hit.found || hit.entry === null) return KERN_INVALID_ADDRESS;
    const e = hit.entry;
    if ((fault_type & e.protection) !== fault_type) {
        return e.protection & VM_PROT_NOTIFY && fault_type & VM_PROT_WRITE
            ? KERN_WRITE_PROTECTION_FAILURE
            : KERN_PROTECTION_FAILURE;
    }
    const write = (fault_type & VM_PROT_WRITE) !== 0;
    const top = entry_object(k, task, e, write);
    const top_offset = e.offset + (va - e.vme_start);
    const who: Faulter = { task, va };

    // Down the shadow chain: resident, or paged out, or keep looking.
    let object: VmObject | null = top;
    let offset = top_offset;
    let i = -1;
    while (object !== null) {
        i = object.pages.get(offset) ?? page_in(k, vm, object, offset, who);
        if (i >= 0) break;
        if (object.shadow === null) break;
        offset += object.shadow_offset;
        object = object.shadow;
    }
    let prot = e.protection;
    if (i < 0) {
        // Nowhere in the chain: zero fill in the top object.
        i = page_grab(k, vm, who);
        k.mem.fill(VM_PAGE_TO_PHYS(t, i), 4096, 0);
        pmap_phys_clear_modify(k.kernel_pmap.globals, VM_PAGE_TO_PHYS(t, i));
        vm_page_insert(t, i, top, top_offset);
        t.stats.zero_fill_count++;
        object = top;
    } else if (object !== top) {
        if (write) {
            // Copy-on-write: the first write gets the top object its own copy.
            // Off the queues while the copy is made, so the daemon cannot take the source away.
            const src = i;
            vm_page_wire(t, src);
            i = page_grab(k, vm, who);
            k.mem.write(VM_PAGE_TO_PHYS(t, i), k.mem.read(VM_PAGE_TO_PHYS(t, src), 4096));
            // Other maps may share the source: every use of it goes, and it ages on the inactive queue.
            vm_page_deactivate(t, src);
            pmap_page_protect(k.kernel_pmap.globals, VM_PAGE_TO_PHYS(t, src), VM_PROT_NONE);
            vm_page_insert(t, i, top, top_offset);
            t.stats.cow_faults++;
        } else {
            prot &= ~VM_PROT_WRITE; // a backing page is never written through
        }
    }
    if (e.needs_copy) prot &= ~VM_PROT_WRITE;
    pmap_enter(task.pmap, va, VM_PAGE_TO_PHYS(t, i), prot, false);
    // software_reference_bits: a page on a pageout queue stays there, marked referenced.
    if (t.state[i] !== PAGE_ACTIVE && t.state[i] !== PAGE_INACTIVE) vm_page_activate(t, i);
    vm_page_flags(t, i, PG_REFERENCE);
    return KERN_SUCCESS;
}
