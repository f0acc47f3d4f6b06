/*
 * test/unit/kernel/kern/zalloc.test.ts — the zone allocator of GNU Mach
 * before the slab merge (kern/zalloc.c, kern/kalloc.c): zinit rounding,
 * zalloc/zget/zfree and the free list in guest memory, zget_space over
 * zdata and zone_map, max_size growth, FIXED / EXHAUSTIBLE behaviour and
 * the era's panic strings, kalloc over zones, zone_info, zone_whatis.
 */
import { describe, expect, it } from "vitest";
import { KernelPanic } from "../../../../kernel/kern/debug.ts";
import {
    K_ZONE_MAX,
    ZALLOC_ERAS,
    ZDATA_SIZE,
    ZONE_COLLECTABLE,
    ZONE_EXHAUSTIBLE,
    ZONE_FIXED,
    ZONE_PAGEABLE,
    kalloc_zone_init,
    zalloc,
    zalloc_panic_text,
    zcram,
    zfree,
    zget,
    zinit,
    zkalloc,
    zkfree,
    zkget,
    zone_bootstrap,
    zone_info,
    zone_info_print,
    zone_init,
    zone_named,
    zone_verify_all,
    zone_whatis,
    type Zalloc,
    type ZallocEra,
    type ZallocOptions,
    type Zone,
} from "../../../../kernel/kern/zalloc.ts";
import { ZDATA_BASE, ZONE_MAP_BASE, zbackend, type ZTestBackend } from "./zbackend.ts";

const MiB = 1024 * 1024;
const PG = 4096;

function boot(
    era: ZallocEra = "2011",
    mapSize = 64 * MiB,
    extra: Partial<ZallocOptions> = {},
): { z: Zalloc; b: ZTestBackend } {
    const b = zbackend(mapSize);
    const z = zone_bootstrap(b, { zone_map_size: mapSize, era, ...extra });
    return { z, b };
}

/** The free list as it is in guest memory. */
function freeList(b: ZTestBackend, zone: Zone): number[] {
    const out: number[] = [];
    for (let e = zone.free_elements; e !== 0 && out.length < 100000; e = b.read32(e)) out.push(e);
    return out;
}

function panicOf(fn: () => unknown): string {
    try {
        fn();
    } catch (e) {
        if (e instanceof KernelPanic) return e.panicMessage;
        throw e;
    }
    throw new Error("no panic");
}

describe("zone_bootstrap / zone_init", () => {
    it("takes zdata (420 KiB), makes the zones zone from it, and puts the page table at the bottom of zone_map", () => {
        const { z, b } = boot("2011", 64 * MiB);
        expect(z.zdata).toBe(ZDATA_BASE);
        expect(z.zdata_size).toBe(ZDATA_SIZE);
        const zones = z.zone_zone!;
        expect(zones.zone_name).toBe("zones");
        expect(zones.elem_size).toBe(48);
        expect(zones.max_size).toBe(8192); // round_page(128 * 48)
        expect(zones.alloc_size).toBe(PG);
        expect(zones.addr).toBe(ZDATA_BASE); // the first zget_space
        expect(z.zalloc_next_space).toBe(ZDATA_BASE + 48);
        // 16384 pages x 8 B = 128 KiB of table, from zone_map itself.
        expect(z.zone_page_table).toBe(ZONE_MAP_BASE);
        expect(z.zone_table_size).toBe(128 * 1024);
        expect(z.zone_map_min_address).toBe(ZONE_MAP_BASE + 128 * 1024);
        expect(z.zone_map_max_address).toBe(ZONE_MAP_BASE + 64 * MiB);
        expect(z.zone_pages).toBe(16384 - 32);
        expect(b.inuse("zone_map")).toBe(32);
        expect(z.zpt_alloc_count[0]).toBe(-1);
        expect(z.zpt_alloc_count[z.zone_pages - 1]).toBe(-1);
        // The 12 MiB map of 1997-2009 has a 24 KiB table.
        const old = boot("1997", 12 * MiB).z;
        expect(old.zone_table_size).toBe(24 * 1024);
        expect(old.zone_zone!.elem_size).toBe(44);
    });

    it("zone_init can be deferred to where vm_mem_bootstrap runs it; zones made before use zdata", () => {
        const b = zbackend(12 * MiB);
        const z = zone_bootstrap(b, {
            zone_map_size: 12 * MiB,
            era: "2011",
            defer_zone_init: true,
        });
        const early = zinit(z, 100, 100 * 100, PG, 0, "early");
        const e = zalloc(z, early);
        expect(e).toBeGreaterThanOrEqual(ZDATA_BASE);
        expect(e).toBeLessThan(ZDATA_BASE + ZDATA_SIZE);
        expect(b.inuse("zone_map")).toBe(0);
        zone_init(z);
        expect(b.inuse("zone_map")).toBe(6);
        expect(zone_verify_all(z)).toEqual([]);
    });

    it('zone_init panics "zone_init" when zone_map has no room for the table', () => {
        const b = zbackend(16 * PG);
        expect(panicOf(() => zone_bootstrap(b, { zone_map_size: 64 * MiB, era: "2011" }))).toBe(
            "zone_init",
        );
    });
});

