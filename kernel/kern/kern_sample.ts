/*
 * kernel/kern/kern_sample.ts — a snapshot of the kernel's allocator state:
 * the entries of the kernel maps that the kentry cache backs, the kentries
 * taken, kernel_map's free space, kmem_map's size, and the memory the
 * object allocator holds against the bytes of its live objects.
 *
 * Not Mach code. GNU Mach answers these questions one at a time (kdb's
 * `show map`, slab_info, host_zone_info); mach86 takes all of them at
 * once, at points of a run a developer can name: the steps of a workload,
 * and each task creation and task end of a user run (the series that shows
 * a kernel map's entry count over a build). Taking one is read-only.
 */
import type { Kernel } from "./kernel.ts";
import type { VmMap } from "../vm/vm_map.ts";

export interface Sample {
    label: string;
    ticks: number;
    /** Entries of the non-pageable kernel maps (what the kentry cache backs). */
    kernel_map_entries: number;
    kernel_map_free: number;
    kmem_map_size: number;
    /**
     * Memory the object allocator holds: nr_slabs × slab_size over all
     * caches; zone era: every zone's cur_size plus zget_space's wasted space.
     */
    slab_bytes: number;
    /**
     * Bytes of the live objects: (nr_objs − the objects parked in the
     * cache's CPU pool) × obj_size; zone era: count × elem_size.
     */
    live_bytes: number;
    /** Kernel map entries taken from the kentry cache's slabs (live ones plus any held in its CPU pool). */
    kentries_allocated: number;
}

/** The maps whose entries come from the kentry cache (or zone). */
function kentry_maps(k: Kernel): VmMap[] {
    return [k.kernel_map, k.kmem_map, k.device_io_map, k.zone_map, k.kalloc_map].filter(
        (m): m is VmMap => m !== null,
    );
}

/** The kernel's allocator state now; read-only. */
export function kernel_sample(k: Kernel, label: string): Sample {
    const km = k.kernel_map!;
    return {
        label,
        ticks: k.ticks,
        kernel_map_entries: kentry_maps(k).reduce((s, m) => s + m.nentries, 0),
        kernel_map_free: km.max_offset - km.min_offset - km.size,
        kmem_map_size: k.kmem_map?.size ?? 0,
        slab_bytes: k.allocator.held_bytes(),
        live_bytes: k.allocator.live_bytes(),
        kentries_allocated:
            k.kmem?.caches.find((c) => c.name === "vm_map_kentry")?.nr_objs ??
            k.zone?.vm_map_kentry_zone?.count ??
            0,
    };
}

/** Fragmentation of the allocator's memory: the share of it not holding live objects, in %. */
export function sample_fragmentation(s: Sample): number {
    return s.slab_bytes ? 100 * (1 - s.live_bytes / s.slab_bytes) : 0;
}

/**
 * The samples of a user run. A long run keeps every sample up to
 * SAMPLES_MAX, then one in two (the kept ones stay evenly spread); the
 * peaks are exact, since they are updated at every sample.
 */
export interface SampleSeries {
    samples: Sample[];
    /** Keep one sample in `stride`; doubles each time the series fills up. */
    stride: number;
    seen: number;
    /** The sample with the most kernel map entries, and the one with the most kentries taken. */
    peak_entries: Sample | null;
    peak_kentries: Sample | null;
}

export const SAMPLES_MAX = 4096;

export function sample_series_create(): SampleSeries {
    return { samples: [], stride: 1, seen: 0, peak_entries: null, peak_kentries: null };
}

export function sample_record(k: Kernel, series: SampleSeries, label: string): void {
    const s = kernel_sample(k, label);
    if (!series.peak_entries || s.kernel_map_entries > series.peak_entries.kernel_map_entries)
        series.peak_entries = s;
    if (!series.peak_kentries || s.kentries_allocated > series.peak_kentries.kentries_allocated)
        series.peak_kentries = s;
    if (series.seen++ % series.stride !== 0) return;
    series.samples.push(s);
    if (series.samples.length >= SAMPLES_MAX) {
        series.samples = series.samples.filter((_, i) => i % 2 === 0);
        series.stride *= 2;
    }
}
