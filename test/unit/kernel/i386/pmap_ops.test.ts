/*
 * test/unit/kernel/i386/pmap_ops.test.ts — pmap_enter / remove / protect /
 * extract / change_wiring / A-D bits on the kernel pmap and user pmaps,
 * checked against the emulator's software walker, Mach's quirks one by one,
 * then a seeded random run against a shadow model.
 *
 * The random run prints its seed; rerun one with
 *   PMAP_SEED=<seed> npx vitest run test/unit/kernel/i386/pmap_ops.test.ts
 */
import { describe, expect, it } from "vitest";
import { ArrayPhysMem } from "../../../../emulator/physmem.ts";
import {
    INTEL_PTE_MOD,
    INTEL_PTE_NCACHE,
    INTEL_PTE_REF,
    INTEL_PTE_USER,
    INTEL_PTE_VALID,
    INTEL_PTE_WIRED,
    INTEL_PTE_WRITE,
    INTEL_PTE_WTHRU,
    pmap_activate,
    pmap_change_wiring,
    pmap_clear_modify,
    pmap_clear_reference,
    pmap_create,
    pmap_destroy,
    pmap_entry_read,
    pmap_enter,
    pmap_extract,
    pmap_geometry,
    pmap_page_protect,
    pmap_is_modified,
    pmap_is_referenced,
    pmap_pde,
    pmap_protect,
    pmap_pte,
    pmap_pv_list,
    pmap_pv_verify,
    pmap_reference,
    pmap_remove,
    pmap_verify,
    type Pmap,
} from "../../../../kernel/i386/pmap.ts";
import {
    MiB,
    PAGE,
    TWO32,
    VM_PROT_EXECUTE,
    VM_PROT_READ,
    VM_PROT_RW,
    VM_PROT_WRITE,
    boot_kernel,
    expect_panic,
    prng,
    walk,
    type KernelSetup,
} from "./pmap_helpers.ts";

const KB = 0xc0000000;
const RAM = 32 * MiB;
const RESERVE = 32 * MiB;
const KVS = KB + RAM; // kernel_virtual_start
const KVE = KVS + RESERVE; // kernel_virtual_end (PDE aligned)

function setup(pae: boolean, extra: { mach_kdb?: boolean } = {}): KernelSetup {
    return boot_kernel(new ArrayPhysMem(RAM), {
        pae,
        kernelbase: KB,
        reserve: RESERVE,
        pool_start: 16 * MiB,
        ...extra,
    });
}

function new_user(s: KernelSetup, name: string): Pmap {
    const n = s.kernel.pae ? 5 : 1;
    const dirs: number[] = [];
    for (let i = 0; i < n; i++) dirs.push(s.pool.grab());
    return pmap_create(s.kernel, dirs, () => s.pool.grab(), name);
}

function pte_of(p: Pmap, va: number): number {
    const at = pmap_pte(p, va);
    return at === null ? 0 : pmap_entry_read(p.mem, p.pae, at);
}

