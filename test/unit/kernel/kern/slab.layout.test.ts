/*
 * test/unit/kernel/kern/slab.layout.test.ts — the slab allocator's state
 * in guest memory (descriptors, free lists through the buffers, colours),
 * the list discipline of the alloc/free paths, growth failures, ctors,
 * reaping and its rate limit, kmem_whatis, CPU pools and kalloc.
 */
import { describe, expect, it } from "vitest";
import { kalloc, kalloc_init, kfree } from "../../../../kernel/kern/kalloc.ts";
import {
    KMEM_BUFTAG_ALLOC,
    KMEM_BUFTAG_FREE,
    KMEM_CACHE_NOCPUPOOL,
    KMEM_CACHE_NORECLAIM,
    KMEM_GC_INTERVAL,
    KMEM_REDZONE_WORD,
    KMEM_SLAB_STRUCT_SIZE,
    kmem_cache_alloc,
    kmem_cache_free,
    kmem_cache_init,
    kmem_cache_reap,
    kmem_cache_verify,
    kmem_cpu_pools_drain,
    kmem_verify,
    kmem_whatis,
    slab_collect,
    type KmemCache,
} from "../../../../kernel/kern/kmem.ts";
import { guestFreeList, guestSlab, setup } from "./backend.ts";

const PG = 4096;

function allocN(
    kmem: Parameters<typeof kmem_cache_alloc>[0],
    cache: KmemCache,
    n: number,
): number[] {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
        const va = kmem_cache_alloc(kmem, cache);
        expect(va).not.toBe(0);
        out.push(va);
    }
    return out;
}

