/*
 * lib/real_inspect.ts — the inspection commands on a real kernel, booted
 * with an image's modules and stopped at a stop point (lib/real.ts):
 * realLayout (kernel_map and its submaps, the terms of kernel_map->size,
 * the physical map), realSlabinfo (slab_info()'s columns), realPt (one VA
 * walked, or the kernel's mapped runs) and realWhatis (which map entry,
 * which physical page, which symbol).
 *
 * Every number is read from the stopped guest (lib/gnumach, through the
 * CPU's own page tables) or from the loader's placements; the text forms
 * are the ones the same commands print for the model. A read that fails
 * (a stop before paging, a kernel without the variable) is a result with
 * `problem` set, never an exception.
 */
import { CR0_PG, page_walk } from "../emulator/pagewalk.ts";
import type { LayoutEntry, LayoutTerm } from "../kernel/layout.ts";
import { layout_format } from "../kernel/layout.ts";
import type { SlabInfo } from "../kernel/kern/kmem.ts";
import type { GnuMach, MapEntryInfo, MapInfo } from "./gnumach/index.ts";
import { page_runs, parse_va, walk_json, type PtRun, type PtWalk } from "./pt.ts";
import { realBoot, type RealBootOptions, type RealBootResult, type RealStopped } from "./real.ts";
import { hex32 } from "../util/hex.ts";

/** kernel/layout.ts's Layout, taken at a stop point of a real kernel, with its map as read. */
export interface RealLayout {
    /** The stop point. */
    at: string;
    phys_first_addr: number;
    phys_last_addr: number;
    kernel_virtual_start: number;
    kernel_virtual_end: number;
    kernel_map: MapInfo;
    terms: LayoutTerm[];
    /** kernel_map->size when the stop is the "multiboot modules" line, else 0. */
    kernel_map_size_at_modules: number;
    physical: { start: number; end: number; what: string }[];
}

interface Inspected<T> {
    boot: RealBootResult;
    /** What was read (null when the boot did not reach the stop point, or the read failed). */
    value: T | null;
    /** Why a read at the stop failed (null when it did not, or no read was tried). */
    problem: string | null;
}

/** Boot, and at the stop point run `read`; a read that throws becomes `problem`. */
async function inspect_at<T>(
    o: RealBootOptions,
    read: (s: RealStopped) => T,
): Promise<Inspected<T>> {
    let value: T | null = null;
    let problem: string | null = null;
    const boot = await realBoot(o, (s) => {
        if (!s.result.reached) return;
        try {
            value = read(s);
        } catch (e) {
            problem = e instanceof Error ? e.message : String(e);
        }
    });
    return { boot, value, problem };
}

/** A kernel variable's value, or 0 when this kernel has no such variable. */
function var_or_0(g: GnuMach, name: string): number {
    return g.view.findVar(name)?.num() ?? 0;
}

/** The terms of kernel_map->size as read: the first entry split at the direct map's end, then each entry. */
function real_terms(km: MapInfo, direct: number): LayoutTerm[] {
    const entries = km.entries.filter((e): e is MapEntryInfo => e.kind !== "hole");
    const first = entries[0];
    if (!first) return [];
    const terms: LayoutTerm[] = [
        { name: "direct map", size: direct, how: "phys_last_addr - phys_first_addr (read)" },
        {
            name: "pmap_steal_memory",
            size: first.size - direct,
            how: "the rest of the first entry: kentry area, VP hash buckets, vm_page array, rounding",
        },
    ];
    for (const e of entries.slice(1))
        terms.push({
            name: e.tag,
            size: e.size,
            how: e.kind === "submap" ? "submap (counted whole)" : e.wired ? "wired" : "pageable",
        });
    return terms;
}

function real_physical(s: RealStopped, g: GnuMach, last: number): RealLayout["physical"] {
    const load = s.result.load;
    const out = (load.mmap ?? []).map((m) => ({
        start: m.base_addr,
        end: m.base_addr + m.length,
        what: m.type === 1 ? "RAM" : `reserved (type ${m.type})`,
    }));
    const kernel = load.placements.filter((p) => p.what.startsWith("kernel"));
    if (kernel.length)
        out.push({
            start: Math.min(...kernel.map((p) => p.start)),
            end: load.kernelEnd,
            what: "kernel image",
        });
    if (last)
        out.push({
            start: last,
            end: s.machine.mem.size,
            what: "beyond phys_last_addr: not used by Mach",
        });
    for (const m of g.boot_info().modules)
        out.push({ start: m.mod_start, end: m.mod_end, what: `module ${m.index}` });
    return out.filter((r) => r.end > r.start).sort((a, b) => a.start - b.start);
}

