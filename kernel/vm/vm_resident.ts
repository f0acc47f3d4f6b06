/*
 * kernel/vm/vm_resident.ts — models vm/vm_resident.c of GNU Mach 8d03c760
 * (2014): vm_page_bootstrap, pmap_steal_memory, pmap_startup and
 * vm_page_create.
 *
 * The stolen areas are real: their kernel VA lies above the direct map
 * (this is what eats kernel_map as RAM grows), every page is backed by a
 * physical page from pmap_next_page and entered in the kernel pmap, and the
 * vm_page array holds a struct vm_page per page in guest RAM, laid out as
 * the modelled version's (44 or 48 bytes) and kept current with the model's
 * state (vm_page_ram.ts); so are the structs vm_page_create takes from
 * vm_page_cache for the module pages.
 *
 * Departures: the VP hash buckets are stolen but stay empty (the model looks
 * pages up on the host); the host keeps its own page table (vm_page.ts).
 */
import { panic } from "../kern/debug.ts";
import type { Kernel } from "../kern/kernel.ts";
import { pmap_enter, pmap_extract } from "../i386/pmap.ts";
import { pmap_free_pages, pmap_next_page } from "../i386at/model_dep.ts";
import { round_page, trunc_page } from "../i386/vm_param.ts";
import {
    vm_page_init,
    vm_page_ram_globals,
    vm_page_release,
    vm_page_table_create,
} from "./vm_page.ts";
import {
    VM_PAGE_LAYOUTS,
    vm_page_bits_pack,
    vm_page_ram_init,
    type VmPageGlobals,
    type VmPageRam,
} from "./vm_page_ram.ts";
import { VM_PROT_READ, VM_PROT_WRITE } from "./vm_prot.ts";
import { printf_x } from "../../util/hex.ts";

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
        if (pa === 0) panic(`${who}: ${printf_x(at)} not mapped`);
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

/**
 * The vm_page array in guest RAM after pmap_startup, in one bulk write:
 * each struct as vm_page_init and vm_page_release leave it (busy and free,
 * phys_addr, pageq.next linking the free list); then vm_page_queue_free and
 * the counts. From here on vm_page.ts keeps it current (vm_page_ram.ts).
 * Sizes without a known layout leave the array as stolen.
 */
function write_vm_page_array(k: Kernel): void {
    const t = k.vm_page!;
    const l = VM_PAGE_LAYOUTS[k.params.vm_page_size];
    if (!l) return;
    const base = k.vm_page_array;
    const page0 = trunc_page(base);
    const npages = (round_page(base + k.vm_page_array_count * l.size) - page0) / 4096;
    const pages = new Float64Array(npages);
    for (let j = 0; j < npages; j++) pages[j] = pmap_extract(k.kernel_pmap!, page0 + j * 4096);
    const globals: VmPageGlobals = {};
    for (const [name, pa] of k.kernel_symbols)
        if (name.startsWith("vm_page_")) globals[name as keyof VmPageGlobals] = pa;
    const r: VmPageRam = {
        mem: k.mem,
        layout: l,
        base,
        count: t.count,
        page0,
        pages,
        extra_va: [],
        extra_pa: [],
        extra_pa_hi: [],
        globals,
        kernelbase: k.params.vm_min_kernel_address,
    };
    const bytes = new Uint8Array(k.vm_page_array_count * l.size);
    const bits = vm_page_bits_pack(l, { busy: 1, free: 1 });
    const link = (i: number) => (t.next[i]! < 0 ? 0 : base + t.next[i]! * l.size);
    if (LITTLE_ENDIAN) {
        // Word stores: several times faster than DataView over ~500k pages.
        const w = new Uint32Array(bytes.buffer);
        const stride = l.size / 4;
        const next = l.pageq_next / 4;
        const phys = l.phys_addr / 4;
        const words = l.bit_words.map((off) => off / 4);
        for (let i = 0, at = 0; i < t.count; i++, at += stride) {
            w[at + next] = link(i);
            for (let n = 0; n < words.length; n++) w[at + words[n]!] = bits[n]!;
            w[at + phys] = t.phys[i]!;
        }
    } else {
        const dv = new DataView(bytes.buffer);
        for (let i = 0; i < t.count; i++) {
            const at = i * l.size;
            dv.setUint32(at + l.pageq_next, link(i), true);
            l.bit_words.forEach((off, n) => dv.setUint32(at + off, bits[n]!, true));
            dv.setUint32(at + l.phys_addr, t.phys[i]!, true);
        }
    }
    kernel_write(k, base, bytes);
    t.ram = r;
    vm_page_ram_globals(t);
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
        const kva = alloc_struct();
        if (kva === 0) panic("vm_page_create");
        const i = vm_page_init(t, pa);
        const r = t.ram;
        if (r) {
            const j = i - r.count;
            const split = 4096 - (kva & 0xfff);
            r.extra_va[j] = kva;
            r.extra_pa[j] = pmap_extract(k.kernel_pmap!, kva);
            r.extra_pa_hi[j] =
                split < r.layout.size ? pmap_extract(k.kernel_pmap!, kva + split) : 0;
            vm_page_ram_init(r, i, pa);
        }
        vm_page_release(t, i);
        n++;
    }
    return n;
}
