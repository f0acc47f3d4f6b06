/*
 * cli/kcommands.ts — the commands that boot an image into the modelled
 * kernel: `boot IMAGE`, `layout`, `pt`, `bisect`, `presets`.
 */
import {
    closeSync,
    ftruncateSync,
    mkdirSync,
    openSync,
    readFileSync,
    writeFileSync,
    writeSync,
} from "node:fs";
import { join } from "node:path";
import type { ModuleSpec } from "../boot/index.ts";
import { pmap_cr3 } from "../kernel/i386/pmap.ts";
import { pmap_info, pmap_walk_lines } from "../kernel/i386/pmap_info.ts";
import type { BootPoint, Kernel } from "../kernel/kern/kernel.ts";
import { layout_format, layout_snapshot, type Layout } from "../kernel/layout.ts";
import { PRESETS, SIZE_PARAMS, is_param, type LayoutParams } from "../kernel/presets.ts";
import {
    vm_map_info,
    vm_map_largest_free,
    vm_map_lookup_entry,
    type VmMap,
} from "../kernel/vm/vm_map.ts";
import { kmem_whatis, slab_info, slab_info_data } from "../kernel/kern/kmem.ts";
import { zone_info, zone_info_print, zone_whatis } from "../kernel/kern/zalloc.ts";
import type { Workload, WorkloadResult } from "../kernel/kern/workload.ts";
import { sample_fragmentation, type Sample } from "../kernel/kern/kern_sample.ts";
import type { Io } from "./boot.ts";
import { EXIT } from "./boot.ts";
import { image_load, param_value, params_from, type ImageManifest } from "./image.ts";
import { vm_pageout_info } from "../kernel/vm/vm_pageout.ts";
import { default_pager_info } from "../kernel/default_pager/default_pager.ts";
import { kboot, pad_kernel_bss, type Engine, type KbootResult } from "./kboot.ts";
import { SparsePhysMem } from "../emulator/physmem.ts";
import { format_size, hex32, parse_size, UsageError } from "./units.ts";

export interface KOptions {
    image: string;
    preset?: string;
    set?: string[];
    memory?: string;
    engine?: string;
    json?: boolean;
    quiet?: boolean;
    at?: string;
    dump?: string;
    /** A workload file (workloads/*.json) run on the booted kernel. */
    workload?: string;
    /** boot: print the kernel's samples of a user run as a table. */
    samples?: boolean;
}

const POINTS: readonly BootPoint[] = ["vm", "submaps", "modules", "end"];

function engine_of(o: KOptions): Engine {
    const e = o.engine ?? "v86";
    if (e !== "v86" && e !== "none")
        throw new UsageError("--engine", `'${e}' is not an engine (v86, none)`);
    return e;
}

/**
 * Image files, read once per process: bisect and report --sweep boot the
 * same image many times. Nothing downstream writes into these bytes (the
 * loader copies them into guest RAM; a padded kernel is a copy).
 */
const files = new Map<string, Uint8Array>();

function read_file(path: string): Uint8Array {
    let bytes = files.get(path);
    if (bytes) return bytes;
    try {
        bytes = new Uint8Array(readFileSync(path));
    } catch {
        throw new UsageError(path, "no such file (run make images)");
    }
    files.set(path, bytes);
    return bytes;
}

/** Everything needed to boot `o.image` with the given overrides. */
export function prepare(o: KOptions, memoryOverride?: number, paramsOverride?: LayoutParams) {
    const img: ImageManifest = image_load(o.image);
    const sets = [...(img.swap ? [`swap_size=${img.swap}`] : []), ...(o.set ?? [])];
    const params = paramsOverride ?? params_from(o.preset ?? img.preset, sets);
    const ramSize = memoryOverride ?? parse_size(o.memory ?? img.memory, "--memory");
    const kernel = {
        path: img.kernel_name,
        bytes: pad_kernel_bss(read_file(img.kernel), params.kernel_bss, img.kernel),
    };
    const modules: ModuleSpec[] = img.modules.map((m) => ({
        path: m.name,
        args: m.args,
        bytes: read_file(m.file),
        nounzip: m.nounzip,
    }));
    return { img, params, load: { kernel, modules, cmdline: img.cmdline, ramSize } };
}

