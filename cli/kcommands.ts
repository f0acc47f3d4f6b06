/*
 * cli/kcommands.ts — the commands that boot an image into the modelled
 * kernel: `boot IMAGE`, `layout`, `pt`, `bisect`, `presets`.
 */
import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { ModuleSpec } from "../boot/index.ts";
import { pmap_cr3 } from "../kernel/i386/pmap.ts";
import { pmap_info, pmap_walk_lines } from "../kernel/i386/pmap_info.ts";
import type { BootPoint, Kernel } from "../kernel/kern/kernel.ts";
import { layout_format, layout_snapshot, type Layout } from "../kernel/layout.ts";
import { PRESETS, SIZE_PARAMS, is_param, type LayoutParams } from "../kernel/presets.ts";
import { vm_map_info } from "../kernel/vm/vm_map.ts";
import type { Io } from "./boot.ts";
import { EXIT } from "./boot.ts";
import { image_load, param_value, params_from, type ImageManifest } from "./image.ts";
import { kboot, pad_kernel_bss, type Engine, type KbootResult } from "./kboot.ts";
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
}

const POINTS: readonly BootPoint[] = ["vm", "submaps", "modules", "end"];

function engine_of(o: KOptions): Engine {
    const e = o.engine ?? "v86";
    if (e !== "v86" && e !== "none") throw new UsageError("--engine", `'${e}' is not an engine (v86, none)`);
    return e;
}

function read_file(path: string): Uint8Array {
    try {
        return new Uint8Array(readFileSync(path));
    } catch {
        throw new UsageError(path, "no such file (run make images)");
    }
}

/** Everything needed to boot `o.image` with the given overrides. */
export function prepare(o: KOptions, memoryOverride?: number, paramsOverride?: LayoutParams) {
    const img: ImageManifest = image_load(o.image);
    const params = paramsOverride ?? params_from(o.preset ?? img.preset, o.set ?? []);
    const ramSize = memoryOverride ?? parse_size(o.memory ?? img.memory, "--memory");
    const kernel = { path: img.kernel_name, bytes: pad_kernel_bss(read_file(img.kernel), params.kernel_bss, img.kernel) };
    const modules: ModuleSpec[] = img.modules.map((m) => ({ path: m.name, args: m.args, bytes: read_file(m.file), nounzip: m.nounzip }));
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
    return kboot({ load: p.load, params: p.params, engine: engine_of(o), steps: p.img.steps, points: ro.points, sink: ro.sink }, ro.inspect);
}

/** The diagnosis printed when the boot fails: reason, failing request, kernel_map dump. */
export function diagnosis(r: KbootResult): string[] {
    const out = [`mach86: ${r.status === "stuck" ? "boot failed" : r.status === "crash" ? "kernel crashed" : "kernel panic"}: ${r.reason}`];
    const k = r.kernel;
    if (k?.failed) {
        out.push(`  failed request: ${k.failed.what} in ${k.failed.map}: ${format_size(k.failed.size)} (${k.failed.kr === 3 ? "KERN_NO_SPACE" : `kr ${k.failed.kr}`})`);
    }
    if (k?.kernel_map) {
        const l = layout_snapshot(k, "end");
        out.push(`  kernel_map: size ${l.kernel_map.size}, free ${format_size(l.kernel_map.free)}, largest free range ${format_size(l.kernel_map.largest_free.size)} at ${hex32(l.kernel_map.largest_free.start)}`);
        if (r.status === "stuck") out.push("  (GNU Mach does not panic here: device_read fails, ext2fs exits, and the boot hangs)");
        out.push("  kernel_map dump:");
        vm_map_info(k.kernel_map, (line) => out.push(`    ${line}`));
    }
    return out;
}

function exit_code(r: KbootResult): number {
    if (r.status !== "ok") return EXIT.CRASH;
    return r.checks.some((c) => c.value !== c.expected) ? EXIT.CRASH : EXIT.OK;
}

function checks_lines(r: KbootResult): string[] {
    return r.checks.map((c) => `mach86: CPU read ${hex32(c.value)} at ${hex32(c.va)} (${c.what}): ${c.value === c.expected ? "ok" : `MISMATCH, expected ${hex32(c.expected)}`}`);
}

