/*
 * test/unit/kernel/vm/vm_page_ram.test.ts — the model's struct vm_page
 * array and Mach's resident-page globals in guest RAM, read the way a
 * reader of GNU Mach's structures would: from the globals' symbols in the
 * kernel image, through kernel VAs, with the field offsets gdb prints for
 * the real kernels (ptype/o struct vm_page) — written out here, not taken
 * from the model.
 */
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { bootImage } from "../../../../lib/index.ts";
import { copyout } from "../../../../kernel/i386/copyinout.ts";
import { INTEL_PTE_WRITE, pmap_extract, pmap_pte } from "../../../../kernel/i386/pmap.ts";
import { booted, type BootedKernel } from "../../../../kernel/kern/kernel.ts";
import { elf32_symbols } from "../../../../kernel/kern/kernel_image.ts";
import { kernel_verify } from "../../../../kernel/kern/kernel_verify.ts";
import { kmem_alloc } from "../../../../kernel/vm/vm_kern.ts";
import { vm_map_lookup_entry } from "../../../../kernel/vm/vm_map.ts";
import {
    VM_PAGE_TO_PHYS,
    vm_page_lookup_phys,
    vm_page_verify,
} from "../../../../kernel/vm/vm_page.ts";
import { vm_page_ram_va } from "../../../../kernel/vm/vm_page_ram.ts";
import { vm_allocate } from "../../../../kernel/vm/vm_user.ts";

const ROOT = join(import.meta.dirname, "../../../..");
const HELLO = join(ROOT, "images/user-hello");
const DI = join(ROOT, "images/debian-installer");
const STUB = join(ROOT, "build/images/mach86-kernel.elf");
const PG = 4096;

/** struct vm_page as gdb prints it for gnumach-8d03c760-debian (44) and gnumach-debian-1.4-x (48). */
const GDB = {
    44: {
        next: 0,
        prev: 4,
        object: 20,
        offset: 24,
        phys_addr: 32,
        wire_count: [28, 0, 0x7fff],
        inactive: [28, 15],
        active: [28, 16],
        free: [28, 18],
        reference: [28, 19],
        busy: [28, 22],
        tabled: [28, 24],
        dirty: [28, 29],
    },
    48: {
        next: 0,
        prev: 4,
        object: 20,
        offset: 24,
        phys_addr: 36,
        wire_count: [28, 0, 0xffff],
        inactive: [28, 16],
        active: [28, 17],
        free: [28, 19],
        reference: [28, 20],
        busy: [32, 0],
        tabled: [32, 2],
        dirty: [32, 7],
    },
} as const;

type Flag = "inactive" | "active" | "free" | "reference" | "busy" | "tabled" | "dirty";

function reader(k: BootedKernel, size: 44 | 48) {
    const f = GDB[size];
    const sym = elf32_symbols(readFileSync(STUB));
    const kb = k.params.vm_min_kernel_address;
    const kva = (name: string) => (sym.get(name)! + kb) >>> 0;
    const r32 = (va: number) => k.mem.read32(pmap_extract(k.kernel_pmap!, va)) >>> 0;
    return {
        kva,
        global: (name: string, off = 0) => r32(kva(name) + off),
        field: (page: number, off: number) => r32(page + off),
        flag: (page: number, name: Flag) => (r32(page + f[name][0]) >>> f[name][1]) & 1,
        wire_count: (page: number) => r32(page + f.wire_count[0]) & f.wire_count[2],
        f,
    };
}

