/*
 * kernel/vm/vm_map.ts — models vm/vm_map.c and vm/vm_map.h of GNU Mach
 * (2014, commit 8d03c760): address maps of kernel virtual space, the entries
 * that describe them, first-fit allocation (vm_map_find_entry,
 * vm_map_enter), clipping, deletion and submaps.
 *
 * A map covers [min_offset, max_offset). Entries are page-aligned,
 * non-overlapping [vme_start, vme_end) ranges, each mapping an object (or
 * nothing, or a submap) at an offset. Two hints are kept as Mach keeps them:
 * `hint`, the entry of the last lookup or insertion, and `first_free`, where
 * the first-fit scans start. `null` in either stands for Mach's map header
 * (vm_map_to_entry), whose range is [min_offset, max_offset).
 *
 * first_free is a hint, not the first hole: vm_map_find_entry sets it to the
 * entry it just made, so holes skipped by a large request stay invisible to
 * later requests until a vm_map_delete at or below first_free moves it back.
 * vm_map_enter only advances it over an entry that directly
 * follows it. Both quirks are Mach's and are kept.
 *
 * Every entry, including the one a clip splits off, is created through the
 * map's entry source (vm_map_kentry_cache for non-pageable kernel maps,
 * vm_map_entry_cache otherwise), so entry counts and "vm_map: kentry memory
 * exhausted" happen where Mach has them. The source is called before the
 * entry it serves is touched, so a panic there (which stops Mach) leaves a
 * map that still verifies: at worst a delete has clipped its first entry,
 * or already removed the entries before the one it had to clip last.
 *
 * Departures from Mach:
 * - Entries are a sorted array searched by bisection instead of a linked
 *   list plus red-black tree; prev/next are neighbours in the array.
 * - No locks and no threads. `timestamp` counts the write-locked operations
 *   (find_entry, enter, submap, remove). An entry in transition cannot occur;
 *   vm_map_delete panics instead of waiting for one. A full map with
 *   wait_for_space asks hooks.wait_for_space whether to retry instead of
 *   sleeping; without that hook it fails as if the flag were clear.
 * - printf_once is once per call site and boot through hooks.printf_once
 *   (the kernel's flags), else once per site and hooks object. `%p` is the
 *   map's address in hex without "0x", as Mach's _doprnt prints it: map.kva,
 *   or min_offset when the struct vm_map has no modelled address.
 * - Sizes must be non-zero and page aligned (asserted); Mach trusts callers.
 * - vm_map_find_entry stores the object it is given in a new entry (taking
 *   a reference) at offset = the entry's address. In Mach the entry comes
 *   back with object NULL and kmem_alloc_wired fills in kernel_object at
 *   offset address − VM_MIN_KERNEL_ADDRESS, which the map does not know;
 *   the offsets differ by that constant. With object NULL (kmem_alloc) the
 *   entry is left for the caller to fill, as in Mach. The merge test compares
 *   objects only, as Mach's does: kernel_object offsets follow the address,
 *   so they always line up.
 * - What deleting does below the map (vm_fault_unwire, pmap_remove,
 *   vm_object_page_remove) is left to hooks.entry_delete, called for every
 *   entry removed. Projected buffers and vm_map_copy are not modelled.
 * - Each entry carries `kva` (where its storage lives) and `tag` (which
 *   caller made it), for whatis and layout dumps. Clipped pieces keep the tag;
 *   a merge keeps the tag of the entry that grew.
 * - vm_map_fork fills a new map the caller made (Mach creates it, with its
 *   pmap). Copy objects are not modelled: copying an entry whose object is
 *   shared (use_shared_copy, vm_object_copy_delayed in Mach) is refused by an
 *   assertion; so are wired entries and non-temporary objects (vm_map_copyin's
 *   path). None of them can occur in a user map of the model (no vm_inherit,
 *   no vm_wire, only anonymous objects).
 */
import { assert, panic } from "../kern/debug.ts";
import {
    KERN_INVALID_ADDRESS,
    KERN_INVALID_ARGUMENT,
    KERN_NO_SPACE,
    KERN_PROTECTION_FAILURE,
    KERN_SUCCESS,
    type KernReturn,
} from "../kern/kern_return.ts";
import { MiB, page_aligned } from "../i386/vm_param.ts";
import {
    VM_SUBMAP_OBJECT_NAME,
    vm_object_coalesce,
    vm_object_deallocate,
    vm_object_reference,
    type VmObject,
} from "./vm_object.ts";
import {
    VM_INHERIT_DEFAULT,
    VM_INHERIT_NONE,
    VM_INHERIT_SHARE,
    VM_PROT_ALL,
    VM_PROT_DEFAULT,
    VM_PROT_NOTIFY,
    VM_PROT_WRITE,
    vm_prot_string,
} from "./vm_prot.ts";
import { hex, printf_08x, printf_x } from "../../util/hex.ts";

export {
    VM_INHERIT_COPY,
    VM_INHERIT_DEFAULT,
    VM_INHERIT_NONE,
    VM_INHERIT_SHARE,
    VM_PROT_ALL,
    VM_PROT_DEFAULT,
    VM_PROT_EXECUTE,
    VM_PROT_NONE,
    VM_PROT_READ,
    VM_PROT_WRITE,
} from "./vm_prot.ts";

/** Highest 32-bit address; an end above it is a wrap in Mach's arithmetic. */
const VM_ADDR_LIMIT = 0xffffffff;

