/*
 * test/unit/emulator/pagewalk.test.ts — the software page walker against
 * hand-built page tables (see ptbuild.ts).
 *
 * The randomized tests print their seed; rerun one with
 *   PAGEWALK_SEED=<seed> npx vitest run test/unit/emulator/pagewalk.test.ts
 */
import { describe, expect, it } from "vitest";
import { ArrayPhysMem, SparsePhysMem } from "../../../emulator/physmem.ts";
import {
    INTEL_PTE,
    format_walk,
    page_walk,
    type PagingMode,
    type Walk,
} from "../../../emulator/pagewalk.ts";
import { prng } from "../../prng.ts";
import {
    P,
    PS,
    U,
    W,
    alloc_page,
    map4k,
    map4m,
    new_pd,
    new_pdpt,
    pae_map2m,
    pae_map4k,
    pde_addr,
    pt_alloc,
} from "./ptbuild.ts";

const MiB = 0x100000;
const GiB = 0x40000000;
const TWO32 = 0x100000000;
const PG = 0x80000000;
const PSE = 0x10;
const PAE = 0x20;
const A = INTEL_PTE.INTEL_PTE_REF;
const D = INTEL_PTE.INTEL_PTE_MOD;
const G = INTEL_PTE.INTEL_PTE_GLOBAL;

/** 16 MiB of RAM with table pages allocated from 1 MiB up. */
function setup() {
    const mem = new ArrayPhysMem(16 * MiB);
    const a = pt_alloc(mem, 1 * MiB);
    return { mem, a };
}

const mode2 = (cr3: number, pse = false): PagingMode => ({ cr0: PG | 1, cr3, cr4: pse ? PSE : 0 });
const modePae = (cr3: number): PagingMode => ({ cr0: PG | 1, cr3, cr4: PAE });

describe("INTEL_PTE", () => {
    it("has GNU Mach's bit values", () => {
        expect(INTEL_PTE).toEqual({
            INTEL_PTE_VALID: 0x1,
            INTEL_PTE_WRITE: 0x2,
            INTEL_PTE_USER: 0x4,
            INTEL_PTE_WTHRU: 0x8,
            INTEL_PTE_NCACHE: 0x10,
            INTEL_PTE_REF: 0x20,
            INTEL_PTE_MOD: 0x40,
            INTEL_PTE_PS: 0x80,
            INTEL_PTE_GLOBAL: 0x100,
        });
    });
});

describe("paging off", () => {
    it("is the identity with no steps, whatever CR3/CR4 hold", () => {
        const { mem } = setup();
        for (const va of [0, 0x1234, 0xc0000000, 0xffffffff]) {
            for (const cr4 of [0, PSE, PAE]) {
                const w = page_walk(mem, { cr0: 1, cr3: 0xdead000, cr4 }, va);
                expect(w).toEqual({
                    va,
                    pa: va,
                    steps: [],
                    pageSize: 4096,
                    writable: true,
                    user: true,
                });
            }
        }
    });
});

