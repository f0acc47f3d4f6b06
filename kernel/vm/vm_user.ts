/*
 * kernel/vm/vm_user.ts — models vm/vm_user.c of GNU Mach 2014 (vm_allocate,
 * vm_deallocate, vm_protect on a task's map) and the object life cycle of
 * anonymous memory: vm_object_allocate for a zero-fill entry at its first
 * fault, vm_object_terminate when the last reference goes (pages freed,
 * default-pager slots released, the shadow dereferenced, struct vm_object
 * back to vm_object_cache).
 *
 * Also here: the hooks that tie a user map to its task's pmap, and
 * vm_user_verify, the consistency check between the pmaps and the VM.
 *
 * Departures: the functions take the Task and return {kr, addr} instead of
 * a map and an out-pointer (on failure the address given back is where
 * vm_map_enter started); no projected buffers, so vm_protect's
 * projected_buffer_in_range test never refuses; an object's struct
 * vm_object is allocated from vm_object_cache for its kernel memory, but its
 * fields live on the host; vm_object_terminate frees the pages at once
 * (no object cache, no pager termination messages).
 */
import { printf_once, type BootedKernel } from "../kern/kernel.ts";
import { kobj_alloc, kobj_free } from "../kern/kobj.ts";
import { KERN_INVALID_ARGUMENT, KERN_SUCCESS, type KernReturn } from "../kern/kern_return.ts";
import type { Task } from "../kern/task.ts";
import {
    INTEL_PTE_VALID,
    pmap_entry_read,
    pmap_page_protect,
    pmap_protect,
    pmap_pte,
    pmap_remove,
    pte_to_pa,
    type Pmap,
} from "../i386/pmap.ts";
import { round_page, trunc_page } from "../i386/vm_param.ts";
import {
    vm_map_enter,
    vm_map_lookup_entry,
    vm_map_protect,
    vm_map_remove,
    type VmMapHooks,
} from "./vm_map.ts";
import { vm_object_allocate, vm_object_deallocate, type VmObject } from "./vm_object.ts";
import { VM_PAGE_TO_PHYS, vm_page_lookup_phys, vm_page_release } from "./vm_page.ts";
import { vm_object_pager_release } from "./vm_pageout.ts";
import { default_pager_slot_free } from "../default_pager/default_pager.ts";
import {
    VM_INHERIT_DEFAULT,
    VM_PROT_ALL,
    VM_PROT_DEFAULT,
    VM_PROT_NONE,
    VM_PROT_NOTIFY,
} from "./vm_prot.ts";
import { printf_x } from "../../util/hex.ts";

/** The hooks of a user map: deleting and protecting reach the task's pmap. */
export function user_map_hooks(k: BootedKernel, task: Task): VmMapHooks {
    return {
        entry_delete: (_map, _entry, start, end) => pmap_remove(task.pmap, start, end),
        protect: (_map, start, end, prot) => pmap_protect(task.pmap, start, end, prot),
        printf_once: (site, s) => printf_once(k, site, s),
        object_allocate: (_map, size) => vm_object_anonymous(k, size, `${task.name} shared`),
        object_pmap_protect: (_map, e, all_maps, prot) =>
            vm_object_pmap_protect(
                k,
                e.object,
                e.offset,
                e.vme_end - e.vme_start,
                all_maps ? null : task.pmap,
                e.vme_start,
                prot,
            ),
    };
}

/**
 * vm_object_pmap_protect: lower to `prot` the mappings of the object's pages
 * in [offset, offset + size). With a pmap that holds more than half of the
 * range resident, the whole range of that pmap at `start`; otherwise page by
 * page, on that pmap, or on every mapping when `pmap` is null. NONE follows
 * the shadow chain (pages of shadowed objects are never writable).
 */
function vm_object_pmap_protect(
    k: BootedKernel,
    object: VmObject | null,
    offset: number,
    size: number,
    pmap: Pmap | null,
    start: number,
    prot: number,
): void {
    const t = k.vm_page;
    const g = k.kernel_pmap.globals;
    for (let o = object; o !== null; o = o.shadow) {
        if (pmap !== null && o.pages.size > Math.floor(size / 4096 / 2)) {
            pmap_protect(pmap, start, start + size, prot);
            return;
        }
        for (const [off, i] of o.pages) {
            if (off < offset || off >= offset + size) continue;
            if (pmap === null) pmap_page_protect(g, VM_PAGE_TO_PHYS(t, i), prot);
            else pmap_protect(pmap, start + (off - offset), start + (off - offset) + 4096, prot);
        }
        if (prot !== VM_PROT_NONE) return;
        offset += o.shadow_offset;
    }
}

/** vm_object_terminate for anonymous memory. */
function vm_object_terminate(k: BootedKernel, object: VmObject): void {
    const t = k.vm_page;
    for (const i of [...object.pages.values()]) {
        pmap_page_protect(k.kernel_pmap.globals, VM_PAGE_TO_PHYS(t, i), VM_PROT_NONE);
        vm_page_release(t, i);
    }
    if (k.vm) vm_object_pager_release(k.vm, object);
    kobj_free(k, "vm_object", object.kva);
    object.kva = 0;
    const shadow = object.shadow;
    object.shadow = null;
    vm_object_deallocate(shadow);
}