describe.each([false, true])("pmap operations (pae=%s)", (pae) => {
    it("kernel pmap: enter, extract, protect, remove, with one TLB flush per remove/protect", () => {
        const s = setup(pae);
        const k = s.kernel;
        const va = KVS + 5 * PAGE;
        pmap_enter(k, va, 0x456000, VM_PROT_RW, false);
        expect(s.mmu.flushes).toBe(0); // a new mapping needs no flush
        expect(pte_of(k, va)).toBe(0x456000 | INTEL_PTE_VALID | INTEL_PTE_WRITE); // no GLOBAL, no USER
        expect(walk(k, va + 0x10)).toMatchObject({ pa: 0x456010, writable: true, user: false });
        expect(pmap_extract(k, va + 0xabc)).toBe(0x456abc);
        expect(k.resident_count).toBe(1);

        pmap_enter(k, va + PAGE, 0x457000, VM_PROT_RW, true);
        expect(k.wired_count).toBe(1);
        expect(pte_of(k, va + PAGE) & INTEL_PTE_WIRED).toBe(INTEL_PTE_WIRED);

        // Read-only on the kernel pmap means remove (the 386 ignores R/W in ring 0).
        pmap_protect(k, va, va + 2 * PAGE, VM_PROT_READ);
        expect(s.mmu.flushes).toBe(1);
        expect(walk(k, va).pa).toBeNull();
        expect(k.resident_count).toBe(0);
        expect(k.wired_count).toBe(0);

        // READ|WRITE and ALL: nothing to do, no flush.
        pmap_enter(k, va, 0x456000, VM_PROT_RW, false);
        pmap_protect(k, va, va + PAGE, VM_PROT_RW);
        pmap_protect(k, va, va + PAGE, VM_PROT_RW | VM_PROT_EXECUTE);
        expect(s.mmu.flushes).toBe(1);
        expect(pmap_extract(k, va)).toBe(0x456000);

        // pmap_remove flushes once per call, even for an empty range.
        pmap_remove(k, KVS + MiB, KVS + 3 * MiB);
        expect(s.mmu.flushes).toBe(2);
        pmap_remove(k, va, va + PAGE);
        expect(s.mmu.flushes).toBe(3);
        expect(pmap_extract(k, va)).toBe(0);
        expect(pmap_verify(k)).toEqual([]);
    });

    it("kernel pmap: a read-only non-wired enter removes the old mapping; wired read-only is entered", () => {
        const s = setup(pae);
        const k = s.kernel;
        const va = KVS + 0x10000;
        pmap_enter(k, va, 0x300000, VM_PROT_RW, false);
        pmap_enter(k, va, 0x300000, VM_PROT_READ, false);
        expect(walk(k, va).pa).toBeNull();
        expect(k.resident_count).toBe(0);
        expect(s.mmu.flushes).toBe(1);
        pmap_enter(k, va, 0x301000, VM_PROT_READ, false); // nothing there: no flush, nothing entered
        expect(s.mmu.flushes).toBe(1);
        expect(walk(k, va).pa).toBeNull();
        pmap_enter(k, va, 0x301000, VM_PROT_READ, true);
        expect(walk(k, va)).toMatchObject({ pa: 0x301000, writable: false });
        expect(pmap_verify(k)).toEqual([]);
    });

    it("re-entering the same page keeps only the modify bit; a new page replaces the old one", () => {
        const s = setup(pae);
        const k = s.kernel;
        const va = KVS + 0x20000;
        pmap_enter(k, va, 0x500000, VM_PROT_RW, false);
        const at = pmap_pte(k, va)!;
        s.mem.write32(at, s.mem.read32(at) | INTEL_PTE_REF | INTEL_PTE_MOD); // what the CPU does
        expect(pmap_is_modified(k, va)).toBe(true);
        expect(pmap_is_referenced(k, va)).toBe(true);
        pmap_enter(k, va, 0x500000, VM_PROT_RW, true);
        expect(pte_of(k, va)).toBe(
            0x500000 | INTEL_PTE_VALID | INTEL_PTE_WRITE | INTEL_PTE_WIRED | INTEL_PTE_MOD,
        );
        expect(s.mmu.flushes).toBe(1);
        expect(k.resident_count).toBe(1);
        expect(k.wired_count).toBe(1);
        pmap_enter(k, va, 0x600000, VM_PROT_RW, false);
        expect(pte_of(k, va)).toBe(0x600000 | INTEL_PTE_VALID | INTEL_PTE_WRITE);
        expect(s.mmu.flushes).toBe(2);
        expect(k.resident_count).toBe(1);
        expect(k.wired_count).toBe(0);
        expect(pmap_verify(k)).toEqual([]);
    });

    it("maps memory beyond phys_last_addr uncached (NCACHE|WTHRU)", () => {
        const s = setup(pae);
        const va = KVS + 0x30000;
        pmap_enter(s.kernel, va, 0xfee00000, VM_PROT_RW, true);
        expect(pte_of(s.kernel, va) & (INTEL_PTE_NCACHE | INTEL_PTE_WTHRU)).toBe(
            INTEL_PTE_NCACHE | INTEL_PTE_WTHRU,
        );
        expect(walk(s.kernel, va + 4).pa).toBe(0xfee00004);
        pmap_enter(s.kernel, va + PAGE, RAM - PAGE, VM_PROT_RW, true);
        expect(pte_of(s.kernel, va + PAGE) & INTEL_PTE_NCACHE).toBe(0);
    });

    it("A/D bits: is_modified/is_referenced read the guest PTE, clear_* clear it and flush", () => {
        const s = setup(pae);
        const k = s.kernel;
        const va = KVS + 0x40000;
        expect(pmap_is_modified(k, va)).toBe(false);
        pmap_clear_modify(k, va); // unmapped: nothing, no flush
        expect(s.mmu.flushes).toBe(0);
        pmap_enter(k, va, 0x700000, VM_PROT_RW, false);
        expect(pmap_is_modified(k, va)).toBe(false);
        const at = pmap_pte(k, va)!;
        s.mem.write32(at, s.mem.read32(at) | INTEL_PTE_MOD | INTEL_PTE_REF);
        pmap_clear_modify(k, va);
        expect(pmap_is_modified(k, va)).toBe(false);
        expect(pmap_is_referenced(k, va)).toBe(true);
        pmap_clear_reference(k, va);
        expect(pmap_is_referenced(k, va)).toBe(false);
        expect(pte_of(k, va)).toBe(0x700000 | INTEL_PTE_VALID | INTEL_PTE_WRITE);
        expect(s.mmu.flushes).toBe(2);
    });

    it("pmap_change_wiring flips INTEL_PTE_WIRED and wired_count, without a flush", () => {
        const s = setup(pae);
        const k = s.kernel;
        const va = KVS + 0x50000;
        pmap_enter(k, va, 0x710000, VM_PROT_RW, false);
        pmap_change_wiring(k, va, true);
        expect(k.wired_count).toBe(1);
        expect(pte_of(k, va) & INTEL_PTE_WIRED).toBe(INTEL_PTE_WIRED);
        pmap_change_wiring(k, va, true);
        expect(k.wired_count).toBe(1);
        pmap_change_wiring(k, va, false);
        expect(k.wired_count).toBe(0);
        expect(s.mmu.flushes).toBe(0);
        expect(pmap_verify(k)).toEqual([]);
        const u = new_user(s, "u");
        expect_panic(() => pmap_change_wiring(u, 0x1000, true), "pmap_change_wiring: pte missing");
    });

    it("the kernel pmap cannot grow: Mach's panics", () => {
        const s = setup(pae);
        const k = s.kernel;
        // Default build (no MACH_KDB): the range check fires first.
        expect_panic(
            () => pmap_enter(k, KVE, 0x400000, VM_PROT_RW, true),
            `pmap_enter(${KVE.toString(16)}, 400000) falls in physical memory area!`,
        );
        expect_panic(
            () => pmap_enter(k, KB + 0x5000, 0x5000, VM_PROT_RW, true),
            "pmap_enter(c0005000, 5000) falls in physical memory area!",
        );
        expect_panic(
            () => pmap_enter(k, 0x1000, 0x5000, VM_PROT_RW, true),
            "pmap_enter(1000, 5000) falls in physical memory area!",
        );
        // Removing a direct-map page: no pv entry for a managed page.
        expect_panic(
            () => pmap_remove(k, KB + 0x200000, KB + 0x201000),
            "pmap_remove: null pv_list!",
        );

        // MACH_KDB build: the range check is compiled out, pmap_expand panics.
        const d = setup(pae, { mach_kdb: true });
        expect_panic(
            () => pmap_enter(d.kernel, KVE, 0x400000, VM_PROT_RW, true),
            `pmap_expand kernel pmap to 0x${KVE.toString(16)}`,
        );
        expect_panic(
            () => pmap_enter(d.kernel, 0xfffff000, 0x400000, VM_PROT_RW, false),
            "pmap_expand kernel pmap to 0xfffff000",
        );
        expect_panic(
            () => pmap_enter(d.kernel, 0x1000, 0x400000, VM_PROT_RW, false),
            "pmap_expand kernel pmap to 0x1000",
        );
        expect(pmap_verify(d.kernel)).toEqual([]);
    });

    it("pmap_create shares the kernel PDEs by value; user PTPs are allocated on demand", () => {
        const s = setup(pae);
        const k = s.kernel;
        const gm = pmap_geometry(pae);
        const u = new_user(s, "task1");
        const v = new_user(s, "task2");
        // Kernel half of the directory: same bytes; user half: zero.
        const kernelPdes = (p: Pmap) => {
            const out: number[] = [];
            for (let va = KB; va < TWO32; va += gm.PDE_MAPPED_SIZE)
                out.push(pmap_entry_read(p.mem, pae, pmap_pde(p, va)));
            return out;
        };
        expect(kernelPdes(u)).toEqual(kernelPdes(k));
        for (let va = 0; va < KB; va += gm.PDE_MAPPED_SIZE)
            expect(pmap_entry_read(s.mem, pae, pmap_pde(u, va))).toBe(0);
        if (pae) {
            for (let i = 0; i < 4; i++) {
                expect(pmap_entry_read(s.mem, true, u.pdpbase + 8 * i)).toBe(
                    u.dir_pages[i]! | INTEL_PTE_VALID,
                );
            }
        }
        expect(pmap_verify(u)).toEqual([]);

        // A kernel mapping made after pmap_create is visible through the user directory.
        pmap_enter(k, KVS + 0x7000, 0x777000, VM_PROT_RW, true);
        expect(walk(u, KVS + 0x7000)).toMatchObject({ pa: 0x777000, user: false, writable: true });
        expect(walk(u, KB + 0x1234)).toMatchObject({ pa: 0x1234, user: false });

        // A user mapping: a PTP appears (VALID|USER|WRITE PDE), visible in u only.
        const grabbed = s.pool.grabbed;
        pmap_enter(u, 0x8048000, 0x123000, VM_PROT_READ | VM_PROT_EXECUTE, false);
        expect(s.pool.grabbed).toBe(grabbed + 1);
        expect(u.ptp_count).toBe(1);
        expect(k.globals.inuse_ptepages_count).toBe(1);
        expect(pmap_entry_read(s.mem, pae, pmap_pde(u, 0x8048000)) & 0xfff).toBe(
            INTEL_PTE_VALID | INTEL_PTE_USER | INTEL_PTE_WRITE,
        );
        expect(pte_of(u, 0x8048000)).toBe(0x123000 | INTEL_PTE_VALID | INTEL_PTE_USER);
        expect(walk(u, 0x8048abc)).toMatchObject({ pa: 0x123abc, user: true, writable: false });
        expect(walk(v, 0x8048000).pa).toBeNull();
        expect(walk(k, 0x8048000).pa).toBeNull();
        expect(pmap_extract(u, 0x8048abc)).toBe(0x123abc);
        expect(pmap_extract(v, 0x8048abc)).toBe(0);
        // User read-only protect clears WRITE (not a remove).
        pmap_enter(u, 0x8049000, 0x124000, VM_PROT_RW, false);
        pmap_protect(u, 0x8048000, 0x804a000, VM_PROT_READ);
        expect(walk(u, 0x8049000)).toMatchObject({ pa: 0x124000, writable: false, user: true });
        expect(u.resident_count).toBe(2);
        expect(pmap_verify(u)).toEqual([]);
        expect(pmap_verify(v)).toEqual([]);
        expect(pmap_verify(k)).toEqual([]);
        // User pmaps stay below the kernel base.
        expect(() => pmap_enter(u, KB, 0x1000, VM_PROT_RW, false)).toThrow(/user va/);
    });

    it("TLB flushes only for an active user pmap; pmap_activate switches CR3", () => {
        const s = setup(pae);
        const u = new_user(s, "u");
        const v = new_user(s, "v");
        pmap_enter(u, 0x1000, 0x100000, VM_PROT_RW, false);
        pmap_enter(u, 0x1000, 0x200000, VM_PROT_RW, false);
        pmap_remove(u, 0, 0x10000);
        expect(s.mmu.flushes).toBe(0);
        pmap_activate(u);
        expect(s.mmu.cr3s).toEqual([u.pae ? u.pdpbase : u.dirbase]);
        expect(u.active).toBe(true);
        pmap_enter(u, 0x1000, 0x100000, VM_PROT_RW, false);
        pmap_enter(u, 0x1000, 0x200000, VM_PROT_RW, false);
        expect(s.mmu.flushes).toBe(1);
        pmap_protect(u, 0, 0x10000, VM_PROT_READ);
        pmap_remove(u, 0, 0x10000);
        expect(s.mmu.flushes).toBe(3);
        pmap_activate(v);
        expect(u.active).toBe(false);
        expect(v.active).toBe(true);
        pmap_remove(u, 0, 0x10000);
        expect(s.mmu.flushes).toBe(3);
        pmap_activate(s.kernel);
        expect(v.active).toBe(false);
        expect(s.mmu.cr3s).toHaveLength(3);
        for (const p of [s.kernel, u, v]) expect(pmap_verify(p)).toEqual([]);
    });

    it("pmap_destroy frees the user PTPs on the last reference", () => {
        const s = setup(pae);
        const u = new_user(s, "u");
        pmap_enter(u, 0x1000, 0x100000, VM_PROT_RW, false);
        pmap_enter(u, 0x40000000, 0x101000, VM_PROT_RW, false);
        pmap_enter(u, KB - PAGE, 0x102000, VM_PROT_RW, true);
        expect(u.ptp_count).toBe(3);
        const ptps = [0x1000, 0x40000000, KB - PAGE].map(
            (va) => pmap_pte(u, va)! - (pmap_pte(u, va)! % PAGE),
        );
        pmap_reference(u);
        const freed: number[] = [];
        expect(pmap_destroy(u, (pa) => freed.push(pa))).toBe(false);
        expect(freed).toEqual([]);
        pmap_activate(u);
        expect(() => pmap_destroy(u, (pa) => freed.push(pa))).toThrow(/loaded in CR3/);
        pmap_activate(s.kernel);
        pmap_remove(u, 0, KB);
        expect(u.resident_count).toBe(0);
        expect(pmap_destroy(u, (pa) => freed.push(pa))).toBe(true);
        expect(freed.sort()).toEqual(ptps.sort());
        expect(s.kernel.globals.inuse_ptepages_count).toBe(0);
        expect(pmap_pte(u, 0x1000)).toBeNull();
        expect(pmap_extract(u, 0x1000)).toBe(0);
    });

    it("pv entries: a buffer from pv_list_cache for each mapping beyond a page's first, given back in Mach's order", () => {
        const s = setup(pae);
        const g = s.kernel.globals;
        const held = new Set<number>();
        let next = 0xd0000000;
        g.pv_alloc = () => {
            held.add(next);
            return (next += 16) - 16;
        };
        g.pv_free = (kva) => {
            expect(held.delete(kva), `free of ${kva.toString(16)}`).toBe(true);
        };
        const [a, b, c] = ["a", "b", "c"].map((n) => new_user(s, n)) as [Pmap, Pmap, Pmap];
        const pa = 0x100000;
        pmap_enter(a, 0x1000, pa, VM_PROT_READ, false);
        expect(held.size).toBe(0); // the first mapping is the pv_head_table slot
        pmap_enter(b, 0x2000, pa, VM_PROT_READ, false);
        pmap_enter(c, 0x3000, pa, VM_PROT_READ, false);
        expect(held.size).toBe(2);
        expect(pmap_pv_verify(g)).toEqual({ problems: [], buffers: 2 });
        // Removing the head: the next mapping moves into the slot and its buffer goes back.
        const b_kva = pmap_pv_list(g, pa)[1]!.kva;
        pmap_remove(a, 0x1000, 0x2000);
        expect(held.has(b_kva)).toBe(false);
        expect(pmap_pv_list(g, pa).map((e) => [e.pmap.name, e.kva === 0])).toEqual([
            ["b", true],
            ["c", false],
        ]);
        pmap_remove(c, 0x3000, 0x4000);
        pmap_remove(b, 0x2000, 0x3000);
        expect(held.size).toBe(0);
        expect(pmap_pv_verify(g)).toEqual({ problems: [], buffers: 0 });
        // Out of memory for a pv_entry is a panic, as pmap_enter cannot go on without one.
        g.pv_alloc = () => 0;
        pmap_enter(a, 0x1000, pa, VM_PROT_READ, false);
        expect_panic(
            () => pmap_enter(b, 0x2000, pa, VM_PROT_READ, false),
            "pmap_enter: no memory for a pv_entry (0x00002000 -> 0x00100000 in b)",
        );
    });

    it("PAE entries carry physical addresses above 4 GiB", () => {
        if (!pae) return;
        const s = setup(true);
        const u = new_user(s, "u");
        pmap_enter(u, 0x2000, 0x123456000, VM_PROT_RW, false);
        expect(walk(u, 0x2abc).pa).toBe(0x123456abc);
        expect(pmap_extract(u, 0x2abc)).toBe(0x123456abc);
        expect(s.mem.read32(pmap_pte(u, 0x2000)! + 4)).toBe(1);
        expect(pmap_verify(u)).toEqual([]);
    });
});

