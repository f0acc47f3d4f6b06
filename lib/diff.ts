/*
 * lib/diff.ts — diff(): a real GNU Mach kernel against the model, on the
 * same image (modules in image order), the same RAM and the same loader,
 * both stopped at the boot script's "multiboot modules" line.
 *
 * The real kernel runs on the CPU (lib/real.ts) and is read from the host
 * (lib/gnumach); the model boots the image with a preset and `--set`
 * overrides. Both get the same loader profile (qemu unless told), so the
 * memory map — and where usable RAM ends — is the same for both; the
 * comparison checks that (phys_last_addr) before anything else.
 *
 * Compared, in order: kernel_map's entries one by one (start, end, kind,
 * wired, and for a submap the submap's name), then map->size,
 * the holes, the free total and the largest hole; then the slab caches
 * both have (by name): their geometry (object, buffer and slab sizes,
 * buffers per slab, alignment). Slab counts are not compared: the model's
 * caches are read after its boot ends (it keeps no slab state per boot
 * point), the real kernel's at the stop.
 *
 * `identical` is true when nothing differs; `differences` lists what did,
 * first ones first, as text.
 */
import type { LayoutEntry, LayoutMap } from "../kernel/layout.ts";
import type { Layout } from "../kernel/layout.ts";
import type { SlabInfo } from "../kernel/kern/kmem.ts";
import { slab_info_data } from "../kernel/kern/kmem.ts";
import { memory_size_parse } from "../boot/index.ts";
import { UsageError } from "./errors.ts";
import type { ParamSets } from "./image.ts";
import { boot_prepared, prepare_image, type ImageBootResult } from "./model.ts";
import { real_layout_read, type RealLayout } from "./real_inspect.ts";
import { realBoot, real_memory, type RealBootResult } from "./real.ts";
import { hex32 } from "../util/hex.ts";

export interface DiffOptions {
    image: string;
    /** The real kernel (ELF with symbols and DWARF). */
    kernel: string;
    /** The model's preset (default: the image's). */
    preset?: string;
    set?: ParamSets;
    /** RAM, as QEMU's -m (default: the image's). */
    memory?: number | string;
    /** Loader profile for both sides (default: the image's, else qemu). */
    loader?: string;
    /** The model's engine (default none: no CPU, the same layout). */
    engine?: string;
    /** Wall-clock limit of the real boot. */
    timeout?: number | string;
    maxInstructions?: number;
    /** The real boot's virtual CPU speed (QEMU's -icount shift=N; default 0). */
    icount?: number;
}

/** One kernel_map entry as compared: what each side has at this position. */
export interface DiffEntry {
    /** The map ("kernel_map"). */
    map: string;
    index: number;
    real: EntryKey | null;
    model: EntryKey | null;
    same: boolean;
}

export interface EntryKey {
    start: number;
    end: number;
    kind: "entry" | "submap";
    wired: boolean;
    tag: string;
}

export interface DiffValue {
    what: string;
    real: number | null;
    model: number | null;
    same: boolean;
}

export interface DiffCache {
    name: string;
    real: CacheGeometry;
    model: CacheGeometry;
    same: boolean;
}

export type CacheGeometry = Pick<
    SlabInfo,
    "obj_size" | "align" | "buf_size" | "slab_size" | "bufs_per_slab"
>;

export interface DiffResult {
    image: { name: string; dir: string };
    kernel: string;
    preset: string;
    set: string[];
    memory: number;
    loader: string;
    real: RealBootResult;
    model: ImageBootResult;
    /** null when a side did not reach the "multiboot modules" line (see `problem`). */
    entries: DiffEntry[] | null;
    values: DiffValue[] | null;
    caches: DiffCache[] | null;
    identical: boolean;
    /** What differs, first differences first (empty when identical). */
    differences: string[];
    /** Why nothing could be compared (a side stopped early, a read failed); null otherwise. */
    problem: string | null;
}

const key = (e: LayoutEntry): EntryKey => ({
    start: e.start,
    end: e.end,
    kind: e.kind === "submap" ? "submap" : "entry",
    wired: e.wired,
    tag: e.tag,
});

const same_key = (a: EntryKey | null, b: EntryKey | null) =>
    a !== null &&
    b !== null &&
    a.start === b.start &&
    a.end === b.end &&
    a.kind === b.kind &&
    a.wired === b.wired &&
    (a.kind === "entry" || a.tag === b.tag);

/**
 * kernel_map's entries position by position. A submap entry is compared as
 * an entry plus the submap's name; what is inside a submap (kmem_map's slab
 * pages) is the allocators' business, which the model does not claim to
 * reproduce page for page.
 */
