/*
 * kernel/vm/vm_page.ts — the resident page table and its queues, models the
 * queue part of vm/vm_resident.c and vm/vm_page.h (GNU Mach 8d03c760).
 *
 * The free queue is a LIFO through `next`, as Mach's vm_page_queue_free is;
 * the active and inactive queues are FIFOs (queue_enter at the tail,
 * vm_pageout_scan takes from the head) through `qnext`/`qprev`. A double
 * release panics "vm_page_release", as in Mach.
 *
 * A page is in exactly one state: free, wired (kernel memory, page tables,
 * or a user page being worked on), active or inactive (pageable user
 * memory, owned by a vm_object at an offset).
 *
 * Every change of a page's state is also written to its struct vm_page in
 * guest RAM, and to the queue heads and counts there, once the boot has set
 * `ram` (vm_page_ram.ts says which fields, and how).
 *
 * Departures:
 * - The host bookkeeping is a structure of arrays indexed by page number
 *   (470k pages cost a few MiB, not 470k objects); the struct vm_page in
 *   guest RAM mirrors it. Pages are found by physical frame (by_pfn, and the
 *   runs pmap_startup initialized) and in their object's host map, not
 *   through the VP hash buckets.
 * - The pages of pmap_startup's runs keep no host phys_addr: their run gives
 *   it (VM_PAGE_TO_PHYS), and the free links are stored relative to the
 *   next page, so the boot's ~500k free pages cost the host no writes to
 *   those arrays (each first touch of host memory is a page fault).
 * - vm_page_grab hands out a wired page (counted in vm_page_wire_count at
 *   once); Mach's leaves it on no queue and unwired until the caller wires
 *   or activates it. wire_count is 0 or 1 (no nested wiring).
 * - vm_page_release also does vm_page_free's part (off the queues, out of
 *   its object, laundry cleared); there are no fictitious or private pages
 *   and no external page counts; vm_page_free_wanted's wakeups are the
 *   pageout daemon's business (vm_pageout.ts).
 */
import { panic } from "../kern/debug.ts";
import type { VmObject } from "./vm_object.ts";
import {
    VM_PAGE_RAM_ACTIVE,
    VM_PAGE_RAM_BUSY,
    VM_PAGE_RAM_DIRTY,
    VM_PAGE_RAM_FREE,
    VM_PAGE_RAM_INACTIVE,
    VM_PAGE_RAM_LAUNDRY,
    VM_PAGE_RAM_REFERENCE,
    VM_PAGE_RAM_TABLED,
    VM_PAGE_RAM_WIRED,
    vm_page_bits_pack,
    vm_page_ram_global,
    vm_page_ram_head_va,
    vm_page_ram_pa,
    vm_page_ram_state,
    vm_page_ram_va,
    type VmPageRam,
    type VmPageWords,
} from "./vm_page_ram.ts";
import { hex } from "../../util/hex.ts";

export const PAGE_FREE = 1;
export const PAGE_WIRED = 2;
export const PAGE_ACTIVE = 3;
export const PAGE_INACTIVE = 4;

/** Bits of `flags` (struct vm_page's bitfield, the ones the model uses). */
export const PG_DIRTY = 1;
export const PG_REFERENCE = 2;
export const PG_LAUNDRY = 4;
export const PG_BUSY = 8;

/** vm_statistics counters (kept by vm_fault and vm_pageout). */
export interface VmPageStats {
    zero_fill_count: number;
    faults: number;
    cow_faults: number;
    pageins: number;
    pageouts: number;
    reactivations: number;
}

