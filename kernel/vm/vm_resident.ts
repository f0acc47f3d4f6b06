/*
 * kernel/vm/vm_resident.ts — models vm/vm_resident.c of GNU Mach 8d03c760
 * (2014): vm_page_bootstrap, pmap_steal_memory, pmap_startup and
 * vm_page_create.
 *
 * The stolen areas are real: their kernel VA lies above the direct map
 * (this is what eats kernel_map as RAM grows), every page is backed by a
 * physical page from pmap_next_page and entered in the kernel pmap, and the
 * vm_page array holds a 44-byte struct vm_page per page in guest RAM with
 * phys_addr, the free bit and the free-queue link filled in.
 */
import { panic } from "../kern/debug.ts";
import type { Kernel } from "../kern/kernel.ts";
import { pmap_enter, pmap_extract } from "../i386/pmap.ts";
import { pmap_free_pages, pmap_next_page } from "../i386at/model_dep.ts";
import { round_page, trunc_page } from "../i386/vm_param.ts";
import { vm_page_init, vm_page_release, vm_page_table_create } from "./vm_page.ts";
import { VM_PROT_READ, VM_PROT_WRITE } from "./vm_prot.ts";

/** Offsets in struct vm_page (i386, 2011–2015): pageq 0, listq 8, next 16, object 20, offset 24, bits 28, phys_addr 32. */
const VM_PAGE_PAGEQ_NEXT = 0;
const VM_PAGE_BITS = 28;
const VM_PAGE_PHYS_ADDR = 32;
/** Bit of `free` in the bitfield word: after wire_count:15, inactive, active, laundry. */
const VM_PAGE_BIT_FREE = 1 << 18;

/**
 * Allocate `size` bytes of kernel VA above the direct map (4-byte rounded,
 * not page rounded) and back every new page with a mapped physical page.
 */
export function pmap_steal_memory(k: Kernel, size: number, name = "stolen"): number {
    size = (size + 3) & ~3;
    if (k.virtual_space_start === k.virtual_space_end) {
        k.virtual_space_start = round_page(k.kernel_virtual_start);
        k.virtual_space_end = trunc_page(k.kernel_virtual_end);
    }
    const addr = k.virtual_space_start;
    k.virtual_space_start += size;
    k.stolen.push({ name, start: addr, end: addr + size });
    for (let va = round_page(addr); va < addr + size; va += 4096) {
        const pa = pmap_next_page(k);
        if (pa === null) panic("pmap_steal_memory");
        pmap_enter(k.kernel_pmap!, va, pa, VM_PROT_READ | VM_PROT_WRITE, false);
    }
    return addr;
}

/** Write `bytes` at kernel VA `va` page by page through the kernel pmap. */
/**
 * Copy physical memory (memcpy on physical addresses, as boot code does
 * before paging): through the memory's live views where it has them, so
 * the megabytes of modules and ramdisk are not copied twice.
 */
export function phys_copy(k: Kernel, to: number, from: number, len: number): void {
    for (let done = 0; done < len;) {
        const n = Math.min(len - done, 4096 - ((from + done) % 4096));
        k.mem.write(to + done, k.mem.view?.(from + done, n) ?? k.mem.read(from + done, n));
        done += n;
    }
}

/** [va, va+len) of kernel virtual memory, page by page through the kernel pmap: fn(pa, offset, bytes). */
function kernel_pages(
    k: Kernel,
    who: string,
    va: number,
    len: number,
    fn: (pa: number, off: number, n: number) => void,
): void {
    for (let done = 0; done < len;) {
        const at = va + done;
        const pa = pmap_extract(k.kernel_pmap!, at);
        if (pa === 0) panic(`${who}: ${at.toString(16)} not mapped`);
        const n = Math.min(len - done, 4096 - (at % 4096));
        fn(pa, done, n);
        done += n;
    }
}

/** Copy physical memory to kernel virtual memory. */
export function kernel_copy_from_phys(k: Kernel, va: number, from: number, len: number): void {
    kernel_pages(k, "kernel_copy_from_phys", va, len, (pa, off, n) =>
        phys_copy(k, pa, from + off, n),
    );
}

export function kernel_write(k: Kernel, va: number, bytes: Uint8Array): void {
    kernel_pages(k, "kernel_write", va, bytes.length, (pa, off, n) =>
        k.mem.write(pa, bytes.subarray(off, off + n)),
    );
}

/**
 * Steal the kentry area (and, in the zone era, zdata), the VP hash buckets
 * and the vm_page array; build the free list.
 */