/** --dump DIR: phys.bin (sparse raw RAM), machine.json (registers), layout.json. */
function dump(dir: string, r: KbootResult): void {
    mkdirSync(dir, { recursive: true });
    const k = r.kernel;
    if (k) {
        writeFileSync(join(dir, "layout.json"), JSON.stringify(layout_snapshot(k, "end"), null, 2) + "\n");
        write_phys(join(dir, "phys.bin"), k);
    }
    const machine = { engine: r.engine, status: r.status, cpu: r.cpu ?? null, kernel_cr3: k?.kernel_pmap ? pmap_cr3(k.kernel_pmap) : null };
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
    const sink = o.quiet || o.json ? undefined : (t: string) => io.console(new TextEncoder().encode(t));
    const r = await run_image(o, { sink, inspect: (res) => { if (o.dump) dump(o.dump, res); } });
    if (o.json) {
        io.out(JSON.stringify({
            status: r.status, reason: r.reason, engine: r.engine, checks: r.checks,
            kernel_map_size_at_modules: r.kernel?.kernel_map_size_at_modules ?? null,
            failed: r.kernel?.failed ?? null, console: r.console,
        }, null, 2) + "\n");
    } else {
        for (const l of checks_lines(r)) io.err(l + "\n");
        if (r.status !== "ok") for (const l of diagnosis(r)) io.err(l + "\n");
    }
    return exit_code(r);
}

export async function cmd_layout(o: KOptions, io: Io): Promise<number> {
    const at = (o.at ?? "end") as BootPoint;
    if (!POINTS.includes(at)) throw new UsageError("--at", `'${o.at}' is not a boot point (${POINTS.join(", ")})`);
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
        const vals = Object.entries(p.params).map(([k, v]) => `${k}=${SIZE_PARAMS.has(k as keyof LayoutParams) && v ? format_size(v).replace(" ", "") : k.includes("address") ? hex32(v) : v}`);
        io.out(`  ${vals.join(" ")}\n\n`);
    }
    return EXIT.OK;
}

/** Bisection over one numeric parameter for the largest value that boots. */
export async function cmd_bisect(o: KOptions & { param: string; range: string }, io: Io): Promise<number> {
    const [loText, hiText] = o.range.split("..");
    if (!loText || !hiText) throw new UsageError("--range", `'${o.range}' is not LOW..HIGH`);
    const isMemory = o.param === "memory";
    if (!isMemory && !is_param(o.param)) throw new UsageError("--param", `unknown parameter '${o.param}'`);
    const parse = (t: string) => isMemory ? parse_size(t, "--range") : param_value(o.param as keyof LayoutParams, t);
    const step = isMemory ? 1024 * 1024 : SIZE_PARAMS.has(o.param as keyof LayoutParams) ? 4096 : 1;
    let lo = Math.ceil(parse(loText) / step);
    let hi = Math.floor(parse(hiText) / step);
    if (lo > hi) throw new UsageError("--range", "LOW is above HIGH");
    const base = prepare(o);
    const tried = new Map<number, KbootResult>();
    const attempt = async (n: number) => {
        let r = tried.get(n);
        if (!r) {
            const params = isMemory ? base.params : { ...base.params, [o.param]: n * step };
            r = await run_image(o, { memory: isMemory ? n * step : undefined, params });
            tried.set(n, r);
            const v = isMemory ? format_size(n * step) : String(n * step);
            io.err(`mach86: bisect ${o.param}=${v}: ${r.status === "ok" ? "boots" : `fails (${r.status}: ${r.reason})`}\n`);
        }
        return r.status === "ok";
    };
    if (!(await attempt(lo))) return report_bisect(o, io, null, lo * step, tried.get(lo)!, step, isMemory);
    if (await attempt(hi)) return report_bisect(o, io, hi * step, null, null, step, isMemory);
    while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (await attempt(mid)) lo = mid;
        else hi = mid;
    }
    return report_bisect(o, io, lo * step, hi * step, tried.get(hi)!, step, isMemory);
}

function report_bisect(o: KOptions & { param: string }, io: Io, good: number | null, bad: number | null, failure: KbootResult | null, _step: number, isMemory: boolean): number {
    const show = (v: number) => isMemory ? `${v / 1048576}M` : SIZE_PARAMS.has(o.param as keyof LayoutParams) ? format_size(v) : String(v);
    const doc = {
        param: o.param, largest_booting: good, first_failing: bad,
        failure: failure ? { status: failure.status, reason: failure.reason, failed: failure.kernel?.failed ?? null } : null,
    };
    if (o.json) {
        io.out(JSON.stringify(doc, null, 2) + "\n");
    } else {
        io.out(good === null ? `no value in the range boots\n` : `largest ${o.param} that boots: ${show(good)}\n`);
        io.out(bad === null ? `every value in the range boots\n` : `first failing ${o.param}: ${show(bad)}\n`);
        if (failure) for (const l of diagnosis(failure)) io.out(l + "\n");
    }
    return EXIT.OK;
}
