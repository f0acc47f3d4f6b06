/*
 * test/unit/kernel/kern/slab.perf.test.ts — prints (does not assert) the
 * alloc+free throughput of a 64 B cache without VERIFY on the test
 * backend: one pair at a time, and batches of 1000.
 */
import { describe, expect, it } from "vitest";
import {
    kmem_cache_alloc,
    kmem_cache_free,
    kmem_cache_init,
    kmem_verify,
} from "../../../../kernel/kern/kmem.ts";
import { setup } from "./backend.ts";

function rate(pairs: number, ms: number): string {
    return `${Math.round(pairs / (ms / 1000)).toLocaleString("en-US")} pairs/s`;
}

describe("slab throughput (printed)", () => {
    for (const [strict, cpu_pools] of [
        [true, false],
        [false, false],
        [false, true],
    ] as const) {
        it(`64 B cache, no verify, strict backend ${strict}, cpu pools ${cpu_pools}`, () => {
            const { kmem } = setup({ strict, cpu_pools, garbage: null });
            const c = kmem_cache_init(kmem, "perf64", 64, 0, null, null, null, 0);
            const N = 300_000;
            let t = performance.now();
            for (let i = 0; i < N; i++) kmem_cache_free(kmem, c, kmem_cache_alloc(kmem, c));
            const single = performance.now() - t;
            const batch = new Array<number>(1000);
            t = performance.now();
            for (let r = 0; r < N / 1000; r++) {
                for (let i = 0; i < 1000; i++) batch[i] = kmem_cache_alloc(kmem, c);
                for (let i = 0; i < 1000; i++) kmem_cache_free(kmem, c, batch[i]!);
            }
            const batched = performance.now() - t;
            console.log(
                `slab perf (strict ${strict}, cpu pools ${cpu_pools}): single ${rate(N, single)}, ` +
                    `batches of 1000 ${rate(N, batched)}`,
            );
            expect(kmem_verify(kmem)).toEqual([]);
        });
    }
});