export interface VmPageTable {
    count: number;
    /**
     * Physical address of page i, for the pages vm_page_init made one at a
     * time; the pages of `runs` have theirs from the run. Read it with
     * VM_PAGE_TO_PHYS.
     */
    phys: Uint32Array;
    state: Uint8Array;
    flags: Uint8Array;
    /**
     * Free-queue link, set when the page becomes free and read only while it
     * is; stored as the distance past the next index (0: page i links to
     * i + 1), read and written through free_next and set_free_next.
     */
    next: Int32Array;
    /** Active/inactive queue links (index, −1 = end); set on queue_enter, read only while queued. */
    qnext: Int32Array;
    qprev: Int32Array;
    /**
     * The object a pageable page belongs to (vm_page_insert), by page index,
     * and its offset there: a map, as few of ~500k pages ever have one.
     */
    object: Map<number, VmObject>;
    offset: Float64Array;
    /** Page index + 1 by physical frame number (0 = not a managed page): untouched memory means none. */
    by_pfn: Int32Array;
    /**
     * pmap_startup's runs of consecutive frames (vm_page_init_run): frame
     * `pfn + n` is page `index + n`, for n < count. by_pfn holds the pages
     * initialized one at a time (vm_page_create's), and is looked at first.
     */
    runs: { pfn: number; count: number; index: number }[];
    free_head: number;
    /** The free list is exactly 0 → 1 → … → count − 1 (vm_page_release_all of a fresh table). */
    free_ascending: boolean;
    active_head: number;
    active_tail: number;
    inactive_head: number;
    inactive_tail: number;
    vm_page_free_count: number;
    vm_page_wire_count: number;
    vm_page_active_count: number;
    vm_page_inactive_count: number;
    vm_page_laundry_count: number;
    vm_page_free_count_minimum: number;
    /** Set by each vm_pageout_scan loop (2/3 of the pageable pages); 0 until the first scan. */
    vm_page_inactive_target: number;
    /** Threads waiting in vm_page_wait (the pageout daemon's wakeup condition). */
    vm_page_free_wanted: number;
    stats: VmPageStats;
    /** The structs and globals in guest RAM, once pmap_startup has written them; null = host only. */
    ram: VmPageRam | null;
}

/**
 * The arrays are not filled: the links hold a value only while their page
 * is on the list they link, and by_pfn's 0 is "none", so the host backs
 * only the parts a boot writes (~500k entries each at 2 GiB).
 */
export function vm_page_table_create(capacity: number, max_pfn: number): VmPageTable {
    return {
        count: 0,
        phys: new Uint32Array(capacity),
        state: new Uint8Array(capacity),
        flags: new Uint8Array(capacity),
        next: new Int32Array(capacity),
        qnext: new Int32Array(capacity),
        qprev: new Int32Array(capacity),
        object: new Map(),
        offset: new Float64Array(capacity),
        by_pfn: new Int32Array(max_pfn),
        runs: [],
        free_head: -1,
        free_ascending: false,
        active_head: -1,
        active_tail: -1,
        inactive_head: -1,
        inactive_tail: -1,
        vm_page_free_count: 0,
        vm_page_wire_count: 0,
        vm_page_active_count: 0,
        vm_page_inactive_count: 0,
        vm_page_laundry_count: 0,
        vm_page_free_count_minimum: 0,
        vm_page_inactive_target: 0,
        vm_page_free_wanted: 0,
        stats: {
            zero_fill_count: 0,
            faults: 0,
            cow_faults: 0,
            pageins: 0,
            pageouts: 0,
            reactivations: 0,
        },
        ram: null,
    };
}

function grown<T extends Uint32Array | Uint8Array | Int32Array | Float64Array>(
    a: T,
    cap: number,
    fill: number,
): T {
    const b = new (a.constructor as new (n: number) => T)(cap);
    b.fill(fill);
    b.set(a);
    return b;
}

/** Room for more pages (vm_page_create after boot adds a few thousand to hundreds of thousands). */
function grow(t: VmPageTable): void {
    const cap = t.phys.length + Math.max(1024, t.phys.length >> 3);
    t.phys = grown(t.phys, cap, 0);
    t.state = grown(t.state, cap, 0);
    t.flags = grown(t.flags, cap, 0);
    t.next = grown(t.next, cap, 0);
    t.qnext = grown(t.qnext, cap, -1);
    t.qprev = grown(t.qprev, cap, -1);
    t.offset = grown(t.offset, cap, 0);
}

/** vm_page_init: a new page structure for `pa` (busy, on no queue). */
export function vm_page_init(t: VmPageTable, pa: number): number {
    if (t.count === t.phys.length) grow(t);
    t.free_ascending = false;
    const i = t.count++;
    t.phys[i] = pa;
    t.state[i] = 0;
    const pfn = pa / 4096;
    if (pfn < t.by_pfn.length) t.by_pfn[pfn] = i + 1;
    return i;
}

