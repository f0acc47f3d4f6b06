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
import { pmap_enter_run, pmap_extract } from "../i386/pmap.ts";
import { pmap_free_pages, pmap_next_pages } from "../i386at/model_dep.ts";
import { round_page, trunc_page } from "../i386/vm_param.ts";
import {
    VM_PAGE_TO_PHYS,
    free_next,
    vm_page_init,
    vm_page_init_run,
    vm_page_ram_globals,
    vm_page_release,
    vm_page_release_all,
    vm_page_table_create,
} from "./vm_page.ts";
import {
    VM_PAGE_LAYOUTS,
    vm_page_bits_pack,
    vm_page_ram_init,
    type VmPageGlobals,
    type VmPageLayout,
    type VmPageRam,
} from "./vm_page_ram.ts";
import type { PhysFill } from "../../emulator/types.ts";
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
    // pmap_next_page for each page, a run of consecutive pages at a time.
    for (let va = round_page(addr); va < addr + size;) {
        const run = pmap_next_pages(k, Math.ceil((addr + size - va) / 4096));
        if (run === null) panic("pmap_steal_memory");
        pmap_enter_run(k.kernel_pmap!, va, run.pa, run.count, VM_PROT_READ | VM_PROT_WRITE, false);
        va += run.count * 4096;
    }
    return addr;
}

/**
 * Copy physical memory (memcpy on physical addresses, as boot code does
 * before paging): in the memory itself where it can (a sparse memory keeps
 * deferred bytes deferred), else through its live views, so the megabytes
 * of modules and ramdisk are not copied twice.
 */
export function phys_copy(k: Kernel, to: number, from: number, len: number): void {
    if (k.mem.copy) {
        k.mem.copy(to, from, len);
        return;
    }
    for (let done = 0; done < len;) {
        const n = Math.min(len - done, 4096 - ((from + done) % 4096));
        k.mem.write(to + done, k.mem.view?.(from + done, n) ?? k.mem.read(from + done, n));
        done += n;
    }
}

/** Bytes made at a time for a memory that cannot defer them (phys_fill). */
const FILL_STEP = 64 * 1024;

/**
 * Physical [pa, pa+len) := fill's bytes (PhysMem.defer): deferred where the
 * memory can, else made now FILL_STEP bytes at a time through one buffer.
 */
export function phys_fill(k: Kernel, pa: number, len: number, fill: PhysFill): void {
    if (k.mem.defer) {
        k.mem.defer(pa, len, fill);
        return;
    }
    const buf = new Uint8Array(Math.min(len, FILL_STEP));
    for (let done = 0; done < len; done += FILL_STEP) {
        const b = buf.subarray(0, Math.min(FILL_STEP, len - done)).fill(0);
        fill(b, done);
        k.mem.write(pa + done, b);
    }
}

/**
 * The physically contiguous runs of kernel VA [va, va+len), through the
 * kernel pmap: fn(pa, offset, length) once per run (a stolen area's pages
 * come from one bump allocator, so a run is usually the whole area).
 */
function kernel_runs(
    k: Kernel,
    who: string,
    va: number,
    len: number,
    fn: (pa: number, off: number, n: number) => void,
): void {
    let run_pa = 0;
    let run_off = 0;
    let run_len = 0;
    for (let done = 0; done < len;) {
        const at = va + done;
        const pa = pmap_extract(k.kernel_pmap!, at);
        if (pa === 0) panic(`${who}: ${printf_x(at)} not mapped`);
        const n = Math.min(len - done, 4096 - (at % 4096));
        if (run_len > 0 && pa === run_pa + run_len) run_len += n;
        else {
            if (run_len > 0) fn(run_pa, run_off, run_len);
            run_pa = pa;
            run_off = done;
            run_len = n;
        }
        done += n;
    }
    if (run_len > 0) fn(run_pa, run_off, run_len);
}

/** Copy physical memory to kernel virtual memory. */
export function kernel_copy_from_phys(k: Kernel, va: number, from: number, len: number): void {
    kernel_runs(k, "kernel_copy_from_phys", va, len, (pa, off, n) =>
        phys_copy(k, pa, from + off, n),
    );
}

/** Write `bytes` at kernel VA `va` through the kernel pmap. */
export function kernel_write(k: Kernel, va: number, bytes: Uint8Array): void {
    kernel_runs(k, "kernel_write", va, bytes.length, (pa, off, n) =>
        k.mem.write(pa, bytes.subarray(off, off + n)),
    );
}

