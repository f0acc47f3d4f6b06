/*
 * test/unit/kernel/i386/pmap_bootstrap.test.ts — the kernel page tables
 * pmap_bootstrap writes into guest RAM, checked page by page with the
 * emulator's software walker.
 */
import { describe, expect, it } from "vitest";
import { ArrayPhysMem, SparsePhysMem } from "../../../../emulator/physmem.ts";
import { page_walk } from "../../../../emulator/pagewalk.ts";
import {
    CR4_PAE,
    CR4_PGE,
    INTEL_PTE_GLOBAL,
    INTEL_PTE_VALID,
    INTEL_PTE_WRITE,
    PMAP_GEOMETRY_2LEVEL,
    PMAP_GEOMETRY_PAE,
    pmap_activate,
    pmap_bootstrap,
    pmap_cr3,
    pmap_cr4_bits,
    pmap_enter,
    pmap_entry_read,
    pmap_extract,
    pmap_kernel_pde_range,
    pmap_pde,
    pmap_pte,
    pmap_verify,
    pmap_virtual_space,
    type Pmap,
} from "../../../../kernel/i386/pmap.ts";
import { pmap_info } from "../../../../kernel/i386/pmap_info.ts";
import { VM_PROT_ALL } from "../../../../kernel/vm/vm_prot.ts";
import { MiB, PAGE, TWO32, boot_kernel, mode_of } from "./pmap_helpers.ts";

const KB_UPSTREAM = 0xc0000000;
const KB_DEBIAN = 0x80000000;

/** Every page of [lo, hi) walks to va − kb, read-only exactly on the text pages. */
function check_direct_map(p: Pmap, lo: number, hi: number, text: [number, number]): void {
    const kb = p.globals.vm_min_kernel_address;
    const mode = mode_of(p);
    let bad = 0;
    for (let va = lo; va < hi; va += PAGE) {
        const w = page_walk(p.mem, mode, va + 0x123);
        const pa = va - kb;
        const ro = pa >= text[0] && pa + PAGE <= text[1];
        if (w.pa !== pa + 0x123 || w.writable === ro || w.user || w.pageSize !== PAGE) {
            if (bad++ < 5) expect.fail(`direct map ${va.toString(16)}: ${JSON.stringify(w)}`);
        }
    }
    expect(bad).toBe(0);
}

/** PDEs present exactly for [first, last] of the kernel range, with a PTP at each. */
function check_pdes(p: Pmap, kernel_virtual_end: number): void {
    const gm = p.pae ? PMAP_GEOMETRY_PAE : PMAP_GEOMETRY_2LEVEL;
    const kb = p.globals.vm_min_kernel_address;
    const mode = mode_of(p);
    const top = Math.ceil(kernel_virtual_end / gm.PDE_MAPPED_SIZE) * gm.PDE_MAPPED_SIZE;
    for (let va = 0; va < TWO32; va += gm.PDE_MAPPED_SIZE) {
        const w = page_walk(p.mem, mode, va);
        const pdeStep = w.steps.find((s) => s.level === "PDE");
        expect(pdeStep, `PDE for ${va.toString(16)}`).toBeDefined();
        const present = (pdeStep!.entry & INTEL_PTE_VALID) !== 0;
        expect(present, `PDE for ${va.toString(16)}`).toBe(va >= kb && va < top);
        if (present) {
            expect(pdeStep!.entry & 0xfff).toBe(INTEL_PTE_VALID | INTEL_PTE_WRITE);
            expect(pmap_pte(p, va)).not.toBeNull();
        } else {
            expect(w.pa).toBeNull();
            expect(pmap_pte(p, va)).toBeNull();
        }
    }
}