export interface RunOpts {
    sink?: (t: string) => void;
    memory?: number;
    params?: LayoutParams;
    points?: Set<BootPoint>;
    inspect?: (r: KbootResult) => void;
}

export async function run_image(o: KOptions, ro: RunOpts = {}): Promise<KbootResult> {
    const p = prepare(o, ro.memory, ro.params);
    const workload = o.workload ? workload_load(o.workload) : undefined;
    return kboot(
        {
            load: p.load,
            params: p.params,
            engine: engine_of(o),
            steps: p.img.steps,
            points: ro.points,
            sink: ro.sink,
            workload,
        },
        ro.inspect,
    );
}

/** Read and check a workload file (one-line errors naming the file). */
export function workload_load(path: string): Workload {
    let doc: unknown;
    try {
        doc = JSON.parse(readFileSync(path, "utf8"));
    } catch (e) {
        throw new UsageError(
            path,
            e instanceof SyntaxError ? `not valid JSON: ${e.message}` : "no such file",
        );
    }
    const w = doc as Partial<Workload>;
    if (typeof w.name !== "string" || !Array.isArray(w.steps))
        throw new UsageError(path, "a workload needs 'name' and 'steps'");
    const ops = new Set([
        "cache",
        "alloc",
        "kalloc",
        "kmem_alloc",
        "free",
        "task_create",
        "task_terminate",
        "ipc_grow",
        "tick",
        "collect",
        "sample",
        "repeat",
        "jobs",
    ]);
    const count = (v: unknown, what: string): void => {
        if (!Number.isInteger(v) || (v as number) < 1)
            throw new UsageError(path, `${what}: must be a positive integer`);
    };
    const check = (steps: unknown[], where: string, inJob: boolean): void =>
        steps.forEach((s, i) => {
            const step = s as {
                op?: unknown;
                steps?: unknown[];
                after?: unknown[];
                slots?: unknown;
                count?: unknown;
            };
            const op = step.op;
            if (typeof op !== "string" || !ops.has(op))
                throw new UsageError(path, `${where}[${i}]: unknown op ${JSON.stringify(op)}`);
            if (op === "repeat") check(step.steps ?? [], `${where}[${i}].steps`, inJob);
            if (op !== "jobs") return;
            if (inJob) throw new UsageError(path, `${where}[${i}]: jobs cannot nest`);
            count(step.slots, `${where}[${i}].slots`);
            count(step.count, `${where}[${i}].count`);
            check(step.steps ?? [], `${where}[${i}].steps`, true);
            check(step.after ?? [], `${where}[${i}].after`, false);
        });
    check(w.steps, "steps", false);
    return { name: w.name, description: w.description ?? "", seed: w.seed ?? 1, steps: w.steps };
}

/** Kernel samples as a table: one row per sample, the label last (task names are long). */
function sample_table(samples: readonly Sample[]): string[] {
    const out = [
        "    ticks  map entries  kentries  kernel_map free  kmem_map size  alloc memory  live objects  frag  label",
    ];
    for (const s of samples) {
        out.push(
            `  ${String(s.ticks).padStart(7)}  ${String(s.kernel_map_entries).padStart(11)}  ${String(s.kentries_allocated).padStart(8)}  ` +
                `${format_size(s.kernel_map_free).padStart(15)}  ${format_size(s.kmem_map_size).padStart(13)}  ${format_size(s.slab_bytes).padStart(12)}  ` +
                `${format_size(s.live_bytes).padStart(12)}  ${sample_fragmentation(s).toFixed(0).padStart(3)}%  ${s.label}`,
        );
    }
    return out;
}

/** The workload's samples and outcome as text. */
function workload_lines(w: WorkloadResult): string[] {
    return [
        `workload: ${w.status}${w.reason ? `: ${w.reason}` : ""} after ${w.steps_run} steps`,
        ...sample_table(w.samples),
    ];
}

