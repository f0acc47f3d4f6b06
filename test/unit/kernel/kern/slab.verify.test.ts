/*
 * test/unit/kernel/kern/slab.verify.test.ts — fault injection: VERIFY mode
 * catches overruns, double frees, writes after free, foreign addresses and
 * corrupt buftags with GNU Mach's kmem_cache_error() messages (plus what
 * was found); kmem_cache_verify reports corruption without panicking; the
 * model's own checks outside VERIFY. Also slab_info()'s exact lines.
 */
import { describe, expect, it } from "vitest";
import { kalloc, kalloc_init, kfree } from "../../../../kernel/kern/kalloc.ts";
import {
    kmem_cache_alloc,
    kmem_cache_free,
    kmem_cache_init,
    kmem_cache_reap,
    kmem_cache_verify,
    slab_info,
    slab_info_data,
} from "../../../../kernel/kern/kmem.ts";
import { hex, invariantOf, panicOf, setup } from "./backend.ts";

const ERR = "mem: error: kmem_cache_error(): ";

describe("VERIFY fault injection", () => {
    it("overrun by one byte into the padding", () => {
        const { be, kmem } = setup({ verify: true });
        const c = kmem_cache_init(kmem, "v60", 60, 0, null, null, null, 0);
        const a = kmem_cache_alloc(kmem, c);
        be.write8(a + 60, 0x41);
        expect(panicOf(() => kmem_cache_free(kmem, c, a))).toBe(
            `${ERR}write beyond end of buffer, fault address: ${hex(a + 60)}, offset in buffer: 60, ` +
                `cache: v60, buffer: ${hex(a)} (found 0x41, expected 0xbb)`,
        );
        expect(be.console).toEqual([
            `mem: warning: kmem_cache_error(): cache: v60, buffer: ${a.toString(16)}\n`,
        ]);
    });

    it("overrun by one byte into the redzone word", () => {
        const { be, kmem } = setup({ verify: true });
        const c = kmem_cache_init(kmem, "v64", 64, 0, null, null, null, 0);
        const a = kmem_cache_alloc(kmem, c);
        be.write8(a + 64, 0x00);
        expect(panicOf(() => kmem_cache_free(kmem, c, a))).toBe(
            `${ERR}write beyond end of buffer, fault address: ${hex(a + 64)}, offset in buffer: 64, ` +
                `cache: v64, buffer: ${hex(a)} (found 0x00, expected 0xfe)`,
        );
    });

    it("double free", () => {
        const { kmem } = setup({ verify: true });
        const c = kmem_cache_init(kmem, "v64", 64, 0, null, null, null, 0);
        const a = kmem_cache_alloc(kmem, c);
        kmem_cache_alloc(kmem, c); // keeps the slab active
        kmem_cache_free(kmem, c, a);
        expect(panicOf(() => kmem_cache_free(kmem, c, a))).toBe(
            `${ERR}attempting to free the same address twice, cache: v64, buffer: ${hex(a)}`,
        );
    });

    it("double free of the last buffer of a slab is an invalid address (the slab left the active tree)", () => {
        const { kmem } = setup({ verify: true });
        const c = kmem_cache_init(kmem, "v64", 64, 0, null, null, null, 0);
        const a = kmem_cache_alloc(kmem, c);
        kmem_cache_free(kmem, c, a);
        expect(panicOf(() => kmem_cache_free(kmem, c, a))).toBe(
            `${ERR}freeing invalid address, cache: v64, buffer: ${hex(a)} (no active slab of this cache at or below it)`,
        );
    });

    it("double free through the CPU pool", () => {
        const { kmem } = setup({ verify: true, cpu_pools: true });
        const c = kmem_cache_init(kmem, "v64", 64, 0, null, null, null, 0);
        const a = kmem_cache_alloc(kmem, c);
        kmem_cache_free(kmem, c, a);
        expect(c.cpu_pool!.nr_objs).toBe(1);
        expect(panicOf(() => kmem_cache_free(kmem, c, a))).toBe(
            `${ERR}attempting to free the same address twice, cache: v64, buffer: ${hex(a)}`,
        );
    });

    for (const cpu_pools of [false, true]) {
        it(`use after free: a write to a freed buffer is caught when it is allocated again (cpu pools ${cpu_pools})`, () => {
            const { be, kmem } = setup({ verify: true, cpu_pools });
            const c = kmem_cache_init(kmem, "v64", 64, 0, null, null, null, 0);
            const a = kmem_cache_alloc(kmem, c);
            kmem_cache_alloc(kmem, c);
            kmem_cache_free(kmem, c, a);
            be.write32(a + 8, 0x41414141);
            expect(panicOf(() => kmem_cache_alloc(kmem, c))).toBe(
                `${ERR}free buffer modified, fault address: ${hex(a + 8)}, offset in buffer: 8, ` +
                    `cache: v64, buffer: ${hex(a)} (found 0x41, expected 0xde)`,
            );
        });
    }

    it("freeing a foreign address", () => {
        const { kmem } = setup({ verify: true });
        const a = kmem_cache_init(kmem, "va", 64, 0, null, null, null, 0);
        const b = kmem_cache_init(kmem, "vb", 64, 0, null, null, null, 0);
        const x = kmem_cache_alloc(kmem, a);
        const y = kmem_cache_alloc(kmem, b); // b's slab is above a's
        const sa = [...a.slabs][0]!;
        expect(panicOf(() => kmem_cache_free(kmem, a, y))).toBe(
            `${ERR}freeing invalid address, cache: va, buffer: ${hex(y)} ` +
                `(beyond the nearest active slab ${hex(sa.slab_buf)}..${hex(sa.slab_buf + 4096)})`,
        );
        expect(panicOf(() => kmem_cache_free(kmem, b, x))).toBe(
            `${ERR}freeing invalid address, cache: vb, buffer: ${hex(x)} (no active slab of this cache at or below it)`,
        );
        expect(panicOf(() => kmem_cache_free(kmem, a, x + 8))).toBe(
            `${ERR}freeing invalid address, cache: va, buffer: ${hex(x + 8)} ` +
                `(offset ${x + 8 - sa.addr} in slab ${hex(sa.slab_buf)} is not a multiple of buf_size 72)`,
        );
    });

    it("freeing an address past the last buffer (the embedded descriptor)", () => {
        const { kmem } = setup({ verify: true });
        const c = kmem_cache_init(kmem, "v24", 24, 0, null, null, null, 0); // buf 32: 127 buffers, descriptor at 4064
        const a = kmem_cache_alloc(kmem, c);
        const slab = [...c.slabs][0]!;
        expect(slab.va).toBe(slab.addr + 127 * 32);
        expect(panicOf(() => kmem_cache_free(kmem, c, slab.va))).toBe(
            `${ERR}freeing invalid address, cache: v24, buffer: ${hex(slab.va)} (buffer index 127 ≥ bufs_per_slab 127)`,
        );
        expect(a).not.toBe(0);
    });

    it("corrupt buftag", () => {
        const { be, kmem } = setup({ verify: true });
        const c = kmem_cache_init(kmem, "v64", 64, 0, null, null, null, 0);
        const a = kmem_cache_alloc(kmem, c);
        be.write32(a + c.buftag_dist, 0x12345678);
        expect(panicOf(() => kmem_cache_free(kmem, c, a))).toBe(
            `${ERR}invalid buftag content, buftag state: 0x12345678, cache: v64, buffer: ${hex(a)}`,
        );
    });

    it("kalloc: writes past the requested size are caught by kfree", () => {
        const { be, kmem } = setup({ verify: true });
        kalloc_init(kmem);
        const a = kalloc(kmem, 20);
        be.write8(a + 20, 0);
        expect(panicOf(() => kfree(kmem, a, 20))).toBe(
            `${ERR}write beyond end of buffer, fault address: ${hex(a + 20)}, offset in buffer: 20, ` +
                `cache: kalloc_32, buffer: ${hex(a)} (found 0x00, expected 0xbb; kfree size 20)`,
        );
    });

    it("reaping a slab whose free buffer was modified", () => {
        const { be, kmem } = setup({ verify: true });
        const c = kmem_cache_init(kmem, "v64", 64, 0, null, null, null, 0);
        const a = kmem_cache_alloc(kmem, c);
        kmem_cache_free(kmem, c, a);
        const victim = a - 3 * c.buf_size;
        be.write8(victim + 5, 0x99);
        expect(kmem_cache_verify(kmem, c)).toEqual([
            `v64: free buffer ${hex(victim)} modified at offset 5`,
        ]);
        expect(panicOf(() => kmem_cache_reap(kmem, c))).toBe(
            `${ERR}free buffer modified, fault address: ${hex(victim + 5)}, offset in buffer: 5, ` +
                `cache: v64, buffer: ${hex(victim)} (found 0x99, expected 0xad)`,
        );
    });

    it("kmem_cache_verify reports a clobbered redzone of a live buffer", () => {
        const { be, kmem } = setup({ verify: true });
        const c = kmem_cache_init(kmem, "v60", 60, 0, null, null, null, 0);
        const a = kmem_cache_alloc(kmem, c);
        be.write8(a + 62, 1);
        expect(kmem_cache_verify(kmem, c)).toEqual([
            `v60: allocated buffer ${hex(a)}: redzone overwritten at offset 62`,
        ]);
    });
});

