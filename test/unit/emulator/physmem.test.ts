/*
 * Unit tier: SparsePhysMem — word access inside and across chunks, live
 * views, and release(): a released memory refuses every access, and the
 * next memory gets the chunks back zeroed. Deferred bytes (defer, copy)
 * read, write, copy and report their pages exactly as written bytes do:
 * every operation is checked against a flat ArrayPhysMem.
 */
import { describe, expect, it } from "vitest";
import { ArrayPhysMem, SparsePhysMem } from "../../../emulator/physmem.ts";
import type { PhysFill } from "../../../emulator/types.ts";
import { prng } from "../../prng.ts";

const MiB = 1 << 20;

/** The first index where a and b differ, −1 when equal (toEqual is slow on megabytes). */
function first_difference(a: Uint8Array, b: Uint8Array): number {
    if (a.length !== b.length) return Math.min(a.length, b.length);
    return Buffer.compare(a, b) === 0 ? -1 : a.findIndex((x, i) => x !== b[i]);
}

describe("SparsePhysMem", () => {
    it("aligned, unaligned and chunk-crossing 32-bit access agree with byte access", () => {
        const m = new SparsePhysMem(4 * MiB);
        for (const pa of [0x100, 0x101, 0x102, 0x103, MiB - 2, MiB - 4, 2 * MiB]) {
            m.write32(pa, 0xa1b2c3d4);
            expect(m.read32(pa), `at ${pa}`).toBe(0xa1b2c3d4);
            expect([0, 1, 2, 3].map((i) => m.read8(pa + i))).toEqual([0xd4, 0xc3, 0xb2, 0xa1]);
        }
        expect(m.read32(3 * MiB)).toBe(0); // never written
    });

    it("view is live inside one existing chunk, undefined across chunks or where nothing was written", () => {
        const m = new SparsePhysMem(4 * MiB);
        m.write(0x2000, new Uint8Array([1, 2, 3]));
        const v = m.view(0x2000, 3)!;
        expect([...v]).toEqual([1, 2, 3]);
        m.write8(0x2001, 9);
        expect(v[1]).toBe(9);
        expect(m.view(MiB - 2, 4)).toBeUndefined();
        expect(m.view(3 * MiB, 16)).toBeUndefined();
    });

    it("release: the memory refuses access; the next one reuses the chunks, zeroed", () => {
        const a = new SparsePhysMem(4 * MiB);
        a.fill(0, 2 * MiB, 0x5a);
        a.release();
        expect(() => a.read32(0x1000)).toThrow(/used after release/);
        expect(() => a.write8(0x1000, 1)).toThrow(/used after release/);
        const b = new SparsePhysMem(4 * MiB);
        b.write8(0x10, 1);
        b.write8(MiB + 0x10, 1);
        expect(b.read(0, 0x10).every((x) => x === 0)).toBe(true);
        expect(b.read(MiB + 0x11, 4096).every((x) => x === 0)).toBe(true);
        expect(b.residentPages()).toEqual([0, 256]);
    });

    it("deferred bytes read, write, fill and copy as written bytes do (random operations)", () => {
        const size = 3 * MiB + 4096;
        for (let seed = 1; seed <= 12; seed++) {
            const next = prng(seed);
            const rnd = () => next() / 2 ** 32;
            const int = (n: number) => Math.floor(rnd() * n);
            const sparse = new SparsePhysMem(size);
            const flat = new ArrayPhysMem(size);
            // A pure fill: byte j of the region is a function of j and the seed.
            const fill =
                (salt: number): PhysFill =>
                (dst, off) => {
                    for (let j = 0; j < dst.length; j++)
                        dst[j] = ((off + j) * 7 + salt) & 0xff || 1;
                };
            const at = () => (rnd() < 0.3 ? MiB - int(8192) : int(size - 200_000));
            for (let op = 0; op < 60; op++) {
                const pa = at();
                const len = 1 + int(rnd() < 0.5 ? 300_000 : 5000);
                const end = Math.min(len, size - pa);
                switch (int(6)) {
                    case 0: {
                        const f = fill(op);
                        sparse.defer(pa, end, f);
                        const b = new Uint8Array(end);
                        f(b, 0);
                        flat.write(pa, b);
                        break;
                    }
                    case 1: {
                        const to = at();
                        const n = Math.min(end, size - to);
                        sparse.copy(to, pa, n);
                        flat.copy(to, pa, n);
                        break;
                    }
                    case 2:
                        sparse.fill(pa, end, op & 1 ? 0 : 0x33);
                        flat.fill(pa, end, op & 1 ? 0 : 0x33);
                        break;
                    case 3:
                        sparse.write32(pa & ~3, 0xdead0000 + op);
                        flat.write32(pa & ~3, 0xdead0000 + op);
                        break;
                    case 4:
                        expect(sparse.read32(pa), `seed ${seed} op ${op}`).toBe(flat.read32(pa));
                        break;
                    default:
                        expect(
                            first_difference(sparse.read(pa, end), flat.read(pa, end)),
                            `seed ${seed} op ${op}`,
                        ).toBe(-1);
                }
            }
            expect(first_difference(sparse.read(0, size), flat.read(0, size))).toBe(-1);
            const touched = sparse.touchedPages();
            const bytes = flat.read(0, size);
            for (let p = 0; p < size / 4096; p++)
                if (bytes.subarray(p * 4096, (p + 1) * 4096).some((b) => b !== 0))
                    expect(touched[p], `seed ${seed} page ${p}`).toBe(1);
            sparse.release();
        }
    });

    it("a copy of deferred bytes is deferred: only the chunks used are made", () => {
        const m = new SparsePhysMem(64 * MiB);
        const calls: number[] = [];
        m.defer(MiB + 100, 8 * MiB, (dst, off) => {
            calls.push(off);
            dst.fill(off & 0xff ? 7 : 9);
        });
        m.copy(20 * MiB + 12, MiB + 100, 8 * MiB);
        m.copy(40 * MiB, 20 * MiB + 12 + 4096, 4 * MiB);
        expect(calls).toEqual([]);
        expect(m.read8(40 * MiB + 5)).not.toBe(0);
        // The one 64 KiB chunk read: its one or two pieces (the copies were not chunk-aligned).
        expect(calls.length).toBeGreaterThan(0);
        expect(calls.length).toBeLessThanOrEqual(2);
        expect(m.residentPages().length).toBeGreaterThanOrEqual((20 * MiB) / 4096);
    });
});