/**
 * vm_page_init for `count` consecutive page frames from `pa` (pmap_startup's
 * loop over a run of pmap_next_page). The new entries are zero (state 0,
 * no flags) as the arrays were made or grown; the run gives their physical
 * addresses, and finds them by frame (by_pfn and phys stay untouched).
 */
export function vm_page_init_run(t: VmPageTable, pa: number, count: number): void {
    while (t.count + count > t.phys.length) grow(t);
    t.free_ascending = false;
    t.runs.push({ pfn: pa / 4096, count, index: t.count });
    t.count += count;
}

/** VM_PAGE_TO_PHYS: page i's physical address. */
export function VM_PAGE_TO_PHYS(t: VmPageTable, i: number): number {
    const runs = t.runs;
    for (let k = 0; k < runs.length; k++) {
        const r = runs[k]!;
        if (i >= r.index && i - r.index < r.count) return (r.pfn + i - r.index) * 4096;
    }
    return t.phys[i]!;
}

/** Page i's successor on the free list (−1 = the end); meaningful only while page i is free. */
export function free_next(t: VmPageTable, i: number): number {
    return i + 1 + t.next[i]!;
}

function set_free_next(t: VmPageTable, i: number, n: number): void {
    t.next[i] = n - i - 1;
}

/* ---- the structs and globals in guest RAM ---- */

/** What page i's state sets in its struct: links, bits, object, offset. */
function ram_words(t: VmPageTable, r: VmPageRam, i: number): VmPageWords {
    const s = t.state[i]!;
    const f = t.flags[i]!;
    let next = 0;
    let prev = 0;
    if (s === PAGE_FREE) {
        const n = free_next(t, i);
        if (n >= 0) next = vm_page_ram_va(r, n);
    } else if (s === PAGE_ACTIVE || s === PAGE_INACTIVE) {
        const head = vm_page_ram_head_va(
            r,
            s === PAGE_INACTIVE ? "vm_page_queue_inactive" : "vm_page_queue_active",
        );
        next = t.qnext[i]! >= 0 ? vm_page_ram_va(r, t.qnext[i]!) : head;
        prev = t.qprev[i]! >= 0 ? vm_page_ram_va(r, t.qprev[i]!) : head;
    }
    const o = t.object.get(i);
    return {
        pageq_next: next,
        pageq_prev: prev,
        object: o?.kva ?? 0,
        offset: o ? t.offset[i]! : 0,
        bits: {
            wire_count: s === PAGE_WIRED ? 1 : 0,
            inactive: s === PAGE_INACTIVE ? 1 : 0,
            active: s === PAGE_ACTIVE ? 1 : 0,
            free: s === PAGE_FREE ? 1 : 0,
            busy: s === PAGE_FREE ? 1 : 0,
            laundry: f & PG_LAUNDRY ? 1 : 0,
            reference: f & PG_REFERENCE ? 1 : 0,
            dirty: f & PG_DIRTY ? 1 : 0,
            tabled: o ? 1 : 0,
        },
    };
}

/** Write page i's links, bits, object and offset (nothing for i < 0 or without `ram`). */
function ram_sync(t: VmPageTable, i: number): void {
    const r = t.ram;
    if (r === null || i < 0) return;
    const s = t.state[i]!;
    const f = t.flags[i]!;
    let next = 0;
    let prev = 0;
    let state = 0;
    if (s === PAGE_FREE) {
        const n = free_next(t, i);
        if (n >= 0) next = vm_page_ram_va(r, n);
        state = VM_PAGE_RAM_FREE | VM_PAGE_RAM_BUSY;
    } else if (s === PAGE_ACTIVE || s === PAGE_INACTIVE) {
        const head = vm_page_ram_head_va(
            r,
            s === PAGE_INACTIVE ? "vm_page_queue_inactive" : "vm_page_queue_active",
        );
        next = t.qnext[i]! >= 0 ? vm_page_ram_va(r, t.qnext[i]!) : head;
        prev = t.qprev[i]! >= 0 ? vm_page_ram_va(r, t.qprev[i]!) : head;
        state = s === PAGE_INACTIVE ? VM_PAGE_RAM_INACTIVE : VM_PAGE_RAM_ACTIVE;
    } else if (s === PAGE_WIRED) {
        state = VM_PAGE_RAM_WIRED;
    }
    if (f & PG_LAUNDRY) state |= VM_PAGE_RAM_LAUNDRY;
    if (f & PG_REFERENCE) state |= VM_PAGE_RAM_REFERENCE;
    if (f & PG_DIRTY) state |= VM_PAGE_RAM_DIRTY;
    const o = t.object.get(i);
    if (o) state |= VM_PAGE_RAM_TABLED;
    vm_page_ram_state(r, i, next, prev, o?.kva ?? 0, o ? t.offset[i]! : 0, state);
}

