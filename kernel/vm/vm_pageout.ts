/*
 * kernel/vm/vm_pageout.ts — models vm/vm_pageout.c of GNU Mach 8d03c760
 * (2014; and the 2014-08-30 thresholds of 91f0887c): the free-page
 * thresholds set in vm_pageout(), vm_page_grab's policy for unprivileged
 * allocations (vm/vm_resident.c), vm_page_wait, and vm_pageout_scan.
 *
 * The CPU bits are real: a page's reference and modify state come from the
 * accessed/dirty bits the emulated CPU set in the guest PTEs (pmap_phys_*),
 * plus PG_DIRTY for pages the kernel itself wrote (copyout, COW copies).
 *
 * As in Mach: vm_page_inactive_target is a global the scan recomputes on
 * each loop (0 until the first scan) and vm_page_grab only reads; only
 * pages sent to the pager count towards a burst (clean frees do not); a
 * referenced inactive page is reactivated with its reference bit left set.
 *
 * Departures:
 * - The daemon runs on the host, synchronously: it is given the CPU when a
 *   trap finds it woken (vm_page_free_wanted, or free below free_min), and a
 *   thread in vm_page_wait runs one scan in its place. Pauses (bursts,
 *   empty inactive queue) are counted and charged to the virtual clock
 *   (k.ticks) but do not hand the CPU to user threads. A burst pause goes
 *   on with the same scan (Mach's continuation re-enters vm_pageout_scan,
 *   collectors first); vm_pageout_burst_wait stays 10 ms/page
 *   (vm_pageout_scan_continue's adaptation is not modelled).
 * - A scan looks at each pageable page at most once (a page reactivated now,
 *   say the one a thread just faulted in, is not reconsidered before its
 *   thread has run), and it ends at free_target even while threads wait in
 *   vm_page_wait: a waiter runs its own scan, and vm_page_release would
 *   have woken it once the free count reached the reserve.
 * - Cleaning is synchronous: a dirty anonymous page is written to the
 *   default pager (default_pager.ts) and freed at once, so the laundry
 *   queue is always empty between scans. External objects do not exist, so
 *   every page is a candidate (want_pages is always true) and there is no
 *   double paging. A dirty page the pager cannot take goes back to the
 *   active queue.
 * - A page the scan frees or cleans has its harvested reference and modify
 *   bits cleared; Mach clears only the modify bit (vm_pageout_page) and
 *   leaves pmap_phys_attributes stale on a freed page.
 * - stack_collect, net_kmsg_collect and the task/thread collectors have
 *   nothing to collect in the model; slab_collect (consider_zone_gc in the
 *   zone era) runs before the loop, last of the collectors, as in Mach.
 */
import { panic } from "../kern/debug.ts";
import type { BootedKernel } from "../kern/kernel.ts";

import {
    default_pager_read,
    default_pager_slot_alloc,
    default_pager_slot_free,
    default_pager_write,
    type DefaultPager,
} from "../default_pager/default_pager.ts";
import {
    pmap_page_protect,
    pmap_phys_clear_modify,
    pmap_phys_clear_reference,
    pmap_phys_is_modified,
    pmap_phys_is_referenced,
} from "../i386/pmap.ts";
import {
    VM_PAGE_TO_PHYS,
    PG_DIRTY,
    PG_REFERENCE,
    vm_page_activate,
    vm_page_deactivate,
    vm_page_flags,
    vm_page_grab,
    vm_page_release,
    type VmPageTable,
} from "./vm_page.ts";
import { VM_PROT_NONE } from "./vm_prot.ts";
import type { VmObject } from "./vm_object.ts";

export const VM_PAGEOUT_BURST_MAX = 10;
const VM_PAGEOUT_BURST_WAIT_MS = 10;
const VM_PAGEOUT_EMPTY_WAIT_MS = 75;

/** The thresholds vm_pageout() sets (in pages). */
export interface VmPageoutThresholds {
    vm_page_free_reserved: number;
    vm_page_free_min: number;
    vm_page_free_target: number;
    vm_pageout_reserved_internal: number;
    vm_pageout_reserved_really: number;
    /** Which formulas: "1997" (1997 – 2014-08) or "2014-08" (91f0887c). */
    era: string;
}

