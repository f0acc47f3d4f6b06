/*
 * kernel/kern/workload.ts — drives a booted kernel through its own
 * interfaces (caches or zones, kalloc, kmem_alloc, task creation, IPC table
 * growth, garbage collection) from a small JSON program, and samples the
 * kernel's state as it goes. The format is documented in workloads/README.md.
 *
 * Not Mach code: this stands in for the user programs and kernel activity
 * that real workloads (a build, fakeroot, a fork bomb) generate, so the
 * allocators' failure modes can be reproduced and compared.
 */
import { assert, KernelPanic } from "./debug.ts";
import { booted, type BootedKernel, type Kernel } from "./kernel.ts";
import { kernel_sample, type Sample } from "./kern_sample.ts";
import type { VmMap } from "../vm/vm_map.ts";

import { kmem_cache_init, type KmemCache } from "./kmem.ts";
import { zinit, zone_named, type Zone } from "./zalloc.ts";
import { task_create, task_terminate, type Task } from "./task.ts";
import {
    ipc_entry_grow_table,
    ipc_space_capacity,
    ipc_space_create,
    type IpcSpace,
} from "../ipc/ipc_table.ts";
import { kmem_alloc, kmem_free } from "../vm/vm_kern.ts";

export type WorkloadStep =
    | { op: "cache"; name: string; size: number; align?: number }
    | { op: "alloc"; cache: string; count: number; as: string }
    | { op: "kalloc"; size: number; count: number; as: string }
    | { op: "kmem_alloc"; map: string; size: number; count: number; as: string }
    | { op: "free"; from: string; every?: number; offset?: number; random?: number }
    | { op: "task_create"; count: number; as: string }
    | { op: "task_terminate"; from: string }
    | { op: "ipc_grow"; space: string; times: number }
    | { op: "tick"; ticks: number }
    | { op: "collect" }
    | { op: "sample"; label?: string }
    | { op: "repeat"; times: number; steps: WorkloadStep[] }
    | { op: "jobs"; slots: number; count: number; steps: WorkloadStep[]; after?: WorkloadStep[] };

export interface Workload {
    name: string;
    description: string;
    seed: number;
    steps: WorkloadStep[];
}

export type { Sample } from "./kern_sample.ts";

export interface WorkloadResult {
    status: "ok" | "panic" | "failed";
    reason: string;
    samples: Sample[];
    steps_run: number;
}

/** What a label holds: the objects a step allocated, and how to free one. */
interface Held {
    objs: number[];
    free(va: number): void;
}

/**
 * A map by name. Before kmem_map existed (the zone era), its users (kernel
 * stacks, large buffers) allocated from kernel_map, so kmem_map means
 * kernel_map there, as in thread.ts's stack_alloc.
 */
function workload_map(k: Kernel, name: string): VmMap | null {
    const maps: Record<string, VmMap | null> = {
        kernel_map: k.kernel_map,
        kmem_map: k.kmem_map ?? k.kernel_map,
        zone_map: k.zone_map,
        kalloc_map: k.kalloc_map,
    };
    return maps[name] ?? null;
}

/** One of the booted kernel's own caches (slab era) or zones (zone era). */
function kernel_cache(k: Kernel, name: string): KmemCache | Zone | undefined {
    return k.zone
        ? (zone_named(k.zone, name) ?? undefined)
        : k.kmem!.caches.find((x) => x.name === name);
}

/**
 * Names a workload uses that this kernel does not have: a map it lacks (no
 * zone_map in the slab era, no kalloc_map without kalloc_map_size) or a
 * cache that is neither one of its own nor made by an earlier `cache` step.
 * Returns the first problem, or null. Checked before the workload runs, so
 * a typo is bad input, not a kernel panic.
 */
export function workload_check(k: Kernel, w: Workload): string | null {
    const made = new Set<string>();
    const walk = (steps: readonly WorkloadStep[], where: string): string | null => {
        for (const [i, s] of steps.entries()) {
            const at = `${where}[${i}]`;
            if (s.op === "cache") made.add(s.name);
            if (s.op === "alloc" && !made.has(s.cache) && !kernel_cache(k, s.cache))
                return `${at}: no cache or zone named '${s.cache}' in this kernel (${k.zone ? "zone" : "slab"} era), and no earlier 'cache' step makes one`;
            if (s.op === "kmem_alloc" && !workload_map(k, s.map))
                return `${at}: this kernel has no ${s.map} (${k.zone ? "zone era" : "slab era"}, ${s.map}_size 0)`;
            const inner =
                s.op === "repeat"
                    ? walk(s.steps, `${at}.steps`)
                    : s.op === "jobs"
                      ? (walk(s.steps, `${at}.steps`) ?? walk(s.after ?? [], `${at}.after`))
                      : null;
            if (inner) return inner;
        }
        return null;
    };
    return walk(w.steps, "steps");
}