function compare_maps(real: LayoutMap, model: LayoutMap, out: DiffEntry[]): void {
    const r = real.entries.filter((e) => e.kind !== "hole");
    const m = model.entries.filter((e) => e.kind !== "hole");
    for (let i = 0; i < Math.max(r.length, m.length); i++) {
        const a = r[i] ? key(r[i]!) : null;
        const b = m[i] ? key(m[i]!) : null;
        out.push({ map: real.name, index: i, real: a, model: b, same: same_key(a, b) });
    }
}

function holes(m: LayoutMap): LayoutEntry[] {
    return m.entries.filter((e) => e.kind === "hole");
}

function compare_values(real: RealLayout, model: Layout): DiffValue[] {
    const v = (what: string, a: number, b: number): DiffValue => ({
        what,
        real: a,
        model: b,
        same: a === b,
    });
    const rk = real.kernel_map;
    const mk = model.kernel_map;
    const rh = holes(rk);
    const mh = holes(mk);
    const out = [
        v("phys_last_addr", real.phys_last_addr, model.phys_last_addr),
        v("kernel_map->size", rk.size, mk.size),
        v("kernel_map entries", rk.nentries, mk.nentries),
        v("holes", rh.length, mh.length),
        v("free", rk.free, mk.free),
        v("largest hole", rk.largest_free.size, mk.largest_free.size),
        v("largest hole at", rk.largest_free.start, mk.largest_free.start),
    ];
    for (let i = 0; i < Math.max(rh.length, mh.length); i++) {
        out.push({
            what: `hole ${i} start`,
            real: rh[i]?.start ?? null,
            model: mh[i]?.start ?? null,
            same: rh[i]?.start === mh[i]?.start,
        });
        out.push({
            what: `hole ${i} end`,
            real: rh[i]?.end ?? null,
            model: mh[i]?.end ?? null,
            same: rh[i]?.end === mh[i]?.end,
        });
    }
    return out;
}

const geometry = (c: SlabInfo): CacheGeometry => ({
    obj_size: c.obj_size,
    align: c.align,
    buf_size: c.buf_size,
    slab_size: c.slab_size,
    bufs_per_slab: c.bufs_per_slab,
});

function compare_caches(real: readonly SlabInfo[], model: readonly SlabInfo[]): DiffCache[] {
    const out: DiffCache[] = [];
    for (const r of real) {
        const m = model.find((x) => x.name === r.name);
        if (!m) continue;
        const a = geometry(r);
        const b = geometry(m);
        const same = (Object.keys(a) as (keyof CacheGeometry)[]).every((k) => a[k] === b[k]);
        out.push({ name: r.name, real: a, model: b, same });
    }
    return out;
}

const entry_text = (e: EntryKey | null) =>
    e
        ? `${hex32(e.start)}-${hex32(e.end)} ${e.kind}${e.wired ? " wired" : ""} (${e.tag})`
        : "(none)";

function differences(entries: DiffEntry[], values: DiffValue[], caches: DiffCache[]): string[] {
    const out: string[] = [];
    for (const e of entries)
        if (!e.same)
            out.push(
                `${e.map} entry ${e.index}: real ${entry_text(e.real)}, model ${entry_text(e.model)}`,
            );
    for (const v of values)
        if (!v.same)
            out.push(`${v.what}: real ${v.real ?? "(none)"}, model ${v.model ?? "(none)"}`);
    for (const c of caches)
        if (!c.same)
            out.push(
                `cache ${c.name}: real ${JSON.stringify(c.real)}, model ${JSON.stringify(c.model)}`,
            );
    return out;
}