export interface VmPageoutStats {
    scans: number;
    pauses: number;
    /** Dirty pages that could not be cleaned: no paging area, or it was full. */
    no_pager: number;
    freed_clean: number;
    /** The lowest free count an unprivileged allocation was granted at (never below the reserve). */
    user_free_min: number;
}

/** The resident-memory side of a kernel that runs user tasks. */
export interface VmRuntime {
    thresholds: VmPageoutThresholds;
    pager: DefaultPager;
    stats: VmPageoutStats;
    /** The daemon was woken (thread_wakeup(&vm_page_free_wanted)). */
    pageout_wanted: boolean;
    /**
     * The free count after a scan that freed nothing (−1: the last scan
     * freed something). Until memory is given back above it, waking the
     * daemon again would scan the same unreclaimable pages; Mach's daemon
     * sleeps through such wakeups in its pauses. vm_page_wait still scans.
     */
    futile_free: number;
    /** Extra lines for the out-of-memory report (the top consumers), set by the task layer. */
    consumers: () => string[];
}

/**
 * vm_pageout()'s threshold setup, F = free pages above the reserve at that
 * moment. 1997–2014-08: min = R + 10 + F/100, target = R + 15 + F/80 (at
 * least min + 5); 91f0887c: min = R + 100 + 8F/100, target = R + 150 + 10F/100.
 */
export function vm_pageout_setup(
    free_count: number,
    reserved: number,
    era_2014_08: boolean,
): VmPageoutThresholds {
    const F = Math.max(0, free_count - reserved);
    if (era_2014_08) {
        return {
            vm_page_free_reserved: reserved,
            vm_page_free_min: reserved + 100 + Math.floor((F * 8) / 100),
            vm_page_free_target: reserved + 150 + Math.floor((F * 10) / 100),
            vm_pageout_reserved_internal: reserved - 250,
            vm_pageout_reserved_really: reserved - 400,
            era: "2014-08",
        };
    }
    const min = reserved + 10 + Math.floor(F / 100);
    return {
        vm_page_free_reserved: reserved,
        vm_page_free_min: min,
        vm_page_free_target: Math.max(reserved + 15 + Math.floor(F / 80), min + 5),
        vm_pageout_reserved_internal: reserved - 25,
        vm_pageout_reserved_really: reserved - 40,
        era: "1997",
    };
}

/**
 * vm_page_grab for an unprivileged (user) allocation: refused below the
 * reserve; wakes the daemon below free_min, or below free_target while the
 * inactive queue is short.
 */
export function vm_page_grab_user(k: BootedKernel, vm: VmRuntime): number {
    const t = k.vm_page;
    const th = vm.thresholds;
    if (t.vm_page_free_count < th.vm_page_free_reserved) {
        vm.pageout_wanted = true;
        return -1;
    }
    if (t.vm_page_free_count < vm.stats.user_free_min)
        vm.stats.user_free_min = t.vm_page_free_count;
    const i = vm_page_grab(t);
    if (i < 0) panic("vm_page_grab");
    // vm_page_inactive_target as the last scan left it (0 before the first scan).
    if (
        t.vm_page_free_count < th.vm_page_free_min ||
        (t.vm_page_free_count < th.vm_page_free_target &&
            t.vm_page_inactive_count < t.vm_page_inactive_target)
    ) {
        vm.pageout_wanted = true;
    }
    return i;
}

/**
 * vm_page_wait: the caller sleeps until the daemon has freed memory. Here
 * the daemon runs in its place; afterwards, with nothing reclaimable and
 * the free count still below the reserve, the machine is out of memory:
 * the report is printed and the kernel panics.
 */
export function vm_page_wait(k: BootedKernel, vm: VmRuntime, who: string): void {
    const t = k.vm_page;
    t.vm_page_free_wanted++;
    vm_pageout_scan(k, vm);
    t.vm_page_free_wanted--;
    if (t.vm_page_free_count < vm.thresholds.vm_page_free_reserved) vm_page_oom(k, vm, who);
}