describe.each([
    { pae: false, name: "2-level" },
    { pae: true, name: "PAE" },
])("pmap_bootstrap, 64 MiB at 0xC0000000, $name", ({ pae }) => {
    const reserve = 192 * MiB;

    it("direct-maps RAM, text read-only, pre-allocates PTPs up to kernel_virtual_end and nothing above", () => {
        const mem = new ArrayPhysMem(64 * MiB);
        const { kernel, pool } = boot_kernel(mem, { pae, kernelbase: KB_UPSTREAM, reserve });
        const gm = pae ? PMAP_GEOMETRY_PAE : PMAP_GEOMETRY_2LEVEL;
        const kve = KB_UPSTREAM + 64 * MiB + reserve;
        expect(pmap_virtual_space(kernel)).toEqual({ start: KB_UPSTREAM + 64 * MiB, end: kve });

        const ptps = (64 * MiB + reserve) / gm.PDE_MAPPED_SIZE; // 64 or 128
        expect(pool.grabbed).toBe(ptps + gm.PDPNUM + (pae ? 1 : 0));
        expect(kernel.ptp_count).toBe(ptps);
        expect(pmap_kernel_pde_range(kernel)).toEqual({
            first: KB_UPSTREAM / gm.PDE_MAPPED_SIZE,
            last: KB_UPSTREAM / gm.PDE_MAPPED_SIZE + ptps - 1,
        });

        check_direct_map(kernel, KB_UPSTREAM, KB_UPSTREAM + 64 * MiB, [0x100000, 0x123456]);
        check_pdes(kernel, kve);

        // The reserve is mapped by empty PTPs: the walk stops at the PTE.
        for (let va = KB_UPSTREAM + 64 * MiB; va < kve; va += PAGE * 97) {
            const w = page_walk(mem, mode_of(kernel), va);
            expect(w.pa).toBeNull();
            expect(w.fault).toMatch(/^PTE /);
            expect(pmap_extract(kernel, va)).toBe(0);
        }
        // Text: 0x100000..0x122fff read-only, the partial last page writable.
        const pte = (va: number) => pmap_entry_read(mem, pae, pmap_pte(kernel, va)!);
        expect(pte(KB_UPSTREAM + 0x100000)).toBe(0x100000 | INTEL_PTE_VALID | INTEL_PTE_GLOBAL);
        expect(pte(KB_UPSTREAM + 0x122000)).toBe(0x122000 | INTEL_PTE_VALID | INTEL_PTE_GLOBAL);
        expect(pte(KB_UPSTREAM + 0x123000)).toBe(
            0x123000 | INTEL_PTE_VALID | INTEL_PTE_WRITE | INTEL_PTE_GLOBAL,
        );
        expect(pte(KB_UPSTREAM + 0xff000)).toBe(
            0xff000 | INTEL_PTE_VALID | INTEL_PTE_WRITE | INTEL_PTE_GLOBAL,
        );

        expect(pmap_extract(kernel, KB_UPSTREAM + 0x345678)).toBe(0x345678);
        expect(pmap_verify(kernel)).toEqual([]);
        expect(kernel.resident_count).toBe(0);
    });

    it("lays out the directory as Mach does (PAE: PDs first, then the PDPT) and zeroes the junk", () => {
        const mem = new ArrayPhysMem(64 * MiB);
        const { kernel } = boot_kernel(mem, { pae, kernelbase: KB_UPSTREAM, reserve });
        const first = 2 * MiB;
        if (pae) {
            expect(kernel.dir_pages).toEqual([
                first,
                first + PAGE,
                first + 2 * PAGE,
                first + 3 * PAGE,
            ]);
            expect(kernel.dirbase).toBe(first);
            expect(kernel.pdpbase).toBe(first + 4 * PAGE);
            for (let i = 0; i < 4; i++) {
                expect(pmap_entry_read(mem, true, kernel.pdpbase + 8 * i)).toBe(
                    (first + i * PAGE) | INTEL_PTE_VALID,
                );
            }
            // The rest of the PDPT page is zero, not the pool's junk.
            expect([...mem.read(kernel.pdpbase + 32, PAGE - 32)].every((b) => b === 0)).toBe(true);
            // The first PTP follows the PDPT; PD 3 entry 0 points at it.
            expect(pmap_pde(kernel, KB_UPSTREAM)).toBe(first + 3 * PAGE);
            expect(pmap_entry_read(mem, true, first + 3 * PAGE)).toBe(
                (first + 5 * PAGE) | INTEL_PTE_VALID | INTEL_PTE_WRITE,
            );
        } else {
            expect(kernel.dirbase).toBe(first);
            expect(kernel.pdpbase).toBe(first);
            expect(pmap_pde(kernel, KB_UPSTREAM)).toBe(first + 0x300 * 4);
            expect(mem.read32(first + 0x300 * 4)).toBe(
                (first + PAGE) | INTEL_PTE_VALID | INTEL_PTE_WRITE,
            );
        }
        // User half of the directory: all zero.
        for (let i = 0; i < (pae ? 3 : 1); i++) {
            const len = pae ? PAGE : 0x300 * 4;
            expect([...mem.read(kernel.dir_pages[i]!, len)].every((b) => b === 0)).toBe(true);
        }
        expect(pmap_cr3(kernel)).toBe(pae ? first + 4 * PAGE : first);
        expect(pmap_cr4_bits(kernel)).toBe((pae ? CR4_PAE : 0) | CR4_PGE);
    });

    it("rounds an unaligned kernel_virtual_end up to a whole PTP and caps it at VM_MAX_KERNEL_ADDRESS", () => {
        const gm = pae ? PMAP_GEOMETRY_PAE : PMAP_GEOMETRY_2LEVEL;
        const mem = new ArrayPhysMem(64 * MiB);
        const { kernel, pool } = boot_kernel(mem, {
            pae,
            kernelbase: KB_UPSTREAM,
            reserve: reserve + 0x3000,
        });
        const ptps = (64 * MiB + reserve) / gm.PDE_MAPPED_SIZE + 1;
        expect(kernel.ptp_count).toBe(ptps);
        expect(pool.grabbed).toBe(ptps + gm.PDPNUM + (pae ? 1 : 0));
        check_pdes(kernel, KB_UPSTREAM + 64 * MiB + reserve + 0x3000);
        expect(pmap_verify(kernel)).toEqual([]);

        // 1 GiB of reserve overflows 4 GiB: capped, PTPs up to the last PDE.
        const mem2 = new ArrayPhysMem(64 * MiB);
        const capped = boot_kernel(mem2, {
            pae,
            kernelbase: KB_UPSTREAM,
            reserve: 1024 * MiB,
        }).kernel;
        expect(capped.globals.kernel_virtual_end).toBe(0xffffffff);
        expect(capped.ptp_count).toBe(0x40000000 / gm.PDE_MAPPED_SIZE);
        check_pdes(capped, TWO32);
        expect(pmap_verify(capped)).toEqual([]);
    });

    it("leaves out INTEL_PTE_GLOBAL and CR4.PGE on a CPU without PGE", () => {
        const mem = new ArrayPhysMem(64 * MiB);
        const { kernel } = boot_kernel(mem, { pae, kernelbase: KB_UPSTREAM, reserve, pge: false });
        expect(pmap_entry_read(mem, pae, pmap_pte(kernel, KB_UPSTREAM + 0x200000)!)).toBe(
            0x200000 | INTEL_PTE_VALID | INTEL_PTE_WRITE,
        );
        expect(pmap_cr4_bits(kernel)).toBe(pae ? CR4_PAE : 0);
        expect(pmap_verify(kernel)).toEqual([]);
    });

    it("pmap_activate loads CR3", () => {
        const mem = new ArrayPhysMem(64 * MiB);
        const { kernel, mmu } = boot_kernel(mem, { pae, kernelbase: KB_UPSTREAM, reserve });
        expect(mmu.cr3s).toEqual([]); // pmap_bootstrap runs with paging off
        pmap_activate(kernel);
        expect(mmu.cr3s).toEqual([pmap_cr3(kernel)]);
        expect(kernel.active).toBe(true);
    });

    it("works without a CPU (mmu null)", () => {
        const mem = new ArrayPhysMem(64 * MiB);
        const k = pmap_bootstrap({
            mem,
            mmu: null,
            pae,
            vm_min_kernel_address: KB_UPSTREAM,
            phys_first_addr: 0,
            phys_last_addr: 64 * MiB,
            kernel_virtual_end: KB_UPSTREAM + 256 * MiB,
            text_start: 0x100000,
            text_end: 0x100000,
            grab_page: (() => {
                let next = 0x200000;
                return () => (next += PAGE) - PAGE;
            })(),
        });
        pmap_activate(k);
        expect(pmap_verify(k)).toEqual([]);
    });
});