describe("slab layout in guest memory", () => {
    it("a new DIRECT slab: descriptor at the end of the page, free list from the last buffer down", () => {
        const { be, kmem } = setup();
        const c = kmem_cache_init(kmem, "t64", 64, 0, null, null, null, 0);
        const a = kmem_cache_alloc(kmem, c);
        const slab = [...c.slabs][0]!;
        expect(slab.slab_buf).toBe(be.base);
        expect(slab.va).toBe(slab.slab_buf + PG - KMEM_SLAB_STRUCT_SIZE);
        expect(a).toBe(slab.slab_buf + 62 * 64);
        expect(guestSlab(be, slab)).toEqual({
            nr_refs: 1,
            first_free: slab.slab_buf + 61 * 64 + 60,
            addr: slab.slab_buf,
        });
        const free = guestFreeList(be, c, slab.va);
        expect(free).toEqual(Array.from({ length: 62 }, (_, i) => slab.slab_buf + (61 - i) * 64));
        expect([c.nr_objs, c.nr_bufs, c.nr_slabs, c.nr_free_slabs]).toEqual([1, 63, 1, 0]);
        expect(kmem_cache_verify(kmem, c)).toEqual([]);
    });

    it("after frees, the bufctl chain in guest memory visits exactly the free buffers (LIFO)", () => {
        for (const obj of [64, 512, 4096]) {
            const { be, kmem } = setup();
            const c = kmem_cache_init(kmem, `t${obj}`, obj, 0, null, null, null, 0);
            const bufs = allocN(kmem, c, c.bufs_per_slab);
            const slab = [...c.slabs][0]!;
            expect(guestSlab(be, slab).first_free).toBe(0);
            const order = [3, 0, 7, 5, 1].map((i) => bufs[i]!);
            for (const b of order) kmem_cache_free(kmem, c, b);
            expect(guestFreeList(be, c, slab.va)).toEqual([...order].reverse());
            // The chain pointers are the last word of each free buffer.
            for (const b of order.slice(1)) expect(be.read32(b + c.buf_size - 4)).not.toBe(0);
            expect(be.read32(order[0]! + c.buf_size - 4)).toBe(0);
            expect(kmem_cache_verify(kmem, c)).toEqual([]);
            if (obj >= 512) {
                // Off-slab: the descriptor is an allocated kmem_slab buffer.
                const w = kmem_whatis(kmem, slab.va)!;
                expect([w.cache.name, w.buffer, w.allocated]).toEqual(["kmem_slab", slab.va, true]);
            }
        }
    });

    it("VERIFY: bufctl and buftag after the object, patterns in memory", () => {
        const { be, kmem } = setup({ verify: true });
        const c = kmem_cache_init(kmem, "v60", 60, 0, null, null, null, 0);
        expect([c.bufctl_dist, c.buftag_dist, c.redzone_pad, c.buf_size]).toEqual([64, 68, 4, 72]);
        const a = kmem_cache_alloc(kmem, c);
        const b = kmem_cache_alloc(kmem, c);
        expect(b).toBe(a - 72);
        expect([...be.read(a, 8)]).toEqual([0xba, 0xdd, 0xca, 0xfe, 0xba, 0xdd, 0xca, 0xfe]);
        expect([...be.read(a + 60, 4)]).toEqual([0xbb, 0xbb, 0xbb, 0xbb]);
        expect(be.read32(a + 64)).toBe(KMEM_REDZONE_WORD);
        expect(be.read32(a + 68)).toBe(KMEM_BUFTAG_ALLOC);
        kmem_cache_free(kmem, c, a);
        expect([...be.read(a, 8)]).toEqual([0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef]);
        expect([...be.read(a + 56, 8)]).toEqual([0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef]);
        expect(be.read32(a + 68)).toBe(KMEM_BUFTAG_FREE);
        const slab = [...c.slabs][0]!;
        expect(be.read32(a + 64)).toBe(b - 72 + 64); // next: the buffer below b, never allocated
        expect(guestFreeList(be, c, slab.va)[0]).toBe(a);
        expect(kmem_cache_verify(kmem, c)).toEqual([]);
    });

    it("list discipline: full→partial at the head, empty at the head of free_slabs", () => {
        const { kmem } = setup();
        const c = kmem_cache_init(kmem, "t504", 500, 0, null, null, null, 0); // 8 per DIRECT slab
        const s1bufs = allocN(kmem, c, 8);
        const first = allocN(kmem, c, 1);
        const [s1, s2] = [...c.slabs].map((s) => s);
        const ids = (l: Iterable<{ slab_buf: number }>): number[] => [...l].map((s) => s.slab_buf);
        expect(ids(c.partial_slabs)).toEqual([s2!.slab_buf]);
        kmem_cache_free(kmem, c, s1bufs[0]!);
        expect(ids(c.partial_slabs)).toEqual([s1!.slab_buf, s2!.slab_buf]);
        // Allocation takes the head of partial_slabs.
        const again = kmem_cache_alloc(kmem, c);
        expect(again).toBe(s1bufs[0]);
        expect(ids(c.partial_slabs)).toEqual([s2!.slab_buf]);
        kmem_cache_free(kmem, c, first[0]!);
        expect(ids(c.partial_slabs)).toEqual([]);
        expect(ids(c.free_slabs)).toEqual([s2!.slab_buf]);
        for (const b of [again, ...s1bufs.slice(1)]) kmem_cache_free(kmem, c, b);
        expect(ids(c.free_slabs)).toEqual([s1!.slab_buf, s2!.slab_buf]);
        expect(c.nr_free_slabs).toBe(2);
        // A free slab becoming partial moves to partial_slabs; the head of free_slabs goes first.
        kmem_cache_alloc(kmem, c);
        expect(ids(c.partial_slabs)).toEqual([s1!.slab_buf]);
        expect(ids(c.free_slabs)).toEqual([s2!.slab_buf]);
        expect(kmem_cache_verify(kmem, c)).toEqual([]);
    });

    it("one buffer per slab: slabs go straight between free and full", () => {
        const { kmem } = setup();
        const c = kmem_cache_init(kmem, "big", 40000, 0, null, null, null, 0);
        expect(c.bufs_per_slab).toBe(1);
        const [a, b] = allocN(kmem, c, 2);
        expect([c.partial_slabs.length, c.free_slabs.length, c.active_slabs.length]).toEqual([
            0, 0, 2,
        ]);
        kmem_cache_free(kmem, c, a!);
        kmem_cache_free(kmem, c, b!);
        expect([
            c.partial_slabs.length,
            c.free_slabs.length,
            c.nr_free_slabs,
            c.active_slabs.length,
        ]).toEqual([0, 2, 2, 0]);
        expect(kmem_cache_verify(kmem, c)).toEqual([]);
    });

    it("colouring: colour advances by align and wraps after color_max", () => {
        const { kmem } = setup();
        const c = kmem_cache_init(kmem, "t128", 128, 0, null, null, null, 0);
        expect(c.color_max).toBe(96);
        allocN(kmem, c, 31 * 14);
        const colours = [...c.slabs].map((s) => s.addr - s.slab_buf);
        expect(colours).toEqual([0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 96, 0]);
        expect(c.color).toBe(8);
        expect(kmem_cache_verify(kmem, c)).toEqual([]);
        // Multi-page embedded slabs (12 KiB, 4 × 3000 B, 256 B left) colour too.
        const big = kmem_cache_init(kmem, "t3000", 3000, 0, null, null, null, 0);
        allocN(kmem, big, 12);
        expect([...big.slabs].map((s) => s.addr - s.slab_buf)).toEqual([0, 8, 16]);
    });

    it("grow failure returns 0 and leaves the cache consistent; off-slab failure gives the pages back", () => {
        const { be, kmem } = setup();
        const c = kmem_cache_init(kmem, "t64", 64, 0, null, null, null, 0);
        be.setLimit("kmem_map", PG);
        allocN(kmem, c, 63);
        expect(kmem_cache_alloc(kmem, c)).toBe(0);
        expect([c.nr_objs, c.nr_bufs, c.nr_slabs]).toEqual([63, 63, 1]);
        expect(kmem_cache_verify(kmem, c)).toEqual([]);
        // 512 B slabs need a kmem_slab descriptor, whose cache needs a page too.
        const x = kmem_cache_init(kmem, "t512", 512, 0, null, null, null, 0);
        be.setLimit("kmem_map", 2 * PG);
        const calls = be.pageallocCalls;
        expect(kmem_cache_alloc(kmem, x)).toBe(0);
        expect(be.pageallocCalls - calls).toBe(2);
        expect(be.allocated("kmem_map")).toBe(PG);
        expect([x.nr_slabs, kmem.kmem_slab_cache!.nr_slabs]).toEqual([0, 0]);
        be.setLimit("kmem_map", undefined);
        expect(kmem_cache_alloc(kmem, x)).not.toBe(0);
        expect(kmem_verify(kmem)).toEqual([]);
    });

    it("custom slab sources: slab_alloc_fn/slab_free_fn, NORECLAIM bump source", () => {
        const { be, kmem } = setup();
        let bump = be.pagealloc("kentry", 4 * PG);
        let left = 4 * PG;
        const kentry = kmem_cache_init(
            kmem,
            "vm_map_kentry",
            60,
            0,
            null,
            (size) => {
                if (size > left) return 0;
                const va = bump;
                bump += size;
                left -= size;
                return va;
            },
            null,
            KMEM_CACHE_NORECLAIM | KMEM_CACHE_NOCPUPOOL,
        );
        const got = allocN(kmem, kentry, 4 * 63);
        expect(kmem_cache_alloc(kmem, kentry)).toBe(0);
        for (const va of got) kmem_cache_free(kmem, kentry, va);
        be.advance(KMEM_GC_INTERVAL + 1);
        slab_collect(kmem);
        expect(kentry.nr_slabs).toBe(4); // never reclaimed
        const freed: number[] = [];
        const custom = kmem_cache_init(
            kmem,
            "custom",
            300,
            0,
            null,
            (s) => be.pagealloc("custom", s),
            (va, s) => {
                freed.push(va);
                be.pagefree("custom", va, s);
            },
            0,
        );
        const o = kmem_cache_alloc(kmem, custom);
        expect(be.allocated("custom")).toBe(PG);
        kmem_cache_free(kmem, custom, o);
        expect(kmem_cache_reap(kmem, custom)).toBe(1);
        expect([be.allocated("custom"), freed.length, be.allocated("kmem_map")]).toEqual([0, 1, 0]);
        expect(kmem_verify(kmem)).toEqual([]);
    });

    for (const mode of [
        { verify: false, cpu_pools: false },
        { verify: true, cpu_pools: false },
        { verify: false, cpu_pools: true },
        { verify: true, cpu_pools: true },
    ]) {
        it(`ctor runs on allocation (verify ${mode.verify}, cpu pools ${mode.cpu_pools})`, () => {
            const { be, kmem } = setup(mode);
            let calls = 0;
            const c = kmem_cache_init(
                kmem,
                "ctor",
                40,
                0,
                (va) => {
                    calls++;
                    be.write32(va, 0x12345678);
                },
                null,
                null,
                0,
            );
            const live: number[] = [];
            for (let round = 0; round < 3; round++) {
                for (let i = 0; i < 300; i++) {
                    const va = kmem_cache_alloc(kmem, c);
                    // Objects go back constructed (the pools rely on it), so the marker stays.
                    expect(be.read32(va)).toBe(0x12345678);
                    live.push(va);
                }
                while (live.length) kmem_cache_free(kmem, c, live.pop()!);
            }
            // Without pools (or with VERIFY) every allocation constructs; pools construct on fill.
            if (!mode.cpu_pools || mode.verify) expect(calls).toBe(900);
            else expect(calls).toBeGreaterThanOrEqual(300);
            expect(kmem_verify(kmem)).toEqual([]);
        });
    }
});