describe("zinit", () => {
    it("rounds as Mach: alloc 0 = a page, size 0 = a pointer, elem_size to 4, max to a page and at least alloc", () => {
        const { z } = boot();
        const a = zinit(z, 0, 0, 0, 0, "a");
        expect([a.elem_size, a.alloc_size, a.max_size]).toEqual([4, PG, PG]);
        const b = zinit(z, 13, 5000, 3 * PG + 1, 0, "b");
        expect([b.elem_size, b.alloc_size, b.max_size]).toEqual([16, 4 * PG, 4 * PG]);
        const c = zinit(z, 10, 10 * PG + 1, PG, 0, "c", 16);
        expect([c.elem_size, c.align, c.max_size]).toEqual([16, 16, 11 * PG]);
    });

    it("each zone struct is an element of the zones zone, on the all-zones list", () => {
        const { z } = boot();
        const a = zinit(z, 32, PG, PG, 0, "a");
        const b2 = zinit(z, 32, PG, PG, 0, "b");
        expect(z.zone_zone!.count).toBe(2);
        expect(b2.addr).toBe(a.addr + 48);
        expect(z.num_zones).toBe(3);
        expect(z.first_zone).toBe(z.zone_zone);
        expect(z.zone_zone!.next_zone).toBe(a);
        expect(a.next_zone).toBe(b2);
        const w = zone_whatis(z, a.addr + 8);
        expect(w).toMatchObject({
            kind: "element",
            zone: z.zone_zone,
            element: a.addr,
            offset: 8,
            state: "allocated",
            struct_of: a,
        });
    });

    it('panics "zinit" for an alignment that does not divide a page or is not a multiple of 4 (6b146e80)', () => {
        const { z } = boot("2009");
        expect(panicOf(() => zinit(z, 10, PG, PG, 0, "x", 6))).toBe("zinit");
        expect(panicOf(() => zinit(z, 10, PG, PG, 0, "x", 2))).toBe("zinit");
        expect(panicOf(() => zinit(z, 10, PG, PG, 0, "x", 3 * 4))).toBe("zinit");
    });

    it("the zones zone grows past 128 zones (it is not FIXED)", () => {
        const { z } = boot();
        for (let i = 0; i < 200; i++) zinit(z, 16, PG, PG, 0, `z${i}`);
        expect(z.num_zones).toBe(201);
        expect(z.zone_zone!.max_size).toBeGreaterThan(8192);
        expect(zone_verify_all(z)).toEqual([]);
    });
});