export interface VmMapEntry {
    /** Page-aligned range [vme_start, vme_end). */
    vme_start: number;
    vme_end: number;
    /** Mapped object, or null (VM_OBJECT_NULL); always null for a submap entry. */
    object: VmObject | null;
    /** Offset in the object of vme_start. */
    offset: number;
    /** Set by vm_map_submap: the range belongs to `sub_map`. */
    is_sub_map: boolean;
    sub_map: VmMap | null;
    is_shared: boolean;
    needs_copy: boolean;
    /** Never set in the model (no threads); kept for the merge and delete tests. */
    in_transition: boolean;
    protection: number;
    max_protection: number;
    inheritance: number;
    /** 1 for vm_map_find_entry entries (kernel wired memory), 0 for vm_map_enter. */
    wired_count: number;
    user_wired_count: number;
    /** Projected buffers are not modelled: always 0. */
    projected_on: number;
    /** Kernel VA of this entry's storage, from the map's entry source. */
    kva: number;
    /** Who made the entry ("kmem_alloc_wired pmap_init", "kmem_map"…); "" if not told. */
    tag: string;
}

/** Where entry storage comes from: the kentry cache or vm_map_entry_cache. */
export interface VmMapEntrySource {
    name: string;
    /** Storage address of one entry; may panic ("vm_map: kentry memory exhausted"). */
    alloc(): number;
    free(kva: number): void;
}

/** What vm_map needs from the layers around it; all optional. */
export interface VmMapHooks {
    /** Deletion below the map for [start, end) of `entry`: unwire, pmap_remove, page removal. */
    entry_delete?(map: VmMap, entry: VmMapEntry, start: number, end: number): void;
    /** Mach's printf (the printf_once messages); the text ends with "\n" as Mach's does. */
    printf?(msg: string): void;
    /**
     * Mach's printf_once with the kernel's per-site flags (`site` is file:line
     * in 8d03c760); without it, the flags are per hooks object and `printf` prints.
     */
    printf_once?(site: string, msg: string): void;
    /** A wait_for_space map is full: true = space may have been freed, scan again. */
    wait_for_space?(map: VmMap, size: number): boolean;
    /** pmap_protect for [start, end) of a user map: the protection was lowered to `prot`. */
    protect?(map: VmMap, start: number, end: number, prot: number): void;
    /** vm_object_allocate for a user map (vm_map_fork's SHARE: an object, or a shadow). */
    object_allocate?(map: VmMap, size: number): VmObject;
    /**
     * vm_object_pmap_protect of `entry`'s object range: on every mapping of its
     * pages when `all_maps` (a shared entry), else on `map`'s pmap.
     */
    object_pmap_protect?(map: VmMap, entry: VmMapEntry, all_maps: boolean, prot: number): void;
}

export interface VmMap {
    name: string;
    min_offset: number;
    max_offset: number;
    /** Sum of entry sizes, whole submap entries included (Mach's map->size). */
    size: number;
    /** Sorted by vme_start, non-overlapping. */
    entries: VmMapEntry[];
    /** Where first-fit scans start; null = the header (scan from min_offset). */
    first_free: VmMapEntry | null;
    /** Last lookup or insertion; null = the header. */
    hint: VmMapEntry | null;
    /** Entries from vm_map_entry_cache (true) or the kentry cache (false). */
    entries_pageable: boolean;
    /** vm_map_enter waits (hooks.wait_for_space) instead of failing when full. */
    wait_for_space: boolean;
    /** The pmap module's Pmap, opaque here. */
    pmap: unknown;
    source: VmMapEntrySource;
    hooks: VmMapHooks;
    nentries: number;
    /** Incremented by each write-locked operation. */
    timestamp: number;
    ref_count: number;
    /** Kernel VA of the struct vm_map, 0 if not modelled (messages then print min_offset). */
    kva: number;
}

export interface VmMapLookup {
    /** Whether `entry` contains the address. */
    found: boolean;
    /** The containing entry, else the one before the address; null = the header. */
    entry: VmMapEntry | null;
}

export interface VmMapFindResult {
    kr: KernReturn;
    addr: number;
    entry: VmMapEntry | null;
}

export interface VmMapEnterResult {
    kr: KernReturn;
    addr: number;
    /** The new entry, or the entry that grew over the range. */
    entry?: VmMapEntry;
}

export interface VmMapRange {
    start: number;
    end: number;
}

/* printf_once flags of maps whose hooks have no printf_once: one set per hooks object. */
const vm_map_printed_once = new WeakMap<VmMapHooks, Set<string>>();

/** Where vm_map.c's printf_once calls are in 8d03c760: the wrap test and the end test of each search. */
const VM_MAP_ONCE_SITES = {
    vm_map_find_entry: { wrap: "vm/vm_map.c:558", full: "vm/vm_map.c:565" },
    vm_map_enter: { wrap: "vm/vm_map.c:824", full: "vm/vm_map.c:841" },
} as const;

function vm_map_printf_once(
    map: VmMap,
    fn: keyof typeof VM_MAP_ONCE_SITES,
    why: "wrap" | "full",
): void {
    const site = VM_MAP_ONCE_SITES[fn][why];
    const p = printf_x(map.kva !== 0 ? map.kva : map.min_offset);
    const msg = `no more room for ${fn} in ${p}\n`;
    if (map.hooks.printf_once) {
        map.hooks.printf_once(site, msg);
        return;
    }
    let done = vm_map_printed_once.get(map.hooks);
    if (done === undefined) {
        done = new Set();
        vm_map_printed_once.set(map.hooks, done);
    }
    if (done.has(site)) return;
    done.add(site);
    map.hooks.printf?.(msg);
}