describe("reaping", () => {
    it("slab_collect reaps free slabs of every cache, at most once per KMEM_GC_INTERVAL ticks", () => {
        const { be, kmem } = setup();
        const a = kmem_cache_init(kmem, "a", 64, 0, null, null, null, 0);
        const b = kmem_cache_init(kmem, "b", 4096, 0, null, null, null, 0);
        const bufs = [...allocN(kmem, a, 200), ...allocN(kmem, b, 20)];
        const used = be.allocated("kmem_map");
        expect(used).toBe(4 * PG + 3 * 8 * PG + PG); // + one kmem_slab page for 3 descriptors
        for (const v of bufs.slice(0, 200)) kmem_cache_free(kmem, a, v);
        for (const v of bufs.slice(200)) kmem_cache_free(kmem, b, v);
        expect(slab_collect(kmem)).toBe(0); // ticks 0 <= last (0) + 500
        be.advance(KMEM_GC_INTERVAL);
        expect(slab_collect(kmem)).toBe(0); // 500 <= 500
        be.advance(1);
        expect(slab_collect(kmem)).toBe(4 + 24);
        expect(kmem.kmem_gc_last_tick).toBe(501);
        // The descriptors went back to kmem_slab after it was reaped (it is earlier in the list).
        expect(kmem.kmem_slab_cache!.nr_free_slabs).toBe(1);
        expect(be.allocated("kmem_map")).toBe(PG);
        expect(slab_collect(kmem)).toBe(0);
        be.advance(KMEM_GC_INTERVAL);
        expect(slab_collect(kmem)).toBe(0);
        be.advance(1);
        expect(slab_collect(kmem)).toBe(1);
        expect(be.allocated("kmem_map")).toBe(0);
        expect([a.nr_slabs, a.nr_bufs, b.nr_slabs, b.nr_free_slabs]).toEqual([0, 0, 0, 0]);
        expect(kmem_verify(kmem)).toEqual([]);
    });

    it("a failed pagealloc may run slab_collect inside a grow (vm_kern's retry), with and without pools", () => {
        for (const cpu_pools of [false, true]) {
            const { be, kmem } = setup({ cpu_pools });
            const a = kmem_cache_init(kmem, "a", 4096, 0, null, null, null, 0);
            const b = kmem_cache_init(kmem, "b", 2048, 0, null, null, null, 0);
            const bufs = allocN(kmem, a, 16);
            for (const v of bufs) kmem_cache_free(kmem, a, v);
            kmem_cpu_pools_drain(kmem);
            be.setLimit("kmem_map", be.allocated("kmem_map"));
            be.advance(KMEM_GC_INTERVAL + 1);
            let collects = 0;
            be.onFail = () => {
                collects++;
                slab_collect(kmem);
            };
            // b's 16 KiB slab fails, the collect reaps a's two free 32 KiB slabs, the retry succeeds.
            allocN(kmem, b, 20);
            expect(collects).toBeGreaterThanOrEqual(1);
            expect(a.nr_slabs).toBe(0);
            expect(kmem_verify(kmem)).toEqual([]);
        }
    });

    it("reaping keeps partial and full slabs", () => {
        const { be, kmem } = setup();
        const a = kmem_cache_init(kmem, "a", 64, 0, null, null, null, 0);
        const bufs = allocN(kmem, a, 63 * 3);
        for (const v of bufs.slice(0, 63)) kmem_cache_free(kmem, a, v); // slab 1 free
        kmem_cache_free(kmem, a, bufs[63]!); // slab 2 partial
        expect(kmem_cache_reap(kmem, a)).toBe(1);
        expect([a.nr_slabs, a.nr_free_slabs, a.partial_slabs.length, a.nr_objs]).toEqual([
            2, 0, 1, 125,
        ]);
        expect(be.allocated("kmem_map")).toBe(2 * PG);
        expect(kmem_verify(kmem)).toEqual([]);
    });
});

