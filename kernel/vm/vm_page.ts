/*
 * kernel/vm/vm_page.ts — the resident page table and its queues, models the
 * queue part of vm/vm_resident.c and vm/vm_page.h (GNU Mach 2014).
 *
 * Departure: Mach keeps a `struct vm_page` per page in the stolen vm_page
 * array (which mach86 allocates and fills in guest RAM, see vm_resident.ts);
 * the host-side bookkeeping is a structure of arrays indexed by page number
 * so that 470k pages cost a few MiB, not 470k objects. The free queue is a
 * LIFO through `next`, as Mach's vm_page_queue_free is.
 */
import { panic } from "../kern/debug.ts";

export const PAGE_FREE = 1;
export const PAGE_WIRED = 2;
export const PAGE_ACTIVE = 3;
export const PAGE_INACTIVE = 4;
/** Created by vm_page_create for memory handed over after boot (the modules). */
export const PAGE_FICTITIOUS = 5;

export interface VmPageTable {
    count: number;
    /** Physical address of page i. */
    phys: Uint32Array;
    state: Uint8Array;
    /** Free-queue link (index, −1 = end). */
    next: Int32Array;
    /** Page index by physical frame number (−1 = not a managed page). */
    by_pfn: Int32Array;
    free_head: number;
    vm_page_free_count: number;
    vm_page_wire_count: number;
    vm_page_active_count: number;
    vm_page_inactive_count: number;
    vm_page_free_count_minimum: number;
}

export function vm_page_table_create(capacity: number, max_pfn: number): VmPageTable {
    return {
        count: 0,
        phys: new Uint32Array(capacity),
        state: new Uint8Array(capacity),
        next: new Int32Array(capacity).fill(-1),
        by_pfn: new Int32Array(max_pfn).fill(-1),
        free_head: -1,
        vm_page_free_count: 0, vm_page_wire_count: 0, vm_page_active_count: 0,
        vm_page_inactive_count: 0, vm_page_free_count_minimum: 0,
    };
}

function grow(t: VmPageTable): void {
    const cap = Math.max(16, t.phys.length * 2);
    const phys = new Uint32Array(cap);
    phys.set(t.phys);
    const state = new Uint8Array(cap);
    state.set(t.state);
    const next = new Int32Array(cap).fill(-1);
    next.set(t.next);
    t.phys = phys;
    t.state = state;
    t.next = next;
}

/** vm_page_init: a new page structure for `pa` (busy, on no queue). */
export function vm_page_init(t: VmPageTable, pa: number): number {
    if (t.count === t.phys.length) grow(t);
    const i = t.count++;
    t.phys[i] = pa;
    t.state[i] = 0;
    const pfn = pa / 4096;
    if (pfn < t.by_pfn.length) t.by_pfn[pfn] = i;
    return i;
}

/** vm_page_release: push on the free LIFO; a double free panics as in Mach. */
export function vm_page_release(t: VmPageTable, i: number): void {
    if (t.state[i] === PAGE_FREE) panic("vm_page_release");
    if (t.state[i] === PAGE_WIRED) t.vm_page_wire_count--;
    t.state[i] = PAGE_FREE;
    t.next[i] = t.free_head;
    t.free_head = i;
    t.vm_page_free_count++;
}

/** vm_page_grab: pop the free LIFO and wire the page; −1 when empty. */
export function vm_page_grab(t: VmPageTable): number {
    const i = t.free_head;
    if (i < 0) return -1;
    t.free_head = t.next[i]!;
    t.next[i] = -1;
    t.state[i] = PAGE_WIRED;
    t.vm_page_free_count--;
    t.vm_page_wire_count++;
    if (t.vm_page_free_count < t.vm_page_free_count_minimum) {
        t.vm_page_free_count_minimum = t.vm_page_free_count;
    }
    return i;
}

export function vm_page_lookup_phys(t: VmPageTable, pa: number): number {
    const pfn = Math.floor(pa / 4096);
    return pfn < t.by_pfn.length ? t.by_pfn[pfn]! : -1;
}

/** Invariants: counters match the states, the free list holds exactly the free pages. */
export function vm_page_verify(t: VmPageTable): string[] {
    const out: string[] = [];
    let free = 0;
    let wired = 0;
    for (let i = 0; i < t.count; i++) {
        if (t.state[i] === PAGE_FREE) free++;
        if (t.state[i] === PAGE_WIRED) wired++;
    }
    if (free !== t.vm_page_free_count) out.push(`free count ${t.vm_page_free_count} != ${free} free pages`);
    if (wired !== t.vm_page_wire_count) out.push(`wire count ${t.vm_page_wire_count} != ${wired} wired pages`);
    let n = 0;
    for (let i = t.free_head; i >= 0 && n <= t.count; i = t.next[i]!) {
        if (t.state[i] !== PAGE_FREE) out.push(`page ${i} on the free list is not free`);
        n++;
    }
    if (n !== free) out.push(`free list holds ${n} pages, ${free} are free`);
    return out;
}

export function vm_page_info(t: VmPageTable, print: (line: string) => void): void {
    print(`vm_page: ${t.count} pages, free ${t.vm_page_free_count}, wired ${t.vm_page_wire_count}, ` +
        `active ${t.vm_page_active_count}, inactive ${t.vm_page_inactive_count}, ` +
        `free minimum ${t.vm_page_free_count_minimum}`);
}