/** The layout of a stopped real kernel. */
export function real_layout_read(s: RealStopped): RealLayout {
    const g = s.gnumach();
    const km = g.kernel_map();
    const first = var_or_0(g, "phys_first_addr");
    const last = var_or_0(g, "phys_last_addr");
    return {
        at: s.result.stop_at ?? "",
        phys_first_addr: first,
        phys_last_addr: last,
        kernel_virtual_start: var_or_0(g, "kernel_virtual_start"),
        kernel_virtual_end: var_or_0(g, "kernel_virtual_end"),
        kernel_map: km,
        terms: real_terms(km, last - first),
        kernel_map_size_at_modules: s.result.stop_at === "modules" ? km.size : 0,
        physical: real_physical(s, g, last),
    };
}

export interface RealLayoutResult {
    boot: RealBootResult;
    layout: RealLayout | null;
    problem: string | null;
}

/** Boot the real kernel with the image's modules and read its layout at the stop point. */
export async function realLayout(o: RealBootOptions): Promise<RealLayoutResult> {
    const r = await inspect_at(o, real_layout_read);
    return { boot: r.boot, layout: r.value, problem: r.problem };
}

/** The layout as `mach86 layout` prints it for the model. */
export function real_layout_lines(l: RealLayout): string[] {
    return layout_format(l);
}

export interface RealSlabinfoResult {
    boot: RealBootResult;
    /** The caches on kmem_cache_list; null for a kernel of the zone era or a failed read. */
    caches: (SlabInfo & { address: number })[] | null;
    text: string[];
    problem: string | null;
}

/** slab_info()'s table (kern/slab.c) for caches read from any source: the columns the model prints. */
export function slab_info_lines(caches: readonly SlabInfo[]): string[] {
    const r = (v: number, w: number): string => String(v).padStart(w);
    const total = caches.reduce((s, c) => s + c.mem_usage, 0);
    const recl = caches.reduce((s, c) => s + c.mem_reclaimable, 0);
    return [
        "cache                  obj slab  bufs   objs   bufs    total reclaimable",
        "name                  size size /slab  usage  count   memory      memory",
        ...caches.map(
            (i) =>
                `${i.name.padEnd(19)} ${r(i.obj_size, 6)} ${r(i.slab_size >> 10, 3)}k  ${r(i.bufs_per_slab, 4)} ` +
                `${r(i.nr_objs, 6)} ${r(i.nr_bufs, 6)} ${r(i.mem_usage, 7)}k ${r(i.mem_reclaimable, 10)}k`,
        ),
        `total: ${caches.length} caches, ${total}k memory, ${recl}k reclaimable`,
    ];
}

/** Boot the real kernel and read its slab caches at the stop point. */
export async function realSlabinfo(o: RealBootOptions): Promise<RealSlabinfoResult> {
    const r = await inspect_at(o, (s) => {
        const caches = s.gnumach().slab_info();
        if (!caches) throw new Error("this kernel has no kmem_cache_list (a zone-era kernel)");
        return caches;
    });
    return {
        boot: r.boot,
        caches: r.value,
        text: r.value ? slab_info_lines(r.value) : [],
        problem: r.problem,
    };
}

export interface RealPtResult {
    boot: RealBootResult;
    /** The CPU's CR3 at the stop (null when the stop was not reached). */
    cr3: number | null;
    pae: boolean;
    walk: PtWalk | null;
    runs: PtRun[] | null;
    text: string[];
}

const flags_of = (r: PtRun) =>
    [
        r.writable ? "RW" : "RO",
        r.user ? "U" : "",
        r.global ? "G" : "",
        r.write_through ? "WT" : "",
        r.cache_disabled ? "NC" : "",
        r.wired ? "WIRED" : "",
    ]
        .filter(Boolean)
        .join(" ");

function pt_text(cr3: number, pae: boolean, walk: PtWalk | null, runs: PtRun[] | null): string[] {
    const out = [`CPU page tables: ${pae ? "PAE" : "2-level"}, CR3 ${hex32(cr3)}`];
    if (walk) {
        for (const st of walk.steps)
            out.push(
                `  ${st.level} [${st.index}] at ${hex32(st.entry_addr)} = ${hex32(st.entry)}  ${st.flags.join(" ") || "-"}  ${st.note}`,
            );
        out.push(
            walk.pa === null
                ? `${hex32(walk.va)} is not mapped: ${walk.fault}`
                : `${hex32(walk.va)} -> ${hex32(walk.pa)} (${walk.page_size / 1024} KiB page, ${walk.writable ? "RW" : "RO"}${walk.user ? " U" : ""})`,
        );
    }
    for (const r of runs ?? [])
        out.push(
            `  ${hex32(r.va_start)}-${hex32(r.va_end - 1)} -> ${hex32(r.pa_start)}-${hex32(r.pa_end - 1)} ${flags_of(r)}`,
        );
    return out;
}