export async function cmd_workload(o: KOptions, io: Io): Promise<number> {
    const r = await run_image(o);
    if (r.status !== "ok" || !r.workload) {
        for (const l of diagnosis(r)) io.err(l + "\n");
        return EXIT.CRASH;
    }
    if (o.json) io.out(JSON.stringify(r.workload, null, 2) + "\n");
    else for (const l of workload_lines(r.workload)) io.out(l + "\n");
    if (r.workload.status !== "ok" && !o.json) {
        const title =
            r.workload.status === "panic"
                ? "kernel panic during the workload"
                : "workload request failed";
        for (const l of diagnosis({ ...r, status: "panic", reason: r.workload.reason }, title))
            io.err(l + "\n");
    }
    return r.workload.status === "ok" ? EXIT.OK : EXIT.CRASH;
}

/** slabinfo / zoneinfo after boot (and the workload, if any). */
export async function cmd_allocinfo(o: KOptions, which: "slab" | "zone", io: Io): Promise<number> {
    const r = await run_image(o);
    const k = r.kernel;
    if (!k) {
        for (const l of diagnosis(r)) io.err(l + "\n");
        return EXIT.CRASH;
    }
    if (which === "slab") {
        if (!k.kmem)
            throw new UsageError(
                "slabinfo",
                "this layout uses the zone allocator (use mach86 zoneinfo)",
            );
        if (o.json) io.out(JSON.stringify(slab_info_data(k.kmem), null, 2) + "\n");
        else {
            slab_info(k.kmem, (l) => io.out(l.endsWith("\n") ? l : l + "\n"));
            const d = slab_info_data(k.kmem);
            const total = d.reduce((s, c) => s + c.mem_usage, 0);
            const recl = d.reduce((s, c) => s + c.mem_reclaimable, 0);
            io.out(`total: ${d.length} caches, ${total}k memory, ${recl}k reclaimable\n`);
        }
    } else {
        if (!k.zone)
            throw new UsageError(
                "zoneinfo",
                "this layout uses the slab allocator (use mach86 slabinfo)",
            );
        if (o.json) io.out(JSON.stringify(zone_info(k.zone), null, 2) + "\n");
        else zone_info_print(k.zone, (l) => io.out(l.endsWith("\n") ? l : l + "\n"));
    }
    return r.status === "ok" ? EXIT.OK : EXIT.CRASH;
}

/** whatis ADDR: the cache, zone or map an address belongs to (kdb whatis style). */
export async function cmd_whatis(o: KOptions & { addr: string }, io: Io): Promise<number> {
    const va = Number(o.addr);
    if (!Number.isSafeInteger(va) || va < 0 || va > 0xffffffff)
        throw new UsageError("whatis", `'${o.addr}' is not a 32-bit address`);
    const r = await run_image(o);
    const k = r.kernel;
    if (!k?.kernel_map) {
        for (const l of diagnosis(r)) io.err(l + "\n");
        return EXIT.CRASH;
    }
    const lines = whatis_lines(k, va);
    if (o.json) io.out(JSON.stringify({ addr: va, what: lines }, null, 2) + "\n");
    else for (const l of lines) io.out(l + "\n");
    return EXIT.OK;
}

function whatis_lines(k: Kernel, va: number): string[] {
    const out: string[] = [];
    const w = k.kmem ? kmem_whatis(k.kmem, va) : null;
    if (w)
        out.push(
            `${hex32(va)} is in cache ${w.cache.name}: buffer ${hex32(w.buffer)} (${w.allocated ? "allocated" : w.pooled ? "free, in the CPU pool" : "free"}) of slab ${hex32(w.slab.va)}`,
        );
    const z = k.zone ? zone_whatis(k.zone, va) : null;
    if (z) out.push(`${hex32(va)} is in ${JSON.stringify(z)}`);
    let map: VmMap | null = k.kernel_map;
    const path: string[] = [];
    while (map) {
        const e = vm_map_lookup_entry(map, va);
        if (!e.found || !e.entry) {
            path.push(`${map.name}: not mapped (a hole)`);
            break;
        }
        path.push(
            `${map.name}: entry ${hex32(e.entry.vme_start)}-${hex32(e.entry.vme_end)} ${e.entry.tag}`,
        );
        map = e.entry.is_sub_map ? e.entry.sub_map : null;
    }
    out.push(`${hex32(va)}: ${path.join(" > ")}`);
    if (va >= k.params.vm_min_kernel_address && va < k.kernel_virtual_start)
        out.push(
            `${hex32(va)} is in the direct map: physical ${hex32(va - k.params.vm_min_kernel_address)}`,
        );
    const s = k.stolen.find((x) => va >= x.start && va < x.end);
    if (s)
        out.push(
            `${hex32(va)} is in ${s.name} (pmap_steal_memory ${hex32(s.start)}-${hex32(s.end)}), offset ${va - s.start}`,
        );
    return out;
}