/** vm_page_queue_free and vm_page_free_count. */
function ram_free(t: VmPageTable): void {
    const r = t.ram!;
    vm_page_ram_global(
        r,
        "vm_page_queue_free",
        t.free_head < 0 ? 0 : vm_page_ram_va(r, t.free_head),
    );
    vm_page_ram_global(r, "vm_page_free_count", t.vm_page_free_count);
}

/** A queue head {next, prev} (itself when empty) and its count. */
function ram_queue(t: VmPageTable, inactive: boolean): void {
    const r = t.ram!;
    const name = inactive ? "vm_page_queue_inactive" : "vm_page_queue_active";
    const self = vm_page_ram_head_va(r, name);
    const first = inactive ? t.inactive_head : t.active_head;
    const last = inactive ? t.inactive_tail : t.active_tail;
    vm_page_ram_global(r, name, first < 0 ? self : vm_page_ram_va(r, first), 0);
    vm_page_ram_global(r, name, last < 0 ? self : vm_page_ram_va(r, last), 4);
    if (inactive) vm_page_ram_global(r, "vm_page_inactive_count", t.vm_page_inactive_count);
    else vm_page_ram_global(r, "vm_page_active_count", t.vm_page_active_count);
}

/** Every global, from the host state (after the boot's bulk write). */
export function vm_page_ram_globals(t: VmPageTable): void {
    if (t.ram === null) return;
    ram_free(t);
    ram_queue(t, false);
    ram_queue(t, true);
    vm_page_ram_global(t.ram, "vm_page_wire_count", t.vm_page_wire_count);
}

/** Write page i's whole struct from the host state (vm_page_create's new pages). */
export function vm_page_ram_sync(t: VmPageTable, i: number): void {
    ram_sync(t, i);
}

/* ---- active / inactive queues ---- */

function queue_remove(t: VmPageTable, i: number): void {
    const inactive = t.state[i] === PAGE_INACTIVE;
    const n = t.qnext[i]!;
    const p = t.qprev[i]!;
    if (p >= 0) t.qnext[p] = n;
    else if (inactive) t.inactive_head = n;
    else t.active_head = n;
    if (n >= 0) t.qprev[n] = p;
    else if (inactive) t.inactive_tail = p;
    else t.active_tail = p;
    t.qnext[i] = t.qprev[i] = -1;
    if (inactive) t.vm_page_inactive_count--;
    else t.vm_page_active_count--;
    if (t.ram) {
        ram_sync(t, p);
        ram_sync(t, n);
        ram_queue(t, inactive);
    }
}

function queue_enter(t: VmPageTable, i: number, inactive: boolean): void {
    const tail = inactive ? t.inactive_tail : t.active_tail;
    t.qprev[i] = tail;
    t.qnext[i] = -1;
    if (tail >= 0) t.qnext[tail] = i;
    else if (inactive) t.inactive_head = i;
    else t.active_head = i;
    if (inactive) {
        t.inactive_tail = i;
        t.vm_page_inactive_count++;
    } else {
        t.active_tail = i;
        t.vm_page_active_count++;
    }
    t.state[i] = inactive ? PAGE_INACTIVE : PAGE_ACTIVE;
    if (t.ram) {
        ram_sync(t, tail);
        ram_sync(t, i);
        ram_queue(t, inactive);
    }
}

