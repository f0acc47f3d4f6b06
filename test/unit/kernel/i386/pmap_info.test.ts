/*
 * test/unit/kernel/i386/pmap_info.test.ts — the page-table dumps: merged
 * runs (Bochs `info tab` style), the per-PDE summary, and single-VA walks
 * cross-checked against the emulator's walker.
 */
import { describe, expect, it } from "vitest";
import { ArrayPhysMem } from "../../../../emulator/physmem.ts";
import { page_walk } from "../../../../emulator/pagewalk.ts";
import {
    INTEL_PTE_MOD,
    INTEL_PTE_REF,
    pmap_create,
    pmap_destroy,
    pmap_enter,
    pmap_pte,
} from "../../../../kernel/i386/pmap.ts";
import { pmap_info, pmap_walk_lines } from "../../../../kernel/i386/pmap_info.ts";
import { MiB, PAGE, VM_PROT_READ, VM_PROT_RW, boot_kernel, mode_of, prng } from "./pmap_helpers.ts";

const KB = 0xc0000000;

function lines_of(f: (print: (l: string) => void) => void): string[] {
    const out: string[] = [];
    f((l) => out.push(l));
    return out;
}

describe.each([false, true])("pmap_info (pae=%s)", (pae) => {
    const setup = () =>
        boot_kernel(new ArrayPhysMem(64 * MiB), { pae, kernelbase: KB, reserve: 192 * MiB });

    it("prints the kernel pmap as merged runs", () => {
        const { kernel } = setup();
        const out = lines_of((print) => pmap_info(kernel, print));
        const cr3 = pae ? "0x00204000" : "0x00200000";
        expect(out).toEqual([
            `kernel_pmap: ${pae ? "PAE" : "2-level"}, CR3 ${cr3}, CR4 ${pae ? "PAE|PGE" : "PGE"}, resident 0, wired 0, ` +
                `${pae ? 128 : 64} page tables, active`,
            "0xc0000000-0xc00fffff -> 0x00000000-0x000fffff  RW G",
            "0xc0100000-0xc0122fff -> 0x00100000-0x00122fff  RO G",
            "0xc0123000-0xc3ffffff -> 0x00123000-0x03ffffff  RW G",
            "3 runs, 16384 pages mapped (64 MiB)",
        ]);
    });

    it("shows entered mappings with their attributes, A/D on request, and honours a VA range", () => {
        const { kernel, mem, pool } = setup();
        const kvs = KB + 64 * MiB;
        pmap_enter(kernel, kvs, 0x500000, VM_PROT_RW, true);
        pmap_enter(kernel, kvs + PAGE, 0x501000, VM_PROT_RW, true);
        pmap_enter(kernel, kvs + 2 * PAGE, 0xfee00000, VM_PROT_RW, true);
        const dirs = Array.from({ length: pae ? 5 : 1 }, () => pool.grab());
        const u = pmap_create(kernel, dirs, () => pool.grab(), "task1");
        pmap_enter(u, 0x1000, 0x600000, VM_PROT_READ, false);
        pmap_enter(u, 0x2000, 0x601000, VM_PROT_READ, false);
        pmap_enter(u, 0x3000, 0x603000, VM_PROT_RW, false);

        expect(
            lines_of((print) => pmap_info(kernel, print, { start: kvs, end: kvs + MiB })).slice(1),
        ).toEqual([
            `${"0x" + kvs.toString(16)}-${"0x" + (kvs + 0x1fff).toString(16)} -> 0x00500000-0x00501fff  RW WIRED`,
            `${"0x" + (kvs + 0x2000).toString(16)}-${"0x" + (kvs + 0x2fff).toString(16)} -> 0xfee00000-0xfee00fff  RW WT NC WIRED`,
            "2 runs, 3 pages mapped (0.01 MiB)",
        ]);
        expect(lines_of((print) => pmap_info(u, print, { end: KB })).slice(1)).toEqual([
            "0x00001000-0x00002fff -> 0x00600000-0x00601fff  RO U",
            "0x00003000-0x00003fff -> 0x00603000-0x00603fff  RW U",
            "2 runs, 3 pages mapped (0.01 MiB)",
        ]);
        // The user pmap sees the kernel half too (shared PDEs).
        expect(
            lines_of((print) => pmap_info(u, print, { start: KB, end: KB + MiB })).slice(1),
        ).toEqual([
            "0xc0000000-0xc00fffff -> 0x00000000-0x000fffff  RW G",
            "1 run, 256 pages mapped (1 MiB)",
        ]);

        // A and D split runs only when asked for.
        const at = pmap_pte(kernel, KB + 0x10000)!;
        mem.write32(at, mem.read32(at) | INTEL_PTE_REF | INTEL_PTE_MOD);
        expect(
            lines_of((print) => pmap_info(kernel, print, { end: KB + 0x100000 })).slice(1, -1),
        ).toEqual(["0xc0000000-0xc00fffff -> 0x00000000-0x000fffff  RW G"]);
        expect(
            lines_of((print) => pmap_info(kernel, print, { end: KB + 0x100000, ad: true })).slice(
                1,
                -1,
            ),
        ).toEqual([
            "0xc0000000-0xc000ffff -> 0x00000000-0x0000ffff  RW G",
            "0xc0010000-0xc0010fff -> 0x00010000-0x00010fff  RW G A D",
            "0xc0011000-0xc00fffff -> 0x00011000-0x000fffff  RW G",
        ]);

        expect(pmap_destroy(u, () => undefined)).toBe(true);
        expect(lines_of((print) => pmap_info(u, print))).toEqual([
            expect.stringMatching(/^task1: /),
            "(destroyed)",
        ]);
    });

    it("summarises one line per present PDE", () => {
        const { kernel } = setup();
        const out = lines_of((print) => pmap_info(kernel, print, { mode: "pde" }));
        const pdes = out.filter((l) => l.startsWith("PDE "));
        expect(pdes).toHaveLength(pae ? 128 : 64);
        if (pae) {
            expect(out.filter((l) => l.startsWith("PDPTE "))).toHaveLength(4);
            expect(out[4]).toBe(
                "PDPTE 3 @0x00204018 = 0x0000000000203001  P  page directory 0x00203000",
            );
            expect(pdes[0]).toBe(
                "PDE 0x600 @0x00203000 = 0x0000000000205003  P W  0xc0000000-0xc01fffff  " +
                    "page table 0x00205000: 512/512 present, 512 direct map",
            );
            expect(pdes[32]).toBe(
                "PDE 0x620 @0x00203100 = 0x0000000000225003  P W  0xc4000000-0xc41fffff  " +
                    "page table 0x00225000: 0/512 present",
            );
        } else {
            expect(pdes[0]).toBe(
                "PDE 0x300 @0x00200c00 = 0x00201003  P W  0xc0000000-0xc03fffff  " +
                    "page table 0x00201000: 1024/1024 present, 1024 direct map",
            );
            expect(pdes[16]).toBe(
                "PDE 0x310 @0x00200c40 = 0x00211003  P W  0xc4000000-0xc43fffff  " +
                    "page table 0x00211000: 0/1024 present",
            );
        }
    });

    it("walks one VA with every step, agreeing with the emulator's walker", () => {
        const { kernel, pool } = setup();
        const dirs = Array.from({ length: pae ? 5 : 1 }, () => pool.grab());
        const u = pmap_create(kernel, dirs, () => pool.grab(), "task1");
        pmap_enter(u, 0x8048000, 0x700000, VM_PROT_RW, true);
        pmap_enter(kernel, KB + 64 * MiB, 0x710000, VM_PROT_RW, false);

        const direct = pmap_walk_lines(kernel, KB + 0x123456);
        expect(direct.at(-1)).toBe(
            "VA 0xc0123456 -> PA 0x00123456  (RW, supervisor, global; direct map)",
        );
        expect(direct).toHaveLength(pae ? 5 : 4); // header, [PDPTE,] PDE, PTE, result
        expect(direct.at(-2)).toMatch(
            /^PTE {3}\[0x123\] @0x[0-9a-f]{8} = 0x[0-9a-f]+ {2}P W G {2}4 KiB page at 0x00123000$/,
        );
        expect(pmap_walk_lines(kernel, KB + 0x100000).at(-1)).toBe(
            "VA 0xc0100000 -> PA 0x00100000  (RO, supervisor, global; direct map)",
        );
        expect(pmap_walk_lines(u, 0x8048010).at(-1)).toBe(
            "VA 0x08048010 -> PA 0x00700010  (RW, user, wired; user space)",
        );
        expect(pmap_walk_lines(u, KB + 4).at(-1)).toBe(
            "VA 0xc0000004 -> PA 0x00000004  (RW, supervisor, global; kernel space, shared kernel PDE)",
        );
        expect(pmap_walk_lines(kernel, KB + 64 * MiB + PAGE).at(-1)).toBe(
            "VA 0xc4001000 -> not mapped (PTE 0x001 not present; kernel virtual space)",
        );
        expect(pmap_walk_lines(kernel, 0xf0000000).at(-1)).toBe(
            `VA 0xf0000000 -> not mapped (PDE ${pae ? "0x780" : "0x3c0"} not present; beyond kernel_virtual_end)`,
        );
        expect(pmap_walk_lines(kernel, 0x1000).at(-1)).toBe(
            `VA 0x00001000 -> not mapped (PDE 0x000 not present; user space)`,
        );

        // Random VAs: same entries read, same answer as page_walk.
        const rnd = prng(12345);
        const vas = [0x8048000, KB + 64 * MiB, KB + 64 * MiB + 0x5000];
        for (let i = 0; i < 300; i++) vas.push(rnd());
        for (const p of [kernel, u]) {
            for (const va of vas) {
                const lines = pmap_walk_lines(p, va);
                const w = page_walk(p.mem, mode_of(p), va);
                const addrs = lines
                    .slice(1, -1)
                    .map((l) => Number.parseInt(/@0x([0-9a-f]+)/.exec(l)![1]!, 16));
                expect(addrs, `${p.name} ${va.toString(16)}`).toEqual(
                    w.steps.map((s) => s.entryAddr),
                );
                const last = lines.at(-1)!;
                if (w.pa === null) expect(last).toMatch(/not mapped/);
                else expect(last).toContain(`-> PA 0x${w.pa.toString(16).padStart(8, "0")}`);
            }
        }
    });
});
