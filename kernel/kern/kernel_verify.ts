/*
 * kernel/kern/kernel_verify.ts — every module's invariants at once, for
 * tests after a boot or a workload: the kernel pmap, every kernel map and
 * submap, the resident page table, and the allocator of the era.
 */
import type { Kernel } from "./kernel.ts";
import { kmem_verify } from "./kmem.ts";
import { zone_verify_all } from "./zalloc.ts";
import { pmap_verify } from "../i386/pmap.ts";
import { vm_map_verify, type VmMap } from "../vm/vm_map.ts";
import { vm_page_verify } from "../vm/vm_page.ts";

/** All problems found, each prefixed with the module that reported it; [] when consistent. */
export function kernel_verify(k: Kernel): string[] {
    const out: string[] = [];
    const add = (what: string, problems: string[]) => problems.forEach((p) => out.push(`${what}: ${p}`));
    if (k.kernel_pmap) add("kernel_pmap", pmap_verify(k.kernel_pmap));
    const maps: VmMap[] = [k.kernel_map, k.kmem_map, k.ipc_kernel_map, k.device_io_map, k.zone_map, k.kalloc_map, k.kentry_map]
        .filter((m): m is VmMap => m !== null);
    for (const m of maps) add(m.name, vm_map_verify(m));
    if (k.vm_page) add("vm_page", vm_page_verify(k.vm_page));
    if (k.kmem) add("slab", kmem_verify(k.kmem));
    if (k.zone) add("zalloc", zone_verify_all(k.zone));
    return out;
}
