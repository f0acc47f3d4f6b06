/*
 * lib/gnumach reads the MODEL's structures too: the modelled kernel (d-i
 * image, the gnumach-8d03c760-debian preset, the none engine) keeps a real
 * struct vm_page array in guest RAM with 8d03c760's layout, kept current as
 * pages change state (kernel/vm/vm_page_ram.ts). Read through the model's
 * own page tables with the DWARF of the real 8d03c760 kernel, each page's
 * phys_addr, free bit and wire count are what the model's page table holds
 * after the boot. Skipped, with the reason printed, without the real kernel.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mbi_parse, multiboot_load } from "../../../boot/index.ts";
import { CR0_PG } from "../../../emulator/pagewalk.ts";
import { SparsePhysMem } from "../../../emulator/physmem.ts";
import { pmap_cr3, pmap_cr4_bits, pmap_extract } from "../../../kernel/i386/pmap.ts";
import { kernel_create } from "../../../kernel/kern/kernel.ts";
import { kernel_boot } from "../../../kernel/kern/startup.ts";
import { PAGE_FREE, PAGE_WIRED, VM_PAGE_TO_PHYS } from "../../../kernel/vm/vm_page.ts";
import { preset_find } from "../../../kernel/presets.ts";
import { DebugInfo } from "../../../lib/debuginfo/index.ts";
import { GnuMach, type GuestMemory } from "../../../lib/gnumach/index.ts";
import { ROOT, di_boot, real_kernel } from "../../gnumach_real.ts";

const k8d = real_kernel("gnumach-8d03c760-debian");
if (k8d.skip) console.log(`skipped: the model's vm_page array: ${k8d.skip}`);

describe.skipIf(!k8d.path)("lib/gnumach on the model's guest RAM", () => {
    it("reads the model's vm_page array with the real kernel's struct vm_page", () => {
        const memory = 1024 * 1024 * 1024;
        const mem = new SparsePhysMem(memory);
        const stub = join(ROOT, "build/images/mach86-kernel.elf");
        const { modules, cmdline } = di_boot();
        const file = new Uint8Array(readFileSync(stub));
        const boot = multiboot_load(mem, {
            kernel: { path: stub, bytes: file },
            modules,
            cmdline,
            ramSize: memory,
        });
        const k = kernel_create(
            mem,
            null,
            preset_find("gnumach-8d03c760-debian")!.params,
            mbi_parse(mem, boot.mbiAddr),
            { start: 0x100000, end: boot.kernelEnd, file },
        );
        kernel_boot(k);
        const p = k.kernel_pmap!;
        const g = GnuMach.fromPhysMem(DebugInfo.open(k8d.path!), mem, {
            cr0: CR0_PG | 1,
            cr3: pmap_cr3(p),
            cr4: pmap_cr4_bits(p),
        });
        const t = k.vm_page!;
        const pages = g.view.at(k.vm_page_array, "struct vm_page");
        expect(pages.size).toBe(k.params.vm_page_size);
        let checked = 0;
        for (let i = 0; i < k.vm_page_array_count; i += 997) {
            const m = g.view.at(k.vm_page_array + i * pages.size, "struct vm_page");
            // The page walker and the model's own pmap_extract agree on where the struct is.
            const pa = (g.view.mem as GuestMemory).translate(m.addr);
            expect(pa).toBe(pmap_extract(p, m.addr));
            expect([
                m.get("phys_addr").num(),
                m.get("free").num(),
                m.get("wire_count").num(),
            ]).toEqual([
                VM_PAGE_TO_PHYS(t, i),
                t.state[i] === PAGE_FREE ? 1 : 0,
                t.state[i] === PAGE_WIRED ? 1 : 0,
            ]);
            checked++;
        }
        expect(checked).toBeGreaterThan(200);
    });
});