describe("kmem_whatis", () => {
    it("finds cache, slab, buffer and state; null outside buffers", () => {
        const { be, kmem } = setup({ cpu_pools: true });
        const c = kmem_cache_init(kmem, "w", 100, 0, null, null, null, 0);
        const [x, y, z] = allocN(kmem, c, 3);
        const w = kmem_whatis(kmem, x! + 50)!;
        expect([w.cache, w.buffer, w.allocated, w.pooled]).toEqual([c, x, true, false]);
        kmem_cache_free(kmem, c, y!); // into the CPU pool
        expect(kmem_whatis(kmem, y!)).toMatchObject({ allocated: false, pooled: true });
        const slab = w.slab;
        expect(kmem_whatis(kmem, slab.va)).toBeNull(); // the embedded descriptor
        expect(kmem_whatis(kmem, slab.addr + 10 * c.buf_size)).toMatchObject({
            allocated: false,
            pooled: false,
        });
        expect(kmem_whatis(kmem, be.base + 100 * PG)).toBeNull();
        expect(z).not.toBe(0);
    });
});

describe("CPU pools", () => {
    it("arrays come from kmem_cpu_array_N on the free path; fill and drain move transfer_size objects", () => {
        const { be, kmem } = setup({ cpu_pools: true });
        const c = kmem_cache_init(kmem, "p", 200, 0, null, null, null, 0);
        const pool = c.cpu_pool!;
        const arrCache = c.cpu_pool_type!.array_cache!;
        expect(arrCache.name).toBe("kmem_cpu_array_128");
        const bufs = allocN(kmem, c, 300); // no array: slab layer only
        expect([pool.array, c.nr_objs, arrCache.nr_objs]).toEqual([0, 300, 0]);
        kmem_cache_free(kmem, c, bufs[0]!);
        expect(pool.array).not.toBe(0);
        expect([pool.size, pool.transfer_size, pool.nr_objs, arrCache.nr_objs]).toEqual([
            128, 64, 1, 1,
        ]);
        expect(be.read32(pool.array)).toBe(bufs[0]);
        expect(c.nr_objs).toBe(300); // the pooled buffer is still out of the slab layer
        for (let i = 1; i < 128; i++) kmem_cache_free(kmem, c, bufs[i]!);
        expect([pool.nr_objs, c.nr_objs]).toEqual([128, 300]);
        kmem_cache_free(kmem, c, bufs[128]!); // full: drain 64 first
        expect([pool.nr_objs, c.nr_objs]).toEqual([65, 236]);
        expect(be.read32(pool.array + 4 * 64)).toBe(bufs[128]);
        // Allocations pop LIFO, then a fill brings transfer_size objects.
        expect(kmem_cache_alloc(kmem, c)).toBe(bufs[128]);
        for (let i = 0; i < 64; i++) kmem_cache_alloc(kmem, c);
        expect(pool.nr_objs).toBe(0);
        const before = c.nr_objs;
        kmem_cache_alloc(kmem, c);
        expect([pool.nr_objs, c.nr_objs - before]).toEqual([63, 64]);
        expect(kmem_verify(kmem)).toEqual([]);
        kmem_cpu_pools_drain(kmem);
        expect([pool.array, pool.nr_objs, pool.size, arrCache.nr_objs]).toEqual([0, 0, 0, 0]);
        expect(kmem_verify(kmem)).toEqual([]);
    });

    it("pool sizes 64/8/1; NOCPUPOOL goes to the slab layer; array allocation failure falls back", () => {
        const { be, kmem } = setup({ cpu_pools: true });
        for (const [obj, size, transfer] of [
            [1000, 64, 32],
            [8000, 8, 4],
            [40000, 1, 1],
        ] as const) {
            const c = kmem_cache_init(kmem, `p${obj}`, obj, 0, null, null, null, 0);
            const [a] = allocN(kmem, c, 1);
            kmem_cache_free(kmem, c, a!);
            expect([c.cpu_pool!.size, c.cpu_pool!.transfer_size, c.cpu_pool!.nr_objs]).toEqual([
                size,
                transfer,
                1,
            ]);
        }
        const np = kmem_cache_init(kmem, "np", 64, 0, null, null, null, KMEM_CACHE_NOCPUPOOL);
        const [v] = allocN(kmem, np, 1);
        kmem_cache_free(kmem, np, v!);
        expect([np.cpu_pool!.array, np.nr_objs]).toEqual([0, 0]);
        const f = kmem_cache_init(kmem, "f", 64, 0, null, null, null, 0);
        const fb = allocN(kmem, f, 2);
        be.setLimit("kmem_map", be.allocated("kmem_map")); // kmem_cpu_array_128 cannot grow
        kmem_cache_free(kmem, f, fb[0]!);
        expect([f.cpu_pool!.array, f.nr_objs]).toEqual([0, 1]);
        expect(kmem_verify(kmem)).toEqual([]);
    });
});

