/*
 * kernel/device/ds_routines.ts — models the kernel-VA side of
 * device/ds_routines.c (GNU Mach 2014): the device_io_map submap created by
 * mach_device_init, and device_read_alloc, which backs every out-of-line
 * device_read with kmem_alloc(kernel_map, round_page(size)).
 */
import type { BootedKernel } from "../kern/kernel.ts";
import { round_page } from "../i386/vm_param.ts";
import { kmem_alloc, kmem_submap, type KmemResult } from "../vm/vm_kern.ts";
import type { VmMapEntrySource } from "../vm/vm_map.ts";

/** mach_device_init: device_io_map, not pageable, waits for space instead of failing. */
export function mach_device_init(k: BootedKernel, source: VmMapEntrySource): void {
    const map = kmem_submap(
        k,
        k.kernel_map,
        k.params.device_io_map_size,
        false,
        "device_io_map",
        source,
    );
    map.wait_for_space = true;
    k.device_io_map = map;
}

/** device_read_alloc: the kernel buffer of an out-of-line device read. */
export function device_read_alloc(k: BootedKernel, size: number, who: string): KmemResult {
    return kmem_alloc(k, k.kernel_map, round_page(size), `device_read_alloc (${who})`);
}