describe("2-level paging", () => {
    it("walks a 4 KiB page through PDE and PTE", () => {
        const { mem, a } = setup();
        const cr3 = new_pd(a);
        const pteAt = map4k(a, cr3, 0xc0001000, 0x00456000, P | W | A | D);
        const w = page_walk(mem, mode2(cr3), 0xc0001abc);
        expect(w.pa).toBe(0x00456abc);
        expect(w.pageSize).toBe(4096);
        expect(w.fault).toBeUndefined();
        expect(w.steps).toHaveLength(2);
        const [pde, pte] = w.steps;
        const pt = cr3 + 0x1000;
        expect(pde).toEqual({
            level: "PDE",
            index: 0x300,
            entryAddr: cr3 + 0xc00,
            entry: pt | P | W | U,
            flags: "P W U",
            note: `present, page table at 0x${pt.toString(16).padStart(8, "0")}`,
        });
        expect(pte).toEqual({
            level: "PTE",
            index: 1,
            entryAddr: pteAt,
            entry: 0x00456000 | P | W | A | D,
            flags: "P W A D",
            note: "4 KiB page at 0x00456000",
        });
        expect(pte?.entryHigh).toBeUndefined();
        expect(w.writable).toBe(true);
        expect(w.user).toBe(false);
    });

    it("handles boundary VAs 0, 0xC0000000 and 0xFFFFFFFF", () => {
        const { mem, a } = setup();
        const cr3 = new_pd(a);
        map4k(a, cr3, 0x00000000, 0x00abc000, P);
        map4k(a, cr3, 0xc0000000, 0x00def000, P);
        map4k(a, cr3, 0xfffff000, 0xfffff000, P | W);
        expect(page_walk(mem, mode2(cr3), 0).pa).toBe(0x00abc000);
        expect(page_walk(mem, mode2(cr3), 0xc0000000).pa).toBe(0x00def000);
        const top = page_walk(mem, mode2(cr3), 0xffffffff);
        expect(top.pa).toBe(0xffffffff);
        expect(top.steps.map((s) => s.index)).toEqual([0x3ff, 0x3ff]);
        expect(top.steps[0]?.entryAddr).toBe(cr3 + 0xffc);
        // Just below and just above a mapped page are unmapped.
        expect(page_walk(mem, mode2(cr3), 0xbfffffff).pa).toBeNull();
        expect(page_walk(mem, mode2(cr3), 0xc0001000).pa).toBeNull();
    });

    it("normalizes a negative VA with >>> 0", () => {
        const { mem, a } = setup();
        const cr3 = new_pd(a);
        map4k(a, cr3, 0xfffff000, 0x00123000, P);
        const w = page_walk(mem, mode2(cr3), -1);
        expect(w.va).toBe(0xffffffff);
        expect(w.pa).toBe(0x00123fff);
    });

    it("returns unsigned PAs above 2 GiB", () => {
        const { mem, a } = setup();
        const cr3 = new_pd(a);
        map4k(a, cr3, 0x1000, 0xfee00000, P | W);
        map4m(a, cr3, 0x00400000, 0xffc00000, P);
        expect(page_walk(mem, mode2(cr3, true), 0x1020).pa).toBe(0xfee00020);
        expect(page_walk(mem, mode2(cr3, true), 0x007fffff).pa).toBe(0xffffffff);
    });

    it("ignores the low 12 bits of CR3 (PWT/PCD)", () => {
        const { mem, a } = setup();
        const cr3 = new_pd(a);
        map4k(a, cr3, 0x5000, 0x9000, P);
        expect(page_walk(mem, mode2(cr3 | 0x18), 0x5004).pa).toBe(0x9004);
    });

    it("reports a not-present PDE", () => {
        const { mem, a } = setup();
        const cr3 = new_pd(a);
        mem.write32(pde_addr(cr3, 0xc0000000), 0x00123006); // W|U but no P
        const w = page_walk(mem, mode2(cr3), 0xc0000000);
        expect(w.pa).toBeNull();
        expect(w.pageSize).toBe(0);
        expect(w.writable).toBe(false);
        expect(w.user).toBe(false);
        expect(w.fault).toBe("PDE 0x300 not present");
        expect(w.steps).toHaveLength(1);
        expect(w.steps[0]?.note).toBe("not present");
        expect(w.steps[0]?.flags).toBe("W U");
    });

    it("reports a not-present PTE", () => {
        const { mem, a } = setup();
        const cr3 = new_pd(a);
        map4k(a, cr3, 0x00401000, 0x00777000, W | U); // leaf without P
        const w = page_walk(mem, mode2(cr3), 0x00401fff);
        expect(w.pa).toBeNull();
        expect(w.fault).toBe("PTE 0x1 not present");
        expect(w.steps.map((s) => s.level)).toEqual(["PDE", "PTE"]);
        expect(w.steps[1]?.note).toBe("not present");
        // A neighbouring never-written PTE reads as zero.
        const z = page_walk(mem, mode2(cr3), 0x00402000);
        expect(z.fault).toBe("PTE 0x2 not present");
        expect(z.steps[1]?.entry).toBe(0);
        expect(z.steps[1]?.flags).toBe("-");
    });

    it("ANDs R/W and U/S across PDE and PTE", () => {
        for (let bits = 0; bits < 16; bits++) {
            const { mem, a } = setup();
            const cr3 = new_pd(a);
            const pdeW = (bits & 1) !== 0,
                pdeU = (bits & 2) !== 0;
            const pteW = (bits & 4) !== 0,
                pteU = (bits & 8) !== 0;
            map4k(
                a,
                cr3,
                0x08000000,
                0x00100000,
                P | (pteW ? W : 0) | (pteU ? U : 0),
                P | (pdeW ? W : 0) | (pdeU ? U : 0),
            );
            const w = page_walk(mem, mode2(cr3), 0x08000000);
            expect(w.pa, `bits ${bits}`).toBe(0x00100000);
            expect(w.writable, `bits ${bits}`).toBe(pdeW && pteW);
            expect(w.user, `bits ${bits}`).toBe(pdeU && pteU);
        }
    });

    it("maps a 4 MiB page when CR4.PSE is set", () => {
        const { mem, a } = setup();
        const cr3 = new_pd(a);
        const at = map4m(a, cr3, 0xc0000000, 0x00c00000, P | W | G);
        const w = page_walk(mem, mode2(cr3, true), 0xc0123456);
        expect(w.pa).toBe(0x00d23456);
        expect(w.pageSize).toBe(4 * MiB);
        expect(w.writable).toBe(true);
        expect(w.user).toBe(false);
        expect(w.steps).toEqual([
            {
                level: "PDE",
                index: 0x300,
                entryAddr: at,
                entry: 0x00c00000 | P | W | PS | G,
                flags: "P W PS G",
                note: "4 MiB page at 0x00c00000",
            },
        ]);
        expect(page_walk(mem, mode2(cr3, true), 0xc03fffff).pa).toBe(0x00ffffff);
        expect(page_walk(mem, mode2(cr3, true), 0xc0400000).pa).toBeNull();
    });

    it("ignores PSE-36 high address bits of a 4 MiB PDE", () => {
        const { mem, a } = setup();
        const cr3 = new_pd(a);
        // Bits 13-20 would be PA bits 32-39 under PSE-36; bit 12 is PAT.
        mem.write32(
            pde_addr(cr3, 0x00800000),
            (0x01000000 | 0x001fe000 | 0x1000 | P | U | PS) >>> 0,
        );
        const w = page_walk(mem, mode2(cr3, true), 0x00812345);
        expect(w.pa).toBe(0x01012345);
        expect(w.user).toBe(true);
        expect(w.steps[0]?.flags).toBe("P U PS PAT");
    });

    it("treats PS as a page-table pointer when CR4.PSE is clear", () => {
        const { mem, a } = setup();
        const cr3 = new_pd(a);
        // PDE with PS pointing at 0x00800000; put a page table there.
        const pdeAt = map4m(a, cr3, 0x00400000, 0x00800000, P | W | U);
        mem.write32(0x00800000 + 4 * 5, 0x00333000 | P | U);
        const off = page_walk(mem, mode2(cr3, false), 0x00405010);
        expect(off.pa).toBe(0x00333010);
        expect(off.pageSize).toBe(4096);
        expect(off.steps).toHaveLength(2);
        expect(off.steps[0]?.entryAddr).toBe(pdeAt);
        expect(off.steps[0]?.flags).toBe("P W U PS");
        expect(off.steps[0]?.note).toBe(
            "present, page table at 0x00800000 (PS ignored: CR4.PSE clear)",
        );
        expect(off.steps[1]?.entryAddr).toBe(0x00800014);
        expect(off.writable).toBe(false);
        expect(off.user).toBe(true);
        // The same tables with PSE on: a 4 MiB page.
        const on = page_walk(mem, mode2(cr3, true), 0x00405010);
        expect(on.pa).toBe(0x00805010);
        expect(on.pageSize).toBe(4 * MiB);
        expect(on.writable).toBe(true);
    });

    it("takes U/S and R/W from the PDE alone for a 4 MiB page", () => {
        const { mem, a } = setup();
        const cr3 = new_pd(a);
        map4m(a, cr3, 0, 0, P | U);
        const w = page_walk(mem, mode2(cr3, true), 0x1234);
        expect(w.pa).toBe(0x1234);
        expect(w.writable).toBe(false);
        expect(w.user).toBe(true);
    });

    it("flags page directories read from outside RAM", () => {
        const { mem } = setup();
        // Reads beyond RAM give 0xFF bytes: a present 4 MiB page at 0xFFC00000.
        const w = page_walk(mem, mode2(32 * MiB, true), 0x00001234);
        expect(w.pa).toBe(0xffc01234);
        expect(w.steps[0]?.note).toBe("4 MiB page at 0xffc00000 (entry beyond RAM)");
    });
});