export function vm_page_bootstrap(k: Kernel, zdata_size = 0): { start: number; end: number } {
    const p = k.params;
    k.kentry_data_size = p.kentry_pages * 4096;
    k.kentry_data = pmap_steal_memory(k, k.kentry_data_size, "kentry_data");
    if (zdata_size) k.zdata = pmap_steal_memory(k, zdata_size, "zdata");

    // The first power of two that is at least the number of physical pages.
    const npages = pmap_free_pages(k);
    let buckets = 1;
    while (buckets < npages) buckets *= 2;
    k.vm_page_bucket_count = buckets;
    k.vm_page_buckets = pmap_steal_memory(k, buckets * p.vm_page_bucket_size, "VP hash buckets");

    pmap_startup(k);
    k.virtual_space_start = round_page(k.virtual_space_start);
    k.virtual_space_end = trunc_page(k.virtual_space_end);
    k.vm_page!.vm_page_free_count_minimum = k.vm_page!.vm_page_free_count;
    return { start: k.virtual_space_start, end: k.virtual_space_end };
}

function pmap_startup(k: Kernel): void {
    const size = k.params.vm_page_size;
    const vss = k.virtual_space_start;
    const npages = Math.floor(
        (4096 * pmap_free_pages(k) + (round_page(vss) - vss)) / (4096 + size),
    );
    k.vm_page_array = pmap_steal_memory(k, npages * size, "vm_page array");
    k.vm_page_array_count = npages;

    // Room for every page frame: vm_page_create adds the module pages after
    // boot, and growing arrays of ~500k entries then would cost more.
    const max_pfn = Math.ceil(k.phys_last_addr / 4096);
    const t = vm_page_table_create(Math.max(npages, max_pfn), max_pfn);
    k.vm_page = t;
    for (let i = 0; i < npages; i++) {
        const pa = pmap_next_page(k);
        if (pa === null) break;
        vm_page_init(t, pa);
    }
    let left = 0;
    while (pmap_next_page(k) !== null) left++;
    k.pages_left_away = left;
    if (left) k.printf(`${left} memory page(s) left away\n`);
    // Reverse order, so that pages are first handed out in ascending addresses.
    for (let i = t.count; i > 0; i--) vm_page_release(t, i - 1);
    write_vm_page_array(k);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Fill the struct vm_page array in guest RAM: phys_addr, the free bit, the free-queue link. */
function write_vm_page_array(k: Kernel): void {
    const t = k.vm_page!;
    const size = k.params.vm_page_size;
    const bytes = new Uint8Array(k.vm_page_array_count * size);
    const link = (i: number) => (t.next[i]! < 0 ? 0 : k.vm_page_array + t.next[i]! * size);
    if (LITTLE_ENDIAN && size % 4 === 0) {
        // Word stores: several times faster than DataView over ~500k pages.
        const w = new Uint32Array(bytes.buffer);
        const stride = size / 4;
        for (let i = 0, at = 0; i < t.count; i++, at += stride) {
            w[at + VM_PAGE_PAGEQ_NEXT / 4] = link(i);
            w[at + VM_PAGE_BITS / 4] = VM_PAGE_BIT_FREE;
            w[at + VM_PAGE_PHYS_ADDR / 4] = t.phys[i]!;
        }
    } else {
        const dv = new DataView(bytes.buffer);
        for (let i = 0; i < t.count; i++) {
            dv.setUint32(i * size + VM_PAGE_PAGEQ_NEXT, link(i), true);
            dv.setUint32(i * size + VM_PAGE_BITS, VM_PAGE_BIT_FREE, true);
            dv.setUint32(i * size + VM_PAGE_PHYS_ADDR, t.phys[i]!, true);
        }
    }
    kernel_write(k, k.vm_page_array, bytes);
}

/**
 * Hand physical memory [start, end) to the VM after boot (the copied
 * modules). Each page gets a struct vm_page from vm_page_cache (the "vm
 * pages" zone in the zone era), i.e. slab memory in kmem_map.
 */
export function vm_page_create(
    k: Kernel,
    start: number,
    end: number,
    alloc_struct: () => number,
): number {
    const t = k.vm_page!;
    let n = 0;
    for (let pa = round_page(start); pa < trunc_page(end); pa += 4096) {
        if (alloc_struct() === 0) panic("vm_page_create");
        vm_page_release(t, vm_page_init(t, pa));
        n++;
    }
    return n;
}
