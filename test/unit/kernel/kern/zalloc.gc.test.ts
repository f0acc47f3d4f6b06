/*
 * test/unit/kernel/kern/zalloc.gc.test.ts — zone_gc and consider_zone_gc.
 *
 * zone_gc gives back to zone_map the pages of COLLECTABLE zones whose
 * elements are all free, and nothing else; before each kmem_free it zallocs
 * then zfrees two vm_map_kentry_zone elements (the 2009-10-14 "Hack Hack").
 * consider_zone_gc compares sched_tick (seconds) with zone_gc_max_rate = hz,
 * so zone_gc runs at most once every 101 s.
 */
import { describe, expect, it } from "vitest";
import {
    ZONE_COLLECTABLE,
    ZONE_FIXED,
    ZONE_PAGEABLE,
    consider_zone_gc,
    kalloc_zone_init,
    sched_tick,
    zalloc,
    zcram,
    zfree,
    zinit,
    zkalloc,
    zkfree,
    zone_bootstrap,
    zone_gc,
    zone_named,
    zone_verify_all,
    type Zalloc,
    type ZallocEra,
    type ZallocOptions,
    type Zone,
} from "../../../../kernel/kern/zalloc.ts";
import { zbackend, type ZTestBackend } from "./zbackend.ts";

const MiB = 1024 * 1024;
const PG = 4096;

function boot(
    era: ZallocEra = "2011",
    extra: Partial<ZallocOptions> = {},
): { z: Zalloc; b: ZTestBackend } {
    const b = zbackend(16 * MiB);
    const z = zone_bootstrap(b, { zone_map_size: 16 * MiB, era, ...extra });
    return { z, b };
}

function freeList(b: ZTestBackend, zone: Zone): number[] {
    const out: number[] = [];
    for (let e = zone.free_elements; e !== 0 && out.length < 100000; e = b.read32(e)) out.push(e);
    return out;
}

/** The kernel map entries zone of vm_map_init: FIXED, crammed with 256 stolen 48-byte entries. */
function kentryZone(z: Zalloc, b: ZTestBackend): Zone {
    const zone = zinit(z, 48, 12288, 12288, ZONE_FIXED, "kernel map entries");
    zcram(z, zone, b.pagealloc("zdata", 3 * PG), 12288);
    z.vm_map_kentry_zone = zone;
    return zone;
}