describe("PAE paging", () => {
    it("walks a 4 KiB page through PDPTE, PDE and PTE", () => {
        const { mem, a } = setup();
        const cr3 = new_pdpt(a);
        const pteAt = pae_map4k(a, cr3, 0xc0201000, 0x00456000, P | W | U | A);
        const w = page_walk(mem, modePae(cr3), 0xc0201abc);
        expect(w.pa).toBe(0x00456abc);
        expect(w.pageSize).toBe(4096);
        expect(w.writable).toBe(true);
        expect(w.user).toBe(true);
        const pd = cr3 + 0x1000,
            pt = cr3 + 0x2000;
        expect(w.steps).toEqual([
            {
                level: "PDPTE",
                index: 3,
                entryAddr: cr3 + 24,
                entry: pd | P,
                entryHigh: 0,
                flags: "P",
                note: `present, page directory at 0x${pd.toString(16).padStart(8, "0")}`,
            },
            {
                level: "PDE",
                index: 1,
                entryAddr: pd + 8,
                entry: pt | P | W | U,
                entryHigh: 0,
                flags: "P W U",
                note: `present, page table at 0x${pt.toString(16).padStart(8, "0")}`,
            },
            {
                level: "PTE",
                index: 1,
                entryAddr: pteAt,
                entry: 0x00456000 | P | W | U | A,
                entryHigh: 0,
                flags: "P W U A",
                note: "4 KiB page at 0x00456000",
            },
        ]);
        expect(pteAt).toBe(pt + 8);
    });

    it("maps a 2 MiB page, with or without CR4.PSE", () => {
        const { mem, a } = setup();
        const cr3 = new_pdpt(a);
        pae_map2m(a, cr3, 0x40200000, 0x00e00000, P | W | D);
        for (const cr4 of [PAE, PAE | PSE]) {
            const w = page_walk(mem, { cr0: PG | 1, cr3, cr4 }, 0x402fedcb);
            expect(w.pa).toBe(0x00efedcb);
            expect(w.pageSize).toBe(2 * MiB);
            expect(w.steps.map((s) => s.level)).toEqual(["PDPTE", "PDE"]);
            expect(w.steps[1]?.note).toBe("2 MiB page at 0x00e00000");
            expect(w.steps[1]?.flags).toBe("P W D PS");
            expect(w.writable).toBe(true);
            expect(w.user).toBe(false);
        }
    });

    it("handles boundary VAs 0, 0xC0000000 and 0xFFFFFFFF", () => {
        const { mem, a } = setup();
        const cr3 = new_pdpt(a);
        pae_map4k(a, cr3, 0, 0x00111000, P);
        pae_map4k(a, cr3, 0xc0000000, 0x00222000, P);
        pae_map2m(a, cr3, 0xffe00000, 0x00600000, P);
        expect(page_walk(mem, modePae(cr3), 0).pa).toBe(0x00111000);
        expect(page_walk(mem, modePae(cr3), 0xc0000000).pa).toBe(0x00222000);
        const top = page_walk(mem, modePae(cr3), 0xffffffff);
        expect(top.pa).toBe(0x007fffff);
        expect(top.steps.map((s) => s.index)).toEqual([3, 0x1ff]);
        expect(page_walk(mem, modePae(cr3), 0xbfffffff).fault).toBe("PDPTE 0x2 not present");
    });

    it("reports a not-present PDPTE, PDE and PTE", () => {
        const { mem, a } = setup();
        const cr3 = new_pdpt(a);
        pae_map4k(a, cr3, 0x00001000, 0x5000, 0);
        const pdpte = page_walk(mem, modePae(cr3), 0xc0000000);
        expect(pdpte.pa).toBeNull();
        expect(pdpte.fault).toBe("PDPTE 0x3 not present");
        expect(pdpte.steps).toHaveLength(1);
        expect(pdpte.steps[0]?.note).toBe("not present");
        expect(pdpte.pageSize).toBe(0);

        const pde = page_walk(mem, modePae(cr3), 0x3fe00000);
        expect(pde.fault).toBe("PDE 0x1ff not present");
        expect(pde.steps.map((s) => s.level)).toEqual(["PDPTE", "PDE"]);

        const pte = page_walk(mem, modePae(cr3), 0x00001000);
        expect(pte.fault).toBe("PTE 0x1 not present");
        expect(pte.steps).toHaveLength(3);
        expect(pte.writable).toBe(false);
        expect(pte.user).toBe(false);
    });

    it("ignores the low 5 bits of CR3 and needs only 32-byte alignment", () => {
        const { mem, a } = setup();
        const page = new_pdpt(a);
        // Build a PDPT at page+0x40 by copying one built at the page start.
        pae_map4k(a, page, 0x80000000, 0x00abc000, P | W);
        mem.write(page + 0x40, mem.read(page, 32));
        const w = page_walk(mem, modePae((page + 0x40) | 0x18), 0x80000123);
        expect(w.pa).toBe(0x00abc123);
        expect(w.steps[0]?.entryAddr).toBe(page + 0x40 + 16);
    });

    it("ANDs R/W and U/S across PDE and PTE; PDPTE counts as 1", () => {
        for (let bits = 0; bits < 16; bits++) {
            const { mem, a } = setup();
            const cr3 = new_pdpt(a);
            const pdeW = (bits & 1) !== 0,
                pdeU = (bits & 2) !== 0;
            const pteW = (bits & 4) !== 0,
                pteU = (bits & 8) !== 0;
            pae_map4k(a, cr3, 0x7fff0000, 0x00100000, P | (pteW ? W : 0) | (pteU ? U : 0), {
                dirFlags: P | (pdeW ? W : 0) | (pdeU ? U : 0),
            });
            const w = page_walk(mem, modePae(cr3), 0x7fff0000);
            expect(w.pa, `bits ${bits}`).toBe(0x00100000);
            expect(w.steps[0]?.flags).toBe("P");
            expect(w.writable, `bits ${bits}`).toBe(pdeW && pteW);
            expect(w.user, `bits ${bits}`).toBe(pdeU && pteU);
        }
    });

    it("computes physical addresses above 4 GiB exactly", () => {
        const { mem, a } = setup();
        const cr3 = new_pdpt(a);
        pae_map4k(a, cr3, 0x1000, 0x0f_8765_4000, P | W, { nx: true });
        pae_map2m(a, cr3, 0x00400000, 0x12_ffe0_0000, P);
        const small = page_walk(mem, modePae(cr3), 0x1fff);
        expect(small.pa).toBe(0x0f_8765_4fff);
        expect(small.steps[2]?.entryHigh).toBe((0x80000000 | 0x0f) >>> 0);
        expect(small.steps[2]?.entry).toBe((0x87654000 | P | W) >>> 0);
        expect(small.steps[2]?.flags).toBe("P W NX");
        expect(small.steps[2]?.note).toBe("4 KiB page at 0xf87654000");
        const big = page_walk(mem, modePae(cr3), 0x005fffff);
        expect(big.pa).toBe(0x12_ffff_ffff);
        expect(big.pageSize).toBe(2 * MiB);
        expect(big.steps[1]?.note).toBe("2 MiB page at 0x12ffe00000");
    });

    it("ignores PAE entry bits 52-63 as address bits", () => {
        const { mem, a } = setup();
        const cr3 = new_pdpt(a);
        const pteAt = pae_map4k(a, cr3, 0x2000, 0x3_0000_5000, P);
        mem.write32(pteAt + 4, (0xfff00000 | 3) >>> 0);
        const w = page_walk(mem, modePae(cr3), 0x2010);
        expect(w.pa).toBe(0x3_0000_5010);
        expect(w.steps[2]?.flags).toBe("P NX");
    });

    it("follows tables that live above 4 GiB (SparsePhysMem)", () => {
        const mem = new SparsePhysMem(8 * GiB);
        const a = pt_alloc(mem, 0x1000);
        const cr3 = new_pdpt(a);
        a.next = 5 * GiB; // PD and PT above 4 GiB
        pae_map4k(a, cr3, 0xc0000000, 0x1_8000_0000, P | W | U);
        const w = page_walk(mem, modePae(cr3), 0xc0000042);
        expect(w.pa).toBe(0x1_8000_0042);
        expect(w.steps[0]?.note).toBe("present, page directory at 0x140000000");
        expect(w.steps[1]?.entryAddr).toBe(5 * GiB);
        expect(w.steps[1]?.entryHigh).toBe(1);
        expect(w.steps[2]?.entryAddr).toBe(5 * GiB + 0x1000);
    });
});