/** vm_map_setup on a new map (vm_map_create). */
export function vm_map_create(
    pmap: unknown,
    min: number,
    max: number,
    pageable: boolean,
    source: VmMapEntrySource,
    hooks: VmMapHooks = {},
    name = "vm_map",
): VmMap {
    assert(
        page_aligned(min) && page_aligned(max) && min <= max && max <= VM_ADDR_LIMIT,
        () => `vm_map_create: bad range ${hex(min)}-${hex(max)}`,
    );
    return {
        name,
        min_offset: min,
        max_offset: max,
        size: 0,
        entries: [],
        first_free: null,
        hint: null,
        entries_pageable: pageable,
        wait_for_space: false,
        pmap,
        source,
        hooks,
        nentries: 0,
        timestamp: 0,
        ref_count: 1,
        kva: 0,
    };
}

function vm_map_reference(map: VmMap | null): void {
    if (map !== null) map.ref_count++;
}

/** Drops a reference; the last one deletes every entry (the pmap is the caller's). */
export function vm_map_deallocate(map: VmMap | null): void {
    if (map === null) return;
    assert(map.ref_count > 0, () => `vm_map_deallocate: ${map.name} has no references`);
    if (--map.ref_count > 0) return;
    vm_map_delete(map, map.min_offset, map.max_offset);
}

/* ---- the entry list ---- */

/** Index of the last entry starting at or below addr, -1 if none. */
function vm_map_index_below(map: VmMap, addr: number): number {
    const a = map.entries;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (a[mid]!.vme_start <= addr) lo = mid + 1;
        else hi = mid;
    }
    return lo - 1;
}

/** Index of an entry of the map (-1 for the header). */
function vm_map_index(map: VmMap, entry: VmMapEntry | null): number {
    if (entry === null) return -1;
    const i = vm_map_index_below(map, entry.vme_start);
    assert(
        i >= 0 && map.entries[i] === entry,
        () => `vm_map_index: entry ${entry_str(entry)} not in ${map.name}`,
    );
    return i;
}

/** The entry after `entry` (after the header: the first); null = the header. */
export function vm_map_next(map: VmMap, entry: VmMapEntry | null): VmMapEntry | null {
    return map.entries[vm_map_index(map, entry) + 1] ?? null;
}

/** The entry before `entry` (before the header: the last); null = the header. */
export function vm_map_prev(map: VmMap, entry: VmMapEntry | null): VmMapEntry | null {
    const i = entry === null ? map.entries.length : vm_map_index(map, entry);
    return map.entries[i - 1] ?? null;
}

/** Storage for one entry from the map's source; fields are the caller's to fill. */
function vm_map_entry_create(map: VmMap): VmMapEntry {
    const kva = map.source.alloc();
    return {
        vme_start: 0,
        vme_end: 0,
        object: null,
        offset: 0,
        is_sub_map: false,
        sub_map: null,
        is_shared: false,
        needs_copy: false,
        in_transition: false,
        protection: VM_PROT_DEFAULT,
        max_protection: VM_PROT_ALL,
        inheritance: VM_INHERIT_DEFAULT,
        wired_count: 0,
        user_wired_count: 0,
        projected_on: 0,
        kva,
        tag: "",
    };
}

function vm_map_entry_dispose(map: VmMap, entry: VmMapEntry): void {
    map.source.free(entry.kva);
}

/** vm_map_entry_copy_full, keeping the copy's own storage address. */
function vm_map_entry_copy_full(dst: VmMapEntry, src: VmMapEntry): void {
    const kva = dst.kva;
    Object.assign(dst, src);
    dst.kva = kva;
}

function vm_map_entry_link_at(map: VmMap, index: number, entry: VmMapEntry): void {
    const prev = map.entries[index - 1];
    const next = map.entries[index];
    assert(
        (prev === undefined || prev.vme_end <= entry.vme_start) &&
            (next === undefined || entry.vme_end <= next.vme_start),
        () => `vm_map_entry_link: ${entry_str(entry)} out of order in ${map.name}`,
    );
    map.entries.splice(index, 0, entry);
    map.nentries++;
}

/** Inserts `entry` after `after` (null = the header). */
function vm_map_entry_link(map: VmMap, after: VmMapEntry | null, entry: VmMapEntry): void {
    vm_map_entry_link_at(map, vm_map_index(map, after) + 1, entry);
}

function vm_map_entry_unlink(map: VmMap, entry: VmMapEntry): void {
    map.entries.splice(vm_map_index(map, entry), 1);
    map.nentries--;
}

/* ---- lookup ---- */

/** The entry containing addr, or the one before it; saves the result as the hint. */
export function vm_map_lookup_entry(map: VmMap, addr: number): VmMapLookup {
    const entry = map.entries[vm_map_index_below(map, addr)] ?? null;
    map.hint = entry;
    return { found: entry !== null && addr < entry.vme_end, entry };
}

/* ---- allocation ---- */

/** Mach's `(start + mask) & ~mask` in 32 bits; null when it wraps. */
function vm_map_align(start: number, mask: number): number | null {
    const t = start + mask;
    if (t > VM_ADDR_LIMIT) return null;
    return (t & ~mask) >>> 0;
}

