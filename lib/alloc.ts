/*
 * lib/alloc.ts — the allocator commands on a booted image: workload()
 * (a workload file run on the kernel, sampled), slabinfo() (GNU Mach's
 * slab_info), zoneinfo() (host_zone_info of the zone era) and whatis()
 * (which cache, zone, map or stolen area an address belongs to).
 */
import { kmem_whatis, slab_info, slab_info_data, type SlabInfo } from "../kernel/kern/kmem.ts";
import type { Kernel } from "../kernel/kern/kernel.ts";
import type { WorkloadResult } from "../kernel/kern/workload.ts";
import { zone_info, zone_info_print, zone_whatis, type ZoneInfo } from "../kernel/kern/zalloc.ts";
import { vm_map_lookup_entry, type VmMap } from "../kernel/vm/vm_map.ts";
import { UsageError } from "./errors.ts";
import { boot_prepared, prepare_image, type ImageBootResult, type ImageOptions } from "./model.ts";
import { parse_va } from "./pt.ts";
import { hex32 } from "../util/hex.ts";

export type { SlabInfo, WorkloadResult, ZoneInfo };

export interface WorkloadOptions extends ImageOptions {
    workload: NonNullable<ImageOptions["workload"]>;
}

export interface WorkloadRun {
    boot: ImageBootResult;
    /** null when the boot itself did not complete (boot.stop says why). */
    workload: WorkloadResult | null;
}

/** Boot `o.image` and run `o.workload` on the booted kernel. */
export async function workload(o: WorkloadOptions): Promise<WorkloadRun> {
    const boot = await boot_prepared(await prepare_image(o), { onConsole: o.onConsole });
    return { boot, workload: boot.workload ?? null };
}

export interface SlabinfoResult {
    boot: ImageBootResult;
    /** slab_info() of every cache; null when the boot stopped before the allocator existed. */
    caches: SlabInfo[] | null;
    /** GNU Mach's slab_info() table and a total line. */
    text: string[];
}

/** Lines from a printer that may or may not end its lines with "\n". */
function collect(print: (p: (line: string) => void) => void): string[] {
    const out: string[] = [];
    print((l) => out.push(...l.replace(/\n$/, "").split("\n")));
    return out;
}

/** Boot (and run `o.workload`, if any), then GNU Mach's slab_info(). */
export async function slabinfo(o: ImageOptions): Promise<SlabinfoResult> {
    const p = await prepare_image(o);
    if (p.params.zalloc)
        throw new UsageError("slabinfo", "this layout uses the zone allocator (use zoneinfo)");
    const boot = await boot_prepared(p, { onConsole: o.onConsole });
    const kmem = boot.kernel?.kmem;
    if (!kmem) return { boot, caches: null, text: [] };
    const caches = slab_info_data(kmem);
    const total = caches.reduce((s, c) => s + c.mem_usage, 0);
    const recl = caches.reduce((s, c) => s + c.mem_reclaimable, 0);
    const text = [
        ...collect((p) => slab_info(kmem, p)),
        `total: ${caches.length} caches, ${total}k memory, ${recl}k reclaimable`,
    ];
    return { boot, caches, text };
}

export interface ZoneinfoResult {
    boot: ImageBootResult;
    zones: ZoneInfo[] | null;
    /** The zprint-style table and the zget_space totals. */
    text: string[];
}

/** Boot (and run `o.workload`, if any), then the zone allocator's host_zone_info. */
export async function zoneinfo(o: ImageOptions): Promise<ZoneinfoResult> {
    const p = await prepare_image(o);
    if (!p.params.zalloc)
        throw new UsageError("zoneinfo", "this layout uses the slab allocator (use slabinfo)");
    const boot = await boot_prepared(p, { onConsole: o.onConsole });
    const zone = boot.kernel?.zone;
    if (!zone) return { boot, zones: null, text: [] };
    return { boot, zones: zone_info(zone), text: collect((p) => zone_info_print(zone, p)) };
}

export interface WhatisOptions extends ImageOptions {
    addr: number | string;
}

/** What the object allocator knows about the address. */
export type WhatisAllocation =
    | {
          kind: "slab_buffer";
          cache: string;
          buffer: number;
          state: "allocated" | "free" | "cpu_pool";
          slab: number;
      }
    | {
          kind: "zone_element";
          zone: string;
          element: number;
          offset: number;
          state: "allocated" | "free";
          /** The zone whose struct this element is (zone structures are zone elements too). */
          struct_of: string | null;
      }
    | { kind: "kalloc_map"; block: number; size: number; offset: number }
    | { kind: "zone_page_table" | "zdata" | "zone_map"; offset: number };