describe("format_walk", () => {
    it("formats a 2-level 4 KiB walk", () => {
        const mem = new ArrayPhysMem(16 * MiB);
        const a = pt_alloc(mem, 0x00101000);
        const cr3 = new_pd(a);
        map4k(a, cr3, 0xc0001000, 0x00400000, P | W | A | D);
        expect(format_walk(page_walk(mem, mode2(cr3), 0xc0001234))).toEqual([
            "PDE   [0x300] @0x00101c00 = 0x00102007  P W U  present, page table at 0x00102000",
            "PTE   [0x001] @0x00102004 = 0x00400063  P W A D  4 KiB page at 0x00400000",
            "VA 0xc0001234 -> PA 0x00400234  (4 KiB page, RW, supervisor)",
        ]);
    });

    it("formats PAE entries as 64-bit values", () => {
        const mem = new ArrayPhysMem(16 * MiB);
        const a = pt_alloc(mem, 0x00200000);
        const cr3 = new_pdpt(a);
        pae_map2m(a, cr3, 0x00200000, 0x1_0020_0000, P | U, { nx: true });
        expect(format_walk(page_walk(mem, modePae(cr3), 0x00200010))).toEqual([
            "PDPTE [0x000] @0x00200000 = 0x0000000000201001  P  present, page directory at 0x00201000",
            "PDE   [0x001] @0x00201008 = 0x8000000100200085  P U PS NX  2 MiB page at 0x100200000",
            "VA 0x00200010 -> PA 0x100200010  (2 MiB page, RO, user)",
        ]);
    });

    it("formats an unmapped address and paging off", () => {
        const { mem, a } = setup();
        const cr3 = new_pd(a);
        const lines = format_walk(page_walk(mem, mode2(cr3), 0xc0000000));
        expect(lines).toHaveLength(2);
        expect(lines[0]).toMatch(
            /^PDE {3}\[0x300\] @0x[0-9a-f]{8} = 0x00000000 {2}- {2}not present$/,
        );
        expect(lines[1]).toBe("VA 0xc0000000 -> not mapped (PDE 0x300 not present)");
        expect(format_walk(page_walk(mem, { cr0: 0, cr3: 0, cr4: 0 }, 0xb8000))).toEqual([
            "VA 0x000b8000 -> PA 0x000b8000  (paging off, identity)",
        ]);
    });

    it("decodes every flag bit, PAT and AVL", () => {
        const { mem, a } = setup();
        const cr3 = new_pd(a);
        const pteAt = map4k(a, cr3, 0x3000, 0x4000, P, P | W | U | 0x8 | 0x10 | A | D | G);
        mem.write32(pteAt, 0x4000 | 0xfff);
        const w = page_walk(mem, mode2(cr3), 0x3000);
        expect(w.steps[0]?.flags).toBe("P W U WT CD A D G");
        expect(w.steps[1]?.flags).toBe("P W U WT CD A D PAT G AVL=7");
    });
});