interface VmMapFit {
    start: number;
    end: number;
    /** The entry before the range; null = the header. */
    prev: VmMapEntry | null;
}

/**
 * The first-fit loop shared by vm_map_find_entry and vm_map_enter: from
 * `start` (the end of `entry`, or a free address after it), the first
 * aligned range of `size` bytes that ends before the next entry. "wrap" when
 * aligning overflows 32 bits, "full" when the range would pass max_offset.
 */
function vm_map_first_fit(
    map: VmMap,
    entry: VmMapEntry | null,
    start: number,
    size: number,
    mask: number,
): VmMapFit | "wrap" | "full" {
    let i = vm_map_index(map, entry);
    for (;;) {
        const s = vm_map_align(start, mask);
        if (s === null) return "wrap";
        const end = s + size;
        if (end > map.max_offset) return "full";
        const next = map.entries[i + 1];
        if (next === undefined || next.vme_start >= end) {
            return { start: s, end, prev: map.entries[i] ?? null };
        }
        i++;
        start = next.vme_end;
    }
}

function vm_map_check_request(map: VmMap, what: string, size: number, mask: number): void {
    assert(size > 0 && page_aligned(size), () => `${what}: bad size ${size} for ${map.name}`);
    assert(
        Number.isInteger(mask) && mask >= 0 && mask <= VM_ADDR_LIMIT,
        () => `${what}: bad mask ${mask}`,
    );
}

/**
 * Allocates `size` bytes of the map for wired kernel memory (kmem_alloc*):
 * first fit from first_free, aligned by `mask`. When `object` is given and
 * the entry just below ends at the range, holds the same object and is a
 * plain wired kernel entry, that entry grows instead of a new one being made.
 * A new entry is wired (wired_count 1) and maps `object` (one more
 * reference) at offset = its address, or nothing when `object` is NULL (the
 * caller fills it in). first_free and the hint become the entry, always.
 */
export function vm_map_find_entry(
    map: VmMap,
    size: number,
    mask: number,
    object: VmObject | null,
    tag = "",
): VmMapFindResult {
    vm_map_check_request(map, "vm_map_find_entry", size, mask);
    map.timestamp++;
    const ff = map.first_free;
    const fit = vm_map_first_fit(map, ff, ff === null ? map.min_offset : ff.vme_end, size, mask);
    if (typeof fit === "string") {
        vm_map_printf_once(map, "vm_map_find_entry", fit);
        return { kr: KERN_NO_SPACE, addr: 0, entry: null };
    }
    const { start, end, prev } = fit;
    let entry: VmMapEntry;
    if (object !== null && prev !== null && vm_map_find_entry_can_extend(prev, start, object)) {
        prev.vme_end = end;
        entry = prev;
    } else {
        entry = vm_map_entry_create(map);
        entry.vme_start = start;
        entry.vme_end = end;
        entry.wired_count = 1;
        entry.tag = tag;
        if (object !== null) {
            vm_object_reference(object);
            entry.object = object;
            entry.offset = start;
        }
        vm_map_entry_link(map, prev, entry);
    }
    map.size += size;
    map.first_free = entry;
    map.hint = entry;
    return { kr: KERN_SUCCESS, addr: start, entry };
}

function vm_map_find_entry_can_extend(prev: VmMapEntry, start: number, object: VmObject): boolean {
    return (
        prev.vme_end === start &&
        !prev.is_shared &&
        !prev.is_sub_map &&
        prev.object === object &&
        !prev.needs_copy &&
        prev.inheritance === VM_INHERIT_DEFAULT &&
        prev.protection === VM_PROT_DEFAULT &&
        prev.max_protection === VM_PROT_ALL &&
        prev.wired_count === 1 &&
        prev.user_wired_count === 0 &&
        prev.projected_on === 0
    );
}

/**
 * Maps `object` at `offset` over `size` bytes: anywhere (first fit from
 * `address`, or from first_free when `address` is min_offset or below) or at
 * exactly `address`. With object NULL the range may be merged into the
 * unwired entry below it (vm_object_coalesce). The object reference passes
 * to the map. New entries are unwired.
 */