describe("zalloc / zget / zfree", () => {
    it("carves ordinary zones from zget_space and keeps a LIFO free list threaded through guest memory", () => {
        const { z, b } = boot();
        const zone = zinit(z, 20, 100 * 20, PG, 0, "test");
        const start = z.zalloc_next_space;
        const a = [zalloc(z, zone), zalloc(z, zone), zalloc(z, zone)];
        expect(a).toEqual([start, start + 20, start + 40]);
        expect(zone.count).toBe(3);
        expect(zone.cur_size).toBe(60);
        zfree(z, zone, a[0]!);
        zfree(z, zone, a[2]!);
        expect(zone.free_elements).toBe(a[2]);
        expect(b.read32(a[2]!)).toBe(a[0]); // first word = next free element
        expect(b.read32(a[0]!)).toBe(0);
        expect(freeList(b, zone)).toEqual([a[2], a[0]]);
        expect(zone.count).toBe(1);
        expect(zalloc(z, zone)).toBe(a[2]); // LIFO
        expect(zget(z, zone)).toBe(a[0]);
        expect(zget(z, zone)).toBe(0); // empty: zget never grows
        expect(zone.cur_size).toBe(60);
        expect(zone_verify_all(z)).toEqual([]);
    });

    it('panics "zalloc: null zone" for a null zone, in zalloc and zget', () => {
        const { z } = boot();
        expect(panicOf(() => zalloc(z, null))).toBe("zalloc: null zone");
        expect(panicOf(() => zget(z, null))).toBe("zalloc: null zone");
    });

    it("zget_space fills zdata, then zone_map a page at a time; a non-contiguous chunk wastes the rest", () => {
        const b = zbackend(12 * MiB);
        const z = zone_bootstrap(b, { zone_map_size: 12 * MiB, era: "2011", zdata_size: 2 * PG });
        const zone = zinit(z, 1000, 1000 * 1000, PG, 0, "big");
        const got: number[] = [];
        for (let i = 0; i < 13; i++) got.push(zalloc(z, zone));
        expect(got.slice(0, 8).every((a) => a >= ZDATA_BASE && a < ZDATA_BASE + 2 * PG)).toBe(true);
        expect(got[8]).toBe(z.zone_map_min_address); // first page after the page table
        expect(got[11]).toBe(z.zone_map_min_address + 3000);
        expect(got[12]).toBe(z.zone_map_min_address + 4000); // the next page is contiguous: no waste
        // zdata: 8192 - 48 (zones struct) - 48 (big's struct) = 8096 → 8 elements of 1000, 96 wasted.
        expect(z.zalloc_wasted_space).toBe(96);
        // The page table counts the elements touching each zone_map page (4000..4999 spans two).
        expect(z.zpt_alloc_count[0]).toBe(5);
        expect(z.zpt_alloc_count[1]).toBe(1);
        expect(zone_verify_all(z)).toEqual([]);
    });

    it("an aligned zone gets aligned elements from zget_space", () => {
        const { z } = boot();
        zinit(z, 4, PG, PG, 0, "pad");
        zalloc(z, zone_named(z, "pad"));
        const zone = zinit(z, 40, 100 * 64, PG, 0, "aligned", 64);
        expect(zone.elem_size).toBe(64);
        for (let i = 0; i < 100; i++) expect(zalloc(z, zone) % 64).toBe(0);
        expect(zone_verify_all(z)).toEqual([]);
    });

    it("grows max_size by half, silently, when a non-FIXED zone is full", () => {
        const { z, b } = boot();
        const zone = zinit(z, 1024, 4 * 1024, PG, 0, "grow");
        expect(zone.max_size).toBe(PG);
        const sizes: number[] = [];
        for (let i = 0; i < 12; i++) {
            zalloc(z, zone);
            sizes.push(zone.max_size);
        }
        expect(sizes).toEqual([
            4096, 4096, 4096, 4096, 6144, 6144, 9216, 9216, 9216, 13824, 13824, 13824,
        ]);
        expect(zone.cur_size).toBe(12 * 1024);
        expect(b.console).toEqual([]);
        expect(zone_verify_all(z)).toEqual([]);
    });

    it("FIXED zones silently overflow by default (zone_ignore_overflow = TRUE) and keep their max_size", () => {
        const { z, b } = boot();
        const zone = zinit(z, 48, 256 * 48, 256 * 48, ZONE_FIXED, "kernel map entries");
        for (let i = 0; i < 300; i++) expect(zalloc(z, zone)).not.toBe(0);
        expect(zone.max_size).toBe(12288);
        expect(zone.cur_size).toBe(300 * 48);
        expect(b.console).toEqual([]);
        expect(zone_verify_all(z)).toEqual([]);
    });

    for (const [era, text] of [
        ["1997", "zalloc"],
        ["2009", "zalloc: zone kernel map entries exhausted"],
        ["2011", "zalloc: zone kernel map entries exhausted"],
    ] as const) {
        it(`FIXED zone exhaustion with zone_ignore_overflow FALSE: era ${era} prints "empty." and panics "${text}"`, () => {
            const { z, b } = boot(era, 64 * MiB, { zone_ignore_overflow: false });
            const zone = zinit(z, 48, 256 * 48, 256 * 48, ZONE_FIXED, "kernel map entries");
            for (let i = 0; i < 256; i++) zalloc(z, zone);
            expect(panicOf(() => zalloc(z, zone))).toBe(text);
            expect(b.console).toEqual(['zone "kernel map entries" empty.\n']);
        });
    }

    it("the kentry zone of vm_map_init: crammed from stolen memory, then zget_space once it is used up", () => {
        const { z, b } = boot();
        const kentry_data = b.pagealloc("zdata", 3 * PG);
        const zone = zinit(z, 48, 12288, 12288, ZONE_FIXED, "kernel map entries");
        zcram(z, zone, kentry_data, 12288);
        expect(zone.cur_size).toBe(12288);
        expect(freeList(b, zone).length).toBe(256);
        expect(zone.count).toBe(0);
        const got = new Set<number>();
        for (let i = 0; i < 256; i++) got.add(zalloc(z, zone));
        expect([...got].every((a) => a >= kentry_data && a < kentry_data + 12288)).toBe(true);
        const more = zalloc(z, zone); // over max_size: FIXED, ignored, zget_space
        expect(more >= kentry_data && more < kentry_data + 12288).toBe(false);
        expect(zone_verify_all(z)).toEqual([]);
        expect(panicOf(() => zcram(z, zone, 0, 4096))).toBe("zcram - memory at zero");
    });

    it("EXHAUSTIBLE zones return 0 instead of growing", () => {
        const { z } = boot();
        const zone = zinit(z, 64, PG, PG, ZONE_EXHAUSTIBLE, "ipc port sets");
        for (let i = 0; i < 64; i++) expect(zalloc(z, zone)).not.toBe(0);
        expect(zalloc(z, zone)).toBe(0);
        expect(zone.max_size).toBe(PG);
        expect(zone.cur_size).toBe(PG);
        // COLLECTABLE|EXHAUSTIBLE (machine_task): a whole alloc_size per step.
        const mt = zinit(z, 100, 2 * PG, PG, ZONE_COLLECTABLE | ZONE_EXHAUSTIBLE, "machine_task");
        let n = 0;
        while (zalloc(z, mt) !== 0) n++;
        // cur_size counts element bytes (40 x 100 per page), not pages: a third page fits under 8 KiB.
        expect(n).toBe(120);
        expect(mt.cur_size).toBe(12000);
        expect(zone_verify_all(z)).toEqual([]);
    });

    it("COLLECTABLE and PAGEABLE zones get alloc_size chunks from zone_map and zcram them", () => {
        const { z, b } = boot();
        const before = b.inuse("zone_map");
        const col = zinit(z, 2048, 8 * PG, 2 * PG, ZONE_COLLECTABLE, "col");
        const first = zalloc(z, col);
        expect(b.inuse("zone_map")).toBe(before + 2);
        expect(col.cur_size).toBe(2 * PG);
        expect(freeList(b, col).length).toBe(3);
        expect(first).toBe(z.zone_map_min_address + 3 * 2048); // zcram pushes in address order: LIFO pops the last
        const pg = zinit(z, 512, 8 * PG, PG, ZONE_PAGEABLE, "pageable");
        zalloc(z, pg);
        expect(b.inuse("zone_map")).toBe(before + 3);
        expect(z.zpt_alloc_count[2]).toBe(8); // UNUSED (-1) → 1, then +1 per element
        expect(zone_verify_all(z)).toEqual([]);
    });

    it('zfree with zone_check panics "zfree" on a double free; without it (Mach\'s default) the list loops', () => {
        const { z } = boot("2011", 64 * MiB, { zone_check: true });
        const zone = zinit(z, 32, PG, PG, 0, "chk");
        const a = zalloc(z, zone);
        const c = zalloc(z, zone);
        zfree(z, zone, a);
        zfree(z, zone, c);
        expect(panicOf(() => zfree(z, zone, a))).toBe("zfree");
        const plain = boot().z;
        const zz = zinit(plain, 32, PG, PG, 0, "nochk");
        const e = zalloc(plain, zz);
        zfree(plain, zz, e);
        zfree(plain, zz, e);
        expect(zone_verify_all(plain).some((s) => s.includes("loops"))).toBe(true);
    });

    it("zone_verify catches an element freed to the wrong zone", () => {
        const { z } = boot();
        const a = zinit(z, 32, PG, PG, 0, "a");
        const c = zinit(z, 32, PG, PG, 0, "c");
        const e = zalloc(z, a);
        zfree(z, c, e);
        const problems = zone_verify_all(z);
        expect(
            problems.some(
                (s) => s.startsWith("c: free element") && s.includes("belongs to zone a"),
            ),
        ).toBe(true);
        expect(problems.some((s) => s.startsWith("a: count 1 but 1"))).toBe(false);
    });
});