class Runner {
    private readonly held = new Map<string, Held>();
    private readonly caches = new Map<string, KmemCache | Zone>();
    private readonly tasks = new Map<string, Task[]>();
    private readonly spaces = new Map<string, IpcSpace>();
    private readonly allTasks: Task[] = [];
    /** Inside a job: its labels are "<job>/<label>", so each job's objects are its own. */
    private scope = "";
    private nextJob = 0;
    readonly samples: Sample[] = [];
    steps = 0;
    private rand: number;
    private readonly k: BootedKernel;

    constructor(k: BootedKernel, seed: number) {
        this.k = k;
        this.rand = seed >>> 0 || 1;
    }

    private random(): number {
        this.rand ^= this.rand << 13;
        this.rand >>>= 0;
        this.rand ^= this.rand >>> 17;
        this.rand ^= this.rand << 5;
        this.rand >>>= 0;
        return this.rand / 4294967296;
    }

    /** A step's label as the runner keys it: scoped to the running job, if any. */
    private label(as: string): string {
        return this.scope ? `${this.scope}/${as}` : as;
    }

    private hold(as: string, free: (va: number) => void): Held {
        const label = this.label(as);
        let h = this.held.get(label);
        if (!h) {
            h = { objs: [], free };
            this.held.set(label, h);
        }
        return h;
    }

    private map(name: string): VmMap {
        const m = workload_map(this.k, name);
        assert(m, () => `workload: no map named ${name} (workload_check passed it)`);
        return m;
    }

    /** Run one step; a false return is a Mach-visible failure (KERN_* from an allocation). */
    run(s: WorkloadStep): string | undefined {
        this.steps++;
        const k = this.k;
        switch (s.op) {
            case "cache": {
                const c = k.kmem
                    ? kmem_cache_init(k.kmem, s.name, s.size, s.align ?? 0, null, null, null, 0)
                    : zinit(k.zone!, s.size, 64 * 1024 * 1024, 4096, 0, s.name);
                this.caches.set(s.name, c);
                return undefined;
            }
            case "alloc":
                return this.alloc(s.cache, s.count, s.as);
            case "kalloc": {
                const h = this.hold(s.as, (va) => k.allocator.kfree(va, s.size));
                for (let i = 0; i < s.count; i++) {
                    const va = k.allocator.kalloc(s.size);
                    if (!va) return `kalloc(${s.size}) returned 0`;
                    h.objs.push(va);
                }
                return undefined;
            }
            case "kmem_alloc": {
                const map = this.map(s.map);
                const h = this.hold(s.as, (va) => kmem_free(k, map, va, s.size));
                for (let i = 0; i < s.count; i++) {
                    const r = kmem_alloc(k, map, s.size, `workload ${s.as}`);
                    if (r.kr) return `kmem_alloc(${s.map}, ${s.size}) failed (kr ${r.kr})`;
                    h.objs.push(r.addr);
                }
                return undefined;
            }
            case "free":
                return this.free(s);
            case "task_create": {
                const label = this.label(s.as);
                const list = this.tasks.get(label) ?? [];
                for (let i = 0; i < s.count; i++)
                    list.push(task_create(k, this.allTasks, `${label}${list.length}`));
                this.tasks.set(label, list);
                return undefined;
            }
            case "task_terminate": {
                const label = this.label(s.from);
                for (const t of this.tasks.get(label) ?? []) task_terminate(k, t);
                this.tasks.delete(label);
                return undefined;
            }
            case "ipc_grow":
                return this.ipc_grow(s.space, s.times);
            case "tick":
                k.ticks += s.ticks;
                return undefined;
            case "collect":
                k.allocator.collect();
                return undefined;
            case "sample":
                this.sample(s.label ?? "");
                return undefined;
            case "repeat":
                for (let i = 0; i < s.times; i++) {
                    const failed = this.run_steps(s.steps);
                    if (failed) return failed;
                }
                return undefined;
            case "jobs":
                return this.jobs(s.slots, s.count, s.steps, s.after ?? []);
        }
    }

