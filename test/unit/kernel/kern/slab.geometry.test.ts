/*
 * test/unit/kernel/kern/slab.geometry.test.ts — slab size, buffers per
 * slab, colour range and layout flags of the 2011-12 .. 2016-02
 * kmem_cache_compute_sizes, with and without VERIFY; CPU pool types;
 * kalloc's cache index.
 */
import { describe, expect, it } from "vitest";
import { kalloc_get_index, kalloc_init } from "../../../../kernel/kern/kalloc.ts";
import {
    KMEM_CACHE_NOOFFSLAB,
    KMEM_CACHE_NORECLAIM,
    KMEM_CF_DIRECT,
    KMEM_CF_NO_CPU_POOL,
    KMEM_CF_NO_RECLAIM,
    KMEM_CF_SLAB_EXTERNAL,
    KMEM_CF_VERIFY,
    KMEM_CACHE_NOCPUPOOL,
    kmem_cache_compute_sizes,
    kmem_cache_init,
    kmem_create,
} from "../../../../kernel/kern/kmem.ts";
import { TestBackend } from "./backend.ts";

const D = KMEM_CF_DIRECT;
const X = KMEM_CF_SLAB_EXTERNAL;
const V = KMEM_CF_VERIFY;
const K = 1024;

// obj_size → [buf_size, slab_size, bufs_per_slab, color_max, flags] without and with VERIFY.
const TABLE: [
    number,
    [number, number, number, number, number],
    [number, number, number, number, number],
][] = [
    [16, [16, 4 * K, 254, 0, D], [24, 4 * K, 169, 8, D | V]],
    [24, [24, 4 * K, 169, 8, D], [32, 4 * K, 127, 0, D | V]],
    [32, [32, 4 * K, 127, 0, D], [40, 4 * K, 101, 24, D | V]],
    [48, [48, 4 * K, 84, 32, D], [56, 4 * K, 72, 32, D | V]],
    [60, [64, 4 * K, 63, 32, D], [72, 4 * K, 56, 32, D | V]],
    [64, [64, 4 * K, 63, 32, D], [72, 4 * K, 56, 32, D | V]],
    [96, [96, 4 * K, 42, 32, D], [104, 4 * K, 39, 8, D | V]],
    [128, [128, 4 * K, 31, 96, D], [136, 4 * K, 29, 120, D | V]],
    [192, [192, 4 * K, 21, 32, D], [200, 4 * K, 20, 64, D | V]],
    [256, [256, 4 * K, 15, 224, D], [264, 4 * K, 15, 104, D | V]],
    [384, [384, 4 * K, 10, 224, D], [392, 4 * K, 10, 144, D | V]],
    [500, [504, 4 * K, 8, 32, D], [512, 4 * K, 8, 0, X | V]],
    [512, [512, 4 * K, 8, 0, X], [520, 8 * K, 15, 360, V]],
    [768, [768, 4 * K, 5, 224, D], [776, 4 * K, 5, 184, D | V]],
    [1024, [1024, 8 * K, 8, 0, X], [1032, 12 * K, 11, 904, V]],
    [2048, [2048, 16 * K, 8, 0, X], [2056, 20 * K, 9, 1944, V]],
    [3000, [3000, 12 * K, 4, 256, 0], [3008, 12 * K, 4, 224, V]],
    [4096, [4096, 32 * K, 8, 0, X], [4104, 32 * K, 7, 4008, V]],
    [8192, [8192, 32 * K, 4, 0, X], [8200, 36 * K, 4, 4032, V]],
    [16384, [16384, 32 * K, 2, 0, X], [16392, 36 * K, 2, 4048, V]],
    [32768, [32768, 32 * K, 1, 0, X], [32776, 36 * K, 1, 4056, V]],
    [65536, [65536, 64 * K, 1, 0, X], [65544, 68 * K, 1, 4056, V]],
    [131072, [131072, 128 * K, 1, 0, X], [131080, 132 * K, 1, 4056, V]],
];

