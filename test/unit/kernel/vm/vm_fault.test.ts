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
    INTEL_PTE_MOD,
    INTEL_PTE_VALID,
    INTEL_PTE_WRITE,
    pmap_entry_read,
    pmap_extract,
    pmap_page_protect,
    pmap_phys_is_modified,
    pmap_pte,
} from "../../../../kernel/i386/pmap.ts";
import { booted, type BootedKernel } from "../../../../kernel/kern/kernel.ts";
import { kernel_verify } from "../../../../kernel/kern/kernel_verify.ts";
import {
    KERN_INVALID_ADDRESS,
    KERN_INVALID_ARGUMENT,
    KERN_PROTECTION_FAILURE,
    KERN_SUCCESS,
    KERN_WRITE_PROTECTION_FAILURE,
} from "../../../../kernel/kern/kern_return.ts";
import { task_create, type Task } from "../../../../kernel/kern/task.ts";
import { task_end } from "../../../../kernel/kern/task_end.ts";
import { vm_fault } from "../../../../kernel/vm/vm_fault.ts";
import {
    VM_INHERIT_SHARE,
    vm_map_fork,
    vm_map_lookup_entry,
} from "../../../../kernel/vm/vm_map.ts";
import { vm_pageout_scan } from "../../../../kernel/vm/vm_pageout.ts";
import {
    VM_PAGE_TO_PHYS,
    PAGE_ACTIVE,
    PAGE_INACTIVE,
    PG_DIRTY,
    PG_REFERENCE,
    vm_page_deactivate,
    vm_page_lookup_phys,
} from "../../../../kernel/vm/vm_page.ts";
import {
    VM_PROT_EXECUTE,
    VM_PROT_NONE,
    VM_PROT_NOTIFY,
    VM_PROT_READ,
    VM_PROT_WRITE,
} from "../../../../kernel/vm/vm_prot.ts";
import { vm_allocate, vm_deallocate, vm_protect } from "../../../../kernel/vm/vm_user.ts";

const HELLO = join(import.meta.dirname, "../../../../images/user-hello");
const PG = 4096;

