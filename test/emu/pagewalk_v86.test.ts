/*
 * Emu tier: the software page walker against v86's own translation.
 *
 * Random page tables (4 KiB pages, PSE 4 MiB pages, PAE 4 KiB and 2 MiB
 * pages) are written into the guest RAM of a real v86 machine, CR0/CR3/CR4
 * are loaded, and for every mapped VA v86's walker and ours must agree.
 * v86 aborts on a translation fault, so only mapped VAs are asked.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Machine } from "../../emulator/machine.ts";
import { page_walk } from "../../emulator/pagewalk.ts";
import {
    map4k,
    map4m,
    new_pd,
    new_pdpt,
    pae_map2m,
    pae_map4k,
    pt_alloc,
    P,
    W,
    U,
} from "../unit/emulator/ptbuild.ts";

const SEED = Number(process.env["EMU_SEED"] ?? Date.now() % 1_000_000);
console.log(`pagewalk_v86 seed=${SEED} (rerun with EMU_SEED=${SEED})`);

function rng(seed: number) {
    let s = seed >>> 0 || 1;
    return (n: number) => {
        s ^= s << 13;
        s >>>= 0;
        s ^= s >>> 17;
        s ^= s << 5;
        s >>>= 0;
        return s % n;
    };
}

const RAM = 64 << 20;
const CR0_PG_PE = 0x80000011;
let m: Machine;

beforeAll(async () => {
    m = await Machine.create({ memory: RAM });
});
afterAll(async () => {
    await m.destroy();
});

function clearTables(): void {
    m.mem.fill(16 << 20, 16 << 20, 0);
}

/** Map `count` random pages of `size`, never twice the same VA slot; returns the VAs. */
function randomMappings(
    count: number,
    size: number,
    map: (va: number, pa: number) => void,
    r: (n: number) => number,
): number[] {
    const used = new Set<number>();
    const vas: number[] = [];
    while (vas.length < count) {
        const slot = r(2 ** 32 / size);
        if (used.has(slot)) continue;
        used.add(slot);
        const va = slot * size;
        const pa = r(RAM / size) * size;
        map(va, pa);
        vas.push(va, va + size - 4, va + (r(size) & ~3));
    }
    return vas.map((v) => v >>> 0);
}

function compare(cr3: number, cr4: number, vas: number[]): void {
    m.setPaging(CR0_PG_PE, cr3, cr4);
    const mode = { cr0: CR0_PG_PE, cr3, cr4 };
    for (const va of vas) {
        const w = page_walk(m.mem, mode, va);
        expect(w.pa, `walker: VA 0x${va.toString(16)}`).not.toBeNull();
        expect(m.translate(va), `v86 vs walker at VA 0x${va.toString(16)}`).toBe(w.pa);
    }
}

describe("page walker agrees with v86", () => {
    it("2-level 4 KiB pages (thousands of random VAs)", () => {
        const r = rng(SEED);
        clearTables();
        const a = pt_alloc(m.mem, 16 << 20, 32 << 20);
        const cr3 = new_pd(a);
        const vas = randomMappings(
            1500,
            4096,
            (va, pa) => map4k(a, cr3, va, pa, P | W | (r(2) ? U : 0)),
            r,
        );
        compare(cr3, 0, vas);
    });

    it("2-level with PSE 4 MiB pages mixed with 4 KiB pages", () => {
        const r = rng(SEED + 1);
        clearTables();
        const a = pt_alloc(m.mem, 16 << 20, 32 << 20);
        const cr3 = new_pd(a);
        const big = randomMappings(150, 4 << 20, (va, pa) => map4m(a, cr3, va, pa, P | W), r);
        const bigSlots = new Set(big.map((v) => v >>> 22));
        const small: number[] = [];
        while (small.length < 1000) {
            const va = r(2 ** 20) * 4096;
            if (bigSlots.has(va >>> 22) || small.includes(va)) continue;
            map4k(a, cr3, va, r(RAM / 4096) * 4096, P);
            small.push(va, va + 0xffc);
        }
        compare(cr3, 0x10, [...big, ...small]);
    });

    it("PAE with 4 KiB and 2 MiB pages", () => {
        const r = rng(SEED + 2);
        clearTables();
        const a = pt_alloc(m.mem, 16 << 20, 32 << 20);
        const cr3 = new_pdpt(a);
        const big = randomMappings(200, 2 << 20, (va, pa) => pae_map2m(a, cr3, va, pa, P | W), r);
        const bigSlots = new Set(big.map((v) => Math.floor(v / (2 << 20))));
        const small: number[] = [];
        while (small.length < 1000) {
            const va = r(2 ** 20) * 4096;
            if (bigSlots.has(Math.floor(va / (2 << 20))) || small.includes(va)) continue;
            pae_map4k(a, cr3, va, r(RAM / 4096) * 4096, P | W);
            small.push(va, va + 0xffc);
        }
        compare(cr3, 0x30, [...big, ...small]);
    });
});