/** Boot the real kernel and read the CPU's page tables at the stop point (one VA, or every run). */
export async function realPt(o: RealBootOptions & { va?: number | string }): Promise<RealPtResult> {
    const va = o.va === undefined ? undefined : parse_va(o.va, "--va");
    let found: Omit<RealPtResult, "boot"> = {
        cr3: null,
        pae: false,
        walk: null,
        runs: null,
        text: [],
    };
    const boot = await realBoot(o, (s) => {
        if (!s.result.reached) return;
        const c = s.result.cpu;
        const mode = { cr0: c.cr0, cr3: c.cr3, cr4: c.cr4 };
        const pae = (c.cr4 & 0x20) !== 0;
        const paging = (c.cr0 & CR0_PG) !== 0;
        const walk = va === undefined ? null : walk_json(page_walk(s.machine.mem, mode, va));
        const runs = va === undefined && paging ? page_runs(s.machine.mem, c.cr3, c.cr4) : null;
        found = { cr3: c.cr3, pae, walk, runs, text: pt_text(c.cr3, pae, walk, runs) };
    });
    return { boot, ...found };
}

export interface RealWhatisFound {
    /** kernel_map and the submaps the address falls in; `entry` null = a hole. */
    maps: { map: string; entry: { start: number; end: number; tag: string } | null }[];
    /** The physical address through the CPU's page tables (null: not mapped). */
    physical: number | null;
    /** The .symtab symbol the address falls in ("function+0xoff"), if any. */
    symbol: string | null;
}

export interface RealWhatisResult {
    boot: RealBootResult;
    addr: number;
    found: RealWhatisFound | null;
    text: string[];
    problem: string | null;
}

function map_path(km: MapInfo, va: number): RealWhatisFound["maps"] {
    const out: RealWhatisFound["maps"] = [];
    let map: MapInfo | undefined = km;
    while (map) {
        const e: LayoutEntry | undefined = map.entries.find(
            (x) => va >= x.start && va < x.end && x.kind !== "hole",
        );
        if (!e) {
            out.push({ map: map.name, entry: null });
            break;
        }
        out.push({ map: map.name, entry: { start: e.start, end: e.end, tag: e.tag } });
        map = e.kind === "submap" ? (e as MapEntryInfo).submap : undefined;
    }
    return out;
}

/** Whether `va` is in one of the kernel ELF's allocated sections (only there does a symbol name it). */
function in_image(g: GnuMach, va: number): boolean {
    return g.dbg.elf.sections.some((s) => s.flags & 0x2 && va >= s.addr && va < s.addr + s.size);
}

function whatis_text(va: number, f: RealWhatisFound): string[] {
    const at = hex32(va);
    const path = f.maps.map((m) =>
        m.entry
            ? `${m.map}: entry ${hex32(m.entry.start)}-${hex32(m.entry.end)} ${m.entry.tag}`
            : `${m.map}: not mapped (a hole)`,
    );
    const out = [`${at}: ${path.join(" > ")}`];
    if (f.symbol) out.push(`${at} is ${f.symbol}`);
    out.push(
        f.physical === null
            ? `${at} is not mapped by the CPU's page tables`
            : `${at} is mapped to physical ${hex32(f.physical)}`,
    );
    return out;
}

/** Boot the real kernel and say what `o.addr` is at the stop point. */
export async function realWhatis(
    o: RealBootOptions & { addr: number | string },
): Promise<RealWhatisResult> {
    const va = parse_va(o.addr, "whatis");
    const r = await inspect_at(o, (s) => {
        const g = s.gnumach();
        const c = s.result.cpu;
        const w = page_walk(s.machine.mem, { cr0: c.cr0, cr3: c.cr3, cr4: c.cr4 }, va);
        return {
            maps: map_path(g.kernel_map(), va),
            physical: w.pa,
            symbol: in_image(g, va) ? (g.symbolize(va) ?? null) : null,
        };
    });
    const found = r.value as RealWhatisFound | null;
    return {
        boot: r.boot,
        addr: va,
        found,
        text: found ? whatis_text(va, found) : [],
        problem: r.problem,
    };
}