export function vm_map_enter(
    map: VmMap,
    address: number,
    size: number,
    mask: number,
    anywhere: boolean,
    object: VmObject | null,
    offset: number,
    needs_copy: boolean,
    cur_prot: number,
    max_prot: number,
    inheritance: number,
    tag = "",
): VmMapEnterResult {
    if (size === 0) return { kr: KERN_INVALID_ARGUMENT, addr: address };
    vm_map_check_request(map, "vm_map_enter", size, mask);
    assert(page_aligned(address), () => `vm_map_enter: unaligned address ${hex(address)}`);
    map.timestamp++;
    let start: number;
    let end: number;
    let prev: VmMapEntry | null;
    if (anywhere) {
        const fit = vm_map_enter_find_space(map, address, size, mask);
        if (typeof fit === "number") return { kr: fit, addr: address };
        ({ start, end, prev } = fit);
    } else {
        if ((address & mask) >>> 0 !== 0) return { kr: KERN_NO_SPACE, addr: address };
        start = address;
        end = start + size;
        if (start < map.min_offset || end > map.max_offset) {
            return { kr: KERN_INVALID_ADDRESS, addr: address };
        }
        const hit = vm_map_lookup_entry(map, start);
        if (hit.found) return { kr: KERN_NO_SPACE, addr: address };
        prev = hit.entry;
        const next = vm_map_next(map, prev);
        if (next !== null && next.vme_start < end) return { kr: KERN_NO_SPACE, addr: address };
    }

    if (
        object === null &&
        prev !== null &&
        prev.vme_end === start &&
        !prev.is_shared &&
        !prev.is_sub_map &&
        prev.inheritance === inheritance &&
        prev.protection === cur_prot &&
        prev.max_protection === max_prot &&
        prev.wired_count === 0 &&
        prev.projected_on === 0 &&
        vm_object_coalesce(
            prev.object,
            null,
            prev.offset,
            0,
            prev.vme_end - prev.vme_start,
            end - start,
        )
    ) {
        map.size += end - prev.vme_end;
        prev.vme_end = end;
        return { kr: KERN_SUCCESS, addr: start, entry: prev };
    }

    const entry = vm_map_entry_create(map);
    entry.vme_start = start;
    entry.vme_end = end;
    entry.object = object;
    entry.offset = offset;
    entry.needs_copy = needs_copy;
    entry.inheritance = inheritance;
    entry.protection = cur_prot;
    entry.max_protection = max_prot;
    entry.tag = tag;
    vm_map_entry_link(map, prev, entry);
    map.size += size;
    if (map.first_free === prev && (prev === null ? map.min_offset : prev.vme_end) >= start) {
        map.first_free = entry;
    }
    map.hint = entry;
    return { kr: KERN_SUCCESS, addr: start, entry };
}

/** vm_map_enter's anywhere search; a KernReturn on failure. */
function vm_map_enter_find_space(
    map: VmMap,
    address: number,
    size: number,
    mask: number,
): VmMapFit | KernReturn {
    for (;;) {
        let start = Math.max(address, map.min_offset);
        if (start > map.max_offset) return KERN_NO_SPACE;
        let entry: VmMapEntry | null;
        if (start === map.min_offset) {
            entry = map.first_free;
            if (entry !== null) start = entry.vme_end;
        } else {
            const hit = vm_map_lookup_entry(map, start);
            entry = hit.entry;
            if (hit.found && entry !== null) start = entry.vme_end;
        }
        const fit = vm_map_first_fit(map, entry, start, size, mask);
        if (typeof fit !== "string") return fit;
        if (
            fit === "full" &&
            map.wait_for_space &&
            size <= map.max_offset - map.min_offset &&
            map.hooks.wait_for_space?.(map, size) === true
        ) {
            continue;
        }
        vm_map_printf_once(map, "vm_map_enter", fit);
        return KERN_NO_SPACE;
    }
}

/* ---- clipping, deletion ---- */

/** Makes `entry` start at `start`, splitting the front part off into a new entry. */
function vm_map_clip_start(map: VmMap, entry: VmMapEntry, start: number): void {
    if (start <= entry.vme_start) return;
    const front = vm_map_entry_create(map);
    const i = vm_map_index(map, entry);
    vm_map_entry_copy_full(front, entry);
    front.vme_end = start;
    entry.offset += start - entry.vme_start;
    entry.vme_start = start;
    vm_map_entry_link_at(map, i, front);
    vm_map_entry_reference(front);
}

/** Makes `entry` end at `end`, splitting the back part off into a new entry. */
function vm_map_clip_end(map: VmMap, entry: VmMapEntry, end: number): void {
    if (end >= entry.vme_end) return;
    const back = vm_map_entry_create(map);
    vm_map_entry_copy_full(back, entry);
    back.vme_start = entry.vme_end = end;
    back.offset += end - entry.vme_start;
    vm_map_entry_link(map, entry, back);
    vm_map_entry_reference(back);
}

/** The reference a split-off piece holds on what the entry maps. */
function vm_map_entry_reference(entry: VmMapEntry): void {
    if (entry.is_sub_map) vm_map_reference(entry.sub_map);
    else vm_object_reference(entry.object);
}

/** Mach's VM_MAP_RANGE_CHECK: clamps [start, end) into the map. */
function vm_map_range_check(map: VmMap, start: number, end: number): VmMapRange {
    start = Math.max(start, map.min_offset);
    end = Math.min(end, map.max_offset);
    return { start: Math.min(start, end), end };
}

/** Removes one entry: the hook, the references, the accounting, the storage. */
function vm_map_entry_delete(map: VmMap, entry: VmMapEntry): void {
    const s = entry.vme_start;
    const e = entry.vme_end;
    map.hooks.entry_delete?.(map, entry, s, e);
    if (entry.object !== null) {
        entry.wired_count = 0;
        entry.user_wired_count = 0;
    }
    if (entry.is_sub_map) vm_map_deallocate(entry.sub_map);
    else vm_object_deallocate(entry.object);
    vm_map_entry_unlink(map, entry);
    map.size -= e - s;
    vm_map_entry_dispose(map, entry);
}