describe("kalloc over zones", () => {
    it("makes kalloc.16 … kalloc.8192 with k_zone_max limits, COLLECTABLE from a page up", () => {
        const { z } = boot();
        kalloc_zone_init(z);
        expect(z.kalloc_max).toBe(16384);
        const rows = zone_info(z).filter((r) => r.name.startsWith("kalloc."));
        expect(rows.map((r) => r.name)).toEqual(
            [16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192].map((s) => `kalloc.${s}`),
        );
        for (const r of rows) {
            const i = Math.log2(r.elem_size);
            expect(r.max_size).toBe(
                Math.max(Math.ceil((K_ZONE_MAX[i]! * r.elem_size) / PG) * PG, r.alloc_size),
            );
            expect(r.alloc_size).toBe(Math.max(PG, r.elem_size));
            expect(r.collectable).toBe(r.elem_size >= PG);
        }
        expect(zone_named(z, "kalloc.16")!.max_size).toBe(16 * 1024);
        expect(zone_named(z, "kalloc.8192")!.max_size).toBe(32 * MiB);
    });

    it("rounds requests up to a power of two ≥ 16 and uses kalloc_map from 16 KiB", () => {
        const { z, b } = boot();
        kalloc_zone_init(z);
        const a = zkalloc(z, 1);
        expect(zone_whatis(z, a)).toMatchObject({
            kind: "element",
            zone: zone_named(z, "kalloc.16"),
        });
        const c = zkalloc(z, 17);
        expect(zone_whatis(z, c)).toMatchObject({
            kind: "element",
            zone: zone_named(z, "kalloc.32"),
        });
        const d = zkalloc(z, 8192);
        expect(zone_whatis(z, d)).toMatchObject({
            kind: "element",
            zone: zone_named(z, "kalloc.8192"),
        });
        // 8193 … 16383 round to 16384 = kalloc_max: kalloc_map, not a zone.
        const r = zkalloc(z, 8193);
        expect(b.calls.at(-1)).toEqual({ op: "alloc", map: "kalloc_map", va: r, size: 16384 });
        zkfree(z, r, 8193);
        // kalloc.8192 is COLLECTABLE: one 8 KiB chunk of zone_map per element.
        const big = zkalloc(z, 16384);
        expect(b.calls.at(-1)).toEqual({ op: "alloc", map: "kalloc_map", va: big, size: 16384 });
        expect(zone_whatis(z, big + 100)).toEqual({
            kind: "kalloc_map",
            block: big,
            size: 16384,
            offset: 100,
        });
        const odd = zkalloc(z, 20000);
        expect(b.calls.at(-1)).toMatchObject({ map: "kalloc_map", size: 20480 });
        zkfree(z, odd, 20000);
        zkfree(z, big, 16384);
        expect(b.inuse("kalloc_map")).toBe(0);
        zkfree(z, c, 17);
        expect(zone_named(z, "kalloc.32")!.free_elements).toBe(c);
        expect(zkget(z, 20)).toBe(c);
        expect(zkget(z, 20)).toBe(0);
        expect(panicOf(() => zkget(z, 16384))).toBe("kget");
        expect(zone_verify_all(z)).toEqual([]);
    });

    it("returns 0 when kalloc_map is full (no panic)", () => {
        const b = zbackend(64 * MiB, { kallocMapSize: 8 * MiB });
        const z = zone_bootstrap(b, { zone_map_size: 64 * MiB, era: "2009" });
        kalloc_zone_init(z);
        expect(ZALLOC_ERAS["2009"].kalloc_map_size).toBe(8 * MiB);
        expect(zkalloc(z, 4 * MiB)).not.toBe(0);
        expect(zkalloc(z, 4 * MiB + 1)).toBe(0);
    });
});

