/*
 * bench/alloc_child.ts — the allocator benchmark, in one process: the
 * kernel boots (none engine, 256 MiB) on the slab allocator without and
 * with CPU pools and on the zone allocator, then the same patterns run
 * against each: alloc+free pairs, and batches of 100 allocs then their
 * frees, for 16 B, 256 B and 4 KiB objects. Per-op times come from
 * batches of 1000 operations (median and p99 over batches). Then the
 * kentry-cpu-pools workload runs and the kernel memory held for live
 * objects is measured before and after GC. Prints one JSON document.
 */
import { join } from "node:path";
import { run_image } from "../cli/kcommands.ts";
import type { Kernel } from "../kernel/kern/kernel.ts";
import { kmem_cache_alloc, kmem_cache_free, kmem_cache_init, slab_collect } from "../kernel/kern/kmem.ts";
import { consider_zone_gc, zalloc, zfree, zinit } from "../kernel/kern/zalloc.ts";

const ROOT = process.cwd();
const DI = join(ROOT, "images/debian-installer");
const CONFIGS = [
    { name: "slab", preset: "debian-2014-fix", set: [] as string[] },
    { name: "slab+pools", preset: "debian-2014-fix", set: ["cpu_pools=on"] },
    { name: "zone", preset: "zalloc-2011", set: [] as string[] },
];
const OPS = 200_000;

function ops(k: Kernel, size: number): { alloc: () => number; free: (va: number) => void } {
    if (k.kmem) {
        const c = kmem_cache_init(k.kmem, `bench_${size}`, size, 0, null, null, null, 0);
        return { alloc: () => kmem_cache_alloc(k.kmem!, c), free: (va) => kmem_cache_free(k.kmem!, c, va) };
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
    const perOp: number[] = [];
    const t0 = performance.now();
    for (let done = 0; done < OPS;) {
        const b0 = performance.now();
        if (pattern === "pairs") {
            for (let i = 0; i < 500; i++) o.free(o.alloc());
        } else {
            for (let r = 0; r < 5; r++) {
                for (let i = 0; i < 100; i++) held.push(o.alloc());
                while (held.length) o.free(held.pop()!);
            }
        }
        done += 1000;
        perOp.push(((performance.now() - b0) * 1e6) / 1000);
    }
    const ms = performance.now() - t0;
    return { pattern, size, ops_per_s: Math.round((OPS / ms) * 1000), median_ns: Math.round(quantile(perOp, 0.5)), p99_ns: Math.round(quantile(perOp, 0.99)) };
}

function memory(k: Kernel) {
    if (k.kmem) {
        const held = k.kmem.caches.reduce((s, c) => s + c.nr_slabs * c.slab_size, 0);
        const live = k.kmem.caches.reduce((s, c) => s + c.nr_objs * c.obj_size, 0);
        return { held, live, fragmentation_pct: held ? +(100 * (1 - live / held)).toFixed(1) : 0 };
    }
    const z = k.zone!;
    let live = 0;
    let held = z.zalloc_wasted_space;
    for (let zone = z.first_zone; zone; zone = zone.next_zone) {
        live += zone.count * zone.elem_size;
        held += zone.cur_size;
    }
    return { held, live, fragmentation_pct: held ? +(100 * (1 - live / held)).toFixed(1) : 0 };
}

const out: unknown[] = [];
for (const c of CONFIGS) {
    const rows: unknown[] = [];
    await run_image({ image: DI, engine: "none", memory: "256M", preset: c.preset, set: c.set }, {
        inspect: (r) => {
            for (const size of [16, 256, 4096]) for (const p of ["pairs", "batch100"] as const) rows.push(measure(r.kernel!, size, p));
        },
    });
    let mem: unknown = null;
    await run_image({ image: DI, engine: "none", memory: "256M", preset: c.preset, set: c.set, workload: join(ROOT, "workloads/kentry-cpu-pools.json") }, {
        inspect: (r) => {
            const k = r.kernel!;
            const after = memory(k);
            k.ticks += 100 * 1000;
            if (k.kmem) slab_collect(k.kmem);
            else consider_zone_gc(k.zone!);
            mem = { after_workload: after, after_gc: memory(k) };
        },
    });
    out.push({ config: c.name, rows, memory: mem });
}
console.log(JSON.stringify(out));