/** One map in a line: size, free space, largest hole, and where first fit starts (first_free). */
function map_summary(m: VmMap): string {
    const free = m.max_offset - m.min_offset - m.size;
    const lf = vm_map_largest_free(m);
    const ff = m.first_free ? `after ${hex32(m.first_free.vme_end)}` : "at the start";
    return (
        `${m.name}: size ${format_size(m.size)}, ${m.nentries} entries, free ${format_size(free)}, ` +
        `largest free range ${format_size(lf.size)} at ${hex32(lf.start)}; first fit starts ${ff} (first_free)`
    );
}

/** The diagnosis printed when the boot fails: reason, failing request, kernel_map dump. */
export function diagnosis(r: KbootResult, title?: string): string[] {
    const what =
        title ??
        (r.status === "stuck"
            ? "boot failed"
            : r.status === "crash"
              ? "kernel crashed"
              : "kernel panic");
    const out = [`mach86: ${what}: ${r.reason}`];
    const k = r.kernel;
    if (k?.failed) {
        out.push(
            `  failed request: ${k.failed.what} in ${k.failed.map}: ${format_size(k.failed.size)} (${k.failed.kr === 3 ? "KERN_NO_SPACE" : `kr ${k.failed.kr}`})`,
        );
        const m = [k.kmem_map, k.zone_map, k.kalloc_map, k.device_io_map].find(
            (x) => x?.name === k.failed!.map,
        );
        if (m) out.push(`  ${map_summary(m)}`);
    }
    for (const line of k?.console.filter((l) => /no more room|kentry|exhausted/.test(l)) ?? [])
        out.push(`  kernel said: ${line.trim()}`);
    if (k?.kernel_map) {
        const l = layout_snapshot(k, "end");
        out.push(
            `  kernel_map: size ${l.kernel_map.size}, free ${format_size(l.kernel_map.free)}, largest free range ${format_size(l.kernel_map.largest_free.size)} at ${hex32(l.kernel_map.largest_free.start)}`,
        );
        if (r.status === "stuck")
            out.push(
                "  (GNU Mach does not panic here: device_read fails, ext2fs exits, and the boot hangs)",
            );
        out.push("  kernel_map dump:");
        vm_map_info(k.kernel_map, (line) => out.push(`    ${line}`));
    }
    return out;
}

function exit_code(r: KbootResult): number {
    if (r.status !== "ok") return EXIT.CRASH;
    if (r.user?.ran && r.user.tasks.some((t) => t.state !== "exited" || t.exit_code !== 0))
        return EXIT.CRASH;
    return r.checks.some((c) => c.value !== c.expected) ? EXIT.CRASH : EXIT.OK;
}

/** Up to this many tasks are named one by one; beyond, they are counted by how they ended. */
const TASKS_LISTED = 8;

/** How the user tasks ended: each by name, or counts by outcome plus every task that did not exit 0. */
function task_lines(u: NonNullable<KbootResult["user"]>): string[] {
    const how = (t: (typeof u.tasks)[number]) => (t.state === "alive" ? "still running" : t.end);
    if (u.tasks.length <= TASKS_LISTED)
        return [`mach86: user tasks: ${u.tasks.map((t) => `${t.name} ${how(t)}`).join("; ")}`];
    const counts = new Map<string, number>();
    for (const t of u.tasks) counts.set(how(t), (counts.get(how(t)) ?? 0) + 1);
    const bad = u.tasks.filter((t) => t.state !== "exited" || t.exit_code !== 0);
    const out = [
        `mach86: user tasks: ${u.tasks.length} ran: ${[...counts].map(([h, n]) => `${n} ${h}`).join("; ")}`,
    ];
    for (const t of bad.slice(0, TASKS_LISTED)) out.push(`mach86:   ${t.name} (${t.id}) ${how(t)}`);
    if (bad.length > TASKS_LISTED)
        out.push(`mach86:   … and ${bad.length - TASKS_LISTED} more that did not exit with code 0`);
    return out;
}