describe("zone_info / zone_info_print / zone_whatis", () => {
    it("reports host_zone_info fields and prints a table", () => {
        const { z } = boot();
        kalloc_zone_init(z);
        const zone = zinit(z, 100, 10 * PG, PG, ZONE_EXHAUSTIBLE, "ipc tree entries");
        const e = zalloc(z, zone);
        zalloc(z, zone);
        zfree(z, zone, e);
        const row = zone_info(z).find((r) => r.name === "ipc tree entries")!;
        expect(row).toMatchObject({
            count: 1,
            cur_size: 200,
            max_size: 10 * PG,
            elem_size: 100,
            alloc_size: PG,
            pageable: false,
            sleepable: false,
            exhaustible: true,
            collectable: false,
            fixed: false,
            free: 1,
        });
        const lines: string[] = [];
        zone_info_print(z, (l) => lines.push(l));
        expect(lines[0]).toMatch(/^zone name +elem +cur size +max size +count +free +alloc flags$/);
        expect(lines.find((l) => l.startsWith("ipc tree entries"))).toMatch(
            / 100 +0\.2K +40K +1 +1 +4K --E-$/,
        );
        expect(lines.find((l) => l.startsWith("kalloc.4096"))).toMatch(/-C--$/);
        expect(lines.at(-1)).toMatch(
            /^zone_map 65536K, zdata 420K, zget_space next 0x[0-9a-f]+ end 0x[0-9a-f]+, wasted 0$/,
        );
    });

    it("zone_whatis names elements (allocated or free), the page table, zdata and zone_map", () => {
        const { z } = boot();
        const zone = zinit(z, 24, PG, PG, 0, "w");
        const e = zalloc(z, zone);
        expect(zone_whatis(z, e + 23)).toMatchObject({
            kind: "element",
            zone,
            element: e,
            offset: 23,
            state: "allocated",
        });
        zfree(z, zone, e);
        expect(zone_whatis(z, e)).toMatchObject({ state: "free" });
        expect(zone_whatis(z, e + 24)).toEqual({ kind: "zdata", offset: e + 24 - z.zdata });
        expect(zone_whatis(z, ZONE_MAP_BASE + 5)).toEqual({ kind: "zone_page_table", offset: 5 });
        expect(zone_whatis(z, z.zone_map_min_address + PG)).toEqual({
            kind: "zone_map",
            offset: PG,
        });
        expect(zone_whatis(z, 0x1000)).toBeNull();
    });
});

