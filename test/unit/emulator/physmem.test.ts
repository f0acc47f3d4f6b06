/*
 * Unit tier: SparsePhysMem — word access inside and across chunks, live
 * views, and release(): a released memory refuses every access, and the
 * next memory gets the chunks back zeroed.
 */
import { describe, expect, it } from "vitest";
import { SparsePhysMem } from "../../../emulator/physmem.ts";

const MiB = 1 << 20;

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
});