/* ---- randomized against a shadow model ---- */

const SEED =
    process.env["PMAP_SEED"] !== undefined
        ? Number(process.env["PMAP_SEED"]) >>> 0
        : (Date.now() ^ Math.floor(Math.random() * TWO32)) >>> 0;
console.log(`pmap random seed: ${SEED} (rerun with PMAP_SEED=${SEED})`);

interface Shadow {
    pa: number;
    w: boolean;
    wired: boolean;
    a: boolean;
    d: boolean;
}

/** Page-aligned VA windows: [start, end). */
type Window = [number, number];

const KERNEL_WINDOWS: Window[] = [
    [KVS, KVS + 24 * PAGE],
    [KVS + 4 * MiB - 16 * PAGE, KVS + 4 * MiB + 16 * PAGE], // crosses a PTP (and a PAE 2 MiB PDE)
    [KVE - 8 * PAGE, KVE],
];
const USER_WINDOWS: Window[] = [
    [0, 16 * PAGE],
    [0x40000000 - 16 * PAGE, 0x40000000 + 16 * PAGE], // crosses a PAE page directory
    [KB - 16 * PAGE, KB],
];

describe(`pmap randomized (seed ${SEED})`, () => {
    it.each([
        { pae: false, ops: 2500 },
        { pae: true, ops: 2500 },
    ])("pae=$pae: $ops random operations, pmap_verify after each", ({ pae, ops }) => {
        const rnd = prng(SEED ^ (pae ? 0x5bd1e995 : 0));
        const pick = <T>(xs: readonly T[]): T => xs[rnd() % xs.length]!;
        const chance = (pct: number) => rnd() % 100 < pct;
        const s = setup(pae);
        const k = s.kernel;
        const g = k.globals;
        const users = [new_user(s, "A"), new_user(s, "B")];
        const shadows = new Map<Pmap, Map<number, Shadow>>([
            [k, new Map()],
            [users[0]!, new Map()],
            [users[1]!, new Map()],
        ]);
        const shadow = (p: Pmap) => shadows.get(p)!;
        const windows = (p: Pmap) => (p.is_kernel ? KERNEL_WINDOWS : USER_WINDOWS);
        const random_va = (p: Pmap) => {
            const [a, b] = pick(windows(p));
            return a + (rnd() % ((b - a) / PAGE)) * PAGE;
        };
        const random_range = (p: Pmap): Window => {
            if (chance(5)) return p.is_kernel ? [KVS, KVE] : [0, KB];
            const [a, b] = pick(windows(p));
            const s0 = a + (rnd() % ((b - a) / PAGE)) * PAGE;
            const e0 = Math.min(b, s0 + (1 + (rnd() % 20)) * PAGE);
            return [s0, e0];
        };
        const random_pa = () => {
            if (chance(10))
                return pae && chance(50)
                    ? 0x100000000 + (rnd() % 0x1000) * PAGE
                    : 0xfe000000 + (rnd() % 0x100) * PAGE;
            return (rnd() % (RAM / PAGE)) * PAGE;
        };
        const stats = {
            enter: 0,
            remove: 0,
            protect: 0,
            wiring: 0,
            ad: 0,
            activate: 0,
            destroy: 0,
            panics: 0,
        };

        /** Compare one page of `p` with its shadow (expect() only on a mismatch: it is slow). */
        const check_page = (p: Pmap, va: number, ctx: string): void => {
            const sh = shadow(p).get(va);
            const w = walk(p, va + 0x18);
            const e = pte_of(p, va);
            const got = {
                pa: w.pa,
                writable: w.writable,
                user: w.user,
                extract: pmap_extract(p, va + 0x18),
                wired: (e & INTEL_PTE_WIRED) !== 0,
                a: (e & INTEL_PTE_REF) !== 0,
                d: (e & INTEL_PTE_MOD) !== 0,
                nc: (e & INTEL_PTE_NCACHE) !== 0,
            };
            const want = sh
                ? {
                      pa: sh.pa + 0x18,
                      writable: sh.w,
                      user: !p.is_kernel,
                      extract: sh.pa + 0x18,
                      wired: sh.wired,
                      a: sh.a,
                      d: sh.d,
                      nc: sh.pa >= RAM,
                  }
                : {
                      pa: null,
                      writable: false,
                      user: false,
                      extract: 0,
                      wired: false,
                      a: false,
                      d: false,
                      nc: false,
                  };
            const same = (Object.keys(want) as (keyof typeof want)[]).every(
                (key) => got[key] === want[key],
            );
            if (!same) expect(got, `${ctx}: ${p.name} ${va.toString(16)}`).toEqual(want);
        };
        const check_all = (
            ctx: string,
            full: boolean,
            touched: Pmap,
            range: Window | null,
        ): void => {
            for (const p of [k, ...users]) {
                if (!full && p !== touched) continue;
                const problems = pmap_verify(p);
                if (problems.length > 0) expect(problems, ctx).toEqual([]);
                const sh = shadow(p);
                const wired = [...sh.values()].filter((x) => x.wired).length;
                if (p.resident_count !== sh.size || p.wired_count !== wired) {
                    expect(
                        { resident: p.resident_count, wired: p.wired_count },
                        `${ctx}: ${p.name} counts`,
                    ).toEqual({ resident: sh.size, wired });
                }
                if (full) {
                    for (const [a, b] of windows(p))
                        for (let va = a; va < b; va += PAGE) check_page(p, va, ctx);
                } else {
                    for (let i = 0; i < 6; i++) check_page(p, random_va(p), ctx);
                }
            }
            if (range) {
                const [a, b] = range;
                const hi = Math.min(b, a + 64 * PAGE);
                for (let va = a; va < hi; va += PAGE) check_page(touched, va, ctx);
            }
            // Kernel mappings are seen through every user directory.
            const kva = random_va(k);
            const kw = walk(k, kva);
            for (const u of users) {
                const uw = walk(u, kva);
                if (uw.pa !== kw.pa || uw.writable !== kw.writable) {
                    expect(
                        { pa: uw.pa, w: uw.writable },
                        `${ctx}: kernel ${kva.toString(16)} via ${u.name}`,
                    ).toEqual({ pa: kw.pa, w: kw.writable });
                }
            }
        };

        for (let op = 0; op < ops; op++) {
            const p = chance(40) ? k : pick(users);
            const sh = shadow(p);
            const flushes0 = s.mmu.flushes;
            let expected_flushes = 0;
            let ctx = `op ${op}`;
            let range: Window | null = null;
            const r = rnd() % 100;
            if (r < 45) {
                stats.enter++;
                const va = random_va(p);
                const cur = sh.get(va);
                const pa = cur && chance(35) ? cur.pa : random_pa(); // also re-enter the same page
                const prot = rnd() % 8;
                const wired = chance(30);
                ctx += ` enter(${p.name}, ${va.toString(16)}, ${pa.toString(16)}, ${prot}, ${wired})`;
                pmap_enter(p, va, pa, prot, wired);
                range = [va, va + PAGE];
                const old = sh.get(va);
                if (p.is_kernel && !(prot & VM_PROT_WRITE) && !wired) {
                    if (old) {
                        sh.delete(va);
                        expected_flushes = 1;
                    }
                } else if (old && old.pa === pa) {
                    sh.set(va, { pa, w: (prot & VM_PROT_WRITE) !== 0, wired, a: false, d: old.d });
                    expected_flushes = 1;
                } else {
                    sh.set(va, { pa, w: (prot & VM_PROT_WRITE) !== 0, wired, a: false, d: false });
                    expected_flushes = old ? 1 : 0;
                }
            } else if (r < 63) {
                stats.remove++;
                range = random_range(p);
                ctx += ` remove(${p.name}, ${range[0].toString(16)}, ${range[1].toString(16)})`;
                pmap_remove(p, range[0], range[1]);
                for (const va of [...sh.keys()]) if (va >= range[0] && va < range[1]) sh.delete(va);
                expected_flushes = 1;
            } else if (r < 78) {
                stats.protect++;
                range = random_range(p);
                const prot = rnd() % 8;
                ctx += ` protect(${p.name}, ${range[0].toString(16)}, ${range[1].toString(16)}, ${prot})`;
                pmap_protect(p, range[0], range[1], prot);
                const inRange = [...sh.keys()].filter((va) => va >= range![0] && va < range![1]);
                if (prot === VM_PROT_RW || prot === 7) {
                    expected_flushes = 0;
                } else if (
                    (prot === VM_PROT_READ || prot === (VM_PROT_READ | VM_PROT_EXECUTE)) &&
                    !p.is_kernel
                ) {
                    for (const va of inRange) sh.get(va)!.w = false;
                    expected_flushes = 1;
                } else {
                    for (const va of inRange) sh.delete(va);
                    expected_flushes = 1;
                }
            } else if (r < 83) {
                stats.wiring++;
                const mapped = [...sh.keys()];
                if (mapped.length === 0) continue;
                const va = pick(mapped);
                const wired = chance(50);
                ctx += ` change_wiring(${p.name}, ${va.toString(16)}, ${wired})`;
                pmap_change_wiring(p, va, wired);
                sh.get(va)!.wired = wired;
                range = [va, va + PAGE];
            } else if (r < 93) {
                stats.ad++;
                const mapped = [...sh.keys()];
                if (mapped.length === 0) continue;
                const va = pick(mapped);
                const x = sh.get(va)!;
                const what = rnd() % 4;
                ctx += ` A/D ${what} (${p.name}, ${va.toString(16)})`;
                if (what === 0) {
                    // The CPU touches the page.
                    const at = pmap_pte(p, va)!;
                    const bits = INTEL_PTE_REF | (chance(50) ? INTEL_PTE_MOD : 0);
                    s.mem.write32(at, (s.mem.read32(at) | bits) >>> 0);
                    x.a = true;
                    if (bits & INTEL_PTE_MOD) x.d = true;
                } else if (what === 1) {
                    pmap_clear_modify(p, va);
                    x.d = false;
                    expected_flushes = 1;
                } else if (what === 2) {
                    pmap_clear_reference(p, va);
                    x.a = false;
                    expected_flushes = 1;
                }
                expect(pmap_is_modified(p, va), ctx).toBe(x.d);
                expect(pmap_is_referenced(p, va), ctx).toBe(x.a);
                range = [va, va + PAGE];
            } else if (r < 97) {
                stats.activate++;
                const q = chance(30) ? k : pick(users);
                ctx += ` activate(${q.name})`;
                pmap_activate(q);
                expect(s.mmu.cr3s.at(-1)).toBe(pae ? q.pdpbase : q.dirbase);
                for (const u of users) expect(u.active).toBe(u === q);
            } else if (r < 98) {
                stats.destroy++;
                const i = rnd() % 2;
                const u = users[i]!;
                ctx += ` destroy(${u.name})`;
                if (u.active) pmap_activate(k);
                pmap_remove(u, 0, KB); // vm_map_destroy empties the map first
                const nptp = u.ptp_count;
                const dirs = [...u.dir_pages, ...(u.pae ? [u.pdpbase] : [])];
                const inuse = g.inuse_ptepages_count;
                const freed: number[] = [];
                expect(pmap_destroy(u, (pa) => freed.push(pa))).toBe(true);
                expect(freed).toHaveLength(nptp);
                expect(g.inuse_ptepages_count).toBe(inuse - nptp);
                for (const pa of [...freed, ...dirs]) s.pool.release(pa); // the caller kmem_free's the directory
                shadows.delete(u);
                const fresh = new_user(s, u.name);
                users[i] = fresh;
                shadows.set(fresh, new Map());
                continue;
            } else {
                // Expected panics leave everything unchanged.
                stats.panics++;
                const va = pick([
                    KB + (rnd() % (RAM / PAGE)) * PAGE,
                    KVE + (rnd() % 64) * PAGE,
                    (rnd() % 0x1000) * PAGE,
                ]);
                ctx += ` bad enter(kernel, ${va.toString(16)})`;
                expect_panic(
                    () => pmap_enter(k, va, 0x1000, VM_PROT_RW, true),
                    `pmap_enter(${va.toString(16)}, 1000) falls in physical memory area!`,
                );
            }
            const active = p.active;
            const flushed = s.mmu.flushes - flushes0;
            if (flushed !== (active ? expected_flushes : 0)) {
                expect(flushed, `${ctx}: TLB flushes (active=${active})`).toBe(
                    active ? expected_flushes : 0,
                );
            }
            check_all(ctx, op % 50 === 0 || op === ops - 1, p, range);
        }
        console.log(
            `pmap random pae=${pae}: ${JSON.stringify(stats)}, kernel resident ${k.resident_count}, ` +
                `users ${users.map((u) => `${u.name}:${u.resident_count}/${u.ptp_count}ptp`).join(" ")}`,
        );
        expect(stats.enter).toBeGreaterThan(ops / 3);
    });
});

