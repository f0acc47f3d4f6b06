/*
 * lib/gnumach/vm_map.ts — a GNU Mach vm_map read from kernel memory: its
 * entries in address order (the hdr.links list, as vm_map_first_entry /
 * vme_next walk it), holes between them, map->size, nentries, and each
 * submap read the same way. The result has kernel/layout.ts's LayoutMap
 * shape (what `mach86 layout` prints for the model), plus what only a real
 * kernel has: the entry's address, object pointer, offset, protections and
 * wiring counts.
 *
 * Naming: a map has no name field in GNU Mach, so a map (or object) is
 * named after the kernel global that points to it (kernel_map, kmem_map,
 * ipc_kernel_map, device_io_map, kernel_object, …), found by type in the
 * DWARF: every file-scope variable of type `struct vm_map *` or
 * `struct vm_object *`. Nothing is named by a list typed in here.
 *
 * Member names used (vm/vm_map.h): vm_map.hdr.links.{next,start,end},
 * hdr.nentries, size; vm_map_entry.links.{next,start,end}, object.{vm_object,
 * sub_map}, offset, is_sub_map, wired_count, user_wired_count, protection,
 * max_protection, inheritance. Checked against GNU Mach 8d03c760 (2014-02)
 * and v1.4 + Debian 1.4-6 (DWARF 5): every entry, size and largest hole
 * equal to what the kernel printed itself (test/emu/gnumach_real.test.ts).
 */
import type { LayoutEntry, LayoutMap } from "../../kernel/layout.ts";
import { strip } from "../debuginfo/types.ts";
import type { KernelView, Ref } from "./view.ts";

/** One kernel_map entry as GNU Mach holds it (holes are plain LayoutEntry). */
export interface MapEntryInfo extends LayoutEntry {
    kind: "entry" | "submap";
    /** Address of the struct vm_map_entry. */
    address: number;
    /** object.vm_object, or object.sub_map for a submap entry (the same union). */
    object: number;
    offset: number;
    wired_count: number;
    user_wired_count: number;
    protection: number;
    max_protection: number;
    inheritance: number;
    submap?: MapInfo;
}

export interface MapInfo extends LayoutMap {
    /** Address of the struct vm_map. */
    address: number;
    /** Sum of the entries' sizes (GNU Mach keeps map->size equal to it). */
    entries_size: number;
    /** Inconsistencies seen while walking (unsorted entries, a count that differs…); empty when none. */
    problems: string[];
}

/** Names of the kernel's maps and objects, by address: the globals that point to them. */
export interface KernelNames {
    maps: Map<number, string>;
    objects: Map<number, string>;
}

/** Read every global `struct vm_map *` and `struct vm_object *` (their values name the maps). */
export function kernel_names(view: KernelView): KernelNames {
    const maps = new Map<number, string>();
    const objects = new Map<number, string>();
    const pointsTo = (name: string) => (t: ReturnType<typeof strip>) =>
        t.kind === "pointer" && ((s) => s.kind === "struct" && s.name === name)(strip(t.target));
    for (const [want, out] of [
        ["vm_map", maps],
        ["vm_object", objects],
    ] as const) {
        for (const v of view.dbg.variablesWhere(pointsTo(want))) {
            let value: number;
            try {
                value = view.at(v.address, v.type).num();
            } catch {
                continue; // a variable the page tables do not map (yet): it names nothing
            }
            if (value !== 0 && !out.has(value)) out.set(value, v.name);
        }
    }
    return { maps, objects };
}

/** An upper bound on entries walked, so that a corrupt list cannot loop forever. */
const MAX_ENTRIES = 1 << 20;

/** Read the vm_map at `addr` (and its submaps), naming it `name`. */
export function vm_map_read(
    view: KernelView,
    addr: number,
    name: string,
    names: KernelNames,
): MapInfo {
    const map = view.at(addr, "struct vm_map");
    const head = map.get("hdr.links");
    const min = head.get("start").num();
    const max = head.get("end").num();
    const problems: string[] = [];
    const entries: LayoutEntry[] = [];
    let at = min;
    let sum = 0;
    let count = 0;
    for (
        let e = head.get("next").deref("struct vm_map_entry");
        e.addr !== head.addr;
        e = e.get("links.next").deref()
    ) {
        if (++count > MAX_ENTRIES) {
            problems.push(
                `more than ${MAX_ENTRIES} entries: the list does not come back to the header`,
            );
            break;
        }
        const info = entry_read(view, e, names);
        if (info.start < at)
            problems.push(
                `entry 0x${info.start.toString(16)} starts below the previous end 0x${at.toString(16)}`,
            );
        if (info.start > at) entries.push(hole(at, info.start));
        entries.push(info);
        sum += info.size;
        at = Math.max(at, info.end);
    }
    if (at < max) entries.push(hole(at, max));
    const nentries = map.get("hdr.nentries").num();
    const size = map.get("size").num();
    if (nentries !== count)
        problems.push(`hdr.nentries is ${nentries}, the list has ${count} entries`);
    if (size !== sum) problems.push(`size is ${size}, the entries add up to ${sum}`);
    const holes = entries.filter((x) => x.kind === "hole");
    const free = holes.reduce((s, h) => s + h.size, 0);
    // The first largest hole, as GNU Mach's debug printf and the model's vm_map_largest_free pick it.
    let largest = { start: max, size: 0 };
    for (const h of holes) if (h.size > largest.size) largest = { start: h.start, size: h.size };
    return {
        name,
        address: addr,
        min,
        max,
        size,
        nentries,
        free,
        largest_free: largest,
        entries,
        entries_size: sum,
        problems,
    };
}

function entry_read(view: KernelView, e: Ref, names: KernelNames): MapEntryInfo {
    const start = e.get("links.start").num();
    const end = e.get("links.end").num();
    const isSub = e.get("is_sub_map").bool();
    const object = e.get("object.vm_object").num();
    const wired = e.get("wired_count").num();
    const info: MapEntryInfo = {
        kind: isSub ? "submap" : "entry",
        start,
        end,
        size: end - start,
        tag: isSub
            ? (names.maps.get(object) ?? `submap 0x${object.toString(16)}`)
            : object === 0
              ? "null object"
              : (names.objects.get(object) ?? `object 0x${object.toString(16)}`),
        wired: wired > 0,
        address: e.addr,
        object,
        offset: e.get("offset").num(),
        wired_count: wired,
        user_wired_count: e.get("user_wired_count").num(),
        protection: e.get("protection").num(),
        max_protection: e.get("max_protection").num(),
        inheritance: e.get("inheritance").num(),
    };
    if (isSub) info.submap = vm_map_read(view, e.get("object.sub_map").num(), info.tag, names);
    return info;
}

function hole(start: number, end: number): LayoutEntry {
    return { kind: "hole", start, end, size: end - start, tag: "free", wired: false };
}

/** kernel_map and its submaps, named after the kernel's own globals. */
export function kernel_map_read(
    view: KernelView,
    names: KernelNames = kernel_names(view),
): MapInfo {
    return vm_map_read(view, view.var("kernel_map").num(), "kernel_map", names);
}