    private run_steps(steps: readonly WorkloadStep[]): string | undefined {
        for (const sub of steps) {
            const failed = this.run(sub);
            if (failed) return failed;
        }
        return undefined;
    }

    /**
     * A make -jSLOTS of COUNT jobs: a job runs `steps` when it starts (its
     * labels are its own) and frees all it holds when it ends, the way a
     * process's kernel objects go when it exits. With every slot busy, a
     * running job chosen at random (the seeded PRNG) ends, `after` runs,
     * and the next job starts. The workload stops with the last jobs still
     * running (a build looked at mid-way: its steady state).
     */
    private jobs(
        slots: number,
        count: number,
        steps: readonly WorkloadStep[],
        after: readonly WorkloadStep[],
    ): string | undefined {
        const running: string[] = [];
        for (let started = 0; started < count;) {
            if (running.length < slots) {
                const job = `job${this.nextJob++}`;
                running.push(job);
                started++;
                this.scope = job;
                const failed = this.run_steps(steps);
                this.scope = "";
                if (failed) return `${job}: ${failed}`;
                continue;
            }
            const [job] = running.splice(Math.floor(this.random() * running.length), 1);
            this.job_end(job!);
            const failed = this.run_steps(after);
            if (failed) return failed;
        }
        return undefined;
    }

    /** A job exits: every object under its labels is freed, its tasks terminate. */
    private job_end(job: string): void {
        const prefix = `${job}/`;
        for (const [label, h] of [...this.held]) {
            if (!label.startsWith(prefix)) continue;
            for (const va of h.objs) h.free(va);
            this.held.delete(label);
        }
        for (const [label, list] of [...this.tasks]) {
            if (!label.startsWith(prefix)) continue;
            for (const t of list) task_terminate(this.k, t);
            this.tasks.delete(label);
        }
    }

    private alloc(name: string, count: number, as: string): string | undefined {
        const k = this.k;
        const c = this.caches.get(name) ?? kernel_cache(k, name);
        assert(c, () => `workload: no cache or zone named ${name} (workload_check passed it)`);
        const h = this.hold(as, (va) => k.allocator.cache_free(c, va));
        for (let i = 0; i < count; i++) {
            const va = k.allocator.cache_alloc(c);
            if (!va) return `allocation from ${name} returned 0`;
            h.objs.push(va);
        }
        return undefined;
    }

    private free(s: { from: string; every?: number; offset?: number; random?: number }): undefined {
        const h = this.held.get(this.label(s.from));
        if (!h) return undefined;
        const keep: number[] = [];
        h.objs.forEach((va, i) => {
            const pick =
                s.random !== undefined
                    ? this.random() < s.random
                    : s.every
                      ? i % s.every === (s.offset ?? 0)
                      : true;
            if (pick) h.free(va);
            else keep.push(va);
        });
        h.objs = keep;
        return undefined;
    }

    private ipc_grow(name: string, times: number): string | undefined {
        const k = this.k;
        const space = this.spaces.get(name) ?? ipc_space_create(name);
        this.spaces.set(name, space);
        const hooks = {
            kalloc: (n: number) => k.allocator.kalloc(n),
            kfree: (va: number, n: number) => k.allocator.kfree(va, n),
        };
        for (let i = 0; i < times; i++) {
            const kr = ipc_entry_grow_table(k, hooks, space);
            if (kr)
                return `ipc_entry_grow_table(${name}) failed at ${ipc_space_capacity(space)} entries (kr ${kr})`;
        }
        return undefined;
    }

    sample(label: string): void {
        this.samples.push(kernel_sample(this.k, label));
    }
}

/** Run a workload on a booted kernel; a KernelPanic ends it with status "panic". */
export function workload_run(k: Kernel, w: Workload): WorkloadResult {
    const r = new Runner(booted(k), w.seed);
    try {
        for (const s of w.steps) {
            const failed = r.run(s);
            if (failed) {
                r.sample("failed");
                return { status: "failed", reason: failed, samples: r.samples, steps_run: r.steps };
            }
        }
    } catch (e) {
        if (!(e instanceof KernelPanic)) throw e;
        r.sample("panic");
        return { status: "panic", reason: e.panicMessage, samples: r.samples, steps_run: r.steps };
    }
    return { status: "ok", reason: "", samples: r.samples, steps_run: r.steps };
}