describe.each([
    { pae: false, name: "2-level", ptps: 512 },
    { pae: true, name: "PAE", ptps: 1024 },
])("pmap_bootstrap, Debian 2G/2G with 1856 MiB (SparsePhysMem), $name", ({ pae, ptps }) => {
    it("maps 0x80000000-0xf3ffefff and pre-allocates PTPs to 0xfffff000", () => {
        const mem = new SparsePhysMem(1856 * MiB);
        const phys_last = 0x73fff000; // max_phys_size, trunc_page'd
        let next = 0x300000;
        let grabbed = 0;
        const t0 = performance.now();
        const kernel = pmap_bootstrap({
            mem,
            mmu: null,
            pae,
            vm_min_kernel_address: KB_DEBIAN,
            phys_first_addr: 0,
            phys_last_addr: phys_last,
            kernel_virtual_end: KB_DEBIAN + phys_last + 192 * MiB,
            text_start: 0x100000,
            text_end: 0x200000,
            grab_page: () => {
                grabbed++;
                next += PAGE;
                return next - PAGE;
            },
        });
        const ms = performance.now() - t0;
        console.log(`pmap_bootstrap 1856 MiB ${pae ? "PAE" : "2-level"}: ${ms.toFixed(1)} ms`);
        expect(kernel.globals.kernel_virtual_end).toBe(0xfffff000);
        expect(kernel.ptp_count).toBe(ptps); // 2 MiB (2-level) / 4 MiB (PAE) of page tables
        expect(grabbed).toBe(ptps + (pae ? 5 : 1));
        check_direct_map(kernel, KB_DEBIAN, KB_DEBIAN + phys_last, [0x100000, 0x200000]);
        check_pdes(kernel, 0xfffff000);
        expect(pmap_verify(kernel)).toEqual([]);

        const lines: string[] = [];
        pmap_info(kernel, (l) => lines.push(l));
        expect(lines.slice(1)).toEqual([
            "0x80000000-0x800fffff -> 0x00000000-0x000fffff  RW G",
            "0x80100000-0x801fffff -> 0x00100000-0x001fffff  RO G",
            "0x80200000-0xf3ffefff -> 0x00200000-0x73ffefff  RW G",
            "3 runs, 475135 pages mapped (1855.99 MiB)",
        ]);
    });
});

