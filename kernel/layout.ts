/*
 * kernel/layout.ts — the kernel virtual address space as data: kernel_map
 * with its entries, nested submaps and holes, map->size and the largest
 * free range per map, the terms that make up kernel_map->size, and the
 * physical memory map. `mach86 layout` prints it; `--json` emits it.
 */
import type { BootPoint, Kernel } from "./kern/kernel.ts";
import type { VmMap } from "./vm/vm_map.ts";
import { vm_map_largest_free } from "./vm/vm_map.ts";
import { hex32 } from "../util/hex.ts";

export interface LayoutEntry {
    kind: "entry" | "submap" | "hole";
    start: number;
    end: number;
    size: number;
    tag: string;
    wired: boolean;
    submap?: LayoutMap;
}

export interface LayoutMap {
    name: string;
    min: number;
    max: number;
    /** map->size: the sum of entry sizes, whole submaps included. */
    size: number;
    nentries: number;
    free: number;
    largest_free: { start: number; size: number };
    entries: LayoutEntry[];
}

export interface LayoutTerm {
    name: string;
    size: number;
    how: string;
}

export interface Layout {
    at: BootPoint;
    phys_first_addr: number;
    phys_last_addr: number;
    kernel_virtual_start: number;
    kernel_virtual_end: number;
    kernel_map: LayoutMap;
    /** What kernel_map->size is made of, term by term. */
    terms: LayoutTerm[];
    kernel_map_size_at_modules: number;
    physical: { start: number; end: number; what: string }[];
}

function map_layout(map: VmMap): LayoutMap {
    const entries: LayoutEntry[] = [];
    let at = map.min_offset;
    for (const e of map.entries) {
        if (e.vme_start > at)
            entries.push({
                kind: "hole",
                start: at,
                end: e.vme_start,
                size: e.vme_start - at,
                tag: "free",
                wired: false,
            });
        const sub = e.is_sub_map && e.sub_map ? map_layout(e.sub_map) : undefined;
        entries.push({
            kind: sub ? "submap" : "entry",
            start: e.vme_start,
            end: e.vme_end,
            size: e.vme_end - e.vme_start,
            tag: e.tag || (e.object ? e.object.name : "anonymous"),
            wired: e.wired_count > 0,
            ...(sub ? { submap: sub } : {}),
        });
        at = e.vme_end;
    }
    if (at < map.max_offset)
        entries.push({
            kind: "hole",
            start: at,
            end: map.max_offset,
            size: map.max_offset - at,
            tag: "free",
            wired: false,
        });
    const free = entries.filter((e) => e.kind === "hole").reduce((s, e) => s + e.size, 0);
    return {
        name: map.name,
        min: map.min_offset,
        max: map.max_offset,
        size: map.size,
        nentries: map.nentries,
        free,
        largest_free: vm_map_largest_free(map),
        entries,
    };
}

/** The terms of kernel_map->size (each one computed by the model, with its formula). */
function layout_terms(k: Kernel, km: LayoutMap): LayoutTerm[] {
    const p = k.params;
    const direct = k.phys_last_addr - k.phys_first_addr;
    const buckets = k.vm_page_bucket_count * p.vm_page_bucket_size;
    const pages = k.vm_page_array_count * p.vm_page_size;
    const kentry = p.kentry_pages * 4096;
    const zdata = k.zdata ? 420 * 1024 : 0;
    const first = km.entries.find((e) => e.kind !== "hole");
    const stolen = first ? first.size - direct : 0;
    const terms: LayoutTerm[] = [
        {
            name: "direct map",
            size: direct,
            how: `phys_last_addr - phys_first_addr (RAM after mem_size_init)`,
        },
        { name: "kentry_data", size: kentry, how: `pmap_steal_memory(${p.kentry_pages} pages)` },
        ...(zdata
            ? [
                  {
                      name: "zdata",
                      size: zdata,
                      how: "pmap_steal_memory(ZDATA_SIZE = 420 KiB), the zone era's zone structures",
                  },
              ]
            : []),
        {
            name: "VP hash buckets",
            size: buckets,
            how: `${k.vm_page_bucket_count} buckets (next power of 2 >= pmap_free_pages) x ${p.vm_page_bucket_size} B`,
        },
        {
            name: "vm_page array",
            size: pages,
            how: `${k.vm_page_array_count} pages x ${p.vm_page_size} B (pmap_startup estimate)`,
        },
        {
            name: "steal rounding",
            size: stolen - kentry - zdata - buckets - pages,
            how: "round_page of the last stolen byte",
        },
    ];
    for (const e of km.entries.slice(km.entries.indexOf(first!) + 1)) {
        if (e.kind !== "hole")
            terms.push({
                name: e.tag,
                size: e.size,
                how:
                    e.kind === "submap" ? "submap (counted whole)" : e.wired ? "wired" : "pageable",
            });
    }
    return terms;
}