/** VM_PAGE_QUEUES_REMOVE plus leaving the wired state: the page is on no queue afterwards. */
function vm_page_leave(t: VmPageTable, i: number): void {
    const s = t.state[i];
    if (s === PAGE_ACTIVE || s === PAGE_INACTIVE) queue_remove(t, i);
    else if (s === PAGE_WIRED) {
        t.vm_page_wire_count--;
        if (t.ram) vm_page_ram_global(t.ram, "vm_page_wire_count", t.vm_page_wire_count);
    } else if (s === PAGE_FREE) panic("vm_page_leave: free page");
    t.state[i] = 0;
}

/** vm_page_activate: to the tail of the active queue. */
export function vm_page_activate(t: VmPageTable, i: number): void {
    if (t.state[i] === PAGE_ACTIVE) return;
    vm_page_leave(t, i);
    queue_enter(t, i, false);
}

/** vm_page_deactivate: to the tail of the inactive queue, reference bit cleared by the caller. */
export function vm_page_deactivate(t: VmPageTable, i: number): void {
    if (t.state[i] === PAGE_INACTIVE) return;
    vm_page_leave(t, i);
    queue_enter(t, i, true);
}

/** vm_page_wire: off the pageable queues (kept resident while the kernel works on it). */
export function vm_page_wire(t: VmPageTable, i: number): void {
    if (t.state[i] === PAGE_WIRED) return;
    vm_page_leave(t, i);
    t.state[i] = PAGE_WIRED;
    t.vm_page_wire_count++;
    if (t.ram) {
        ram_sync(t, i);
        vm_page_ram_global(t.ram, "vm_page_wire_count", t.vm_page_wire_count);
    }
}

/** Set and clear PG_* flags (the reference, dirty and laundry bits of the struct). */
export function vm_page_flags(t: VmPageTable, i: number, set: number, clear = 0): void {
    const f = (t.flags[i]! & ~clear) | set;
    if (f === t.flags[i]) return;
    t.flags[i] = f;
    ram_sync(t, i);
}

/* ---- object membership (vm_page_insert / vm_page_remove) ---- */

export function vm_page_insert(t: VmPageTable, i: number, object: VmObject, offset: number): void {
    if (t.object.has(i)) panic("vm_page_insert: already inserted");
    const pages = object.pages;
    if (pages.has(offset)) panic("vm_page_insert: offset already resident");
    pages.set(offset, i);
    t.object.set(i, object);
    t.offset[i] = offset;
    ram_sync(t, i);
}

export function vm_page_remove(t: VmPageTable, i: number): void {
    const object = t.object.get(i);
    if (!object) return;
    object.pages.delete(t.offset[i]!);
    t.object.delete(i);
    t.offset[i] = 0;
    ram_sync(t, i);
}

/* ---- free queue ---- */

/** vm_page_release: push on the free LIFO; a double free panics as in Mach. */
export function vm_page_release(t: VmPageTable, i: number): void {
    const s = t.state[i];
    if (s === PAGE_FREE) panic("vm_page_release");
    if (s === PAGE_WIRED) {
        t.vm_page_wire_count--;
        if (t.ram) vm_page_ram_global(t.ram, "vm_page_wire_count", t.vm_page_wire_count);
    } else if (s === PAGE_ACTIVE || s === PAGE_INACTIVE) queue_remove(t, i);
    if (t.flags[i]! & PG_LAUNDRY) t.vm_page_laundry_count--;
    t.flags[i] = 0;
    if (t.object.has(i)) vm_page_remove(t, i);
    t.state[i] = PAGE_FREE;
    set_free_next(t, i, t.free_head);
    t.free_head = i;
    t.free_ascending = false;
    t.vm_page_free_count++;
    if (t.ram) {
        ram_sync(t, i);
        ram_free(t);
    }
}

/**
 * pmap_startup's vm_page_release of every page, from the last to the
 * first, in one pass: the pages fresh from vm_page_init (on no queue, in no
 * object, nothing in guest RAM yet) end on the free LIFO in ascending order.
 * A page that was never free still has its link 0 (to the next page), so
 * only the last page's link is written.
 */