describe.each([
    ["gnumach-8d03c760-debian", 44],
    ["debian-2014-fix", 48],
] as const)("struct vm_page in guest RAM, %s (%i B)", (preset, size) => {
    it("the free list and the queues walk from Mach's globals; each struct says its state", async () => {
        const r = await bootImage({ image: HELLO, engine: "none", memory: "16M", preset });
        expect(r.status, r.reason).toBe("ok");
        const k = booted(r.kernel!);
        const t = k.vm_page!;
        expect(k.params.vm_page_size).toBe(size);
        const rd = reader(k, size);
        const task = k.sched!.tasks[0]!;
        // A user page (dirty, referenced) and a kernel page.
        const a = vm_allocate(task, 0, PG, true).addr;
        expect(copyout(k, task, a, new Uint8Array([1, 2, 3]))).toBe(true);
        const km = kmem_alloc(k, k.kernel_map!, PG, "test");
        expect(km.kr).toBe(0);

        // The free list: vm_page_queue_free, then pageq.next, NULL-terminated.
        let n = 0;
        for (let p = rd.global("vm_page_queue_free"); p !== 0; p = rd.field(p, rd.f.next)) {
            expect(rd.flag(p, "free")).toBe(1);
            expect(rd.flag(p, "busy")).toBe(1); // vm_page_init's template
            expect(rd.flag(p, "active") | rd.flag(p, "inactive")).toBe(0);
            const i = vm_page_lookup_phys(t, rd.field(p, rd.f.phys_addr));
            expect(t.state[i], `free page at ${p.toString(16)}`).toBe(1);
            n++;
        }
        expect(n).toBe(t.vm_page_free_count);
        expect(rd.global("vm_page_free_count")).toBe(n);

        // The active queue: a circular list through the queue_head_t.
        const head = rd.kva("vm_page_queue_active");
        let m = 0;
        let back = head;
        for (let p = rd.global("vm_page_queue_active"); p !== head; p = rd.field(p, rd.f.next)) {
            expect(rd.flag(p, "active")).toBe(1);
            expect(rd.field(p, rd.f.prev)).toBe(back);
            back = p;
            m++;
        }
        expect(rd.global("vm_page_queue_active", 4)).toBe(back);
        expect(m).toBe(t.vm_page_active_count);
        expect(rd.global("vm_page_active_count")).toBe(m);
        expect(rd.global("vm_page_wire_count")).toBe(t.vm_page_wire_count);

        // The user page: active, referenced, dirty, in its object at its offset.
        const ua = pmap_extract(task.pmap, a);
        const ui = vm_page_lookup_phys(t, ua);
        // (After boot the module pages are free first: their structs come from vm_page_cache.)
        const up = vm_page_ram_va(t.ram!, ui);
        let seen = false;
        for (let p = rd.global("vm_page_queue_active"); p !== head; p = rd.field(p, rd.f.next))
            seen ||= p === up;
        expect(seen, "the user page is on the active queue").toBe(true);
        expect(rd.field(up, rd.f.phys_addr)).toBe(ua);
        const o = vm_map_lookup_entry(task.map!, a).entry!.object!;
        expect(o.kva).not.toBe(0);
        expect(rd.field(up, rd.f.object)).toBe(o.kva);
        expect(rd.field(up, rd.f.offset)).toBe(t.offset[ui]);
        for (const flag of ["active", "reference", "dirty", "tabled"] as const)
            expect(rd.flag(up, flag), flag).toBe(1);
        expect(rd.flag(up, "busy")).toBe(0);

        // The kernel page: wired, on no queue, in no object.
        const kp = vm_page_ram_va(
            t.ram!,
            vm_page_lookup_phys(t, pmap_extract(k.kernel_pmap!, km.addr)),
        );
        expect(rd.wire_count(kp)).toBe(1);
        for (const flag of ["free", "active", "inactive", "busy", "tabled"] as const)
            expect(rd.flag(kp, flag), flag).toBe(0);
        expect([rd.field(kp, rd.f.next), rd.field(kp, rd.f.prev)]).toEqual([0, 0]);
        expect(kernel_verify(k)).toEqual([]);
    });
});

describe("the kernel image's own symbols", () => {
    it("pmap_bootstrap gets the stub's etext: the pages wholly inside [_start, etext) are read-only (none: its code is under a page)", async () => {
        const sym = elf32_symbols(readFileSync(STUB));
        const etext = sym.get("etext")!;
        expect(etext).toBeGreaterThan(0x100000);
        const r = await bootImage({ image: HELLO, engine: "none", memory: "16M" });
        const k = booted(r.kernel!);
        expect(k.kernel_text_end).toBe(etext);
        expect(k.kernel_pmap!.globals.text_end).toBe(etext);
        const g = k.kernel_pmap!.globals;
        const kb = k.params.vm_min_kernel_address;
        for (let pa = 0x100000; pa < k.kernel_end; pa += PG) {
            const ro = pa + PG <= etext;
            const pte = pmap_pte(k.kernel_pmap!, kb + pa)!;
            expect(k.mem.read32(pte) & INTEL_PTE_WRITE, `PTE of ${pa.toString(16)}`).toBe(
                ro ? 0 : INTEL_PTE_WRITE,
            );
        }
        expect(g.text_start).toBe(0x100000);
        expect(kernel_verify(k)).toEqual([]);
    });
});

describe("structs of the pages handed over after boot (vm_page_create)", () => {
    it.each(["debian-2014-fix", "zalloc-2011"])(
        "%s: each module page's struct, from vm_page_cache or the 'vm pages' zone, is written and kept (some straddle a page)",
        async (preset) => {
            const r = await bootImage({ image: DI, engine: "none", memory: "512M", preset });
            const k = booted(r.kernel!);
            const ram = k.vm_page!.ram!;
            expect(ram.extra_va.length).toBeGreaterThan(1000);
            const straddling = ram.extra_pa_hi.filter((pa) => pa !== 0).length;
            if (preset === "zalloc-2011") expect(straddling).toBeGreaterThan(0);
            // The first module page's struct: free, busy, its frame.
            const rd = reader(k, 48);
            const i = ram.count;
            const va = vm_page_ram_va(ram, i);
            expect(va).toBe(ram.extra_va[0]);
            expect(rd.field(va, rd.f.phys_addr)).toBe(VM_PAGE_TO_PHYS(k.vm_page!, i));
            expect(vm_page_verify(k.vm_page!)).toEqual([]);
        },
    );
});