function physical_map(k: Kernel): { start: number; end: number; what: string }[] {
    const out = (k.boot_info.mmap ?? []).map((m) => ({
        start: m.base_addr,
        end: m.base_addr + m.length,
        what: m.type === 1 ? "RAM" : `reserved (type ${m.type})`,
    }));
    out.push({ start: k.kernel_start, end: k.kernel_end, what: "kernel image" });
    if (k.phys_last_addr)
        out.push({
            start: k.phys_last_addr,
            end: k.mem.size,
            what: "beyond phys_last_addr: not used by Mach",
        });
    for (const [i, m] of (k.boot_info.mods ?? []).entries())
        out.push({ start: m.mod_start, end: m.mod_end, what: `module ${i} (copy)` });
    return out.filter((r) => r.end > r.start).sort((a, b) => a.start - b.start);
}

export function layout_snapshot(k: Kernel, at: BootPoint): Layout {
    const km = map_layout(k.kernel_map!);
    return {
        at,
        phys_first_addr: k.phys_first_addr,
        phys_last_addr: k.phys_last_addr,
        kernel_virtual_start: k.kernel_virtual_start,
        kernel_virtual_end: k.kernel_virtual_end,
        kernel_map: km,
        terms: k.kernel_map ? layout_terms(k, km) : [],
        kernel_map_size_at_modules: k.kernel_map_size_at_modules,
        physical: physical_map(k),
    };
}

const BOOT_POINT_NAMES: readonly string[] = ["vm", "submaps", "modules", "end"];
const mib = (n: number) => `${(n / 1048576).toFixed(2).padStart(8)} MiB`;

function map_lines(m: LayoutMap, depth: number, out: string[]): void {
    const pad = "  ".repeat(depth);
    for (const e of m.entries) {
        const label =
            e.kind === "hole"
                ? "-- free --"
                : `${e.tag}${e.wired ? " [wired]" : ""}${e.kind === "submap" ? " [submap]" : ""}`;
        out.push(
            `${pad}${hex32(e.start)}-${hex32(e.end)} ${hex32(e.size)} ${mib(e.size)}  ${label}`,
        );
        if (e.submap) map_lines(e.submap, depth + 1, out);
    }
    out.push(
        `${pad}${m.name}: size ${m.size} (${mib(m.size).trim()}), ${m.nentries} entries, ` +
            `free ${mib(m.free).trim()}, largest free ${mib(m.largest_free.size).trim()} at ${hex32(m.largest_free.start)}`,
    );
}

/**
 * NetBSD pmap(1)-style tree, then the terms of kernel_map->size and the
 * physical map. `at` is a boot point of the model or a stop point of a real
 * kernel (lib/real_inspect.ts prints a real kernel's layout with it).
 */
export function layout_format(l: Omit<Layout, "at"> & { at: string }): string[] {
    const out = [
        `kernel virtual space at ${BOOT_POINT_NAMES.includes(l.at) ? "boot" : "stop"} point '${l.at}' (kernel_map ${hex32(l.kernel_map.min)}-${hex32(l.kernel_map.max)}):`,
    ];
    map_lines(l.kernel_map, 1, out);
    out.push("", "kernel_map->size, term by term:");
    let sum = 0;
    for (const t of l.terms) {
        sum += t.size;
        out.push(
            `  ${String(t.size).padStart(11)} B ${mib(t.size)}  ${t.name.padEnd(40)} ${t.how}`,
        );
    }
    out.push(
        `  ${String(sum).padStart(11)} B ${mib(sum)}  = kernel_map->size ${l.kernel_map.size}`,
    );
    if (l.kernel_map_size_at_modules)
        out.push(`kernel_map->size at "multiboot modules": ${l.kernel_map_size_at_modules}`);
    out.push("", "physical memory:");
    for (const r of l.physical)
        out.push(`  ${hex32(r.start)}-${hex32(r.end)} ${mib(r.end - r.start)}  ${r.what}`);
    return out;
}