export function vm_page_release_all(t: VmPageTable): void {
    if (t.ram) panic("vm_page_release_all: the structs are in guest RAM already");
    const n = t.count;
    const state = t.state;
    for (let i = 0; i < n; i++) if (state[i] !== 0) panic("vm_page_release");
    if (t.object.size > 0)
        for (let i = 0; i < n; i++) if (t.object.has(i)) panic("vm_page_release");
    state.fill(PAGE_FREE, 0, n);
    t.flags.fill(0, 0, n);
    if (n > 0) {
        t.free_ascending = t.free_head < 0;
        set_free_next(t, n - 1, t.free_head);
        t.free_head = 0;
    }
    t.vm_page_free_count += t.count;
}

/** vm_page_grab: pop the free LIFO and wire the page; −1 when empty. */
export function vm_page_grab(t: VmPageTable): number {
    const i = t.free_head;
    if (i < 0) return -1;
    t.free_head = free_next(t, i);
    t.free_ascending = false;
    t.state[i] = PAGE_WIRED;
    t.flags[i] = 0;
    t.vm_page_free_count--;
    t.vm_page_wire_count++;
    if (t.vm_page_free_count < t.vm_page_free_count_minimum) {
        t.vm_page_free_count_minimum = t.vm_page_free_count;
    }
    if (t.ram) {
        ram_sync(t, i);
        ram_free(t);
        vm_page_ram_global(t.ram, "vm_page_wire_count", t.vm_page_wire_count);
    }
    return i;
}

export function vm_page_lookup_phys(t: VmPageTable, pa: number): number {
    const pfn = Math.floor(pa / 4096);
    if (!(pfn < t.by_pfn.length)) return -1;
    const i = t.by_pfn[pfn]! - 1;
    if (i >= 0) return i;
    for (const r of t.runs) if (pfn >= r.pfn && pfn < r.pfn + r.count) return r.index + pfn - r.pfn;
    return -1;
}

/* ---- invariants and printing ---- */

function verify_queue(t: VmPageTable, out: string[], inactive: boolean): number {
    const want = inactive ? PAGE_INACTIVE : PAGE_ACTIVE;
    let n = 0;
    let prev = -1;
    for (
        let i = inactive ? t.inactive_head : t.active_head;
        i >= 0 && n <= t.count;
        i = t.qnext[i]!
    ) {
        if (t.state[i] !== want)
            out.push(
                `page ${i} on the ${inactive ? "inactive" : "active"} queue has state ${t.state[i]}`,
            );
        if (t.qprev[i] !== prev) out.push(`page ${i}: qprev ${t.qprev[i]} != ${prev}`);
        if (!t.object.has(i)) out.push(`page ${i} on a pageable queue belongs to no object`);
        prev = i;
        n++;
    }
    if (prev !== (inactive ? t.inactive_tail : t.active_tail))
        out.push(`${inactive ? "inactive" : "active"} queue tail is wrong`);
    return n;
}

/** Invariants: counters match the states, each queue holds exactly its pages, objects know their pages. */
export function vm_page_verify(t: VmPageTable): string[] {
    const out: string[] = [];
    const counts = new Map<number, number>();
    let laundry = 0;
    for (let i = 0; i < t.count; i++) {
        const s = t.state[i]!;
        counts.set(s, (counts.get(s) ?? 0) + 1);
        if (t.flags[i]! & PG_LAUNDRY) laundry++;
        const o = t.object.get(i);
        if (o && o.pages.get(t.offset[i]!) !== i)
            out.push(`page ${i}: object ${o.name}#${o.id} does not list it at ${t.offset[i]}`);
        if (s === PAGE_FREE && o) out.push(`free page ${i} still belongs to ${o.name}#${o.id}`);
    }
    const c = (s: number) => counts.get(s) ?? 0;
    if (c(PAGE_FREE) !== t.vm_page_free_count)
        out.push(`free count ${t.vm_page_free_count} != ${c(PAGE_FREE)} free pages`);
    if (c(PAGE_WIRED) !== t.vm_page_wire_count)
        out.push(`wire count ${t.vm_page_wire_count} != ${c(PAGE_WIRED)} wired pages`);
    if (c(PAGE_ACTIVE) !== t.vm_page_active_count)
        out.push(`active count ${t.vm_page_active_count} != ${c(PAGE_ACTIVE)} active pages`);
    if (c(PAGE_INACTIVE) !== t.vm_page_inactive_count)
        out.push(
            `inactive count ${t.vm_page_inactive_count} != ${c(PAGE_INACTIVE)} inactive pages`,
        );
    if (laundry !== t.vm_page_laundry_count)
        out.push(`laundry count ${t.vm_page_laundry_count} != ${laundry}`);
    let n = 0;
    for (let i = t.free_head; i >= 0 && n <= t.count; i = free_next(t, i)) {
        if (t.state[i] !== PAGE_FREE) out.push(`page ${i} on the free list is not free`);
        n++;
    }
    if (n !== c(PAGE_FREE)) out.push(`free list holds ${n} pages, ${c(PAGE_FREE)} are free`);
    if (verify_queue(t, out, false) !== c(PAGE_ACTIVE))
        out.push("active queue length != active pages");
    if (verify_queue(t, out, true) !== c(PAGE_INACTIVE))
        out.push("inactive queue length != inactive pages");
    if (t.ram) verify_ram(t, t.ram, out);
    return out;
}