/*
 * pmap_page_protect (i386/intel/pmap.c, 8d03c760): READ and READ|EXECUTE
 * write-protect every mapping of the page, VM_PROT_ALL does nothing, every
 * other protection removes them all — READ|WRITE and EXECUTE included —
 * and removing a wired mapping panics.
 */
describe.each([false, true])("pmap_page_protect (pae=%s)", (pae) => {
    const PA = 0x00456000;
    const VA = 0x00400000;

    function two_mappings(): { a: Pmap; b: Pmap } {
        const s = setup(pae);
        const a = new_user(s, "a");
        const b = new_user(s, "b");
        pmap_enter(a, VA, PA, VM_PROT_RW, false);
        pmap_enter(b, VA + PAGE, PA, VM_PROT_RW, false);
        return { a, b };
    }

    it.each([
        ["READ", "write-protect", VM_PROT_READ],
        ["READ|EXECUTE", "write-protect", VM_PROT_READ | VM_PROT_EXECUTE],
        ["ALL", "keep", VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXECUTE],
        ["NONE", "remove", 0],
        ["READ|WRITE", "remove", VM_PROT_RW],
        ["WRITE", "remove", VM_PROT_WRITE],
        ["EXECUTE", "remove", VM_PROT_EXECUTE],
        ["WRITE|EXECUTE", "remove", VM_PROT_WRITE | VM_PROT_EXECUTE],
    ])("%s: %s every mapping", (_name, what, prot) => {
        const { a, b } = two_mappings();
        pmap_page_protect(a.globals, PA, prot);
        for (const [p, va] of [
            [a, VA],
            [b, VA + PAGE],
        ] as const) {
            const e = pte_of(p, va);
            if (what === "remove") expect(e & INTEL_PTE_VALID).toBe(0);
            else {
                expect(e & INTEL_PTE_VALID).toBe(INTEL_PTE_VALID);
                expect(e & INTEL_PTE_WRITE).toBe(what === "keep" ? INTEL_PTE_WRITE : 0);
            }
        }
        expect(pmap_pv_list(a.globals, PA)).toHaveLength(what === "remove" ? 0 : 2);
        expect(pmap_verify(a)).toEqual([]);
        expect(pmap_verify(b)).toEqual([]);
    });

    it("removing a wired mapping panics (pmap_remove_all)", () => {
        const s = setup(pae);
        const a = new_user(s, "a");
        pmap_enter(a, VA, PA, VM_PROT_RW, true);
        expect_panic(
            () => pmap_page_protect(a.globals, PA, 0),
            "pmap_remove_all removing a wired page",
        );
        // Write-protecting a wired mapping is allowed.
        pmap_page_protect(a.globals, PA, VM_PROT_READ);
        expect(pte_of(a, VA) & (INTEL_PTE_VALID | INTEL_PTE_WRITE)).toBe(INTEL_PTE_VALID);
    });
});