export interface WhatisResult {
    boot: ImageBootResult;
    addr: number;
    /** null when the boot stopped before kernel_map existed. */
    found: {
        allocation: WhatisAllocation | null;
        /** kernel_map and the submaps the address falls in; `entry` null = a hole. */
        maps: { map: string; entry: { start: number; end: number; tag: string } | null }[];
        /** The physical address, when the address is in the direct map. */
        direct_map: number | null;
        stolen: { name: string; start: number; end: number; offset: number } | null;
    } | null;
    /** The same, as text lines. */
    text: string[];
}

function allocation(k: Kernel, va: number): WhatisAllocation | null {
    const w = k.kmem ? kmem_whatis(k.kmem, va) : null;
    if (w)
        return {
            kind: "slab_buffer",
            cache: w.cache.name,
            buffer: w.buffer,
            state: w.allocated ? "allocated" : w.pooled ? "cpu_pool" : "free",
            slab: w.slab.va,
        };
    const z = k.zone ? zone_whatis(k.zone, va) : null;
    if (!z) return null;
    if (z.kind === "element")
        return {
            kind: "zone_element",
            zone: z.zone.zone_name,
            element: z.element,
            offset: z.offset,
            state: z.state,
            struct_of: z.struct_of?.zone_name ?? null,
        };
    return z;
}

function map_path(k: Kernel, va: number): NonNullable<WhatisResult["found"]>["maps"] {
    const out: NonNullable<WhatisResult["found"]>["maps"] = [];
    let map: VmMap | null = k.kernel_map;
    while (map) {
        const e = vm_map_lookup_entry(map, va);
        if (!e.found || !e.entry) {
            out.push({ map: map.name, entry: null });
            break;
        }
        out.push({
            map: map.name,
            entry: { start: e.entry.vme_start, end: e.entry.vme_end, tag: e.entry.tag },
        });
        map = e.entry.is_sub_map ? e.entry.sub_map : null;
    }
    return out;
}

function allocation_text(va: number, a: WhatisAllocation): string {
    const at = hex32(va);
    switch (a.kind) {
        case "slab_buffer":
            return `${at} is in cache ${a.cache}: buffer ${hex32(a.buffer)} (${a.state === "cpu_pool" ? "free, in the CPU pool" : a.state}) of slab ${hex32(a.slab)}`;
        case "zone_element":
            return `${at} is in zone ${a.zone}: element ${hex32(a.element)} + ${a.offset} (${a.state})${a.struct_of ? `, the struct of zone ${a.struct_of}` : ""}`;
        case "kalloc_map":
            return `${at} is in a kalloc_map block ${hex32(a.block)} of ${a.size} bytes, offset ${a.offset}`;
        default:
            return `${at} is in ${a.kind}, offset ${a.offset}`;
    }
}

function whatis_text(va: number, f: NonNullable<WhatisResult["found"]>): string[] {
    const at = hex32(va);
    const out: string[] = [];
    if (f.allocation) out.push(allocation_text(va, f.allocation));
    const path = f.maps.map((m) =>
        m.entry
            ? `${m.map}: entry ${hex32(m.entry.start)}-${hex32(m.entry.end)} ${m.entry.tag}`
            : `${m.map}: not mapped (a hole)`,
    );
    out.push(`${at}: ${path.join(" > ")}`);
    if (f.direct_map !== null)
        out.push(`${at} is in the direct map: physical ${hex32(f.direct_map)}`);
    if (f.stolen)
        out.push(
            `${at} is in ${f.stolen.name} (pmap_steal_memory ${hex32(f.stolen.start)}-${hex32(f.stolen.end)}), offset ${f.stolen.offset}`,
        );
    return out;
}

/** Boot (and run `o.workload`, if any), then say what `o.addr` is (kdb's whatis). */
export async function whatis(o: WhatisOptions): Promise<WhatisResult> {
    const va = parse_va(o.addr, "whatis");
    const boot = await boot_prepared(await prepare_image(o), { onConsole: o.onConsole });
    const k = boot.kernel;
    if (!k?.kernel_map) return { boot, addr: va, found: null, text: [] };
    const s = k.stolen.find((x) => va >= x.start && va < x.end);
    const base = k.params.vm_min_kernel_address;
    const found = {
        allocation: allocation(k, va),
        maps: map_path(k, va),
        direct_map: va >= base && va < k.kernel_virtual_start ? va - base : null,
        stolen: s ? { ...s, offset: va - s.start } : null,
    };
    return { boot, addr: va, found, text: whatis_text(va, found) };
}