/** The structs and globals in guest RAM say what the host state says. */
function verify_ram(t: VmPageTable, r: VmPageRam, out: string[]): void {
    const l = r.layout;
    const mem = r.mem;
    const bad = (what: string) => {
        if (out.length < 50) out.push(what);
    };
    for (let i = 0; i < t.count; i++) {
        const w = ram_words(t, r, i);
        const at = (off: number) => mem.read32(vm_page_ram_pa(r, i, off)) >>> 0;
        const words: [string, number, number][] = [
            ["pageq.next", l.pageq_next, w.pageq_next],
            ["pageq.prev", l.pageq_prev, w.pageq_prev],
            ["object", l.object, w.object],
            ["offset", l.offset, w.offset],
            ["phys_addr", l.phys_addr, VM_PAGE_TO_PHYS(t, i)],
        ];
        vm_page_bits_pack(l, w.bits).forEach((v, n) =>
            words.push([`bits@${l.bit_words[n]}`, l.bit_words[n]!, v]),
        );
        for (const [name, off, want] of words) {
            const got = at(off);
            if (got !== want >>> 0)
                bad(`page ${i} in guest RAM: ${name} = ${hex(got)}, expected ${hex(want >>> 0)}`);
        }
    }
    const g = (name: keyof VmPageRam["globals"], want: number, off = 0) => {
        const pa = r.globals[name];
        if (pa === undefined) return;
        const got = mem.read32(pa + off) >>> 0;
        if (got !== want >>> 0)
            bad(
                `${name}${off ? "+" + off : ""} in guest RAM = ${hex(got)}, expected ${hex(want >>> 0)}`,
            );
    };
    const va = (i: number, head: number) => (i < 0 ? head : vm_page_ram_va(r, i));
    g("vm_page_queue_free", va(t.free_head, 0));
    const ah = vm_page_ram_head_va(r, "vm_page_queue_active");
    const ih = vm_page_ram_head_va(r, "vm_page_queue_inactive");
    g("vm_page_queue_active", va(t.active_head, ah));
    g("vm_page_queue_active", va(t.active_tail, ah), 4);
    g("vm_page_queue_inactive", va(t.inactive_head, ih));
    g("vm_page_queue_inactive", va(t.inactive_tail, ih), 4);
    g("vm_page_free_count", t.vm_page_free_count);
    g("vm_page_active_count", t.vm_page_active_count);
    g("vm_page_inactive_count", t.vm_page_inactive_count);
    g("vm_page_wire_count", t.vm_page_wire_count);
}

export function vm_page_info(t: VmPageTable, print: (line: string) => void): void {
    print(
        `vm_page: ${t.count} pages, free ${t.vm_page_free_count}, wired ${t.vm_page_wire_count}, ` +
            `active ${t.vm_page_active_count}, inactive ${t.vm_page_inactive_count}, ` +
            `free minimum ${t.vm_page_free_count_minimum}`,
    );
    const s = t.stats;
    if (s.faults || s.pageouts) {
        print(
            `vm_page: faults ${s.faults}, zero fill ${s.zero_fill_count}, cow ${s.cow_faults}, ` +
                `pageins ${s.pageins}, pageouts ${s.pageouts}, reactivations ${s.reactivations}, laundry ${t.vm_page_laundry_count}`,
        );
    }
}