describe("slab geometry (2011-12 .. 2016-02)", () => {
    it("matches the reference table for the documented buffer sizes", () => {
        // docs/fidelity.md §7: buf_size → slab size, bufs/slab, layout.
        const ref: [number, number, number, number][] = [
            [8, 4 * K, 508, D],
            [16, 4 * K, 254, D],
            [32, 4 * K, 127, D],
            [48, 4 * K, 84, D],
            [64, 4 * K, 63, D],
            [128, 4 * K, 31, D],
            [256, 4 * K, 15, D],
            [512, 4 * K, 8, X],
            [1024, 8 * K, 8, X],
            [2048, 16 * K, 8, X],
            [4096, 32 * K, 8, X],
            [8192, 32 * K, 4, X],
            [16384, 32 * K, 2, X],
            [32768, 32 * K, 1, X],
            [65536, 64 * K, 1, X],
        ];
        for (const [buf, slab, bufs, flags] of ref) {
            const g = kmem_cache_compute_sizes(buf, 0);
            expect([buf, g.slab_size, g.bufs_per_slab, g.flags]).toEqual([buf, slab, bufs, flags]);
        }
    });

    for (const verify of [false, true]) {
        it(`kmem_cache_init ${verify ? "with" : "without"} VERIFY: 16 B .. 128 KiB`, () => {
            const kmem = kmem_create(new TestBackend(), { verify, cpu_pools: false });
            for (const [obj, plain, ver] of TABLE) {
                const c = kmem_cache_init(kmem, `t_${obj}`, obj, 0, null, null, null, 0);
                const [buf, slab, bufs, colorMax, flags] = verify ? ver : plain;
                expect({
                    obj,
                    buf: c.buf_size,
                    slab: c.slab_size,
                    bufs: c.bufs_per_slab,
                    colorMax: c.color_max,
                    flags: c.flags,
                }).toEqual({ obj, buf, slab, bufs, colorMax, flags });
                if (verify) {
                    const aligned = Math.ceil(obj / 8) * 8;
                    expect([c.bufctl_dist, c.buftag_dist, c.redzone_pad]).toEqual([
                        aligned,
                        aligned + 4,
                        aligned - obj,
                    ]);
                } else {
                    expect([c.bufctl_dist, c.buftag_dist, c.redzone_pad]).toEqual([buf - 4, 0, 0]);
                }
            }
        });
    }

    it("alignment, NOOFFSLAB, NORECLAIM, NOCPUPOOL and name truncation", () => {
        const kmem = kmem_create(new TestBackend(), { verify: false, cpu_pools: false });
        const a = kmem_cache_init(kmem, "aligned", 100, 64, null, null, null, 0);
        expect([a.align, a.buf_size, a.slab_size, a.bufs_per_slab, a.flags]).toEqual([
            64,
            128,
            4096,
            31,
            D,
        ]);
        const small = kmem_cache_init(kmem, "small_align", 1, 2, null, null, null, 0);
        expect([small.align, small.buf_size, small.bufs_per_slab]).toEqual([8, 8, 508]);
        // 4 KiB objects kept on-slab: 8 buffers do not fit below 32 KiB with the descriptor.
        const n = kmem_cache_init(
            kmem,
            "noofslab",
            4096,
            0,
            null,
            null,
            null,
            KMEM_CACHE_NOOFFSLAB,
        );
        expect([n.slab_size, n.bufs_per_slab, n.flags]).toEqual([32 * K, 7, 0]);
        const r = kmem_cache_init(
            kmem,
            "norecl",
            4096,
            0,
            null,
            () => 0,
            null,
            KMEM_CACHE_NORECLAIM,
        );
        expect([r.slab_size, r.bufs_per_slab, r.flags]).toEqual([32 * K, 7, KMEM_CF_NO_RECLAIM]);
        const np = kmem_cache_init(kmem, "nopool", 64, 0, null, null, null, KMEM_CACHE_NOCPUPOOL);
        expect(np.flags).toBe(D | KMEM_CF_NO_CPU_POOL);
        const long = kmem_cache_init(
            kmem,
            "a_very_long_cache_name_indeed",
            8,
            0,
            null,
            null,
            null,
            0,
        );
        expect(long.name).toBe("a_very_long_cache_name_");
    });

    it("vm_map_entry / kentry geometry: 63 entries per 4 KiB slab, 84 for the 48 B entry", () => {
        const kmem = kmem_create(new TestBackend(), { verify: false, cpu_pools: false });
        const e60 = kmem_cache_init(
            kmem,
            "vm_map_kentry",
            60,
            0,
            null,
            () => 0,
            null,
            KMEM_CACHE_NORECLAIM | KMEM_CACHE_NOCPUPOOL,
        );
        const e48 = kmem_cache_init(
            kmem,
            "vm_map_kentry48",
            48,
            0,
            null,
            () => 0,
            null,
            KMEM_CACHE_NORECLAIM,
        );
        expect([e60.bufs_per_slab, e60.slab_size, e48.bufs_per_slab]).toEqual([63, 4096, 84]);
    });

    it("CPU pool types by buffer size", () => {
        const kmem = kmem_create(new TestBackend(), { verify: false, cpu_pools: true });
        const names = kmem.caches.map((c) => c.name);
        expect(names).toEqual([
            "kmem_cpu_array_1",
            "kmem_cpu_array_8",
            "kmem_cpu_array_64",
            "kmem_cpu_array_128",
            "kmem_slab",
        ]);
        for (const [obj, size] of [
            [8, 128],
            [256, 128],
            [257, 64],
            [4096, 64],
            [4097, 8],
            [32768, 8],
            [32769, 1],
            [131072, 1],
        ] as const) {
            const c = kmem_cache_init(kmem, `p_${obj}`, obj, 0, null, null, null, 0);
            expect([obj, c.cpu_pool_type?.array_size, c.cpu_pool_type?.array_cache?.name]).toEqual([
                obj,
                size,
                `kmem_cpu_array_${size}`,
            ]);
            expect(c.cpu_pool).toEqual({
                flags: c.flags,
                size: 0,
                transfer_size: 0,
                nr_objs: 0,
                array: 0,
            });
        }
        const arr = kmem.caches.slice(0, 4).map((c) => [c.obj_size, c.align, c.buf_size]);
        expect(arr).toEqual([
            [4, 8, 8],
            [32, 64, 64],
            [256, 64, 256],
            [512, 64, 512],
        ]);
    });

    it("kalloc: index formula and the 13 caches", () => {
        const idx: [number, number][] = [
            [1, 0],
            [32, 0],
            [33, 1],
            [64, 1],
            [65, 2],
            [128, 2],
            [129, 3],
            [4096, 7],
            [4097, 8],
            [65536, 11],
            [131072, 12],
            [131073, 13],
            [1 << 20, 15],
        ];
        for (const [size, i] of idx) expect([size, kalloc_get_index(size)]).toEqual([size, i]);
        const kmem = kmem_create(new TestBackend(), { verify: false, cpu_pools: false });
        kalloc_init(kmem);
        expect(kmem.kalloc_caches.map((c) => c.name)).toEqual([
            "kalloc_32",
            "kalloc_64",
            "kalloc_128",
            "kalloc_256",
            "kalloc_512",
            "kalloc_1024",
            "kalloc_2048",
            "kalloc_4096",
            "kalloc_8192",
            "kalloc_16384",
            "kalloc_32768",
            "kalloc_65536",
            "kalloc_131072",
        ]);
        expect(kmem.caches.map((c) => c.name).slice(0, 2)).toEqual(["kmem_slab", "kalloc_32"]);
    });
});