describe("ptbuild", () => {
    it("is deterministic and refuses conflicting mappings", () => {
        const build = () => {
            const { mem, a } = setup();
            const cr3 = new_pd(a);
            map4k(a, cr3, 0xc0000000, 0x1000, P);
            map4m(a, cr3, 0x80000000, 0x400000, P);
            expect(() => map4k(a, cr3, 0x80001000, 0x1000, P)).toThrow(/4 MiB page/);
            expect(() => map4m(a, cr3, 0xc0000000, 0x400000, P)).toThrow(/page table/);
            return mem.bytes;
        };
        expect(Buffer.compare(build(), build())).toBe(0);
        const small = pt_alloc(new ArrayPhysMem(0x3000), 0x1000);
        alloc_page(small);
        alloc_page(small);
        expect(() => alloc_page(small)).toThrow(/out of table pages/);
    });
});

/* ---- randomized ---- */

const SEED =
    process.env["PAGEWALK_SEED"] !== undefined
        ? Number(process.env["PAGEWALK_SEED"]) >>> 0
        : (Date.now() ^ Math.floor(Math.random() * TWO32)) >>> 0;
console.log(`pagewalk random seed: ${SEED} (rerun with PAGEWALK_SEED=${SEED})`);

interface Leaf {
    pa: number;
    flags: number;
    size: number;
}
interface Expect {
    pa: number | null;
    size: number;
    writable: boolean;
    user: boolean;
}