describe("zone_gc", () => {
    it("frees the wholly free pages of COLLECTABLE zones only", () => {
        const { z, b } = boot();
        kalloc_zone_init(z);
        const col = zinit(z, 256, 64 * PG, PG, ZONE_COLLECTABLE, "col256"); // 16 per page
        const pageable = zinit(z, 256, 64 * PG, PG, ZONE_PAGEABLE | ZONE_COLLECTABLE, "pageable");
        const plain = zone_named(z, "kalloc.256")!; // zget_space, never collected
        const cElems: number[] = [];
        for (let i = 0; i < 64; i++) cElems.push(zalloc(z, col)); // 4 pages
        const pElems: number[] = [];
        for (let i = 0; i < 32; i++) pElems.push(zalloc(z, pageable));
        const kElems: number[] = [];
        for (let i = 0; i < 64; i++) kElems.push(zkalloc(z, 256));
        const big: number[] = [];
        for (let i = 0; i < 6; i++) big.push(zkalloc(z, 4096)); // kalloc.4096: a page each

        const pageOf = (a: number) => Math.floor(a / PG);
        const colPages = [...new Set(cElems.map(pageOf))];
        expect(colPages.length).toBe(4);
        // Free all of two col pages and half of a third; all pageable and plain elements; 4 of 6 kalloc.4096.
        const byPage = (p: number) => cElems.filter((a) => pageOf(a) === p);
        for (const a of [
            ...byPage(colPages[0]!),
            ...byPage(colPages[2]!),
            ...byPage(colPages[1]!).slice(0, 8),
        ])
            zfree(z, col, a);
        for (const a of pElems) zfree(z, pageable, a);
        for (const a of kElems) zkfree(z, a, 256);
        for (const a of big.slice(0, 4)) zkfree(z, a, 4096);

        const before = {
            map: b.inuse("zone_map"),
            col: col.cur_size,
            pg: pageable.cur_size,
            plain: plain.cur_size,
            k4: zone_named(z, "kalloc.4096")!.cur_size,
        };
        const plainFree = freeList(b, plain);
        const callsBefore = b.calls.length;
        const n = zone_gc(z);
        expect(n).toBe(2 + 4);
        expect(b.inuse("zone_map")).toBe(before.map - 6);
        const frees = b.calls.slice(callsBefore);
        expect(frees.every((c) => c.op === "free" && c.map === "zone_map" && c.size === PG)).toBe(
            true,
        );
        expect(new Set(frees.map((c) => c.va))).toEqual(
            new Set([colPages[0]! * PG, colPages[2]! * PG, ...big.slice(0, 4)]),
        );
        expect(col.cur_size).toBe(before.col - 32 * 256);
        expect(freeList(b, col).length).toBe(8); // the half-free page stays
        expect(freeList(b, col).every((a) => pageOf(a) === colPages[1])).toBe(true);
        expect(pageable.cur_size).toBe(before.pg); // PAGEABLE: skipped
        expect(plain.cur_size).toBe(before.plain); // not COLLECTABLE: skipped
        expect(freeList(b, plain)).toEqual(plainFree);
        expect(zone_named(z, "kalloc.4096")!.cur_size).toBe(before.k4 - 4 * PG);
        expect(zone_verify_all(z)).toEqual([]);

        // A second pass finds nothing; freed pages come back through zalloc.
        expect(zone_gc(z)).toBe(0);
        for (let i = 0; i < 40; i++) zalloc(z, col);
        expect(zone_verify_all(z)).toEqual([]);
    });

    it("kalloc.8192: an element spans two pages and both are freed", () => {
        const { z, b } = boot();
        kalloc_zone_init(z);
        const a = zkalloc(z, 8192);
        const c = zkalloc(z, 8192);
        zkfree(z, a, 8192);
        const start = b.calls.length;
        expect(zone_gc(z)).toBe(2);
        expect(
            b.calls
                .slice(start)
                .map((x) => x.va)
                .sort(),
        ).toEqual([a, a + PG]);
        expect(zone_verify_all(z)).toEqual([]);
        zkfree(z, c, 8192);
        expect(zone_gc(z)).toBe(2);
        expect(zone_named(z, "kalloc.8192")!.cur_size).toBe(0);
    });

    it("elements spanning pages leave stale in_free_list counts (Mach only resets an element's first page)", () => {
        // One 3-page chunk of four 3000-byte elements: A [P0], B [P0,P1], C [P1,P2], D [P2].
        const { z, b } = boot();
        const zone = zinit(z, 3000, 32 * PG, 3 * PG, ZONE_COLLECTABLE, "span3000");
        const [D, C, B, A] = [zalloc(z, zone), zalloc(z, zone), zalloc(z, zone), zalloc(z, zone)];
        const p0 = (A! - z.zone_map_min_address) / PG;
        expect([B! - A!, C! - A!, D! - A!]).toEqual([3000, 6000, 9000]);
        const state = () =>
            [0, 1, 2].map((i) => [z.zpt_in_free_list[p0 + i], z.zpt_alloc_count[p0 + i]]);
        zfree(z, zone, B!);
        expect(zone_gc(z)).toBe(0);
        expect(state()).toEqual([
            [0, 2],
            [1, 2],
            [0, 2],
        ]); // P1 keeps B's count
        zfree(z, zone, C!);
        expect(zone_gc(z)).toBe(0);
        expect(state()).toEqual([
            [0, 2],
            [0, 2],
            [1, 2],
        ]); // now P2 keeps C's
        zfree(z, zone, A!);
        zfree(z, zone, D!);
        // All four are free, but D's page looks over-counted: only P0 and P1 go back.
        const start = b.calls.length;
        expect(zone_gc(z)).toBe(2);
        expect(
            b.calls
                .slice(start)
                .map((c) => c.va)
                .sort(),
        ).toEqual([A! - (A! % PG), A! - (A! % PG) + PG]);
        expect(state()).toEqual([
            [0, -1],
            [0, -1],
            [-1, 1],
        ]);
        expect(freeList(b, zone)).toEqual([D]);
        // -1 reads as ZONE_PAGE_UNUSED in zone_page_free, which restarts the count at 1: the next pass frees P2.
        expect(zone_gc(z)).toBe(1);
        expect(zone.cur_size).toBe(0);
        expect(zone_verify_all(z)).toEqual([]);
    });

    for (const [era, perPage] of [
        ["1997", 0],
        ["2009", 2],
        ["2011", 2],
    ] as const) {
        it(`era ${era}: ${perPage} kentry pre-allocations before each kmem_free of a page`, () => {
            const events: string[] = [];
            let held = 0;
            const { z, b } = boot(era, {
                kentry_prealloc: () => {
                    events.push(`get@${b.inuse("zone_map")}`);
                    held++;
                    return 0x1000 * held;
                },
                kentry_free: () => {
                    events.push("put");
                    held--;
                },
            });
            kalloc_zone_init(z);
            const blocks: number[] = [];
            for (let i = 0; i < 3; i++) blocks.push(zkalloc(z, 4096));
            for (const a of blocks) zkfree(z, a, 4096);
            const mapBefore = b.inuse("zone_map");
            expect(zone_gc(z)).toBe(3);
            expect(z.stats.kentry_prealloc_calls).toBe(3 * perPage);
            // Before each kmem_free: both allocated (held together), then both freed.
            const one = perPage === 0 ? [] : [`get@X`, `get@X`, "put", "put"];
            const expected = [0, 1, 2].flatMap((i) =>
                one.map((e) => e.replace("X", String(mapBefore - i))),
            );
            expect(events).toEqual(expected);
            expect(held).toBe(0);
        });
    }

    it("with the real kentry zone: zalloc, zalloc, zfree, zfree of vm_map_kentry_zone (a72523c6)", () => {
        const { z, b } = boot("2011");
        kalloc_zone_init(z);
        const kz = kentryZone(z, b);
        const head = freeList(b, kz).slice(0, 2);
        const a = zkalloc(z, 4096);
        zkfree(z, a, 4096);
        expect(zone_gc(z)).toBe(1);
        // Popped e1, e2; pushed e1 then e2: the two head elements swapped.
        expect(freeList(b, kz).slice(0, 2)).toEqual([head[1], head[0]]);
        expect(kz.count).toBe(0);
        expect(zone_verify_all(z)).toEqual([]);
        // The override reproduces efc3d9c4 (one element) or the state before 2009-10-14 (none).
        const one = boot("2011", { gc_kentry_hack: 1 });
        kalloc_zone_init(one.z);
        kentryZone(one.z, one.b);
        zkfree(one.z, zkalloc(one.z, 4096), 4096);
        zone_gc(one.z);
        expect(one.z.stats.kentry_prealloc_calls).toBe(1);
    });

    it("the hack makes the FIXED kentry zone grow through zget_space when its crammed entries are all in use", () => {
        const { z, b } = boot("2011");
        kalloc_zone_init(z);
        const kz = kentryZone(z, b);
        const used: number[] = [];
        for (let i = 0; i < 256; i++) used.push(zalloc(z, kz));
        expect(kz.free_elements).toBe(0);
        zkfree(z, zkalloc(z, 4096), 4096);
        zone_gc(z);
        expect(kz.cur_size).toBe(12288 + 2 * 48);
        expect(freeList(b, kz).length).toBe(2);
        expect(zone_verify_all(z)).toEqual([]);
    });
});

