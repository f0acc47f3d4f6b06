/*
 * Emulator tier: V86PhysMem's deferred writes (Machine.deferWrites). Bytes
 * given to defer() and copies of them read, write, fill, copy and report
 * their pages exactly as written bytes do, over RAM that already holds
 * data; materialize() puts them in RAM, where the CPU sees them. Every
 * operation is checked against a flat ArrayPhysMem.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Machine } from "../../emulator/machine.ts";
import { ArrayPhysMem } from "../../emulator/physmem.ts";
import type { PhysFill } from "../../emulator/types.ts";
import { prng } from "../prng.ts";

const MiB = 1 << 20;
const SIZE = 4 * MiB;

function first_difference(a: Uint8Array, b: Uint8Array): number {
    if (a.length !== b.length) return Math.min(a.length, b.length);
    return Buffer.compare(a, b) === 0 ? -1 : a.findIndex((x, i) => x !== b[i]);
}

/** A pure fill: byte j of the region is a function of j and the salt. */
const fill =
    (salt: number): PhysFill =>
    (dst, off) => {
        for (let j = 0; j < dst.length; j++) dst[j] = ((off + j) * 7 + salt) & 0xff || 1;
    };

describe("V86PhysMem deferred writes", () => {
    let m: Machine;
    beforeAll(async () => {
        m = await Machine.create({ memory: SIZE });
    });
    afterAll(async () => {
        await m.destroy();
    });

    it("has no defer() until deferWrites()", async () => {
        const plain = await Machine.create({ memory: 2 * MiB });
        expect(plain.mem.defer).toBeUndefined();
        await plain.destroy();
    });

    it("deferred bytes behave as written bytes (random operations over RAM with data)", () => {
        m.deferWrites();
        const mem = m.mem;
        for (let seed = 1; seed <= 10; seed++) {
            const next = prng(seed);
            const rnd = () => next() / 2 ** 32;
            const int = (n: number) => Math.floor(rnd() * n);
            const flat = new ArrayPhysMem(SIZE);
            // RAM that already holds data where pieces will lie.
            const base = new Uint8Array(SIZE);
            fill(seed * 13)(base.subarray(0, SIZE / 2), 0);
            mem.write(0, base);
            flat.write(0, base);
            const at = () => (rnd() < 0.3 ? MiB - int(8192) : int(SIZE - 300_000));
            for (let op = 0; op < 60; op++) {
                const pa = at();
                const len = 1 + int(rnd() < 0.5 ? 300_000 : 5000);
                const end = Math.min(len, SIZE - pa);
                const where = `seed ${seed} op ${op}`;
                switch (int(7)) {
                    case 0: {
                        const f = fill(op);
                        mem.defer!(pa, end, f);
                        const b = new Uint8Array(end);
                        f(b, 0);
                        flat.write(pa, b);
                        break;
                    }
                    case 1: {
                        const to = at();
                        const n = Math.min(end, SIZE - to);
                        mem.copy!(to, pa, n);
                        flat.copy(to, pa, n);
                        break;
                    }
                    case 2:
                        mem.fill(pa, end, op & 1 ? 0 : 0x33);
                        flat.fill(pa, end, op & 1 ? 0 : 0x33);
                        break;
                    case 3:
                        mem.write32(pa & ~3, 0xdead0000 + op);
                        flat.write32(pa & ~3, 0xdead0000 + op);
                        break;
                    case 4:
                        expect(mem.read32(pa), where).toBe(flat.read32(pa));
                        break;
                    case 5:
                        m.materialize(pa, end);
                        break;
                    default:
                        expect(first_difference(mem.read(pa, end), flat.read(pa, end)), where).toBe(
                            -1,
                        );
                }
            }
            expect(first_difference(mem.read(0, SIZE), flat.read(0, SIZE))).toBe(-1);
            const touched = mem.touchedPages?.();
            if (touched) {
                const bytes = flat.read(0, SIZE);
                for (let p = 0; p < SIZE / 4096; p++)
                    if (bytes.subarray(p * 4096, (p + 1) * 4096).some((b) => b !== 0))
                        expect(touched[p], `seed ${seed} page ${p}`).toBe(1);
            }
            // In RAM itself (what the CPU reads) once materialized: a live view sees it all.
            m.materializeAll();
            expect(first_difference(mem.view!(0, SIZE)!, flat.read(0, SIZE))).toBe(-1);
        }
    });

    it("a copy of deferred bytes stays deferred until used", () => {
        m.deferWrites();
        const calls: number[] = [];
        m.mem.defer!(MiB + 100, MiB, (dst, off) => {
            calls.push(off);
            dst.fill(off & 0xff ? 7 : 9);
        });
        m.mem.copy!(2 * MiB + 4108, MiB + 100, MiB);
        expect(calls).toEqual([]);
        expect(m.mem.view!(2 * MiB + 4108, 16)).toBeUndefined();
        expect(m.mem.read8(2 * MiB + 4108 + 5)).toBe(9);
        expect(calls.length).toBeGreaterThan(0);
        m.materializeAll();
        expect(m.mem.view!(MiB + 100, 1)![0]).toBe(9);
    });
});