async function boot(set: string[] = [], memory = "16M"): Promise<{ k: BootedKernel; task: Task }> {
    const r = await bootImage({ image: HELLO, engine: "none", memory, set });
    expect(r.status, r.reason).toBe("ok");
    const k = booted(r.kernel!);
    const task = k.sched!.tasks[0]!;
    kernels.set(task, k);
    return { k, task };
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
function force_pageout(k: BootedKernel, n: number): number {
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
function pageout_all(k: BootedKernel, task: Task): void {
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

function clean(k: BootedKernel): void {
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

    // vm_fault_page's copy-on-write: "vm_page_deactivate(m); pmap_page_protect(m->phys_addr,
    // VM_PROT_NONE)" — the source page goes inactive and loses every mapping, since the
    // other maps that share it cannot be told apart from those that need the copy.
    it("a copy-on-write copy deactivates its source page and removes every mapping of it", async () => {
        const { k, task: parent } = await boot();
        const t = k.vm_page!;
        const a = vm_allocate(parent, 0, PG, true).addr;
        expect(copyout(k, parent, a, pattern(7, 0))).toBe(true);
        const child = task_create(k, k.sched!.tasks, "child");
        expect(vm_map_fork(parent.map!, child.map!)).toBe(KERN_SUCCESS);
        expect(same(copyin(k, child, a, PG), pattern(7, 0))).toBe(true);
        const src_pa = pmap_extract(parent.pmap, a);
        expect(pmap_extract(child.pmap, a)).toBe(src_pa);
        const src = vm_page_lookup_phys(t, src_pa);
        expect(copyout(k, child, a, new Uint8Array([1]))).toBe(true);
        expect(pmap_extract(child.pmap, a)).not.toBe(src_pa);
        expect(t.state[src], "the source page is deactivated").toBe(PAGE_INACTIVE);
        expect(pte_of(parent, a) & INTEL_PTE_VALID, "the parent's mapping is gone").toBe(0);
        // The parent faults it back in, read-only (its entry still needs a copy).
        expect(same(copyin(k, parent, a, PG), pattern(7, 0))).toBe(true);
        expect(pmap_extract(parent.pmap, a)).toBe(src_pa);
        expect(pte_of(parent, a) & INTEL_PTE_WRITE).toBe(0);
        clean(k);
    });

    // vm_fault_page marks nothing dirty on a copy-on-write copy (vm_fault_dirty_handling is
    // FALSE): the write that faulted sets the PTE's dirty bit when the CPU retries it.
    it("a copy-on-write fault alone leaves the copy clean", async () => {
        const { k, task: parent } = await boot();
        const t = k.vm_page!;
        const a = vm_allocate(parent, 0, PG, true).addr;
        expect(copyout(k, parent, a, pattern(10, 0))).toBe(true);
        const child = task_create(k, k.sched!.tasks, "child");
        expect(vm_map_fork(parent.map!, child.map!)).toBe(KERN_SUCCESS);
        expect(vm_fault(k, child, a, VM_PROT_READ | VM_PROT_WRITE)).toBe(KERN_SUCCESS);
        const pa = pmap_extract(child.pmap, a);
        expect(pa).not.toBe(pmap_extract(parent.pmap, a));
        const i = vm_page_lookup_phys(t, pa);
        expect(t.flags[i]! & PG_DIRTY).toBe(0);
        expect(pmap_phys_is_modified(k.kernel_pmap!.globals, pa)).toBe(false);
        clean(k);
    });

    // vm_fault with software_reference_bits (TRUE in 8d03c760): a page already on a pageout
    // queue stays there, marked referenced; only a page on no queue is activated.
    it("a fault on an inactive page leaves it inactive with its reference bit set", async () => {
        const { k, task } = await boot();
        const t = k.vm_page!;
        const a = vm_allocate(task, 0, PG, true).addr;
        expect(copyout(k, task, a, pattern(8, 0))).toBe(true);
        const i = vm_page_lookup_phys(t, pmap_extract(task.pmap, a));
        expect(t.state[i]).toBe(PAGE_ACTIVE);
        // What the scan does to an unreferenced page before it decides: inactive, unmapped.
        t.flags[i]! &= ~PG_REFERENCE;
        vm_page_deactivate(t, i);
        pmap_page_protect(k.kernel_pmap!.globals, VM_PAGE_TO_PHYS(t, i), VM_PROT_NONE);
        expect(same(copyin(k, task, a, PG), pattern(8, 0))).toBe(true);
        expect(t.state[i]).toBe(PAGE_INACTIVE);
        expect(t.flags[i]! & PG_REFERENCE).toBe(PG_REFERENCE);
        clean(k);
    });

    // vm_fault_page clears the modify attribute of a zero-filled page, and
    // memory_object_data_supply that of a paged-in one: a frame's history does not make it dirty.
    it("zero fill and page-in clear the frame's modify attribute", async () => {
        const { k, task } = await boot(["swap_size=1M"]);
        const g = k.kernel_pmap!.globals;
        const a = vm_allocate(task, 0, PG, true).addr;
        expect(copyout(k, task, a, pattern(9, 0))).toBe(true);
        const frame = pmap_extract(task.pmap, a);
        // The CPU wrote the page: the modify bit is in the PTE, then harvested when the object dies.
        const pte = pmap_pte(task.pmap, a)!;
        k.mem.write32(pte, k.mem.read32(pte) | INTEL_PTE_MOD);
        expect(vm_deallocate(task, a, PG)).toBe(KERN_SUCCESS);
        expect(pmap_phys_is_modified(g, frame), "harvested when the mapping went").toBe(true);
        // The free list is LIFO: the next zero fill gets the same frame.
        const b = vm_allocate(task, 0, PG, true).addr;
        expect(same(copyin(k, task, b, PG), new Uint8Array(PG))).toBe(true);
        expect(pmap_extract(task.pmap, b)).toBe(frame);
        expect(pmap_phys_is_modified(g, frame)).toBe(false);

        // Page-in: out with the modify bit set on its frame, back into a frame whose attribute is stale.
        expect(copyout(k, task, b, pattern(9, 1))).toBe(true);
        pageout_all(k, task);
        const object = vm_map_lookup_entry(task.map!, b).entry!.object!;
        expect(object.pages.size).toBe(0);
        expect(object.pager!.size).toBe(1);
        const t = k.vm_page!;
        const next = t.free_head;
        g.phys_attributes.set(VM_PAGE_TO_PHYS(t, next), INTEL_PTE_MOD);
        expect(same(copyin(k, task, b, PG), pattern(9, 1))).toBe(true);
        expect(pmap_extract(task.pmap, b)).toBe(VM_PAGE_TO_PHYS(t, next));
        expect(pmap_phys_is_modified(g, VM_PAGE_TO_PHYS(t, next))).toBe(false);
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

describe("vm_allocate and vm_protect (vm/vm_user.c, 8d03c760)", () => {
    it("vm_allocate at a fixed address maps round_page(size) from trunc_page(addr); size 0 returns address 0", async () => {
        const { k, task } = await boot();
        const base = 0x07000000;
        // Mach: *addr = trunc_page(*addr); size = round_page(size) — one page, not two.
        const r = vm_allocate(task, base + 0x800, PG, false);
        expect(r.kr).toBe(KERN_SUCCESS);
        expect(r.addr).toBe(base);
        const e = vm_map_lookup_entry(task.map!, base).entry!;
        expect([e.vme_start, e.vme_end]).toEqual([base, base + PG]);
        expect(vm_map_lookup_entry(task.map!, base + PG).found).toBe(false);
        expect(vm_allocate(task, base + 0x3000, 0, false)).toEqual({ kr: KERN_SUCCESS, addr: 0 });
        expect(vm_allocate(task, base + 0x3000, 0, true)).toEqual({ kr: KERN_SUCCESS, addr: 0 });
        // A size that rounds past 2^32 is 0 in vm_size_t: vm_map_enter refuses it.
        expect(vm_allocate(task, 0, 0xfffff001, true).kr).toBe(KERN_INVALID_ARGUMENT);
        clean(k);
    });

    it("VM_PROT_NOTIFY: vm_protect takes it, and a write to such a read-only entry is KERN_WRITE_PROTECTION_FAILURE", async () => {
        const { k, task } = await boot();
        const a = vm_allocate(task, 0, 2 * PG, true).addr;
        expect(copyout(k, task, a, pattern(11, 0))).toBe(true);
        expect(vm_protect(task, a, PG, false, VM_PROT_READ | VM_PROT_NOTIFY)).toBe(KERN_SUCCESS);
        const e = vm_map_lookup_entry(task.map!, a).entry!;
        expect(e.protection).toBe(VM_PROT_READ | VM_PROT_NOTIFY);
        // pmap_protect with a protection outside its cases removes the mappings.
        expect(pte_of(task, a) & INTEL_PTE_VALID).toBe(0);
        expect(vm_fault(k, task, a, VM_PROT_READ)).toBe(KERN_SUCCESS);
        expect(pte_of(task, a) & INTEL_PTE_WRITE).toBe(0);
        expect(vm_fault(k, task, a, VM_PROT_READ | VM_PROT_WRITE)).toBe(
            KERN_WRITE_PROTECTION_FAILURE,
        );
        // Without NOTIFY it is the plain failure; bits beyond ALL|NOTIFY are refused.
        expect(vm_protect(task, a + PG, PG, false, VM_PROT_READ)).toBe(KERN_SUCCESS);
        expect(vm_fault(k, task, a + PG, VM_PROT_READ | VM_PROT_WRITE)).toBe(
            KERN_PROTECTION_FAILURE,
        );
        expect(vm_protect(task, a, PG, false, 0x20)).toBe(KERN_INVALID_ARGUMENT);
        clean(k);
    });
});

/*
 * vm_map_fork (vm/vm_map.c, 8d03c760) by inheritance: SHARE gives an entry
 * with no object one to share, and gives a shadow first to an object that a
 * copy or a larger object could see change; COPY makes both sides need a copy
 * and write-protects the parent through vm_object_pmap_protect; a submap
 * panics.
 */
describe("vm_map_fork (8d03c760)", () => {
    async function forked(setup: (parent: Task, a: number) => void) {
        const { k, task: parent } = await boot();
        const a = vm_allocate(parent, 0, 2 * PG, true).addr;
        setup(parent, a);
        const child = task_create(k, k.sched!.tasks, "child");
        expect(vm_map_fork(parent.map!, child.map!)).toBe(KERN_SUCCESS);
        return { k, parent, child, a };
    }
    const entry = (t: Task, va: number) => vm_map_lookup_entry(t.map!, va).entry!;

    it("SHARE, no object yet: the parent's entry gets one, and both sides write the same memory", async () => {
        const { k, parent, child, a } = await forked((p, a) => {
            entry(p, a).inheritance = VM_INHERIT_SHARE;
        });
        const o = entry(parent, a).object;
        expect(o).not.toBeNull();
        expect(entry(child, a).object).toBe(o);
        expect(entry(parent, a).is_shared && entry(child, a).is_shared).toBe(true);
        expect(o!.use_shared_copy).toBe(true);
        expect(copyout(k, child, a, pattern(12, 0))).toBe(true);
        expect(same(copyin(k, parent, a, PG), pattern(12, 0))).toBe(true);
        expect(copyout(k, parent, a + PG, pattern(12, 1))).toBe(true);
        expect(same(copyin(k, child, a + PG, PG), pattern(12, 1))).toBe(true);
        clean(k);
    });

    it("SHARE of an object a copy was made of: a shadow first, so later writes stay shared and the copy keeps its view", async () => {
        const { k, task: parent } = await boot();
        const a = vm_allocate(parent, 0, PG, true).addr;
        expect(copyout(k, parent, a, pattern(13, 0))).toBe(true);
        const copy = task_create(k, k.sched!.tasks, "copy");
        expect(vm_map_fork(parent.map!, copy.map!)).toBe(KERN_SUCCESS); // COPY: shadowed
        const original = entry(parent, a).object!;
        expect(original.shadowed).toBe(true);
        expect(entry(parent, a).needs_copy).toBe(true);
        entry(parent, a).inheritance = VM_INHERIT_SHARE;
        const sharer = task_create(k, k.sched!.tasks, "sharer");
        expect(vm_map_fork(parent.map!, sharer.map!)).toBe(KERN_SUCCESS);
        const shadow = entry(parent, a).object!;
        expect(shadow).not.toBe(original);
        expect(shadow.shadow).toBe(original);
        expect(entry(parent, a).needs_copy).toBe(false);
        expect(entry(sharer, a).object).toBe(shadow);
        // The sharer writes: the parent sees it, the copy does not.
        expect(copyout(k, sharer, a, pattern(13, 1))).toBe(true);
        expect(same(copyin(k, parent, a, PG), pattern(13, 1))).toBe(true);
        expect(same(copyin(k, copy, a, PG), pattern(13, 0))).toBe(true);
        clean(k);
    });

    it("SHARE of an object larger than the entry: a shadow of the entry's size", async () => {
        const { k, parent, child, a } = await forked((p, a) => {
            expect(copyout(k_of(p), p, a, pattern(14, 0))).toBe(true);
            expect(vm_deallocate(p, a + PG, PG)).toBe(KERN_SUCCESS); // the object keeps its 2 pages
            entry(p, a).inheritance = VM_INHERIT_SHARE;
        });
        const e = entry(parent, a);
        expect(e.vme_end - e.vme_start).toBe(PG);
        expect(e.object!.size).toBe(PG);
        expect(e.object!.shadow!.size).toBe(2 * PG);
        expect(entry(child, a).object).toBe(e.object);
        expect(same(copyin(k, child, a, PG), pattern(14, 0))).toBe(true);
        clean(k);
    });

    it("COPY of an entry that is not writable: both sides need a copy, and the object is marked shadowed", async () => {
        const { k, parent, child, a } = await forked((p, a) => {
            expect(copyout(k_of(p), p, a, pattern(15, 0))).toBe(true);
            expect(vm_protect(p, a, 2 * PG, false, VM_PROT_READ | VM_PROT_EXECUTE)).toBe(
                KERN_SUCCESS,
            );
        });
        expect(entry(parent, a).needs_copy && entry(child, a).needs_copy).toBe(true);
        expect(entry(parent, a).object!.shadowed).toBe(true);
        expect(entry(parent, a).object!.ref_count).toBe(2);
        expect(same(copyin(k, child, a, PG), pattern(15, 0))).toBe(true);
        clean(k);
    });

    it("a submap in a task's map panics", async () => {
        const { k, task } = await boot();
        const a = vm_allocate(task, 0, PG, true).addr;
        const e = entry(task, a);
        e.is_sub_map = true;
        const child = task_create(k, k.sched!.tasks, "child");
        expect(() => vm_map_fork(task.map!, child.map!)).toThrow(
            "panic: vm_map_fork: encountered a submap",
        );
        e.is_sub_map = false;
    });
});

const kernels = new WeakMap<Task, BootedKernel>();
function k_of(t: Task): BootedKernel {
    return kernels.get(t)!;
}