/** Deallocates [start, end), clipping the entries at both ends (each clip makes an entry). */
export function vm_map_delete(map: VmMap, start: number, end: number): KernReturn {
    assert(
        page_aligned(start) && page_aligned(end),
        () => `vm_map_delete: unaligned ${hex(start)}-${hex(end)}`,
    );
    const hit = vm_map_lookup_entry(map, start);
    let entry: VmMapEntry | null;
    if (!hit.found) {
        entry = vm_map_next(map, hit.entry);
    } else {
        entry = hit.entry!;
        vm_map_clip_start(map, entry, start);
        map.hint = vm_map_prev(map, entry);
    }

    const ff_start = map.first_free === null ? map.min_offset : map.first_free.vme_start;
    if (ff_start >= start) map.first_free = vm_map_prev(map, entry);

    while (entry !== null && entry.vme_start < end) {
        vm_map_clip_end(map, entry, end);
        if (entry.in_transition) panic(`vm_map_delete: entry ${entry_str(entry)} in transition`);
        const next = vm_map_next(map, entry);
        vm_map_entry_delete(map, entry);
        entry = next;
    }
    return KERN_SUCCESS;
}

/** Removes [start, end) (clamped to the map) from the map. */
export function vm_map_remove(map: VmMap, start: number, end: number): KernReturn {
    map.timestamp++;
    const r = vm_map_range_check(map, start, end);
    return vm_map_delete(map, r.start, r.end);
}

/**
 * vm_map_protect: set the current (or, with set_max, the maximum)
 * protection of the entries in [start, end) (clamped to the map). As in
 * Mach 2014, holes are not an error: only the entries present change. A
 * submap in the range is KERN_INVALID_ARGUMENT and a protection beyond an
 * entry's maximum KERN_PROTECTION_FAILURE, both found before anything
 * changes. Lowered protections reach the pmap through hooks.protect.
 */
export function vm_map_protect(
    map: VmMap,
    start: number,
    end: number,
    new_prot: number,
    set_max: boolean,
): KernReturn {
    map.timestamp++;
    ({ start, end } = vm_map_range_check(map, start, end));
    const hit = vm_map_lookup_entry(map, start);
    if (hit.found) vm_map_clip_start(map, hit.entry!, start);
    const first = hit.found ? hit.entry : vm_map_next(map, hit.entry);
    for (let e = first; e !== null && e.vme_start < end; e = vm_map_next(map, e)) {
        if (e.is_sub_map) return KERN_INVALID_ARGUMENT;
        if ((new_prot & (VM_PROT_NOTIFY | e.max_protection)) !== new_prot)
            return KERN_PROTECTION_FAILURE;
    }
    for (let e = first; e !== null && e.vme_start < end; e = vm_map_next(map, e)) {
        vm_map_clip_end(map, e, end);
        const old = e.protection;
        if (set_max) {
            e.max_protection = new_prot;
            e.protection &= new_prot;
        } else {
            e.protection = new_prot;
        }
        if (e.protection !== old) map.hooks.protect?.(map, e.vme_start, e.vme_end, e.protection);
    }
    return KERN_SUCCESS;
}

/**
 * vm_map_fork (task_create with inherit_memory): a copy of `old_map`'s
 * entries in the empty `new_map`, by inheritance, as vm/vm_map.c does it:
 *  - NONE: skipped;
 *  - SHARE: both entries map the same object (is_shared). An entry with no
 *    object gets one first; an object that needs a copy, has been copied
 *    (shadowed), or is larger than the entry gets a shadow first, and the
 *    parent loses write access unless it already needed a copy. The object
 *    then uses the shared (delayed) copy strategy for later copies;
 *  - COPY (vm_object_copy_temporary): no object stays none on both sides;
 *    otherwise both entries need a copy, the object is marked shadowed, and
 *    unless the parent already needed a copy its pages are write-protected
 *    (vm_object_pmap_protect: every mapping when the entry is shared, else
 *    the parent's), so the first write on either side copies (vm_fault).
 * A submap panics. pmap_copy is a no-op on i386.
 */
export function vm_map_fork(old_map: VmMap, new_map: VmMap): KernReturn {
    assert(new_map.entries.length === 0, "vm_map_fork: the new map must be empty");
    old_map.timestamp++;
    new_map.timestamp++;
    let prev: VmMapEntry | null = null;
    for (const old of [...old_map.entries]) {
        if (old.is_sub_map) panic("vm_map_fork: encountered a submap");
        let e: VmMapEntry;
        if (old.inheritance === VM_INHERIT_NONE) continue;
        if (old.inheritance === VM_INHERIT_SHARE) e = vm_map_fork_share(old_map, new_map, old);
        else e = vm_map_fork_copy(old_map, new_map, old);
        vm_map_entry_link(new_map, prev, e);
        new_map.size += e.vme_end - e.vme_start;
        prev = e;
    }
    return KERN_SUCCESS;
}

/** vm_map_entry_copy: the fields of `old`, unshared and unwired. */
function vm_map_fork_entry(new_map: VmMap, old: VmMapEntry): VmMapEntry {
    const e = vm_map_entry_create(new_map);
    vm_map_entry_copy_full(e, old);
    e.is_shared = false;
    e.in_transition = false;
    e.wired_count = 0;
    e.user_wired_count = 0;
    return e;
}