/** The kernel map entries and allocator memory over the run (sampled at each task creation and end). */
function kernel_sample_lines(u: NonNullable<KbootResult["user"]>): string[] {
    const { samples, peak_entries: pe, peak_kentries: pk, kentry_capacity: cap } = u.kernel;
    const first = samples[0];
    const last = samples[samples.length - 1];
    if (!u.ran || !first || !last || !pe || !pk) return [];
    return [
        `mach86: kernel map entries (kernel_map and its kentry-backed submaps): ${first.kernel_map_entries} at start, ` +
            `peak ${pe.kernel_map_entries} at ${pe.label}, ${last.kernel_map_entries} at end; ` +
            `kentries taken: peak ${pk.kentries_allocated}${cap === null ? " (growable kentry map)" : ` of ${cap}`}; ` +
            `allocator memory: peak ${format_size(Math.max(...samples.map((s) => s.slab_bytes)))}, ` +
            `at end ${format_size(last.slab_bytes)} holding ${format_size(last.live_bytes)} of live objects (--samples for the series)`,
    ];
}

/** The user-task summary printed after a run: how each task ended, and the paging counters. */
export function user_lines(r: KbootResult): string[] {
    const u = r.user;
    if (!u) return [];
    return [
        ...task_lines(u),
        `mach86: ${u.syscalls} syscalls, ${u.context_switches} context switches, ${u.ticks} ticks; ` +
            `faults ${u.faults} (zero fill ${u.zero_fill}, copy-on-write ${u.cow_faults}), pageins ${u.pageins}, ` +
            `pageouts ${u.pageouts}, reactivations ${u.reactivations}, pageout scans ${u.pageout_scans}; ` +
            `lowest free count an unprivileged allocation was granted at ${u.free_count_minimum} (reserve ${u.free_reserved})`,
        ...pager_lines(r),
        ...kernel_sample_lines(u),
    ];
}

/** The pageout daemon's thresholds and counters, and the default pager's paging area. */
function pager_lines(r: KbootResult): string[] {
    const k = r.kernel;
    if (!k?.vm || !k.vm_page) return [];
    const out: string[] = [];
    vm_pageout_info(k.vm, k.vm_page, (l) => out.push(`mach86: ${l}`));
    default_pager_info(k.vm.pager, (l) => out.push(`mach86: ${l}`));
    return out;
}

function checks_lines(r: KbootResult): string[] {
    return r.checks.map(
        (c) =>
            `mach86: CPU read ${hex32(c.value)} at ${hex32(c.va)} (${c.what}): ${c.value === c.expected ? "ok" : `MISMATCH, expected ${hex32(c.expected)}`}`,
    );
}

/** --dump DIR: phys.bin (sparse raw RAM), machine.json (registers), layout.json. */
function dump(dir: string, r: KbootResult): void {
    mkdirSync(dir, { recursive: true });
    const k = r.kernel;
    if (k) {
        writeFileSync(
            join(dir, "layout.json"),
            JSON.stringify(layout_snapshot(k, "end"), null, 2) + "\n",
        );
        write_phys(join(dir, "phys.bin"), k);
    }
    const machine = {
        engine: r.engine,
        status: r.status,
        cpu: r.cpu ?? null,
        kernel_cr3: k?.kernel_pmap ? pmap_cr3(k.kernel_pmap) : null,
    };
    writeFileSync(join(dir, "machine.json"), JSON.stringify(machine, null, 2) + "\n");
}

const CHUNK = 1 << 20;