/** vm_object_page_remove: resident pages (unmapped first) and default-pager slots in [start, end). */
function vm_object_page_remove(
    k: BootedKernel,
    object: VmObject,
    start: number,
    end: number,
): void {
    const t = k.vm_page;
    for (const [offset, i] of [...object.pages]) {
        if (offset < start || offset >= end) continue;
        pmap_page_protect(k.kernel_pmap.globals, VM_PAGE_TO_PHYS(t, i), VM_PROT_NONE);
        vm_page_release(t, i);
    }
    for (const [offset, slot] of [...(object.pager ?? [])]) {
        if (offset < start || offset >= end) continue;
        default_pager_slot_free(k.vm!.pager, slot);
        object.pager!.delete(offset);
    }
}

/** An anonymous (internal) object with its struct from vm_object_cache. */
export function vm_object_anonymous(k: BootedKernel, size: number, name: string): VmObject {
    const o = vm_object_allocate(size, name);
    o.internal = true;
    o.kva = kobj_alloc(k, "vm_object");
    o.terminate = (x) => vm_object_terminate(k, x);
    o.page_remove = (x, start, end) => vm_object_page_remove(k, x, start, end);
    return o;
}

/**
 * vm_allocate: zero-fill memory, anywhere or at trunc_page(addr), of
 * round_page(size) bytes (vm_size_t: a size that rounds past 2^32 is 0, which
 * vm_map_enter refuses); size 0 succeeds with address 0. The object comes at
 * the first fault.
 */
export function vm_allocate(
    task: Task,
    addr: number,
    size: number,
    anywhere: boolean,
): { kr: KernReturn; addr: number } {
    const map = task.map;
    if (!map) return { kr: KERN_INVALID_ARGUMENT, addr };
    if (size === 0) return { kr: KERN_SUCCESS, addr: 0 };
    const start = anywhere ? map.min_offset : trunc_page(addr);
    const r = vm_map_enter(
        map,
        start,
        round_page(size) % 2 ** 32,
        0,
        anywhere,
        null,
        0,
        false,
        VM_PROT_DEFAULT,
        VM_PROT_ALL,
        VM_INHERIT_DEFAULT,
        "vm_allocate",
    );
    return { kr: r.kr, addr: r.kr === KERN_SUCCESS ? r.addr : start };
}

/** vm_deallocate: remove [trunc(addr), round(addr + size)) — 32-bit arithmetic — clamped to the map, as Mach does. */
export function vm_deallocate(task: Task, addr: number, size: number): KernReturn {
    const map = task.map;
    if (!map) return KERN_INVALID_ARGUMENT;
    if (size === 0) return KERN_SUCCESS;
    return vm_map_remove(map, trunc_page(addr), round_page((addr + size) >>> 0));
}

/**
 * vm_protect: KERN_INVALID_ARGUMENT for bits outside VM_PROT_ALL |
 * VM_PROT_NOTIFY, else vm_map_protect (32-bit range, clamped). Mach also
 * refuses a range with a projected buffer; the model has none.
 */
export function vm_protect(
    task: Task,
    addr: number,
    size: number,
    set_max: boolean,
    prot: number,
): KernReturn {
    const map = task.map;
    if (!map || (prot & ~(VM_PROT_ALL | VM_PROT_NOTIFY)) !== 0) return KERN_INVALID_ARGUMENT;
    return vm_map_protect(map, trunc_page(addr), round_page((addr + size) >>> 0), prot, set_max);
}

/**
 * The user side of the VM is consistent: every present user PTE of a
 * live task maps a page that belongs to an object reachable from the map
 * entry covering that address (the entry's object or its shadow chain),
 * and a writable PTE maps a page of the entry's own object.
 */
export function vm_user_verify(k: BootedKernel, tasks: readonly Task[]): string[] {
    const out: string[] = [];
    const t = k.vm_page;
    for (const task of tasks) {
        if (task.state !== "alive" || !task.map) continue;
        const p = task.pmap;
        const span = p.pae ? 0x200000 : 0x400000;
        for (const e of task.map.entries) {
            for (let va = e.vme_start; va < e.vme_end; va += 4096) {
                const pte = pmap_pte(p, va);
                if (pte === null) {
                    va = (Math.floor(va / span) + 1) * span - 4096;
                    continue;
                }
                const lo = pmap_entry_read(p.mem, p.pae, pte);
                if (!(lo & INTEL_PTE_VALID)) continue;
                const i = vm_page_lookup_phys(t, pte_to_pa(lo, p.pae));
                const owner = i >= 0 ? (t.object.get(i) ?? null) : null;
                let o = e.object;
                while (o !== null && o !== owner) o = o.shadow;
                if (owner === null || o === null) {
                    out.push(
                        `${task.name}: PTE for ${printf_x(va)} maps a page not owned by the entry's objects`,
                    );
                } else if (lo & 2 && owner !== e.object) {
                    out.push(
                        `${task.name}: writable PTE for ${printf_x(va)} maps a shadowed (copy-on-write) page`,
                    );
                }
                if (out.length > 20) return out;
            }
        }
        // Nothing mapped outside the map's entries.
        for (let va = 0; va < task.map.max_offset; va += span) {
            if (pmap_pte(p, va) === null) continue;
            for (let a = va; a < va + span; a += 4096) {
                const pte = pmap_pte(p, a)!;
                if (
                    pmap_entry_read(p.mem, p.pae, pte) & INTEL_PTE_VALID &&
                    !vm_map_lookup_entry(task.map, a).found
                ) {
                    out.push(`${task.name}: PTE for ${printf_x(a)} outside every map entry`);
                }
            }
        }
    }
    return out;
}
