/*
 * kernel/kern/kernel.ts — the state of one booted kernel.
 *
 * GNU Mach keeps this state in globals (phys_last_addr, kernel_map,
 * kernel_pmap, vm_page_queue_free, …). mach86 boots many kernels in one
 * process (bisect, tests), so the same globals live in one Kernel object,
 * passed as the first argument to the bootstrap-level functions. Field
 * names are Mach's global names.
 */
import type { Mmu, PhysMem } from "../../emulator/types.ts";
import type { ParsedMbi } from "../../boot/index.ts";
import type { Pmap } from "../i386/pmap.ts";
import type { LayoutParams } from "../presets.ts";
import type { VmMap } from "../vm/vm_map.ts";
import type { VmObject } from "../vm/vm_object.ts";
import type { VmPageTable } from "../vm/vm_page.ts";
import type { Kmem } from "./kmem.ts";
import { NO_ALLOCATOR, type Allocator } from "./allocator.ts";
import { InvariantFailure } from "./debug.ts";
import type { Sched } from "./sched_prim.ts";
import type { Task } from "./task.ts";
import type { VmMapEntrySource, VmMapHooks } from "../vm/vm_map.ts";
import type { VmRuntime } from "../vm/vm_pageout.ts";
import type { Zalloc } from "./zalloc.ts";
import { kernel_image_read, type KernelImageSymbol } from "./kernel_image.ts";

/** A named moment of the boot, for `mach86 layout --at`. */
export type BootPoint = "vm" | "submaps" | "modules" | "end";

/** One allocation that failed, for the panic diagnosis. */
export interface FailedRequest {
    what: string;
    map: string;
    size: number;
    kr: number;
}

export interface Kernel {
    mem: PhysMem;
    /** null on the `none` engine (no CPU: TLB flushes are no-ops). */
    mmu: Mmu | null;
    params: LayoutParams;
    /** Console output of the modelled kernel (Mach's printf). */
    console: string[];
    printf(s: string): void;

    boot_info: ParsedMbi;
    /** Physical extent of the loaded kernel image (start .. end incl. BSS). */
    kernel_start: number;
    kernel_end: number;
    /** Physical end of the kernel's text (etext): [kernel_start, etext) is mapped read-only. */
    kernel_text_end: number;
    /** The image's own symbols the model uses (kernel_image.ts), at their physical addresses. */
    kernel_symbols: ReadonlyMap<KernelImageSymbol, number>;

    phys_first_addr: number;
    phys_last_addr: number;
    avail_next: number;
    avail_remaining: number;
    init_alloc_wrapped: boolean;

    kernel_pmap: Pmap | null;
    kernel_virtual_start: number;
    kernel_virtual_end: number;
    virtual_space_start: number;
    virtual_space_end: number;
    /** Physical pages backing each stolen kernel VA page (for writes through the direct map). */
    kentry_data: number;
    /** What pmap_steal_memory handed out, in order (for whatis and the layout). */
    stolen: { name: string; start: number; end: number }[];
    kentry_data_size: number;
    vm_page_bucket_count: number;
    vm_page_buckets: number;
    vm_page_array: number;
    vm_page_array_count: number;
    pages_left_away: number;

    vm_page: VmPageTable | null;
    kernel_object: VmObject | null;
    vm_submap_object: VmObject | null;
    kernel_map: VmMap | null;
    kmem_map: VmMap | null;
    kalloc_map: VmMap | null;
    zone_map: VmMap | null;
    ipc_kernel_map: VmMap | null;
    /** x15's growable kentry submap (kentry_map_size > 0), and the next free VA in its entry. */
    kentry_map: VmMap | null;
    kentry_map_next: number;
    device_io_map: VmMap | null;
    /** The slab allocator (slab era), or the zone allocator (zalloc era). */
    kmem: Kmem | null;
    zone: Zalloc | null;
    /** Whichever of the two this kernel has, chosen once by vm_mem_bootstrap (allocator.ts). */
    allocator: Allocator;
    /** zdata, stolen in the zone era. */
    zdata: number;
    /** Virtual clock in ticks (hz = 100): advanced by workloads, read by slab_collect / zone_gc. */
    ticks: number;

