/*
 * test/unit/kernel/vm/vm_fault.test.ts — vm_fault, copy-on-write, page-out
 * and page-in, one mechanism at a time, on a booted kernel
 * (images/user-hello on the none engine: the task is loaded, not run; the
 * test touches its memory with copyin/copyout, which fault as the CPU
 * would). Every case ends with the kernel's own consistency checks.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bootImage } from "../../../../lib/index.ts";
import { copyin, copyout } from "../../../../kernel/i386/copyinout.ts";
import {
    INTEL_PTE_VALID,
    INTEL_PTE_WRITE,
    pmap_entry_read,
    pmap_extract,
    pmap_pte,
} from "../../../../kernel/i386/pmap.ts";
import type { Kernel } from "../../../../kernel/kern/kernel.ts";
import { kernel_verify } from "../../../../kernel/kern/kernel_verify.ts";
import {
    KERN_INVALID_ADDRESS,
    KERN_PROTECTION_FAILURE,
    KERN_SUCCESS,
} from "../../../../kernel/kern/kern_return.ts";
import { task_create, type Task } from "../../../../kernel/kern/task.ts";
import { task_end } from "../../../../kernel/kern/task_end.ts";
import { vm_fault } from "../../../../kernel/vm/vm_fault.ts";
import { vm_map_fork, vm_map_lookup_entry } from "../../../../kernel/vm/vm_map.ts";
import { vm_pageout_scan } from "../../../../kernel/vm/vm_pageout.ts";
import { VM_PROT_EXECUTE, VM_PROT_READ, VM_PROT_WRITE } from "../../../../kernel/vm/vm_prot.ts";
import { vm_allocate, vm_deallocate, vm_protect } from "../../../../kernel/vm/vm_user.ts";

const HELLO = join(import.meta.dirname, "../../../../images/user-hello");
const PG = 4096;

async function boot(set: string[] = [], memory = "16M"): Promise<{ k: Kernel; task: Task }> {
    const r = await bootImage({ image: HELLO, engine: "none", memory, set });
    expect(r.status, r.reason).toBe("ok");
    const k = r.kernel!;
    return { k, task: k.sched!.tasks[0]! };
}

/** A page whose every byte depends on `tag` and the page number. */
function pattern(tag: number, page: number): Uint8Array {
    const b = new Uint8Array(PG);
    for (let i = 0; i < PG; i++) b[i] = (tag * 31 + page * 7 + i * 13 + (i >> 8)) & 0xff;
    return b;
}

function same(a: Uint8Array | null, b: Uint8Array): boolean {
    return a !== null && Buffer.from(a).equals(Buffer.from(b));
}

/**
 * vm_pageout_scan asked for `n` more free pages than there are (the daemon under pressure).
 * The scan collects the slab caches first, which may free a few pages itself.
 */
function force_pageout(k: Kernel, n: number): number {
    const th = k.vm!.thresholds;
    const saved = th.vm_page_free_target;
    th.vm_page_free_target = k.vm_page!.vm_page_free_count + n;
    try {
        return vm_pageout_scan(k, k.vm!);
    } finally {
        th.vm_page_free_target = saved;
    }
}

/**
 * Page out everything the scan can: the inactive target is 2/3 of the pageable pages, rounded
 * down, so the newest active page is never deactivated. A fresh page of `task` takes that place.
 */
let sentinels = 0;
function pageout_all(k: Kernel, task: Task): void {
    // Away from (not adjacent to) any other entry, so vm_map_enter cannot merge it into one.
    const a = vm_allocate(task, 0x06000000 + 2 * PG * sentinels++, PG, false);
    expect(a.kr).toBe(KERN_SUCCESS);
    expect(copyin(k, task, a.addr, 1)).toEqual(new Uint8Array(1)); // a clean zero-filled page
    force_pageout(k, 1 << 20);
}

function pte_of(task: Task, va: number): number {
    const pte = pmap_pte(task.pmap, va);
    return pte === null ? 0 : pmap_entry_read(task.pmap.mem, task.pmap.pae, pte);
}

function clean(k: Kernel): void {
    expect(kernel_verify(k)).toEqual([]);
}

