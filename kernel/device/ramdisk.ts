/*
 * kernel/device/ramdisk.ts — models device/ramdisk.c of Debian's
 * 50_initrd.patch (Jérémie Koenig, 2010), as shipped in Debian's 2:1.4-6
 * series and on 8d03c760: `$(ramdisk-create)` copies a boot module into
 * wired kernel memory at boot-script *parse* time, so the copy already
 * occupies kernel_map when "%d multiboot modules" is printed.
 *
 * As in ramdisk.c, the device's size is the page-rounded module size (the
 * copy takes whole pages from the module, DEV_GET_SIZE reports them all),
 * and the line printed is "rd%d: %lu bytes @%p" with that size and the
 * address as Mach's %p prints it (hex, no "0x"): "rd0: 6504448 bytes
 * @fd64c000", as the real gnumach-debian-1.4-6 prints it.
 *
 * Departure: reads and writes (ramdisk_read/ramdisk_write, device_read's
 * data path) are not modelled; only device_read_alloc's kernel_map demand is
 * (kernel/device/ds_routines.ts).
 */
import { KERN_SUCCESS, type KernReturn } from "../kern/kern_return.ts";
import { type Kernel } from "../kern/kernel.ts";
import { round_page } from "../i386/vm_param.ts";
import { kmem_alloc } from "../vm/vm_kern.ts";
import { kernel_copy_from_phys } from "../vm/vm_resident.ts";
import { printf_x } from "../../util/hex.ts";

const RAMDISK_MAX = 4;

export interface Ramdisk {
    unit: number;
    /** rd->size: round_page of the module's size. */
    size: number;
    data: number;
}

/** ramdisk_create(size, initdata): kmem_alloc(kernel_map, round_page(size)) + memcpy of the rounded size. */
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
    const rd = { unit: disks.length, size: rsize, data: r.addr };
    disks.push(rd);
    k.printf(`rd${rd.unit}: ${rd.size} bytes @${printf_x(r.addr)}\n`);
    return { kr: KERN_SUCCESS, rd };
}
