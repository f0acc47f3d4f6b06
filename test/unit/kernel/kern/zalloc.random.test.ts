/*
 * test/unit/kernel/kern/zalloc.random.test.ts — seeded random zalloc / zget
 * / zfree / kalloc / zone_gc sequences over several kinds of zone.
 *
 * After every step: zone_verify_all is clean (free lists walked in guest
 * memory, counts, cur_size, the zone_page_table), each zone's count equals
 * the live elements the test holds, and no two live blocks overlap (each
 * carries its id in its first and last word, checked when it is freed and
 * every 100 steps).
 *
 * The seed is printed; replay with ZALLOC_SEED=<seed> npx vitest run test/unit/kernel/kern/zalloc.random.
 */
import { describe, expect, it } from "vitest";
import {
    ZONE_COLLECTABLE,
    ZONE_EXHAUSTIBLE,
    consider_zone_gc,
    kalloc_zone_init,
    zalloc,
    zfree,
    zget,
    zinit,
    zkalloc,
    zkfree,
    zone_bootstrap,
    zone_gc,
    zone_verify_all,
    zone_whatis,
    type Zone,
} from "../../../../kernel/kern/zalloc.ts";
import { rng, test_seed } from "../vm/helpers.ts";
import { zbackend } from "./zbackend.ts";

const MiB = 1024 * 1024;
const PG = 4096;
const STEPS = 3000;

interface Block {
    id: number;
    va: number;
    /** What was asked for (kalloc) or elem_size. */
    size: number;
    /** Bytes the block really has (kalloc rounds up); the id is stamped in its first and last word. */
    usable: number;
    /** The zone for zalloc'd blocks; null for kalloc blocks. */
    zone: Zone | null;
}

describe("zalloc random", () => {
    for (const era of ["1997", "2011"] as const) {
        it(`era ${era}: random alloc/free over several zones keeps every zone consistent`, () => {
            const seed = test_seed("ZALLOC_SEED", `zalloc random (${era})`);
            const r = rng(seed);
            const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
            const b = zbackend(16 * MiB, { physBytes: 24 * MiB });
            const z = zone_bootstrap(b, {
                zone_map_size: 16 * MiB,
                era,
                zone_check: true,
                zdata_size: 8 * PG,
            });
            kalloc_zone_init(z);
            const zones: Zone[] = [
                zinit(z, 36, 200 * 36, PG, 0, "plain36"),
                zinit(z, 1000, 50 * 1000, PG, 0, "plain1000"),
                zinit(z, 60, 100 * 64, PG, ZONE_EXHAUSTIBLE, "exhaustible"),
                zinit(z, 200, 64 * PG, PG, ZONE_COLLECTABLE, "col200"),
                zinit(z, 3000, 32 * PG, 3 * PG, ZONE_COLLECTABLE, "col3000"),
            ];
            if (era === "2011") zones.push(zinit(z, 40, 100 * 64, PG, 0, "aligned64", 64));
            const kallocSizes = [
                1, 16, 17, 100, 256, 700, 2048, 4000, 4096, 5000, 8192, 9000, 20000,
            ];
            const live: Block[] = [];
            let nextId = 1;
            const stamp = (blk: Block) => {
                b.write32(blk.va, blk.id);
                b.write32(blk.va + blk.usable - 4, blk.id ^ 0x5a5a5a5a);
            };
            const check = (blk: Block) => {
                expect(
                    b.read32(blk.va),
                    `block ${blk.id} @0x${blk.va.toString(16)} first word`,
                ).toBe(blk.id);
                expect(b.read32(blk.va + blk.usable - 4), `block ${blk.id} last word`).toBe(
                    (blk.id ^ 0x5a5a5a5a) >>> 0,
                );
            };
            const usable = (size: number) =>
                size >= 16384
                    ? Math.ceil(size / PG) * PG
                    : Math.max(16, 2 ** Math.ceil(Math.log2(size)));
            const add = (va: number, size: number, zone: Zone | null) => {
                const blk = {
                    id: nextId++,
                    va,
                    size,
                    usable: zone !== null ? zone.elem_size : usable(size),
                    zone,
                };
                stamp(blk);
                live.push(blk);
            };

            for (let step = 0; step < STEPS; step++) {
                const x = r();
                if (x < 0.35 || live.length === 0) {
                    const zone = pick(zones);
                    const va = zalloc(z, zone);
                    if (va === 0) expect(zone.zone_name).toBe("exhaustible");
                    else add(va, zone.elem_size, zone);
                } else if (x < 0.45) {
                    const zone = pick(zones);
                    const va = zget(z, zone);
                    if (va !== 0) add(va, zone.elem_size, zone);
                } else if (x < 0.6) {
                    const size = pick(kallocSizes);
                    const va = zkalloc(z, size);
                    expect(va).not.toBe(0);
                    add(va, size, null);
                } else if (x < 0.97) {
                    const i = Math.floor(r() * live.length);
                    const blk = live[i]!;
                    check(blk);
                    live.splice(i, 1);
                    if (blk.zone !== null) zfree(z, blk.zone, blk.va);
                    else zkfree(z, blk.va, blk.size);
                } else if (x < 0.985) {
                    zone_gc(z);
                } else {
                    b.tick += Math.floor(r() * 5000);
                    consider_zone_gc(z);
                }

                const problems = zone_verify_all(z);
                expect(problems, `seed ${seed} step ${step}`).toEqual([]);
                for (const zone of zones) {
                    expect(zone.count, `seed ${seed} step ${step} ${zone.zone_name}`).toBe(
                        live.filter((l) => l.zone === zone).length,
                    );
                }
                if (step % 100 === 0) {
                    for (const blk of live) {
                        check(blk);
                        if (blk.zone !== null) {
                            expect(zone_whatis(z, blk.va + blk.usable - 1)).toMatchObject({
                                kind: "element",
                                zone: blk.zone,
                                element: blk.va,
                                state: "allocated",
                            });
                        }
                    }
                }
            }
            // Free everything and collect: the COLLECTABLE zones give all their pages back — except
            // where elements span pages (col3000), whose stale in_free_list counts can keep pages
            // for more passes (see zalloc.gc.test.ts).
            for (const blk of live.splice(0)) {
                check(blk);
                if (blk.zone !== null) zfree(z, blk.zone, blk.va);
                else zkfree(z, blk.va, blk.size);
            }
            zone_gc(z);
            expect(zone_verify_all(z)).toEqual([]);
            for (const zone of zones.concat(z.k_zone.filter((k): k is Zone => k !== null))) {
                const spans = zone.alloc_size > PG && zone.alloc_size !== zone.elem_size;
                if ((zone.type & ZONE_COLLECTABLE) !== 0 && !spans)
                    expect(zone.cur_size, zone.zone_name).toBe(0);
            }
            expect(b.inuse("kalloc_map")).toBe(0);
            expect(z.stats.zone_gc_pages_freed).toBeGreaterThan(0);
        });
    }
});