describe("vm_fault", () => {
    it("zero-fills on first touch; refuses unmapped addresses and accesses the entry does not allow", async () => {
        const { k, task } = await boot();
        const st = k.vm_page!.stats;
        const a = vm_allocate(task, 0, 4 * PG, true);
        expect(a.kr).toBe(KERN_SUCCESS);
        const zf = st.zero_fill_count;
        expect(same(copyin(k, task, a.addr + PG, PG), new Uint8Array(PG))).toBe(true);
        expect(st.zero_fill_count).toBe(zf + 1);
        // A read fault maps the page; a second read does not fault again.
        const faults = st.faults;
        copyin(k, task, a.addr + PG, 4);
        expect(st.faults).toBe(faults);

        // Beyond every entry, and into hello's read-only text.
        let hole = a.addr + 4 * PG;
        while (vm_map_lookup_entry(task.map!, hole).found) hole += PG;
        expect(vm_fault(k, task, hole, VM_PROT_READ)).toBe(KERN_INVALID_ADDRESS);
        const text = task.map!.entries.find((e) => e.protection & VM_PROT_EXECUTE)!;
        expect(text.protection & VM_PROT_WRITE).toBe(0);
        expect(vm_fault(k, task, text.vme_start, VM_PROT_READ)).toBe(KERN_SUCCESS);
        expect(vm_fault(k, task, text.vme_start, VM_PROT_READ | VM_PROT_WRITE)).toBe(
            KERN_PROTECTION_FAILURE,
        );
        expect(copyout(k, task, text.vme_start, new Uint8Array([0xcc]))).toBe(false);

        // Lowering the protection takes the write right from the PTE; NONE takes the mapping.
        expect(copyout(k, task, a.addr, new Uint8Array([7]))).toBe(true);
        expect(pte_of(task, a.addr) & INTEL_PTE_WRITE).toBeTruthy();
        expect(vm_protect(task, a.addr, PG, false, VM_PROT_READ)).toBe(KERN_SUCCESS);
        expect(pte_of(task, a.addr) & INTEL_PTE_WRITE).toBe(0);
        expect(copyout(k, task, a.addr, new Uint8Array([8]))).toBe(false);
        expect(copyin(k, task, a.addr, 1)).toEqual(new Uint8Array([7]));
        expect(vm_protect(task, a.addr, PG, false, 0)).toBe(KERN_SUCCESS);
        expect(pte_of(task, a.addr) & INTEL_PTE_VALID).toBe(0);
        expect(copyin(k, task, a.addr, 1)).toBeNull();
        clean(k);
    });

    it("fork is copy-on-write: both sides share a page until one writes, then each sees only its own writes", async () => {
        const { k, task: parent } = await boot();
        const st = k.vm_page!.stats;
        const a = vm_allocate(parent, 0, 2 * PG, true).addr;
        expect(copyout(k, parent, a, pattern(1, 0))).toBe(true);
        expect(copyout(k, parent, a + PG, pattern(1, 1))).toBe(true);
        const child = task_create(k, k.sched!.tasks, "child");
        expect(vm_map_fork(parent.map!, child.map!)).toBe(KERN_SUCCESS);
        // The parent lost write access to its pages at the fork.
        expect(pte_of(parent, a) & INTEL_PTE_VALID).toBeTruthy();
        expect(pte_of(parent, a) & INTEL_PTE_WRITE).toBe(0);
        // The child reads the parent's page: the same physical page, mapped read-only.
        expect(same(copyin(k, child, a, PG), pattern(1, 0))).toBe(true);
        expect(pmap_extract(child.pmap, a)).toBe(pmap_extract(parent.pmap, a));
        expect(pte_of(child, a) & INTEL_PTE_WRITE).toBe(0);
        clean(k);

        const cow = st.cow_faults;
        expect(copyout(k, child, a + 100, new Uint8Array([0xc1, 0xc2]))).toBe(true);
        expect(st.cow_faults).toBe(cow + 1);
        expect(pmap_extract(child.pmap, a)).not.toBe(pmap_extract(parent.pmap, a));
        const child_view = pattern(1, 0);
        child_view.set([0xc1, 0xc2], 100);
        expect(same(copyin(k, child, a, PG), child_view)).toBe(true);
        expect(same(copyin(k, parent, a, PG), pattern(1, 0))).toBe(true);

        // The parent writes the other page: the child keeps the old contents.
        expect(copyout(k, parent, a + PG, pattern(2, 1))).toBe(true);
        expect(st.cow_faults).toBe(cow + 2);
        expect(same(copyin(k, child, a + PG, PG), pattern(1, 1))).toBe(true);
        expect(same(copyin(k, parent, a + PG, PG), pattern(2, 1))).toBe(true);
        clean(k);

        // The parent goes away; the child's copy-on-write view survives it.
        task_end(k, k.sched!, parent, "terminated by the test");
        expect(same(copyin(k, child, a, PG), child_view)).toBe(true);
        expect(same(copyin(k, child, a + PG, PG), pattern(1, 1))).toBe(true);
        clean(k);
    });

    it("pages go out to the default pager and come back with their contents; slots stay the object's", async () => {
        const { k, task } = await boot(["swap_size=1M"]);
        const t = k.vm_page!;
        const dp = k.vm!.pager;
        const N = 48;
        const a = vm_allocate(task, 0, N * PG, true).addr;
        for (let p = 0; p < N; p++) expect(copyout(k, task, a + p * PG, pattern(3, p))).toBe(true);
        const object = vm_map_lookup_entry(task.map!, a).entry!.object!;
        expect(object.pages.size).toBe(N);

        const outs = t.stats.pageouts;
        pageout_all(k, task);
        const paged = t.stats.pageouts - outs;
        // Every dirty page of ours went out (the scan may take hello's too).
        expect(object.pages.size).toBe(0);
        expect(object.pager!.size).toBe(N);
        expect(paged).toBeGreaterThanOrEqual(N);
        expect(dp.used).toBe(paged);
        expect(pte_of(task, a) & INTEL_PTE_VALID).toBe(0);
        clean(k);

        const ins = t.stats.pageins;
        for (let p = 0; p < N; p++)
            expect(same(copyin(k, task, a + p * PG, PG), pattern(3, p)), `page ${p}`).toBe(true);
        expect(t.stats.pageins - ins).toBe(N);
        expect(object.pages.size).toBe(N);
        expect(dp.used).toBe(paged); // page-in keeps the slot
        clean(k);

        // Clean again (read only since the page-in): a second scan frees them without writing.
        const writes = dp.writes;
        const freed_clean = k.vm!.stats.freed_clean;
        pageout_all(k, task);
        expect(object.pages.size).toBe(0);
        expect(dp.writes).toBe(writes);
        expect(k.vm!.stats.freed_clean - freed_clean).toBeGreaterThanOrEqual(N);

        // Dirty one page: it goes to the slot it had.
        const slot = object.pager!.get(5 * PG);
        expect(copyout(k, task, a + 5 * PG, pattern(4, 5))).toBe(true);
        pageout_all(k, task);
        expect(dp.writes).toBe(writes + 1);
        expect(object.pager!.get(5 * PG)).toBe(slot);
        expect(dp.used).toBe(paged);
        expect(same(copyin(k, task, a + 5 * PG, PG), pattern(4, 5))).toBe(true);
        expect(same(copyin(k, task, a + 6 * PG, PG), pattern(3, 6))).toBe(true);
        clean(k);

        // The object dies with the region: its slots are free again.
        expect(vm_deallocate(task, a, N * PG)).toBe(KERN_SUCCESS);
        expect(dp.used).toBe(paged - N);
        expect(dp.data.size).toBe(dp.used);
        clean(k);
    });

    it("a full paging area keeps the dirty pages it cannot take resident, with their contents", async () => {
        const { k, task } = await boot(["swap_size=64K"]);
        const dp = k.vm!.pager;
        expect(dp.nslots).toBe(16);
        const N = 40;
        const a = vm_allocate(task, 0, N * PG, true).addr;
        for (let p = 0; p < N; p++) expect(copyout(k, task, a + p * PG, pattern(5, p))).toBe(true);
        pageout_all(k, task);
        expect(dp.used).toBe(16);
        expect(dp.full).toBeGreaterThan(0);
        expect(k.vm!.stats.no_pager).toBeGreaterThan(0);
        const object = vm_map_lookup_entry(task.map!, a).entry!.object!;
        const out = object.pager?.size ?? 0;
        expect(object.pages.size + out).toBe(N);
        for (let p = 0; p < N; p++)
            expect(same(copyin(k, task, a + p * PG, PG), pattern(5, p)), `page ${p}`).toBe(true);
        clean(k);
    });

    // Mach's vm_object_coalesce removes the pages a previous deallocation left in the object
    // (vm_object_page_remove of the new range) before vm_map_enter extends an entry over it.
    it("vm_allocate next to a shrunk entry returns zero-filled memory, not the deallocated pages", async () => {
        const { k, task } = await boot();
        const a = vm_allocate(task, 0, 4 * PG, true).addr;
        for (let p = 0; p < 4; p++) expect(copyout(k, task, a + p * PG, pattern(6, p))).toBe(true);
        expect(vm_deallocate(task, a + 2 * PG, 2 * PG)).toBe(KERN_SUCCESS);
        const b = vm_allocate(task, 0, 2 * PG, true);
        expect(b.kr).toBe(KERN_SUCCESS);
        expect(b.addr).toBe(a + 2 * PG); // the first fit: right after the shrunk entry
        expect(same(copyin(k, task, b.addr, PG), new Uint8Array(PG))).toBe(true);
        expect(same(copyin(k, task, b.addr + PG, PG), new Uint8Array(PG))).toBe(true);
        expect(same(copyin(k, task, a + PG, PG), pattern(6, 1))).toBe(true);
        clean(k);
    });
});