    /** Layout snapshots taken at named boot points. */
    snapshots: Map<BootPoint, unknown>;
    /** The printf_once call sites that have printed (Mach's static flags). */
    printed_once: Set<string>;
    failed: FailedRequest | null;
    /** kernel_map->size at the "%d multiboot modules" line. */
    kernel_map_size_at_modules: number;

    /** vm_map_entry_cache as an entry source: user maps take their entries from it. */
    vm_map_entry_source: VmMapEntrySource | null;
    /** The hooks a user map gets (pmap_remove / pmap_protect on the task's pmap). */
    user_map_hooks: ((task: Task) => VmMapHooks) | null;
    /** Resident memory, pageout thresholds and the default pager (set up at boot). */
    vm: VmRuntime | null;
    /** Threads and the run queue, once a task has a program to run. */
    sched: Sched | null;
}

export function kernel_create(
    mem: PhysMem,
    mmu: Mmu | null,
    params: LayoutParams,
    boot_info: ParsedMbi,
    image: { start: number; end: number; file: Uint8Array },
): Kernel {
    const own = kernel_image_read(image.file);
    const console: string[] = [];
    return {
        mem,
        mmu,
        params,
        console,
        printf: (s: string) => {
            console.push(s);
        },
        boot_info,
        kernel_start: image.start,
        kernel_end: image.end,
        kernel_text_end: own.text_end ?? image.start,
        kernel_symbols: own.symbols,
        phys_first_addr: 0,
        phys_last_addr: 0,
        avail_next: 0,
        avail_remaining: 0,
        init_alloc_wrapped: false,
        kernel_pmap: null,
        kernel_virtual_start: 0,
        kernel_virtual_end: 0,
        virtual_space_start: 0,
        virtual_space_end: 0,
        kentry_data: 0,
        kentry_data_size: 0,
        stolen: [],
        vm_page_bucket_count: 0,
        vm_page_buckets: 0,
        vm_page_array: 0,
        vm_page_array_count: 0,
        pages_left_away: 0,
        vm_page: null,
        kernel_object: null,
        vm_submap_object: null,
        kernel_map: null,
        kmem_map: null,
        kalloc_map: null,
        zone_map: null,
        ipc_kernel_map: null,
        device_io_map: null,
        kentry_map: null,
        kentry_map_next: 0,
        kmem: null,
        zone: null,
        allocator: NO_ALLOCATOR,
        zdata: 0,
        ticks: 0,
        snapshots: new Map(),
        printed_once: new Set(),
        failed: null,
        kernel_map_size_at_modules: 0,
        vm_map_entry_source: null,
        user_map_hooks: null,
        vm: null,
        sched: null,
    };
}

/**
 * The kernel once pmap_bootstrap (kernel_pmap), vm_page_bootstrap (vm_page)
 * and kmem_init (kernel_map) have run: the code that only runs after them
 * takes a BootedKernel, so these fields are typed as present there.
 */
export interface BootedKernel extends Kernel {
    kernel_pmap: Pmap;
    vm_page: VmPageTable;
    kernel_map: VmMap;
}

/** `k` as a BootedKernel; calling it before those boot stages ran is a bug in mach86. */
export function booted(k: Kernel): BootedKernel {
    if (k.kernel_pmap && k.vm_page && k.kernel_map) return k as BootedKernel;
    throw new InvariantFailure(
        "kernel used before pmap_bootstrap, vm_page_bootstrap and kmem_init ran",
    );
}

/**
 * Mach's printf_once (kern/printf.h): a static flag at each call site, so a
 * site prints once per boot whatever its arguments. `site` names the call
 * site, as file:line in GNU Mach 8d03c760 (e.g. "vm/vm_kern.c:404").
 */
export function printf_once(k: Kernel, site: string, s: string): void {
    if (k.printed_once.has(site)) return;
    k.printed_once.add(site);
    k.printf(s);
}

export function phystokv(k: Kernel, pa: number): number {
    return (pa + k.params.vm_min_kernel_address) >>> 0;
}