/** Boot the real kernel and the model on the same image, RAM and loader; compare them at "multiboot modules". */
export async function diff(o: DiffOptions): Promise<DiffResult> {
    const p = await prepare_image({
        image: o.image,
        preset: o.preset,
        set: o.set,
        memory: o.memory === undefined ? undefined : real_memory(o.memory).ram,
        loader: o.loader,
        engine: o.engine ?? "none",
    });
    // The real kernel gets the loader the model got (the option, else the image's, else qemu).
    const loader = p.load.loader ?? "qemu";
    let real: RealLayout | null = null;
    let realCaches: SlabInfo[] | null = null;
    let problem: string | null = null;
    const r = await realBoot(
        {
            kernel: o.kernel,
            image: o.image,
            memory: p.load.ramSize,
            loader,
            stopAt: "modules",
            timeout: o.timeout,
            maxInstructions: o.maxInstructions,
            icount: o.icount,
        },
        (s) => {
            if (!s.result.reached) return;
            try {
                real = real_layout_read(s);
                realCaches = s.gnumach().slab_info() ?? null;
            } catch (e) {
                problem = `reading the real kernel: ${e instanceof Error ? e.message : String(e)}`;
            }
        },
    );
    const model = await boot_prepared(p, { points: ["modules"] });
    const ml = (model.kernel?.snapshots.get("modules") as Layout | undefined) ?? null;
    if (!r.reached)
        problem ??= `the real kernel stopped before "multiboot modules" (${r.stop.kind})`;
    if (!ml)
        problem ??= `the model stopped before "multiboot modules" (${model.status}: ${model.reason})`;
    const base = {
        image: r.image,
        kernel: o.kernel,
        preset: p.preset,
        set: p.set,
        memory: p.load.ramSize,
        loader,
        real: r,
        model,
    };
    if (problem || !real || !ml)
        return {
            ...base,
            entries: null,
            values: null,
            caches: null,
            identical: false,
            differences: [],
            problem: problem ?? "nothing was read",
        };
    const rl = real as RealLayout;
    const entries: DiffEntry[] = [];
    compare_maps(rl.kernel_map, ml.kernel_map, entries);
    const values = compare_values(rl, ml);
    const kmem = model.kernel?.kmem;
    const caches = realCaches && kmem ? compare_caches(realCaches, slab_info_data(kmem)) : [];
    const diffs = differences(entries, values, caches);
    return {
        ...base,
        entries,
        values,
        caches,
        identical: diffs.length === 0,
        differences: diffs,
        problem: null,
    };
}

/** "LOW..HIGH:STEP" → the RAM sizes (bytes), QEMU -m units; a UsageError naming --sweep. */
export function sweep_sizes(text: string): number[] {
    const m = /^\s*([^.:]+)\.\.([^.:]+):(.+)$/.exec(text);
    if (!m)
        throw new UsageError("--sweep", `'${text}' is not LOW..HIGH:STEP (e.g. 1800M..1900M:8M)`);
    const lo = real_memory(m[1]!.trim()).ram;
    const hi = real_memory(m[2]!.trim()).ram;
    let step: number;
    try {
        step = memory_size_parse(m[3]!.trim());
    } catch {
        throw new UsageError("--sweep", `step '${m[3]}' is not a size (e.g. 8M)`);
    }
    if (step <= 0) throw new UsageError("--sweep", `step '${m[3]}' must be positive`);
    if (lo > hi) throw new UsageError("--sweep", `${m[1]} is above ${m[2]}`);
    if ((hi - lo) / step > 256)
        throw new UsageError("--sweep", `more than 256 sizes from ${m[1]} to ${m[2]} by ${m[3]}`);
    const out: number[] = [];
    for (let v = lo; v <= hi; v += step) out.push(v);
    return out;
}

/** A compared value as text: addresses in hex, sizes and counts in decimal. */
function value_text(v: DiffValue, n: number | null): string {
    if (n === null) return "(none)";
    return /addr| at$|start$|end$/.test(v.what) ? hex32(n) : String(n);
}

/** One line per compared item, real and model side by side (the CLI's table). */
export function diff_lines(d: DiffResult): string[] {
    const mib = (n: number) => `${(n / 1048576).toFixed(0)}M`;
    const head = `${d.kernel} vs preset ${d.preset}${d.set.length ? ` ${d.set.join(" ")}` : ""}, ${mib(d.memory)} (${d.loader} loader), at "multiboot modules"`;
    if (d.problem) return [head, `not compared: ${d.problem}`];
    const out = [head, `  ${"".padEnd(34)} ${"real".padEnd(52)} model`];
    for (const e of d.entries!)
        out.push(
            `${e.same ? " " : "!"} ${`${e.map} ${e.index}`.padEnd(34)} ${entry_text(e.real).padEnd(52)} ${e.same ? "=" : entry_text(e.model)}`,
        );
    for (const v of d.values!)
        out.push(
            `${v.same ? " " : "!"} ${v.what.padEnd(34)} ${value_text(v, v.real).padEnd(52)} ${v.same ? "=" : value_text(v, v.model)}`,
        );
    const same = d.caches!.filter((c) => c.same).length;
    out.push(`  slab caches both have: ${d.caches!.length}, same geometry: ${same}`);
    for (const c of d.caches!.filter((x) => !x.same))
        out.push(
            `! cache ${c.name}: real ${JSON.stringify(c.real)} model ${JSON.stringify(c.model)}`,
        );
    out.push(
        d.identical
            ? "identical"
            : `not identical: ${d.differences.length} difference${d.differences.length === 1 ? "" : "s"}, first: ${d.differences[0]}`,
    );
    return out;
}
