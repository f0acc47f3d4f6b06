/*
 * test/unit/kernel/kern/slab.random.test.ts — seeded random alloc/free
 * sequences over several caches (on-slab, DIRECT, off-slab, one buffer per
 * slab, ctor, NORECLAIM bump source, custom source, NOCPUPOOL) and kalloc,
 * with and without VERIFY and CPU pools, under VA limits that make growth
 * fail now and then, with periodic slab_collect.
 *
 * After every step kmem_cache_verify is clean for every cache. Every live
 * object carries a stamp over all its bytes, checked when it is freed (no
 * allocator write ever lands in a live object, no two live objects
 * overlap). At the end everything is freed and collected: kmem_map goes
 * back to its baseline exactly, except with CPU pools and off-slab
 * kmem_cpu_array_128 slabs, where one kmem_slab page and one array slab
 * can never be given back (see the end of run()).
 *
 * The seed is printed; replay with SLAB_SEED=<seed> npx vitest run test/unit/kernel/kern.
 */
import { describe, expect, it } from "vitest";
import { prng } from "../../../prng.ts";
import {
    kalloc,
    kalloc_get_index,
    kalloc_init,
    kfree,
    KALLOC_NR_CACHES,
} from "../../../../kernel/kern/kalloc.ts";
import {
    KMEM_CACHE_NOCPUPOOL,
    KMEM_CACHE_NORECLAIM,
    KMEM_CF_SLAB_EXTERNAL,
    KMEM_GC_INTERVAL,
    kmem_cache_alloc,
    kmem_cache_free,
    kmem_cache_init,
    kmem_cpu_pools_drain,
    kmem_verify,
    kmem_whatis,
    slab_collect,
    type KmemCache,
} from "../../../../kernel/kern/kmem.ts";
import { setup, testSeed } from "./backend.ts";

const PG = 4096;
const STEPS = Number(process.env.SLAB_STEPS ?? 3000);
const SEED = testSeed("SLAB_SEED", "slab random");

interface Spec {
    name: string;
    obj: number;
    align?: number;
    flags?: number;
    ctor?: boolean;
    source?: "kentry" | "custom";
    weight: number;
}

const SPECS: Spec[] = [
    { name: "r_8", obj: 8, weight: 4 },
    { name: "r_60_ctor", obj: 60, ctor: true, weight: 4 },
    { name: "r_200_a32", obj: 200, align: 32, weight: 3 },
    { name: "r_512", obj: 512, weight: 3 },
    { name: "r_1500", obj: 1500, weight: 2 },
    { name: "r_4096", obj: 4096, weight: 2 },
    { name: "r_12000", obj: 12000, weight: 1 },
    { name: "r_40000", obj: 40000, weight: 1 },
    {
        name: "r_kentry",
        obj: 60,
        flags: KMEM_CACHE_NORECLAIM | KMEM_CACHE_NOCPUPOOL,
        source: "kentry",
        weight: 3,
    },
    { name: "r_custom", obj: 300, source: "custom", weight: 2 },
    { name: "r_nopool", obj: 100, flags: KMEM_CACHE_NOCPUPOOL, weight: 2 },
];
const KALLOC_WEIGHT = 4;
const KENTRY_PAGES = 6;

interface Live {
    id: number;
    va: number;
    size: number;
    /** Index in SPECS, or -1 for kalloc. */
    spec: number;
}

function stamp(id: number, size: number): Uint8Array {
    const b = new Uint8Array(size).fill((id * 31 + 7) & 0xff);
    const dv = new DataView(b.buffer);
    if (size >= 4) dv.setUint32(0, id, true);
    if (size >= 8) dv.setUint32(size - 4, ~id >>> 0, true);
    return b;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
}