function vm_map_fork_share(old_map: VmMap, new_map: VmMap, old: VmMapEntry): VmMapEntry {
    const size = old.vme_end - old.vme_start;
    const hooks = old_map.hooks;
    let object = old.object;
    if (object === null) {
        assert(hooks.object_allocate !== undefined, "vm_map_fork: no object allocator");
        object = hooks.object_allocate(old_map, size);
        old.object = object;
        old.offset = 0;
    } else if (
        old.needs_copy ||
        object.shadowed ||
        (object.internal && !old.is_shared && object.size > size)
    ) {
        // vm_object_shadow: the entry's reference passes to the shadow link.
        assert(hooks.object_allocate !== undefined, "vm_map_fork: no object allocator");
        const shadow = hooks.object_allocate(old_map, size);
        shadow.shadow = object;
        shadow.shadow_offset = old.offset;
        old.object = object = shadow;
        old.offset = 0;
        if (!old.needs_copy && old.protection & VM_PROT_WRITE)
            hooks.protect?.(old_map, old.vme_start, old.vme_end, old.protection & ~VM_PROT_WRITE);
        old.needs_copy = false;
    }
    object.use_shared_copy = true;
    vm_object_reference(object);
    const e = vm_map_fork_entry(new_map, old);
    old.is_shared = e.is_shared = true;
    return e;
}

function vm_map_fork_copy(old_map: VmMap, new_map: VmMap, old: VmMapEntry): VmMapEntry {
    // vm_map_copyin's path (wired memory, non-temporary objects) is never taken: neither exists in user maps.
    assert(old.wired_count === 0, "vm_map_fork: wired user memory is not modelled");
    const e = vm_map_fork_entry(new_map, old);
    const object = old.object;
    if (object === null) {
        e.needs_copy = false;
        return e;
    }
    assert(object.internal, () => `vm_map_fork: ${object.name} is not a temporary object`);
    assert(
        !object.use_shared_copy,
        "vm_map_fork: copying a shared object needs a copy object (vm_object_copy_delayed), not modelled",
    );
    vm_object_reference(object);
    object.shadowed = true;
    if (!old.needs_copy) {
        old_map.hooks.object_pmap_protect?.(
            old_map,
            old,
            old.is_shared,
            old.protection & ~VM_PROT_WRITE,
        );
        old.needs_copy = true;
    }
    e.needs_copy = true;
    return e;
}

/**
 * Hands [start, end) over to `submap`. The range must be exactly one entry
 * mapping vm_submap_object (as kmem_submap makes it with vm_map_enter);
 * otherwise KERN_INVALID_ARGUMENT, possibly after clipping, as in Mach.
 */
/**
 * Grow `entry` in place up to `end` (x15's kentry_map: a single static
 * entry extended on growth, like pmap_growkernel). Fails with KERN_NO_SPACE
 * when the next entry or the end of the map is in the way.
 */
export function vm_map_entry_extend(map: VmMap, entry: VmMapEntry, end: number): KernReturn {
    assert(
        page_aligned(end) && end > entry.vme_end,
        () => `vm_map_entry_extend: bad end ${hex(end)}`,
    );
    const next = map.entries[map.entries.indexOf(entry) + 1];
    if (end > map.max_offset || (next !== undefined && end > next.vme_start)) return KERN_NO_SPACE;
    map.size += end - entry.vme_end;
    entry.vme_end = end;
    map.timestamp++;
    return KERN_SUCCESS;
}

export function vm_map_submap(map: VmMap, start: number, end: number, submap: VmMap): KernReturn {
    map.timestamp++;
    ({ start, end } = vm_map_range_check(map, start, end));
    const hit = vm_map_lookup_entry(map, start);
    let entry: VmMapEntry | null;
    if (hit.found) {
        entry = hit.entry!;
        vm_map_clip_start(map, entry, start);
    } else {
        entry = vm_map_next(map, hit.entry);
    }
    if (entry === null) return KERN_INVALID_ARGUMENT;
    if (entry.vme_start < end) vm_map_clip_end(map, entry, end);
    const object = entry.object;
    if (
        entry.vme_start !== start ||
        entry.vme_end !== end ||
        entry.is_sub_map ||
        object === null ||
        object.name !== VM_SUBMAP_OBJECT_NAME
    ) {
        return KERN_INVALID_ARGUMENT;
    }
    entry.object = null;
    vm_object_deallocate(object);
    entry.is_sub_map = true;
    entry.sub_map = submap;
    vm_map_reference(submap);
    return KERN_SUCCESS;
}

/* ---- checks and dumps ---- */

/**
 * Invariant violations of the map ([] = none): entry order and bounds, page
 * alignment, size and nentries, the hints, submap ranges, wiring counts and
 * distinct entry storage. first_free is only checked to be an entry of the
 * map (or the header): Mach lets it skip holes after vm_map_find_entry, so
 * no property of the holes before it is guaranteed.
 */
export function vm_map_verify(map: VmMap): string[] {
    const bad: string[] = [];
    if (
        !page_aligned(map.min_offset) ||
        !page_aligned(map.max_offset) ||
        map.min_offset > map.max_offset
    ) {
        bad.push(`range ${hex(map.min_offset)}-${hex(map.max_offset)} unaligned or inverted`);
    }
    let sum = 0;
    let prev_end = map.min_offset;
    const kvas = new Set<number>();
    map.entries.forEach((e, i) => {
        const say = (m: string) => bad.push(`entry ${i} ${entry_str(e)}: ${m}`);
        if (!page_aligned(e.vme_start) || !page_aligned(e.vme_end)) say("unaligned");
        if (e.vme_start >= e.vme_end) say("empty or inverted");
        if (e.vme_start < prev_end) say(i === 0 ? "below min_offset" : "overlaps previous");
        if (e.vme_end > map.max_offset) say(`beyond max_offset ${hex(map.max_offset)}`);
        prev_end = Math.max(prev_end, e.vme_end);
        sum += e.vme_end - e.vme_start;
        if (kvas.has(e.kva)) say(`storage ${hex(e.kva)} shared with another entry`);
        kvas.add(e.kva);
        vm_map_verify_entry(map, e, say);
    });
    if (sum !== map.size) bad.push(`size ${hex(map.size)} != sum of entries ${hex(sum)}`);
    if (map.nentries !== map.entries.length) {
        bad.push(`nentries ${map.nentries} != ${map.entries.length} entries`);
    }
    if (!vm_map_has_entry(map, map.first_free)) bad.push("first_free is not an entry of the map");
    if (!vm_map_has_entry(map, map.hint)) bad.push("hint is not an entry of the map");
    return bad;
}