/** Free pages are gone and nothing can be paged out: print what holds memory, then panic. */
export function vm_page_oom(k: BootedKernel, vm: VmRuntime | null, who: string): never {
    const t = k.vm_page;
    const p = (s: string) => k.printf(s + "\n");
    p(
        `mach86: out of memory: ${who} needs a page; ${t.vm_page_free_count} free ` +
            `(reserve ${vm?.thresholds.vm_page_free_reserved ?? 0}), ${t.vm_page_active_count} active, ` +
            `${t.vm_page_inactive_count} inactive, ${t.vm_page_wire_count} wired`,
    );
    if (vm) {
        const dp = vm.pager;
        p(
            dp.nslots === 0
                ? "mach86: no paging area: anonymous memory cannot be paged out"
                : `mach86: paging area ${dp.used}/${dp.nslots} slots in use${dp.used === dp.nslots ? " (full)" : ""}`,
        );
        p("mach86: top memory consumers (resident pages):");
        for (const line of vm.consumers()) p(`  ${line}`);
    }
    k.allocator.info(p);
    panic(`vm_page_wait: out of memory (${who})`);
}

/** The page is in use by someone: referenced since the last scan (CPU bit or kernel access). */
function page_referenced(k: BootedKernel, t: VmPageTable, i: number): boolean {
    return (
        (t.flags[i]! & PG_REFERENCE) !== 0 ||
        pmap_phys_is_referenced(k.kernel_pmap.globals, VM_PAGE_TO_PHYS(t, i))
    );
}

/** vm_page_deactivate's reference clearing, both the software and the PTE bits. */
function clear_reference(k: BootedKernel, t: VmPageTable, i: number): void {
    vm_page_flags(t, i, 0, PG_REFERENCE);
    pmap_phys_clear_reference(k.kernel_pmap.globals, VM_PAGE_TO_PHYS(t, i));
}

/**
 * Recompute vm_page_inactive_target (VM_PAGE_INACTIVE_TARGET: 2/3 of the
 * pageable pages) and move pages active → inactive until it is reached.
 */
function refill_inactive(k: BootedKernel, t: VmPageTable): void {
    t.vm_page_inactive_target = Math.floor(
        ((t.vm_page_active_count + t.vm_page_inactive_count) * 2) / 3,
    );
    while (t.vm_page_inactive_count < t.vm_page_inactive_target && t.active_head >= 0) {
        const i = t.active_head;
        clear_reference(k, t, i);
        vm_page_deactivate(t, i);
    }
}

/**
 * vm_pageout_page for an anonymous page: write it to the default pager
 * (reusing the object's slot for that offset), then free it. False when
 * the paging area cannot take it.
 */
function vm_pageout_page(k: BootedKernel, vm: VmRuntime, t: VmPageTable, i: number): boolean {
    const object = t.object.get(i)!;
    const offset = t.offset[i]!;
    object.pager ??= new Map();
    let slot = object.pager.get(offset);
    if (slot === undefined) {
        slot = default_pager_slot_alloc(vm.pager);
        if (slot < 0) return false;
        object.pager.set(offset, slot);
    }
    default_pager_write(vm.pager, slot, k.mem.read(VM_PAGE_TO_PHYS(t, i), 4096));
    t.stats.pageouts++;
    vm_page_release(t, i);
    return true;
}

/**
 * Take one page from the inactive head: reactivate it (its reference bit
 * stays set: vm_page_activate does not clear it, the next deactivation
 * does), free it when clean, or clean it ("paged out").
 */
function scan_one(
    k: BootedKernel,
    vm: VmRuntime,
    t: VmPageTable,
): "freed" | "paged out" | "reactivated" | "kept" {
    const i = t.inactive_head;
    const g = k.kernel_pmap.globals;
    if (page_referenced(k, t, i)) {
        vm_page_activate(t, i);
        t.stats.reactivations++;
        return "reactivated";
    }
    const pa = VM_PAGE_TO_PHYS(t, i);
    pmap_page_protect(g, pa, VM_PROT_NONE);
    if (pmap_phys_is_modified(g, pa)) vm_page_flags(t, i, PG_DIRTY);
    pmap_phys_clear_modify(g, pa);
    pmap_phys_clear_reference(g, pa);
    if (!(t.flags[i]! & PG_DIRTY)) {
        vm.stats.freed_clean++;
        vm_page_release(t, i);
        return "freed";
    }
    if (vm_pageout_page(k, vm, t, i)) return "paged out";
    // Nowhere to put it: keep it, at the back of the active queue.
    vm.stats.no_pager++;
    vm_page_activate(t, i);
    return "kept";
}