describe("consider_zone_gc", () => {
    it("runs zone_gc only when sched_tick > zone_gc_last_tick + hz (seconds, so every 101 s)", () => {
        const { z, b } = boot();
        kalloc_zone_init(z);
        const runs = () => z.stats.zone_gc_runs;
        b.tick = 0;
        expect(consider_zone_gc(z)).toBe(false);
        expect(z.zone_gc_max_rate).toBe(100);
        b.tick = 100 * 100; // 100 s: sched_tick 100, not > 0 + 100
        expect(sched_tick(z)).toBe(100);
        expect(consider_zone_gc(z)).toBe(false);
        b.tick = 101 * 100 - 1;
        expect(consider_zone_gc(z)).toBe(false);
        b.tick = 101 * 100; // sched_tick 101
        zkfree(z, zkalloc(z, 4096), 4096);
        const map = b.inuse("zone_map");
        expect(consider_zone_gc(z)).toBe(true);
        expect(runs()).toBe(1);
        expect(b.inuse("zone_map")).toBe(map - 1);
        expect(z.zone_gc_last_tick).toBe(101);
        for (let t = 101 * 100; t < 202 * 100; t += 50) {
            b.tick = t;
            expect(consider_zone_gc(z)).toBe(false);
        }
        b.tick = 202 * 100;
        expect(consider_zone_gc(z)).toBe(true);
        expect(runs()).toBe(2);
    });

    it("never runs when zone_gc_allowed is FALSE", () => {
        const { z, b } = boot("2011", { zone_gc_allowed: false });
        b.tick = 1_000_000;
        expect(consider_zone_gc(z)).toBe(false);
        expect(z.stats.zone_gc_runs).toBe(0);
    });
});