/** Raw physical RAM as a sparse file: the size of RAM, only non-zero pages written. */
function write_phys(path: string, k: Kernel): void {
    const fd = openSync(path, "w");
    try {
        ftruncateSync(fd, k.mem.size);
        const zero = Buffer.alloc(4096);
        for (let base = 0; base < k.mem.size; base += CHUNK) {
            const len = Math.min(CHUNK, k.mem.size - base);
            const bytes = k.mem.view?.(base, len) ?? k.mem.read(base, len);
            const chunk = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
            for (let off = 0; off < chunk.length; off += 4096) {
                const page = chunk.subarray(off, off + 4096);
                if (zero.compare(page) !== 0) writeSync(fd, page, 0, page.length, base + off);
            }
        }
    } finally {
        closeSync(fd);
    }
}

export async function cmd_boot_image(o: KOptions, io: Io): Promise<number> {
    const sink =
        o.quiet || o.json ? undefined : (t: string) => io.console(new TextEncoder().encode(t));
    const r = await run_image(o, {
        sink,
        inspect: (res) => {
            if (o.dump) dump(o.dump, res);
        },
    });
    if (o.json) {
        io.out(
            JSON.stringify(
                {
                    status: r.status,
                    reason: r.reason,
                    engine: r.engine,
                    checks: r.checks,
                    kernel_map_size_at_modules: r.kernel?.kernel_map_size_at_modules ?? null,
                    failed: r.kernel?.failed ?? null,
                    user: r.user ?? null,
                    console: r.console,
                },
                null,
                2,
            ) + "\n",
        );
    } else {
        for (const l of checks_lines(r)) io.err(l + "\n");
        for (const l of user_lines(r)) io.err(l + "\n");
        if (o.samples && r.user?.ran)
            for (const l of sample_table(r.user.kernel.samples)) io.out(l + "\n");
        if (r.status !== "ok") for (const l of diagnosis(r)) io.err(l + "\n");
    }
    return exit_code(r);
}

export async function cmd_layout(o: KOptions, io: Io): Promise<number> {
    const at = (o.at ?? "end") as BootPoint;
    if (!POINTS.includes(at))
        throw new UsageError("--at", `'${o.at}' is not a boot point (${POINTS.join(", ")})`);
    const r = await run_image(o, { points: new Set([at]) });
    const l = r.kernel?.snapshots.get(at) as Layout | undefined;
    if (!l) {
        for (const line of diagnosis(r)) io.err(line + "\n");
        return EXIT.CRASH;
    }
    if (o.json) io.out(JSON.stringify(l, null, 2) + "\n");
    else for (const line of layout_format(l)) io.out(line + "\n");
    if (r.status !== "ok" && !o.json) for (const line of diagnosis(r)) io.err(line + "\n");
    return r.status === "ok" ? EXIT.OK : EXIT.CRASH;
}

export async function cmd_pt(o: KOptions & { va?: string }, io: Io): Promise<number> {
    const va = o.va === undefined ? undefined : Number(o.va);
    if (va !== undefined && (!Number.isSafeInteger(va) || va < 0 || va > 0xffffffff)) {
        throw new UsageError("--va", `'${o.va}' is not a 32-bit address`);
    }
    const lines: string[] = [];
    const r = await run_image(o, {
        inspect: (res) => {
            const p = res.kernel?.kernel_pmap;
            if (!p) return;
            if (va !== undefined) pmap_walk_lines(p, va).forEach((l) => lines.push(l));
            else pmap_info(p, (l) => lines.push(l));
        },
    });
    const k = r.kernel;
    if (!k?.kernel_pmap) {
        for (const line of diagnosis(r)) io.err(line + "\n");
        return EXIT.CRASH;
    }
    if (o.json) io.out(JSON.stringify({ cr3: pmap_cr3(k.kernel_pmap), lines }, null, 2) + "\n");
    else for (const l of lines) io.out(l + "\n");
    return EXIT.OK;
}