function leafResult(va: number, leaf: Leaf | undefined, dirFlags: number): Expect {
    if (!leaf || !(leaf.flags & P)) return { pa: null, size: 0, writable: false, user: false };
    return {
        pa: leaf.pa + (va % leaf.size),
        size: leaf.size,
        writable: (leaf.flags & dirFlags & W) !== 0,
        user: (leaf.flags & dirFlags & U) !== 0,
    };
}

function check(w: Walk, e: Expect, msg: string): void {
    expect({ pa: w.pa, size: w.pageSize, writable: w.writable, user: w.user }, msg).toEqual(e);
    expect(w.fault === undefined, msg).toBe(e.pa !== null);
}

describe(`randomized (seed ${SEED})`, () => {
    it("2-level with PSE: 4 KiB and 4 MiB mappings", () => {
        const rnd = prng(SEED);
        const { mem, a } = setup();
        const cr3 = new_pd(a);
        type Pd = { large: Leaf } | { dirFlags: number; ptes: Map<number, Leaf> };
        const model = new Map<number, Pd>();
        const hotPdes = Array.from({ length: 12 }, () => rnd() >>> 22);
        const randFlags = () => (rnd() & 0x7f & ~PS) | (rnd() % 8 === 0 ? 0 : P);

        for (let i = 0; i < 400; i++) {
            const pdi = rnd() % 2 ? hotPdes[rnd() % hotPdes.length]! : rnd() >>> 22;
            const cur = model.get(pdi);
            if (rnd() % 5 === 0) {
                if (cur) continue;
                const pa = (rnd() & 0xffc00000) >>> 0;
                const flags = randFlags();
                map4m(a, cr3, pdi * 0x400000, pa, flags);
                if (flags & P) model.set(pdi, { large: { pa, flags, size: 0x400000 } });
                else mem.write32(pde_addr(cr3, pdi * 0x400000), 0); // keep "absent" simple for the builder
            } else {
                if (cur && "large" in cur) continue;
                const pti = rnd() & 0x3ff;
                const va = pdi * 0x400000 + pti * 0x1000;
                const pa = (rnd() & 0xfffff000) >>> 0;
                const flags = randFlags();
                const dirFlags = P | (rnd() & (W | U));
                map4k(a, cr3, va, pa, flags, dirFlags);
                const pd = cur ?? { dirFlags, ptes: new Map<number, Leaf>() };
                pd.ptes.set(pti, { pa, flags, size: 0x1000 });
                model.set(pdi, pd);
            }
        }

        const expectAt = (va: number): Expect => {
            const pd = model.get(va >>> 22);
            if (!pd) return leafResult(va, undefined, 0);
            if ("large" in pd) return leafResult(va, pd.large, P | W | U);
            return leafResult(va, pd.ptes.get((va >>> 12) & 0x3ff), pd.dirFlags);
        };
        const vas: number[] = [];
        for (const [pdi, pd] of model) {
            if ("large" in pd) vas.push(pdi * 0x400000 + (rnd() & 0x3fffff));
            else
                for (const pti of pd.ptes.keys())
                    vas.push(pdi * 0x400000 + pti * 0x1000 + (rnd() & 0xfff));
            vas.push(pdi * 0x400000 + (rnd() & 0x3fffff)); // anywhere under a used PDE
        }
        for (let i = 0; i < 500; i++) vas.push(rnd());
        vas.push(0, 0xc0000000, 0xffffffff);
        expect(vas.length).toBeGreaterThan(500);
        for (const va of vas) {
            check(
                page_walk(mem, mode2(cr3, true), va),
                expectAt(va),
                `seed ${SEED} va 0x${va.toString(16)}`,
            );
        }
    });

    it("PAE: 4 KiB and 2 MiB mappings with PAs up to 2^40", () => {
        const rnd = prng(SEED ^ 0x9e3779b9);
        const { mem, a } = setup();
        const cr3 = new_pdpt(a);
        // Key: va >>> 21 (PDPT index and PD index together).
        type Pd = { large: Leaf } | { dirFlags: number; ptes: Map<number, Leaf> };
        const model = new Map<number, Pd>();
        const hot = Array.from({ length: 12 }, () => rnd() >>> 21);
        const randFlags = () => (rnd() & 0x7f & ~PS) | (rnd() % 8 === 0 ? 0 : P);
        const randPa = (align: number) =>
            (rnd() & 0xff) * TWO32 + (((rnd() >>> 0) & ~(align - 1)) >>> 0);
        const absentPdpt = rnd() & 3; // one PDPTE stays not present
        const pick = () => {
            for (;;) {
                const k = rnd() % 2 ? hot[rnd() % hot.length]! : rnd() >>> 21;
                if (k >>> 9 !== absentPdpt) return k;
            }
        };

        for (let i = 0; i < 400; i++) {
            const k = pick();
            const cur = model.get(k);
            const nx = rnd() % 2 === 0;
            if (rnd() % 5 === 0) {
                if (cur) continue;
                const pa = randPa(0x200000);
                const flags = randFlags() | P;
                pae_map2m(a, cr3, k * 0x200000, pa, flags, { nx });
                model.set(k, { large: { pa, flags, size: 0x200000 } });
            } else {
                if (cur && "large" in cur) continue;
                const pti = rnd() & 0x1ff;
                const pa = randPa(0x1000);
                const flags = randFlags();
                const dirFlags = P | (rnd() & (W | U));
                pae_map4k(a, cr3, k * 0x200000 + pti * 0x1000, pa, flags, { dirFlags, nx });
                const pd = cur ?? { dirFlags, ptes: new Map<number, Leaf>() };
                pd.ptes.set(pti, { pa, flags, size: 0x1000 });
                model.set(k, pd);
            }
        }

        const expectAt = (va: number): Expect => {
            const pd = model.get(va >>> 21);
            if (!pd) return leafResult(va, undefined, 0);
            if ("large" in pd) return leafResult(va, pd.large, P | W | U);
            return leafResult(va, pd.ptes.get((va >>> 12) & 0x1ff), pd.dirFlags);
        };
        const vas: number[] = [];
        for (const [k, pd] of model) {
            if ("large" in pd) vas.push(k * 0x200000 + (rnd() & 0x1fffff));
            else
                for (const pti of pd.ptes.keys())
                    vas.push(k * 0x200000 + pti * 0x1000 + (rnd() & 0xfff));
            vas.push(k * 0x200000 + (rnd() & 0x1fffff));
        }
        for (let i = 0; i < 500; i++) vas.push(rnd());
        vas.push(0, 0xc0000000, 0xffffffff, absentPdpt * GiB);
        for (const va of vas) {
            const w = page_walk(mem, modePae(cr3), va);
            const msg = `seed ${SEED} va 0x${va.toString(16)}`;
            check(w, expectAt(va), msg);
            if (va >>> 30 === absentPdpt)
                expect(w.fault, msg).toBe(`PDPTE 0x${absentPdpt.toString(16)} not present`);
        }
    });
});
