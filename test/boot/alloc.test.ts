/*
 * Boot tier: the kernel object allocators inside the booted kernel —
 * workloads, slabinfo / zoneinfo / whatis, and the IPC table series.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bootImage } from "../../lib/index.ts";
import { ipc_table_entries } from "../../kernel/ipc/ipc_table.ts";
import { kernel_verify } from "../../kernel/kern/kernel_verify.ts";
import {
    kmem_cache_alloc,
    kmem_cache_free,
    kmem_cache_init,
    kmem_cache_nr_live,
    kmem_verify,
    slab_collect,
    type KmemCache,
} from "../../kernel/kern/kmem.ts";
import { zone_named, zone_verify_all } from "../../kernel/kern/zalloc.ts";
import type { Workload, WorkloadStep } from "../../kernel/kern/workload.ts";
import { vm_map_largest_free } from "../../kernel/vm/vm_map.ts";
import { ROOT, cli } from "./helpers.ts";

const DI = join(ROOT, "images/debian-installer");
const W = (name: string) => join(ROOT, "workloads", `${name}.json`);

describe("allocators in the booted kernel", () => {
    it("boots on the slab allocator: kentry slabs carved from the stolen area, caches verify clean", async () => {
        const r = await bootImage({
            image: DI,
            engine: "none",
            memory: "256M",
            set: ["slab_verify=on"],
        });
        expect(r.status).toBe("ok");
        const k = r.kernel!;
        expect(kmem_verify(k.kmem!)).toEqual([]);
        const kentry = k.kmem!.caches.find((c) => c.name === "vm_map_kentry")!;
        expect(kentry.nr_objs).toBeGreaterThan(0);
        const area = k.stolen.find((s) => s.name === "kentry_data")!;
        const slabs = [...k.kmem!.slab_pages.values()].filter((s) => s.cache === kentry);
        expect(slabs.length).toBeGreaterThan(0);
        for (const s of slabs) expect(s.va >= area.start && s.va < area.end).toBe(true);
    });

    it("boots on the zone allocator in the zone era, zones verify clean", async () => {
        const r = await bootImage({
            image: DI,
            engine: "none",
            memory: "256M",
            preset: "zalloc-2011",
        });
        expect(r.status).toBe("ok");
        expect(r.kernel!.zone).not.toBeNull();
        expect(r.kernel!.kmem).toBeNull();
        expect(zone_verify_all(r.kernel!.zone!)).toEqual([]);
    });

    it("port leak: the IPC table's kmem_realloc fails on a fragmented kmem_map with most of it free", async () => {
        const r = await bootImage({
            image: DI,
            engine: "none",
            memory: "1024M",
            workload: W("port-leak"),
        });
        const w = r.workload!;
        expect(w.status).toBe("failed");
        expect(w.reason).toMatch(/ipc_entry_grow_table\(fakeroot\) failed at \d+ entries/);
        const k = r.kernel!;
        expect(k.console.join("")).toContain("no more room for kmem_realloc in kmem_map");
        const m = k.kmem_map!;
        const free = m.max_offset - m.min_offset - m.size;
        // Fragmentation, not exhaustion: far more free space than the request, no hole big enough.
        expect(free).toBeGreaterThan(10 * k.failed!.size);
        expect(vm_map_largest_free(m).size).toBeLessThan(k.failed!.size);
    });

    it("zone map exhaustion: 12 MiB zone_map panics with the era's text, 64 MiB completes", async () => {
        const small = await bootImage({
            image: DI,
            engine: "none",
            memory: "256M",
            preset: "zalloc-2011",
            set: ["zone_map_size=12M"],
            workload: W("zone-exhaustion"),
        });
        expect(small.workload!.status).toBe("panic");
        expect(small.workload!.reason).toBe("zalloc: no memory for zone task_like");
        const big = await bootImage({
            image: DI,
            engine: "none",
            memory: "256M",
            preset: "zalloc-2011",
            set: ["zone_map_size=64M"],
            workload: W("zone-exhaustion"),
        });
        expect(big.workload!.status).toBe("ok");
        expect(kernel_verify(big.kernel!)).toEqual([]);
        expect(zone_verify_all(big.kernel!.zone!)).toEqual([]);
    });

    it("the kentry workload samples kernel map entries over time (pools on and off)", async () => {
        for (const pools of ["off", "on"]) {
            const r = await bootImage({
                image: DI,
                engine: "none",
                memory: "256M",
                preset: "debian-2014",
                set: ["kentry_pages=3", "vm_map_entry_size=48", `cpu_pools=${pools}`],
                workload: W("kentry-cpu-pools"),
            });
            const w = r.workload!;
            expect(w.samples.length).toBeGreaterThan(10);
            console.log(
                `kentry-cpu-pools, cpu_pools=${pools}: ${w.status}, kernel map entries ` +
                    `${w.samples.map((s) => s.kernel_map_entries).join(" ")}`,
            );
            expect(kmem_verify(r.kernel!.kmem!)).toEqual([]);
        }
    });

    it("make-jobs: a job's objects go when it ends; the run stops with `slots` jobs' objects live, on every allocator", async () => {
        const file = JSON.parse(readFileSync(W("make-jobs"), "utf8")) as Workload;
        const jobs = file.steps.find((s) => s.op === "jobs") as Extract<
            WorkloadStep,
            { op: "jobs" }
        >;
        const per_job = jobs.steps.filter((s) => s.op === "alloc") as Extract<
            WorkloadStep,
            { op: "alloc" }
        >[];
        for (const o of [
            { preset: "debian-2014-fix" },
            { preset: "debian-2014-fix", set: ["cpu_pools=on", "slab_verify=on"] },
            { preset: "zalloc-2011" },
        ]) {
            const r = await bootImage({
                image: DI,
                engine: "none",
                memory: "256M",
                ...o,
                workload: W("make-jobs"),
            });
            const w = r.workload!;
            const k = r.kernel!;
            expect(w.status, JSON.stringify(o)).toBe("ok");
            // One sample at the start, one after each job that ended.
            expect(w.samples.length).toBe(1 + jobs.count - jobs.slots);
            for (const a of per_job) {
                const live = k.kmem
                    ? kmem_cache_nr_live(k.kmem.caches.find((c) => c.name === a.cache)!)
                    : zone_named(k.zone!, a.cache)!.count;
                expect(live, `${a.cache} ${JSON.stringify(o)}`).toBe(jobs.slots * a.count);
            }
            expect(kernel_verify(k)).toEqual([]);
            if (k.kmem) expect(kmem_verify(k.kmem)).toEqual([]);
            else expect(zone_verify_all(k.zone!)).toEqual([]);
        }
    });

    it("kentry exhaustion: one stolen kentry page panics under the port-leak load; x15's growable kentry_map does not", async () => {
        const fixed = await bootImage({
            image: DI,
            engine: "none",
            memory: "1024M",
            set: ["kentry_pages=1"],
            workload: W("port-leak"),
        });
        expect(fixed.workload!.status).toBe("panic");
        expect(fixed.workload!.reason).toBe("vm_map: kentry memory exhausted");
        expect(fixed.workload!.samples.at(-1)!.kernel_map_entries).toBe(63); // one 4 KiB slab of 60-byte entries
        const x15 = await bootImage({
            image: DI,
            engine: "none",
            memory: "1024M",
            preset: "x15-kentry",
            workload: W("port-leak"),
        });
        expect(x15.workload!.status).not.toBe("panic");
        expect(x15.workload!.samples.at(-1)!.kernel_map_entries).toBeGreaterThan(63);
        expect(kernel_verify(x15.kernel!)).toEqual([]);
        const m = x15.kernel!.kentry_map!;
        expect(m.nentries).toBe(1);
        expect(m.size).toBeGreaterThan(4096);
    });

    it("randomized alloc/free in the booted kernel keeps every cache valid and gives kmem_map back after collect", async () => {
        const seed = Number(process.env["KALLOC_SEED"] ?? Date.now() % 100000);
        console.log(`in-kernel slab random seed=${seed} (KALLOC_SEED)`);
        await bootImage({
            image: DI,
            engine: "none",
            memory: "256M",
            set: ["slab_verify=on"],
            inspect: (r) => {
                const k = r.kernel!;
                const kmem = k.kmem!;
                const base = k.kmem_map!.size;
                let s = seed || 1;
                const rnd = (n: number) => {
                    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
                    return s % n;
                };
                const caches = [24, 100, 600, 3000, 9000].map((sz) =>
                    kmem_cache_init(kmem, `r${sz}`, sz, 0, null, null, null, 0),
                );
                const live: [KmemCache, number][] = [];
                for (let step = 0; step < 3000; step++) {
                    if (live.length && rnd(5) < 2) {
                        const [c, va] = live.splice(rnd(live.length), 1)[0]!;
                        kmem_cache_free(kmem, c, va);
                    } else {
                        const c = caches[rnd(caches.length)]!;
                        live.push([c, kmem_cache_alloc(kmem, c)]);
                    }
                    if (step % 100 === 0) expect(kmem_verify(kmem), `step ${step}`).toEqual([]);
                }
                expect(k.kmem_map!.size).toBeGreaterThan(base);
                for (const [c, va] of live) kmem_cache_free(kmem, c, va);
                k.ticks += 1000;
                slab_collect(kmem);
                expect(kmem_verify(kmem)).toEqual([]);
                expect(k.kmem_map!.size).toBe(base);
            },
        });
    });

    it("ipc_table_fill series: powers of two, +4/+8/+16 KiB steps, then +32 KiB up to 967168 entries", () => {
        const s = ipc_table_entries();
        expect(s).toHaveLength(512);
        expect(s.slice(0, 7)).toEqual([4, 8, 16, 32, 64, 128, 256]);
        expect(s).toContain(3840);
        expect(s).toContain(26112);
        expect(s[s.indexOf(26112) + 1]).toBe(27136);
        expect(s.at(-1)).toBe(967168);
        expect(s.at(-2)).toBe(967168);
    });
});

describe("cli: allocator inspectors", () => {
    it("a bad jobs step is a one-line error naming the file and the step, exit 2", () => {
        const dir = mkdtempSync(join(tmpdir(), "mach86-workload-"));
        const cases: [unknown, RegExp][] = [
            [{ op: "jobs", slots: 0, count: 4, steps: [] }, /: \/steps\/0\/slots: must be >= 1\n/],
            [
                {
                    op: "jobs",
                    slots: 2,
                    count: 4,
                    steps: [{ op: "jobs", slots: 1, count: 1, steps: [] }],
                },
                /: \/steps\/0\/steps\/0: jobs cannot nest\n/,
            ],
            [
                { op: "jobs", slots: 2, count: 4, steps: [{ op: "fork" }] },
                /: \/steps\/0\/steps\/0\/op: must be one of "cache", "alloc"/,
            ],
        ];
        cases.forEach(([step, re], i) => {
            const f = join(dir, `w${i}.json`);
            writeFileSync(f, JSON.stringify({ name: "bad", steps: [step] }));
            const r = cli(["workload", DI, f, "--engine", "none"]);
            expect(r.code).toBe(2);
            expect(r.stderr.trim().split("\n")).toHaveLength(1);
            expect(r.stderr).toContain(f);
            expect(r.stderr).toMatch(re);
        });
    });

    it("slabinfo prints slab_info() columns and a totals line; zoneinfo in the zone era; whatis", () => {
        const s = cli(["slabinfo", DI, "--engine", "none", "--memory", "256M"]);
        expect(s.code).toBe(0);
        expect(s.stdout.split("\n")[0]).toBe(
            "cache                  obj slab  bufs   objs   bufs    total reclaimable",
        );
        expect(s.stdout).toMatch(/^vm_map_kentry +60 +4k +63 /m);
        expect(s.stdout).toMatch(/^total: \d+ caches, \d+k memory, \d+k reclaimable$/m);
        const z = cli([
            "zoneinfo",
            DI,
            "--engine",
            "none",
            "--memory",
            "256M",
            "--preset",
            "zalloc-2011",
        ]);
        expect(z.code).toBe(0);
        expect(z.stdout).toMatch(/kernel map entries/);
        expect(cli(["zoneinfo", DI, "--engine", "none"]).code).toBe(2);
        const w = cli(["whatis", DI, "0x80009500", "--engine", "none", "--memory", "256M"]);
        expect(w.stdout).toMatch(/direct map: physical 0x00009500/);
    });
});