function run(verify: boolean, cpu_pools: boolean, seed: number): void {
    const next = prng(seed);
    const rnd = (): number => next() / 4294967296;
    const pick = (n: number): number => Math.floor(rnd() * n);
    const { be, kmem } = setup({ verify, cpu_pools, ram: 48 << 20 });
    kalloc_init(kmem);
    const baseline = be.allocated("kmem_map");

    let kentryNext = be.pagealloc("kentry", KENTRY_PAGES * PG);
    let kentryLeft = KENTRY_PAGES * PG;
    let ctorCalls = 0;
    const caches: KmemCache[] = SPECS.map((s) =>
        kmem_cache_init(
            kmem,
            s.name,
            s.obj,
            s.align ?? 0,
            s.ctor
                ? (va: number) => {
                      ctorCalls++;
                      be.write32(va, 0xc0ffee);
                  }
                : null,
            s.source === "kentry"
                ? (size: number) => {
                      if (size > kentryLeft) return 0;
                      const va = kentryNext;
                      kentryNext += size;
                      kentryLeft -= size;
                      return va;
                  }
                : s.source === "custom"
                  ? (size: number) => be.pagealloc("custom", size)
                  : null,
            s.source === "custom"
                ? (va: number, size: number) => be.pagefree("custom", va, size)
                : null,
            s.flags ?? 0,
        ),
    );
    const totalWeight = SPECS.reduce((n, s) => n + s.weight, 0) + KALLOC_WEIGHT;

    const live: Live[] = [];
    let ids = 0;
    let limited = false;
    let lastCollect = 0;
    let failures = 0;
    let collected = 0;

    const check = (step: number, what: string): void => {
        const errs = kmem_verify(kmem);
        if (errs.length)
            throw new Error(`seed ${seed} step ${step} (${what}): ${errs.slice(0, 5).join("; ")}`);
    };

    const freeOne = (i: number, step: number): void => {
        const o = live[i]!;
        live[i] = live[live.length - 1]!;
        live.pop();
        const got = be.read(o.va, o.size);
        if (!sameBytes(got, stamp(o.id, o.size))) {
            throw new Error(
                `seed ${seed} step ${step}: object ${o.id} at ${o.va.toString(16)} (${o.size} B) was overwritten`,
            );
        }
        // Objects of a cache with a ctor go back constructed (CPU pools hand them out as they are).
        if (o.spec >= 0 && SPECS[o.spec]!.ctor) be.write32(o.va, 0xc0ffee);
        if (o.spec < 0) kfree(kmem, o.va, o.size);
        else kmem_cache_free(kmem, caches[o.spec]!, o.va);
    };

    for (let step = 0; step < STEPS; step++) {
        const r = rnd();
        let what: string;
        if (r < 0.5) {
            let w = pick(totalWeight);
            let spec = -1;
            for (let i = 0; i < SPECS.length; i++) {
                if (w < SPECS[i]!.weight) {
                    spec = i;
                    break;
                }
                w -= SPECS[i]!.weight;
            }
            let size: number;
            let va: number;
            if (spec < 0) {
                const k = rnd();
                size =
                    k < 0.7 ? 1 + pick(512) : k < 0.95 ? 513 + pick(16384) : 16385 + pick(200000);
                what = `kalloc(${size})`;
                va = kalloc(kmem, size);
            } else {
                const c = caches[spec]!;
                size = c.obj_size;
                what = `alloc ${c.name}`;
                const before = ctorCalls;
                va = kmem_cache_alloc(kmem, c);
                if (va !== 0 && SPECS[spec]!.ctor) {
                    expect(be.read32(va)).toBe(0xc0ffee);
                    if (!cpu_pools || verify) expect(ctorCalls).toBe(before + 1);
                }
            }
            if (va === 0) {
                failures++;
                if (!limited && SPECS[spec]?.source !== "kentry") {
                    throw new Error(`seed ${seed} step ${step}: ${what} failed without a limit`);
                }
            } else {
                const id = ++ids;
                be.write(va, stamp(id, size));
                live.push({ id, va, size, spec });
                if (spec >= 0 || kalloc_get_index(size) < KALLOC_NR_CACHES) {
                    const w2 = kmem_whatis(kmem, va + pick(size));
                    const want =
                        spec >= 0 ? caches[spec]! : kmem.kalloc_caches[kalloc_get_index(size)]!;
                    if (!w2 || w2.cache !== want || w2.buffer !== va || !w2.allocated) {
                        throw new Error(
                            `seed ${seed} step ${step}: kmem_whatis(${va.toString(16)}) is wrong`,
                        );
                    }
                }
            }
        } else if (r < 0.93) {
            what = "free";
            if (live.length) freeOne(pick(live.length), step);
        } else if (r < 0.96) {
            limited = !limited;
            what = limited ? "limit" : "unlimit";
            be.setLimit("kmem_map", limited ? be.allocated("kmem_map") + pick(4) * PG : undefined);
        } else if (r < 0.99) {
            be.advance(pick(700));
            const before = be.allocated("kmem_map") + be.allocated("custom");
            const within = be.now <= lastCollect + KMEM_GC_INTERVAL;
            const pages = slab_collect(kmem);
            what = `slab_collect → ${pages}`;
            if (within) expect(pages).toBe(0);
            else lastCollect = be.now;
            collected += pages;
            const after = be.allocated("kmem_map") + be.allocated("custom");
            // Without pools, freeing descriptors never allocates: the bytes drop by exactly what was reaped.
            if (!cpu_pools) expect(before - after).toBe(pages * PG);
        } else {
            what = "drain cpu pools";
            kmem_cpu_pools_drain(kmem);
        }
        check(step, what);
    }

    // Give everything back.
    be.setLimit("kmem_map", undefined);
    while (live.length) freeOne(live.length - 1, STEPS);
    check(STEPS, "free all");
    for (let round = 0; round < 3; round++) {
        kmem_cpu_pools_drain(kmem);
        be.advance(KMEM_GC_INTERVAL + 1);
        slab_collect(kmem);
        check(STEPS, `final collect ${round}`);
    }
    const keep = new Set(["kmem_slab", "kmem_cpu_array_128", "r_kentry"]);
    for (const c of kmem.caches) {
        if (!keep.has(c.name)) expect([c.name, c.nr_slabs, c.nr_objs]).toEqual([c.name, 0, 0]);
    }
    expect(caches[8]!.nr_objs).toBe(0); // r_kentry (NORECLAIM) keeps its slabs
    expect(be.allocated("custom")).toBe(0);
    const slab = kmem.kmem_slab_cache!;
    const arr = kmem.caches.find((c) => c.name === "kmem_cpu_array_128");
    if (!arr || !(arr.flags & KMEM_CF_SLAB_EXTERNAL)) {
        expect(slab.nr_slabs).toBe(0);
        expect(be.allocated("kmem_map")).toBe(baseline);
    } else {
        // With off-slab kmem_cpu_array_128 slabs (512 B buffers, i.e. without VERIFY), reaping one
        // frees its descriptor into kmem_slab, whose empty pool has no array: the free path allocates
        // one from kmem_cpu_array_128, which grows again. One slab of each always stays.
        expect([slab.nr_slabs, arr.nr_slabs, arr.nr_objs]).toEqual([1, 1, 1]);
        expect(slab.cpu_pool!.array).not.toBe(0);
        expect(be.allocated("kmem_map")).toBe(baseline + slab.slab_size + arr.slab_size);
    }
    console.log(
        `slab random verify=${verify} cpu_pools=${cpu_pools}: ${STEPS} steps, ${ids} allocations, ` +
            `${failures} failed, ${collected} pages collected, ${ctorCalls} ctor calls`,
    );
}

describe("slab random alloc/free", () => {
    for (const verify of [false, true]) {
        for (const cpu_pools of [false, true]) {
            it(`verify=${verify} cpu_pools=${cpu_pools}`, () => {
                run(verify, cpu_pools, (SEED + (verify ? 2 : 0) + (cpu_pools ? 1 : 0)) >>> 0);
            });
        }
    }
});