describe("kalloc", () => {
    for (const verify of [false, true]) {
        it(`sizes, caches and large blocks (verify ${verify})`, () => {
            const { be, kmem } = setup({ verify });
            kalloc_init(kmem);
            expect(kalloc(kmem, 0)).toBe(0);
            const a = kalloc(kmem, 33);
            const w = kmem_whatis(kmem, a)!;
            expect([w.cache.name, w.buffer, w.allocated]).toEqual(["kalloc_64", a, true]);
            if (verify) expect([...be.read(a + 33, 31)].every((x) => x === 0xbb)).toBe(true);
            const before = be.allocated("kmem_map");
            const big = kalloc(kmem, 200000);
            expect(be.allocated("kmem_map") - before).toBe(49 * PG);
            expect(kmem_whatis(kmem, big)).toBeNull();
            kfree(kmem, big, 200000);
            expect(be.allocated("kmem_map")).toBe(before);
            const m = kalloc(kmem, 131072);
            expect(kmem_whatis(kmem, m)!.cache.name).toBe("kalloc_131072");
            kfree(kmem, m, 131072);
            kfree(kmem, a, 33);
            kfree(kmem, 0, 10);
            expect(kmem_verify(kmem)).toEqual([]);
            be.setLimit("kmem_map", be.allocated("kmem_map"));
            expect(kalloc(kmem, 1 << 20)).toBe(0);
        });
    }
});
