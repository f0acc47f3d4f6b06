/*
 * kernel/device/ramdisk.ts — models device/ramdisk.c of Debian's
 * 50_initrd.patch (Jérémie Koenig, 2010): `$(ramdisk-create)` copies a boot
 * module into wired kernel memory at boot-script *parse* time, so the copy
 * already occupies kernel_map when "%d multiboot modules" is printed.
 */
import { KERN_SUCCESS, type KernReturn } from "../kern/kern_return.ts";
import { ptr, type Kernel } from "../kern/kernel.ts";
import { round_page } from "../i386/vm_param.ts";
import { kmem_alloc } from "../vm/vm_kern.ts";
import { kernel_copy_from_phys } from "../vm/vm_resident.ts";

export const RAMDISK_MAX = 4;

export interface Ramdisk {
    unit: number;
    size: number;
    data: number;
}

/** ramdisk_create(size, initdata): kmem_alloc(kernel_map, round_page(size)) + memcpy. */
export function ramdisk_create(
    k: Kernel,
    disks: Ramdisk[],
    start_pa: number,
    size: number,
): { kr: KernReturn; rd?: Ramdisk } {
    if (disks.length >= RAMDISK_MAX) return { kr: 5 };
    const rsize = round_page(size);
    const r = kmem_alloc(k, k.kernel_map!, rsize, `ramdisk rd${disks.length}`);
    if (r.kr !== KERN_SUCCESS) return { kr: r.kr };
    kernel_copy_from_phys(k, r.addr, start_pa, rsize);
    const rd = { unit: disks.length, size, data: r.addr };
    disks.push(rd);
    k.printf(`rd${rd.unit}: ${size} bytes @${ptr(r.addr)}\n`);
    return { kr: KERN_SUCCESS, rd };
}