describe("checks outside VERIFY", () => {
    it("a corrupt free-list pointer is caught when it is popped", () => {
        const { be, kmem } = setup();
        const c = kmem_cache_init(kmem, "t64", 64, 0, null, null, null, 0);
        const a = kmem_cache_alloc(kmem, c);
        kmem_cache_alloc(kmem, c);
        kmem_cache_free(kmem, c, a);
        be.write32(a + 60, 0xdeadbeef); // the bufctl is the buffer's last word
        expect(kmem_cache_verify(kmem, c)[0]).toMatch(
            /free list reaches 0xdeadbeef, not a bufctl of the slab/,
        );
        expect(panicOf(() => kmem_cache_alloc(kmem, c))).toMatch(
            /^mem: error: kmem_cache_alloc_from_slab\(\): free list corrupted, cache: t64, buffer: 0x[0-9a-f]{8} \(next bufctl 0xdeadbeef, 61 free buffers left/,
        );
    });

    it("a clobbered slab descriptor is reported by kmem_cache_verify", () => {
        const { be, kmem } = setup();
        const c = kmem_cache_init(kmem, "t64", 64, 0, null, null, null, 0);
        kmem_cache_alloc(kmem, c);
        const slab = [...c.slabs][0]!;
        be.write32(slab.va + 20, 7);
        expect(kmem_cache_verify(kmem, c)).toEqual([
            `t64: slab ${hex(slab.slab_buf)}: descriptor in memory (nr_refs 7, first_free ${hex(slab.first_free)}, ` +
                `addr ${hex(slab.addr)}) != (1, ${hex(slab.first_free)}, ${hex(slab.addr)})`,
        ]);
    });

    it("a foreign address fails Mach's assertions (an invariant failure of the model, not a panic)", () => {
        const { kmem } = setup();
        const a = kmem_cache_init(kmem, "t64", 64, 0, null, null, null, 0);
        const b = kmem_cache_init(kmem, "t512", 512, 0, null, null, null, 0);
        const x = kmem_cache_alloc(kmem, a);
        const y = kmem_cache_alloc(kmem, b);
        expect(invariantOf(() => kmem_cache_free(kmem, a, y))).toBe(
            `kmem_cache_free_to_slab: ${hex(y)} is in no slab of cache t64`,
        );
        expect(invariantOf(() => kmem_cache_free(kmem, b, x))).toBe(
            `kmem_cache_free_to_slab: no active slab of cache t512 at or below ${hex(x)}`,
        );
    });
});

describe("slab_info", () => {
    it("prints GNU Mach's table", () => {
        const { kmem } = setup();
        const e = kmem_cache_init(kmem, "vm_map_entry", 60, 0, null, null, null, 0);
        const big = kmem_cache_init(kmem, "big4k", 4096, 0, null, null, null, 0);
        kmem_cache_init(kmem, "a_name_longer_than_19", 24, 0, null, null, null, 0);
        for (let i = 0; i < 100; i++) kmem_cache_alloc(kmem, e);
        const bufs = Array.from({ length: 9 }, () => kmem_cache_alloc(kmem, big));
        for (const b of bufs.slice(0, 8)) kmem_cache_free(kmem, big, b);
        const lines: string[] = [];
        slab_info(kmem, (l) => lines.push(l));
        expect(lines).toEqual([
            "cache                  obj slab  bufs   objs   bufs    total reclaimable",
            "name                  size size /slab  usage  count   memory      memory",
            "kmem_slab               32   4k   127      2    127       4k          0k",
            "vm_map_entry            60   4k    63    100    126       8k          0k",
            "big4k                 4096  32k     8      1     16      64k         32k",
            "a_name_longer_than_19     24   4k   169      0      0       0k          0k",
        ]);
        expect(slab_info_data(kmem)[2]).toEqual({
            name: "big4k",
            flags: 0x02,
            cpu_pool_size: 0,
            obj_size: 4096,
            align: 8,
            buf_size: 4096,
            slab_size: 32768,
            bufs_per_slab: 8,
            nr_objs: 1,
            nr_bufs: 16,
            nr_slabs: 2,
            nr_free_slabs: 1,
            mem_usage: 64,
            mem_reclaimable: 32,
        });
    });
});