describe.each([
    { pae: false, name: "2-level" },
    { pae: true, name: "PAE" },
])("pmap_bootstrap's PTPs on a sparse memory (deferred), $name", ({ pae }) => {
    it("are the bytes a flat memory gets, over old bytes and under later writes", () => {
        const size = 48 * MiB;
        const boot = (mem: ArrayPhysMem | SparsePhysMem) => {
            // Old bytes where the page tables go (a module that was there).
            mem.write(0x200000 + 5 * PAGE + 12, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
            const { kernel } = boot_kernel(mem, {
                pae,
                kernelbase: KB_UPSTREAM,
                reserve: 64 * MiB,
                pool_start: 0x200000,
                text_end: 0x180000,
            });
            pmap_enter(kernel, KB_UPSTREAM + size + 8 * PAGE, 0x5000, VM_PROT_ALL, true);
            return kernel;
        };
        const flat = new ArrayPhysMem(size);
        const sparse = new SparsePhysMem(size);
        const [a, b] = [boot(flat), boot(sparse)];
        expect(b.ptp_count).toBe(a.ptp_count);
        expect(pmap_extract(b, KB_UPSTREAM + size + 8 * PAGE)).toBe(0x5000);
        expect(pmap_extract(b, KB_UPSTREAM + 0x1234000)).toBe(0x1234000);
        // Read last, so that the deferred pages are made by these reads.
        expect(Buffer.compare(sparse.read(0, size), flat.read(0, size))).toBe(0);
        expect(pmap_verify(b)).toEqual([]);
    });
});