/**
 * vm_pageout_scan: collect the allocators first (GC "should be last, because
 * the other operations might return memory to caches" — there are none
 * here), then free or clean inactive pages until free_target is reached
 * and nobody waits. Returns the pages freed.
 */
export function vm_pageout_scan(k: BootedKernel, vm: VmRuntime): number {
    const t = k.vm_page;
    const th = vm.thresholds;
    vm.stats.scans++;
    vm.pageout_wanted = false;
    k.allocator.collect();
    const start_free = t.vm_page_free_count;
    let burst = 0;
    // One look at each pageable page per scan: a page reactivated now (say,
    // the one a thread just faulted in and has not touched yet) must not be
    // reconsidered before its thread has run.
    let budget = t.vm_page_active_count + t.vm_page_inactive_count;
    while (budget-- > 0) {
        refill_inactive(k, t);
        // Mach also waits for free_wanted == 0, but vm_page_release wakes the
        // waiters as soon as free >= reserved, so the target is what ends a scan.
        if (t.vm_page_free_count >= th.vm_page_free_target) break;
        if (t.inactive_head < 0) {
            pause(k, vm, VM_PAGEOUT_EMPTY_WAIT_MS);
            break;
        }
        if (burst >= VM_PAGEOUT_BURST_MAX) {
            pause(k, vm, burst * VM_PAGEOUT_BURST_WAIT_MS);
            burst = 0;
        }
        // Only pages sent to the pager count towards a burst (burst_count++ after vm_pageout_page).
        if (scan_one(k, vm, t) === "paged out") burst++;
    }
    const freed = t.vm_page_free_count - start_free;
    vm.futile_free = freed > 0 ? -1 : t.vm_page_free_count;
    return freed;
}

/** The daemon was woken and has something to do (see VmRuntime.futile_free). */
export function vm_pageout_should_run(k: BootedKernel, vm: VmRuntime): boolean {
    if (!vm.pageout_wanted) return false;
    if (vm.futile_free >= 0 && k.vm_page.vm_page_free_count <= vm.futile_free) {
        vm.pageout_wanted = false;
        return false;
    }
    return true;
}

/** A pause of the daemon: counted and charged to the virtual clock (hz = 100). */
function pause(k: BootedKernel, vm: VmRuntime, ms: number): void {
    vm.stats.pauses++;
    k.ticks += Math.max(1, Math.round(ms / 10));
}

/** vm_fault's page-in: the default pager's copy back into a fresh page (the slot stays the object's). */
export function vm_pagein(
    k: BootedKernel,
    vm: VmRuntime,
    object: VmObject,
    offset: number,
    i: number,
): void {
    const slot = object.pager!.get(offset)!;
    const pa = VM_PAGE_TO_PHYS(k.vm_page, i);
    k.mem.write(pa, default_pager_read(vm.pager, slot));
    // memory_object_data_supply: the page arrives clean.
    pmap_phys_clear_modify(k.kernel_pmap.globals, pa);
    k.vm_page.stats.pageins++;
}

/** vm_object_terminate's pager part: give back every slot the object holds. */
export function vm_object_pager_release(vm: VmRuntime, object: VmObject): void {
    if (!object.pager) return;
    for (const slot of object.pager.values()) default_pager_slot_free(vm.pager, slot);
    object.pager = null;
}

export function vm_pageout_info(
    vm: VmRuntime,
    t: VmPageTable,
    print: (line: string) => void,
): void {
    const th = vm.thresholds;
    print(
        `vm_pageout (${th.era} thresholds): reserved ${th.vm_page_free_reserved}, min ${th.vm_page_free_min}, ` +
            `target ${th.vm_page_free_target}; scans ${vm.stats.scans}, pauses ${vm.stats.pauses}, ` +
            `freed clean ${vm.stats.freed_clean}, pageouts ${t.stats.pageouts}, pageins ${t.stats.pageins}, ` +
            `not cleanable ${vm.stats.no_pager}`,
    );
}
