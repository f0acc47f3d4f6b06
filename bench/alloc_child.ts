/*
 * bench/alloc_child.ts — the allocator benchmark, in one process: the
 * kernel boots (none engine, 256 MiB) on the slab allocator without and
 * with CPU pools and on the zone allocator, then the same patterns run
 * against each: alloc+free pairs, and batches of 100 allocs then their
 * frees, for 16 B, 256 B and 4 KiB objects. Rates are alloc+free pairs
 * per second (a batch of 100 allocs and their 100 frees is 100 pairs), as
 * the native baseline counts them; times per pair come from runs of 500
 * pairs (median and p99 over runs), after an untimed warm-up of as many
 * (enough for V8's optimizing tier). Then two
 * workloads with the same object mix run, and the kernel memory held for
 * live objects is measured before and after GC: kentry-cpu-pools, where
 * objects die by independent coin flips, and make-jobs, where they die
 * with their job (a build's lifetimes). Prints one JSON document.
 */
import { join } from "node:path";
import { bootImage } from "../lib/index.ts";
import { kernel_sample, sample_fragmentation } from "../kernel/kern/kern_sample.ts";
import type { Kernel } from "../kernel/kern/kernel.ts";
import type { WorkloadResult } from "../kernel/kern/workload.ts";
import {
    kmem_cache_alloc,
    kmem_cache_free,
    kmem_cache_init,
    slab_collect,
} from "../kernel/kern/kmem.ts";
import { consider_zone_gc, zalloc, zfree, zinit } from "../kernel/kern/zalloc.ts";

const ROOT = process.cwd();
const DI = join(ROOT, "images/debian-installer");
const CONFIGS = [
    { name: "slab", preset: "debian-2014-fix", set: [] as string[] },
    { name: "slab+pools", preset: "debian-2014-fix", set: ["cpu_pools=on"] },
    { name: "zone", preset: "zalloc-2011", set: [] as string[] },
];
/** Alloc+free pairs per pattern and size. */
const PAIRS = 100_000;
/** Pairs per timed run: 500 pairs, or 5 batches of 100 allocs and their frees. */
const RUN = 500;

function ops(k: Kernel, size: number): { alloc: () => number; free: (va: number) => void } {
    if (k.kmem) {
        const c = kmem_cache_init(k.kmem, `bench_${size}`, size, 0, null, null, null, 0);
        return {
            alloc: () => kmem_cache_alloc(k.kmem!, c),
            free: (va) => kmem_cache_free(k.kmem!, c, va),
        };
    }
    const z = zinit(k.zone!, size, 16 * 1024 * 1024, size > 4096 ? size : 4096, 0, `bench_${size}`);
    return { alloc: () => zalloc(k.zone!, z), free: (va) => zfree(k.zone!, z, va) };
}

function quantile(xs: number[], q: number): number {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

function measure(k: Kernel, size: number, pattern: "pairs" | "batch100") {
    const o = ops(k, size);
    const held: number[] = [];
    const run = (): void => {
        if (pattern === "pairs") {
            for (let i = 0; i < RUN; i++) o.free(o.alloc());
        } else {
            for (let r = 0; r < RUN / 100; r++) {
                for (let i = 0; i < 100; i++) held.push(o.alloc());
                while (held.length) o.free(held.pop()!);
            }
        }
    };
    // Untimed warm-up: the cache's first slabs and pool array, and the JIT, before the clock starts.
    for (let done = 0; done < PAIRS; done += RUN) run();
    const perPair: number[] = [];
    const t0 = performance.now();
    for (let done = 0; done < PAIRS; done += RUN) {
        const b0 = performance.now();
        run();
        perPair.push(((performance.now() - b0) * 1e6) / RUN);
    }
    const ms = performance.now() - t0;
    return {
        pattern,
        size,
        pairs_per_s: Math.round((PAIRS / ms) * 1000),
        median_ns_per_pair: Math.round(quantile(perPair, 0.5)),
        p99_ns_per_pair: Math.round(quantile(perPair, 0.99)),
    };
}

/**
 * Memory the allocator holds against the bytes of live objects (objects
 * parked in CPU pools are not live): slab nr_slabs × slab_size; zone
 * cur_size of every zone plus zget_space's wasted space (kern_sample.ts).
 */
function memory(k: Kernel) {
    const s = kernel_sample(k, "");
    return {
        held: s.slab_bytes,
        live: s.live_bytes,
        fragmentation_pct: +sample_fragmentation(s).toFixed(1),
    };
}

/** Mean fragmentation over the second half of the workload's samples (its steady state), and the peak entry count. */
function over_run(w: WorkloadResult) {
    const s = w.samples.filter((x) => x.label !== "start");
    const half = s.slice(Math.floor(s.length / 2));
    const f = half.map(sample_fragmentation);
    return {
        steady_fragmentation_pct: f.length
            ? +(f.reduce((a, b) => a + b, 0) / f.length).toFixed(1)
            : 0,
        peak_kernel_map_entries: Math.max(...w.samples.map((x) => x.kernel_map_entries)),
    };
}

/** Run a workload file on a fresh kernel: its status, and the memory after it and after GC. */
async function workload_memory(c: (typeof CONFIGS)[number], file: string) {
    let mem: unknown = null;
    await bootImage({
        image: DI,
        engine: "none",
        memory: "256M",
        preset: c.preset,
        set: c.set,
        workload: join(ROOT, "workloads", file),
        inspect: (r) => {
            const k = r.kernel!;
            const w = r.workload!;
            const after = memory(k);
            k.ticks += 100 * 1000;
            if (k.kmem) slab_collect(k.kmem);
            else consider_zone_gc(k.zone!);
            mem = {
                workload: file,
                status: w.status,
                reason: w.reason,
                ...over_run(w),
                after_workload: after,
                after_gc: memory(k),
            };
        },
    });
    return mem;
}

// One configuration per process (argv[2]; all of them without it): the
// allocators share functions, and the JIT's view of one would skew the next.
const only = process.argv[2];
const out: unknown[] = [];
for (const c of CONFIGS.filter((x) => only === undefined || x.name === only)) {
    const rows: unknown[] = [];
    await bootImage({
        image: DI,
        engine: "none",
        memory: "256M",
        preset: c.preset,
        set: c.set,
        inspect: (r) => {
            for (const size of [16, 256, 4096])
                for (const p of ["pairs", "batch100"] as const)
                    rows.push(measure(r.kernel!, size, p));
        },
    });
    const memory = [
        await workload_memory(c, "kentry-cpu-pools.json"),
        await workload_memory(c, "make-jobs.json"),
    ];
    out.push({ config: c.name, rows, memory });
}
console.log(JSON.stringify(out));
