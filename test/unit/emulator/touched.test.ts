/*
 * test/unit/emulator/touched.test.ts — PhysMem.touchedPages, which --dump
 * trusts to skip pages: every page that holds a non-zero byte is marked.
 *
 * On v86 the answer comes from the host OS (/proc/self/pagemap, see
 * emulator/resident.ts); where it cannot be read the v86 case is skipped
 * with the reason printed (--dump then reads every page).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { multiboot_load } from "../../../boot/index.ts";
import { Machine } from "../../../emulator/machine.ts";
import { SparsePhysMem } from "../../../emulator/physmem.ts";
import type { PhysMem } from "../../../emulator/types.ts";

const PAGE = 4096;

/** Pages with a non-zero byte that touchedPages leaves unmarked. */
function unmarked(mem: PhysMem, t: Uint8Array): number[] {
    const bad: number[] = [];
    for (let p = 0; p < mem.size / PAGE; p++) {
        const bytes = mem.view?.(p * PAGE, PAGE) ?? mem.read(p * PAGE, PAGE);
        if (!t[p] && bytes.some((b) => b !== 0)) bad.push(p);
    }
    return bad;
}

describe("touchedPages", () => {
    it("sparse memory: the pages of the chunks written, and only those", () => {
        const mem = new SparsePhysMem(64 << 20);
        mem.write32(0x1234, 0xdeadbeef);
        mem.write8(40 << 20, 7);
        const t = mem.touchedPages();
        expect(unmarked(mem, t)).toEqual([]);
        expect(t[1]).toBe(1);
        expect(t[(40 << 20) / PAGE]).toBe(1);
        expect(t[(20 << 20) / PAGE]).toBe(0);
        mem.release();
    });

    it("v86: after a guest ran, every non-zero page is marked, and untouched RAM is not", async () => {
        const memory = 256 << 20;
        const m = await Machine.create({ memory });
        try {
            const path = join(process.cwd(), "build/images/pagetest.elf");
            const info = multiboot_load(m.mem, {
                kernel: { path, bytes: new Uint8Array(readFileSync(path)) },
                modules: [],
                cmdline: "",
                ramSize: memory,
            });
            m.mem.write32(200 << 20, 0x12345678); // a host write high in RAM
            m.enter(info.entry);
            await m.run({ maxInstructions: 50_000_000 });
            const before = m.mem.touchedPages?.();
            if (!before) {
                console.log(
                    "touched: v86 case skipped: /proc/self/pagemap or the mapping unreadable",
                );
                return;
            }
            expect(before[(200 << 20) / PAGE]).toBe(1);
            // Untouched RAM exists (else the answer says nothing) and stays unread until the check.
            expect(before.filter((x) => x === 0).length).toBeGreaterThan(memory / PAGE / 2);
            expect(unmarked(m.mem, before)).toEqual([]);
        } finally {
            await m.destroy();
        }
    });
});