function vm_map_verify_entry(map: VmMap, e: VmMapEntry, say: (m: string) => void): void {
    if (e.is_sub_map) {
        const sm = e.sub_map;
        if (sm === null) say("submap entry without a submap");
        else if (sm === map) say("submap of itself");
        else if (sm.min_offset !== e.vme_start || sm.max_offset !== e.vme_end) {
            say(`submap ${sm.name} covers ${hex(sm.min_offset)}-${hex(sm.max_offset)}`);
        }
        if (e.object !== null) say("submap entry with an object");
    } else if (e.sub_map !== null) {
        say("sub_map set on a non-submap entry");
    }
    if (e.object !== null && e.object.ref_count < 1)
        say(`object ${e.object.name} has no references`);
    if (!Number.isInteger(e.wired_count) || e.wired_count < 0) say(`wired_count ${e.wired_count}`);
    if (e.user_wired_count < 0 || e.user_wired_count > e.wired_count) {
        say(`user_wired_count ${e.user_wired_count} > wired_count ${e.wired_count}`);
    }
    if (e.projected_on !== 0) say("projected_on set");
    if (e.in_transition) say("in transition");
}

function vm_map_has_entry(map: VmMap, entry: VmMapEntry | null): boolean {
    if (entry === null) return true;
    const i = vm_map_index_below(map, entry.vme_start);
    return i >= 0 && map.entries[i] === entry;
}

/** The unmapped ranges of [min_offset, max_offset), in address order. */
export function vm_map_holes(map: VmMap): VmMapRange[] {
    const holes: VmMapRange[] = [];
    let at = map.min_offset;
    for (const e of map.entries) {
        if (e.vme_start > at) holes.push({ start: at, end: e.vme_start });
        at = Math.max(at, e.vme_end);
    }
    if (map.max_offset > at) holes.push({ start: at, end: map.max_offset });
    return holes;
}

/** The largest hole (the lowest of equals); size 0 at max_offset when the map is full. */
export function vm_map_largest_free(map: VmMap): { start: number; size: number } {
    let best = { start: map.max_offset, size: 0 };
    for (const h of vm_map_holes(map)) {
        if (h.end - h.start > best.size) best = { start: h.start, size: h.end - h.start };
    }
    return best;
}

/**
 * pmap(1)-style listing: one line per entry and per hole (end inclusive,
 * size in hex and MiB, protection, wiring, what is mapped, tag), submaps
 * listed under their entry, one level deeper; then the map's totals. `depth`
 * is the nesting level of `map` (indentation), 0 for a top-level map.
 */
export function vm_map_info(map: VmMap, print: (line: string) => void, depth = 0): void {
    const ind = "    ".repeat(depth);
    if (depth === 0) {
        print(
            `${map.name} ${range_str(map.min_offset, map.max_offset)}` +
                ` ${size_str(map.max_offset - map.min_offset)}, entries from ${map.source.name}`,
        );
    }
    const item = ind + "  ";
    let at = map.min_offset;
    for (const e of map.entries) {
        if (e.vme_start > at) print(hole_line(item, at, e.vme_start));
        const what = e.is_sub_map
            ? `[ ${e.sub_map?.name ?? "?"} ]`
            : e.object !== null
              ? `[ ${e.object.name} ]`
              : "[ anon ]";
        const prot = `${vm_prot_string(e.protection)}/${vm_prot_string(e.max_protection)}`;
        print(
            `${item}${range_str(e.vme_start, e.vme_end)} ${size_str(e.vme_end - e.vme_start)} ${prot}` +
                ` wired ${e.wired_count} ${what.padEnd(20)} ${e.tag}`.trimEnd(),
        );
        if (e.is_sub_map && e.sub_map !== null) vm_map_info(e.sub_map, print, depth + 1);
        at = Math.max(at, e.vme_end);
    }
    if (map.max_offset > at) print(hole_line(item, at, map.max_offset));
    const lf = vm_map_largest_free(map);
    print(
        `${item}total ${size_str(map.size)} in ${map.nentries} entries,` +
            ` largest free ${size_str(lf.size)} at ${printf_08x(lf.start)}`,
    );
}

function hole_line(indent: string, start: number, end: number): string {
    return `${indent}${range_str(start, end)} ${size_str(end - start)} [ free ]`;
}

/** "start-last" with an inclusive end, as pmap(1) prints ranges. */
function range_str(start: number, end: number): string {
    return `${printf_08x(start)}-${printf_08x(end - 1)}`;
}

function entry_str(e: VmMapEntry): string {
    return range_str(e.vme_start, e.vme_end);
}

function size_str(size: number): string {
    return `0x${printf_08x(size)} ${(size / MiB).toFixed(2).padStart(8)} MiB`;
}