describe("era table", () => {
    it("panic texts and constants per era, with their commits", () => {
        expect(zalloc_panic_text(ZALLOC_ERAS["2011"].panic_space, "ipc ports")).toBe(
            "zalloc: no memory for zone ipc ports",
        );
        expect(ZALLOC_ERAS["2011"].panic_wired).toBe("zalloc: no wired memory for zone %s");
        expect(ZALLOC_ERAS["2011"].panic_pageable).toBe("zalloc: no pageable memory for zone %s");
        expect(ZALLOC_ERAS["2009"].panic_space).toBe("zalloc: zone %s exhausted");
        expect(ZALLOC_ERAS["1997"].panic_space).toBe("zalloc");
        expect(ZALLOC_ERAS["1997"].zone_map_size).toBe(12 * MiB);
        expect(ZALLOC_ERAS["2009"].zone_map_size).toBe(64 * MiB);
        expect([
            ZALLOC_ERAS["1997"].gc_kentry_hack,
            ZALLOC_ERAS["2009"].gc_kentry_hack,
            ZALLOC_ERAS["2011"].gc_kentry_hack,
        ]).toEqual([0, 2, 2]);
        const { z } = boot("1997", 12 * MiB);
        expect(() => zinit(z, 8, PG, PG, 0, "x", 8)).toThrow(/no align argument/);
    });
});