export function cmd_presets(json: boolean, io: Io): number {
    if (json) {
        io.out(JSON.stringify(PRESETS, null, 2) + "\n");
        return EXIT.OK;
    }
    for (const p of PRESETS) {
        io.out(`${p.name}\n  ${p.summary}\n  source: ${p.source}\n`);
        const vals = Object.entries(p.params).map(
            ([k, v]) =>
                `${k}=${SIZE_PARAMS.has(k as keyof LayoutParams) && v ? format_size(v).replace(" ", "") : k.includes("address") ? hex32(v) : v}`,
        );
        io.out(`  ${vals.join(" ")}\n\n`);
    }
    return EXIT.OK;
}

/** Bisection over one numeric parameter for the largest value that boots. */
/** Give a finished boot's sparse RAM back for reuse; the result must not read guest memory afterwards. */
export function release_ram(r: KbootResult): void {
    const mem = r.kernel?.mem;
    if (mem instanceof SparsePhysMem) mem.release();
}

export async function cmd_bisect(
    o: KOptions & { param: string; range: string },
    io: Io,
): Promise<number> {
    const [loText, hiText] = o.range.split("..");
    if (!loText || !hiText) throw new UsageError("--range", `'${o.range}' is not LOW..HIGH`);
    const isMemory = o.param === "memory";
    if (!isMemory && !is_param(o.param))
        throw new UsageError("--param", `unknown parameter '${o.param}'`);
    const parse = (t: string) =>
        isMemory ? parse_size(t, "--range") : param_value(o.param as keyof LayoutParams, t);
    const step = isMemory ? 1024 * 1024 : SIZE_PARAMS.has(o.param as keyof LayoutParams) ? 4096 : 1;
    let lo = Math.ceil(parse(loText) / step);
    let hi = Math.floor(parse(hiText) / step);
    if (lo > hi) throw new UsageError("--range", "LOW is above HIGH");
    const base = prepare(o);
    const tried = new Map<number, KbootResult>();
    // Only the last failure is reported (hi only moves down): the RAM of every
    // other boot goes back for the next one to reuse.
    let failure: KbootResult | null = null;
    const attempt = async (n: number) => {
        let r = tried.get(n);
        if (!r) {
            const params = isMemory ? base.params : { ...base.params, [o.param]: n * step };
            r = await run_image(o, { memory: isMemory ? n * step : undefined, params });
            tried.set(n, r);
            const v = isMemory ? format_size(n * step) : String(n * step);
            io.err(
                `mach86: bisect ${o.param}=${v}: ${r.status === "ok" ? "boots" : `fails (${r.status}: ${r.reason})`}\n`,
            );
            if (r.status === "ok") release_ram(r);
            else {
                if (failure) release_ram(failure);
                failure = r;
            }
        }
        return r.status === "ok";
    };
    if (!(await attempt(lo)))
        return report_bisect(o, io, null, lo * step, tried.get(lo)!, step, isMemory);
    if (await attempt(hi)) return report_bisect(o, io, hi * step, null, null, step, isMemory);
    while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (await attempt(mid)) lo = mid;
        else hi = mid;
    }
    return report_bisect(o, io, lo * step, hi * step, tried.get(hi)!, step, isMemory);
}

function report_bisect(
    o: KOptions & { param: string },
    io: Io,
    good: number | null,
    bad: number | null,
    failure: KbootResult | null,
    _step: number,
    isMemory: boolean,
): number {
    const show = (v: number) =>
        isMemory
            ? `${v / 1048576}M`
            : SIZE_PARAMS.has(o.param as keyof LayoutParams)
              ? format_size(v)
              : String(v);
    const doc = {
        param: o.param,
        largest_booting: good,
        first_failing: bad,
        failure: failure
            ? {
                  status: failure.status,
                  reason: failure.reason,
                  failed: failure.kernel?.failed ?? null,
              }
            : null,
    };
    if (o.json) {
        io.out(JSON.stringify(doc, null, 2) + "\n");
    } else {
        io.out(
            good === null
                ? `no value in the range boots\n`
                : `largest ${o.param} that boots: ${show(good)}\n`,
        );
        io.out(
            bad === null
                ? `every value in the range boots\n`
                : `first failing ${o.param}: ${show(bad)}\n`,
        );
        if (failure) for (const l of diagnosis(failure)) io.out(l + "\n");
    }
    return EXIT.OK;
}
