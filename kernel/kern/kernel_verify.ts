/*
 * kernel/kern/kernel_verify.ts — every module's invariants at once, for
 * tests after a boot or a workload: the kernel pmap, every kernel map and
 * submap, the resident page table, the allocator of the era, and for user
 * tasks their maps and pmaps, the VM/pmap consistency and the default pager.
 */
import { booted, type Kernel } from "./kernel.ts";

import { pmap_pv_verify, pmap_verify } from "../i386/pmap.ts";
import { kobj_live } from "./kobj.ts";
import { vm_map_verify, type VmMap } from "../vm/vm_map.ts";
import { vm_page_verify } from "../vm/vm_page.ts";
import { vm_user_verify } from "../vm/vm_user.ts";
import { default_pager_verify } from "../default_pager/default_pager.ts";

/** All problems found, each prefixed with the module that reported it; [] when consistent. */
export function kernel_verify(k: Kernel): string[] {
    const out: string[] = [];
    const add = (what: string, problems: string[]) =>
        problems.forEach((p) => out.push(`${what}: ${p}`));
    if (k.kernel_pmap) add("kernel_pmap", pmap_verify(k.kernel_pmap));
    const maps: VmMap[] = [
        k.kernel_map,
        k.kmem_map,
        k.ipc_kernel_map,
        k.device_io_map,
        k.zone_map,
        k.kalloc_map,
        k.kentry_map,
    ].filter((m): m is VmMap => m !== null);
    for (const m of maps) add(m.name, vm_map_verify(m));
    if (k.vm_page) add("vm_page", vm_page_verify(k.vm_page));
    add(k.allocator.name, k.allocator.verify());
    const tasks = (k.sched?.tasks ?? []).filter((t) => t.state === "alive");
    for (const t of tasks) {
        if (t.map) add(t.map.name, vm_map_verify(t.map));
        add(`${t.name} pmap`, pmap_verify(t.pmap));
    }
    if (tasks.length) add("user VM", vm_user_verify(booted(k), tasks));
    if (k.vm) add("default pager", default_pager_verify(k.vm.pager));
    if (k.kernel_pmap?.globals.pv_alloc) {
        const pv = pmap_pv_verify(k.kernel_pmap.globals);
        const live = kobj_live(k, "pv_entry");
        if (pv.buffers !== live)
            pv.problems.push(
                `${pv.buffers} pv_entry buffers in the lists, ${live} allocated from pv_list_cache`,
            );
        add("pv lists", pv.problems);
    }
    return out;
}