/** Kernel VA [va, va+len) := fill's bytes (phys_fill), run by physical run. */
function kernel_fill(k: Kernel, va: number, len: number, fill: PhysFill): void {
    kernel_runs(k, "kernel_fill", va, len, (pa, off, n) =>
        phys_fill(k, pa, n, (dst, at) => fill(dst, off + at)),
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
    // pmap_next_page for each page, a run of consecutive pages at a time.
    for (let run; t.count < npages && (run = pmap_next_pages(k, npages - t.count));)
        vm_page_init_run(t, run.pa, run.count);
    let left = 0;
    for (let run; (run = pmap_next_pages(k, Infinity));) left += run.count;
    k.pages_left_away = left;
    if (left) k.printf(`${left} memory page(s) left away\n`);
    // Reverse order, so that pages are first handed out in ascending addresses.
    vm_page_release_all(t);
    write_vm_page_array(k);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * The vm_page array in guest RAM after pmap_startup: each struct as
 * vm_page_init and vm_page_release leave it (busy and free, phys_addr,
 * pageq.next linking the free list); then vm_page_queue_free and the
 * counts. From here on vm_page.ts keeps it current (vm_page_ram.ts).
 * Sizes without a known layout leave the array as stolen.
 *
 * The ~20 MiB of structs are given to the memory as a fill (PhysMem.defer):
 * a sparse memory makes only the parts that are used, the rest when a dump
 * reads them; the bytes are the same either way.
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
    kernel_fill(k, base, k.vm_page_array_count * l.size, vm_page_array_fill(k, l));
    t.ram = r;
    vm_page_ram_globals(t);
}

/**
 * The bytes of the vm_page array as pmap_startup leaves it, from array
 * offset `off` on. A pure function of what no later change touches: the
 * count, phys_addr of each page (set once) and the free list's links,
 * which pmap_startup leaves in ascending order (page i links to i + 1;
 * anything else is copied here first).
 */
function vm_page_array_fill(k: Kernel, l: VmPageLayout): PhysFill {
    const t = k.vm_page!;
    const base = k.vm_page_array;
    const count = t.count;
    const ascending = count === 0 || t.free_ascending;
    const next = ascending ? null : Int32Array.from({ length: count }, (_, i) => free_next(t, i));
    const phys = (i: number) => VM_PAGE_TO_PHYS(t, i);
    const bits = vm_page_bits_pack(l, { busy: 1, free: 1 });
    const stride = l.size / 4;
    const w_next = l.pageq_next / 4;
    const w_phys = l.phys_addr / 4;
    const w_bits = l.bit_words.map((off) => off / 4);
    const link = (i: number): number => {
        const n = next ? next[i]! : i + 1 < count ? i + 1 : -1;
        return n < 0 ? 0 : base + n * l.size;
    };
    /** Words [q0, q0 + w.length) of the array into w (zeroed). */
    const words = (w: Uint32Array | DataView, q0: number, nwords: number): void => {
        const put: (q: number, v: number) => void =
            w instanceof DataView
                ? (q, v) => {
                      if (q >= 0 && q < nwords) w.setUint32(q * 4, v, true);
                  }
                : (q, v) => {
                      if (q >= 0 && q < nwords) w[q] = v;
                  };
        const last = Math.min(count, Math.ceil((q0 + nwords) / stride));
        for (let i = Math.floor(q0 / stride); i < last; i++) {
            const at = i * stride - q0;
            put(at + w_next, link(i));
            for (let b = 0; b < w_bits.length; b++) put(at + w_bits[b]!, bits[b]!);
            put(at + w_phys, phys(i));
        }
    };
    return (dst, off) => {
        const aligned = (off & 3) === 0 && (dst.byteOffset & 3) === 0 && (dst.length & 3) === 0;
        if (!aligned) {
            // Any reader may ask for any bytes: make the words around them.
            const q0 = Math.floor(off / 4);
            const tmp = new Uint8Array((Math.ceil((off + dst.length) / 4) - q0) * 4);
            words(new DataView(tmp.buffer), q0, tmp.length / 4);
            dst.set(tmp.subarray(off - q0 * 4, off - q0 * 4 + dst.length));
            return;
        }
        const n = dst.length / 4;
        words(
            LITTLE_ENDIAN
                ? new Uint32Array(dst.buffer, dst.byteOffset, n)
                : new DataView(dst.buffer, dst.byteOffset, dst.length),
            off / 4,
            n,
        );
    };
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
