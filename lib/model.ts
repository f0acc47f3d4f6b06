/*
 * lib/model.ts — bootImage(): an image directory (image.json) booted into
 * the modelled GNU Mach kernel, with the layout parameters of a preset and
 * overrides, on the v86 or the none engine (lib/kboot.ts does the boot).
 *
 * Everything the caller gives is checked before the boot (image, preset,
 * parameters, RAM size for the engine, workload file, --dump folder); a
 * problem is a UsageError. The result is the boot's KbootResult with the
 * image and parameters it ran with.
 */
import { fstatSync, openSync, readFileSync, readSync } from "node:fs";
import type { LazyBytes, LoadRequest, ModuleSpec } from "../boot/index.ts";
import type { BootPoint } from "../kernel/kern/kernel.ts";
import type { Workload } from "../kernel/kern/workload.ts";
import type { LayoutParams } from "../kernel/presets.ts";
import { SparsePhysMem } from "../emulator/physmem.ts";
import { dump_write, type DumpProgress } from "./dump.ts";
import { InternalError, UsageError } from "./errors.ts";
import {
    image_load,
    params_from,
    set_strings,
    type ImageManifest,
    type ParamSets,
} from "./image.ts";
import { check_ram, kboot, pad_kernel_bss, type Engine, type KbootResult } from "./kboot.ts";
import { OutputDir } from "./output.ts";
import type { ScreenWatch } from "../emulator/machine.ts";
import { loader_of, memory_map_of, ram_of } from "./machine_input.ts";
import { instruction_limit, parse_duration } from "./units.ts";
import { workload_load } from "./workload_file.ts";
import { hex32 } from "../util/hex.ts";

export type { Engine };

/** What to boot: the options every command on an image takes. */
export interface ImageOptions {
    /** The image directory (holding image.json). */
    image: string;
    /** Layout preset (default: the image's); see presets(). */
    preset?: string;
    /** Parameter overrides: ["kmem_map_size=64M", …] or { kmem_map_size: "64M" }. */
    set?: ParamSets;
    /** The whole parameter set, instead of preset + set (bisect uses it). */
    params?: LayoutParams;
    /** Guest RAM: bytes, or a size as QEMU's `-m` reads it, "1856M" (default: the image's). */
    memory?: number | string;
    /** The loader profile: "qemu", "grub" or "legacy" (default: the image's, else "qemu"). */
    loader?: string;
    /** An e820 map file for the grub loader. */
    memoryMap?: string;
    /** "v86" (default: the stub runs on the CPU) or "none" (sparse RAM, no CPU, up to 4 GiB). */
    engine?: string;
    /** A workload run on the booted kernel: a file (workloads/*.json) or one already read. */
    workload?: string | Workload;
    /** v86 engine: wall-clock limit (ms, or "30s"). */
    timeout?: number | string;
    /** v86 engine: stop after this many guest instructions. */
    maxInstructions?: number;
    /** The console as it is produced (the stub's and the kernel's printf). */
    onConsole?: (chunk: Uint8Array) => void;
    /** The debug console (port 0xE9) as it is produced (v86 engine). */
    onDebugcon?: (chunk: Uint8Array) => void;
    /** Report changes of the VGA text screen during the run (v86 engine). */
    screenWatch?: ScreenWatch;
}

export interface ImageBootOptions extends ImageOptions {
    /** Boot points at which to take a Layout (kernel.snapshots). */
    points?: Iterable<BootPoint>;
    /** Runs while guest RAM still exists (page-table walks, dumps). */
    inspect?: (r: KbootResult) => void | Promise<void>;
    /** Write phys.bin, machine.json and layout.json into this folder (checked before the boot). */
    dump?: string;
    /** How far the dump's RAM has been written (bytes looked at, of the RAM size). */
    onDumpProgress?: DumpProgress;
}

export interface ImageBootResult extends KbootResult {
    kind: "image";
    image: { name: string; dir: string };
    /** The preset the parameters started from ("" when `params` was given whole). */
    preset: string;
    /** The `--set` overrides applied on top of the preset. */
    set: string[];
    params: LayoutParams;
    /** Guest RAM in bytes. */
    memory: number;
}

/** An image ready to boot: everything read and checked. */
export interface PreparedImage {
    img: ImageManifest;
    engine: Engine;
    preset: string;
    set: string[];
    params: LayoutParams;
    load: LoadRequest;
    workload?: Workload;
    limits: { timeoutMs?: number; maxInstructions?: number };
}

const ENGINES: readonly Engine[] = ["v86", "none"];

function engine_of(e: string | undefined): Engine {
    const engine = e ?? "v86";
    if (!ENGINES.includes(engine as Engine))
        throw new UsageError("--engine", `'${engine}' is not an engine (v86, none)`);
    return engine as Engine;
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
        // The Buffer's own memory as a plain Uint8Array (no copy of the megabytes).
        const b = readFileSync(path);
        bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    } catch {
        throw new UsageError(path, "no such file (run make images)");
    }
    files.set(path, bytes);
    return bytes;
}

/**
 * A module file as lazy bytes, also read once per process: its size now,
 * its bytes read straight into the memory that holds them when that memory
 * is made (most of a ramdisk image is never made by a modelled boot; a
 * dump reads it all). The file stays open, so a file replaced meanwhile
 * (a new file renamed over it, as make and editors do) is still read as it
 * was; one truncated meanwhile is an error naming it, not zeros. A file
 * rewritten in place during a boot is read as it is then.
 */
const lazyFiles = new Map<string, LazyBytes>();

export function module_file(path: string): LazyBytes {
    let lazy = lazyFiles.get(path);
    if (lazy) return lazy;
    let fd: number;
    let length: number;
    try {
        fd = openSync(path, "r");
        length = fstatSync(fd).size;
    } catch {
        throw new UsageError(path, "no such file (run make images)");
    }
    const fill = (dst: Uint8Array, off: number): void => {
        let done = 0;
        while (done < dst.length) {
            const n = readSync(fd, dst, done, dst.length - done, off + done);
            if (n === 0)
                throw new UsageError(path, "the file got shorter while mach86 was reading it");
            done += n;
        }
    };
    lazy = { length, fill };
    lazyFiles.set(path, lazy);
    return lazy;
}

function limits_of(o: ImageOptions, engine: Engine): PreparedImage["limits"] {
    if (engine === "none") {
        for (const [given, option] of [
            [o.timeout, "--timeout"],
            [o.maxInstructions, "--max-instructions"],
        ] as const)
            if (given !== undefined)
                throw new UsageError(option, "applies to the v86 engine only (none has no CPU)");
        return {};
    }
    const timeoutMs =
        typeof o.timeout === "string" ? parse_duration(o.timeout, "--timeout") : o.timeout;
    if (timeoutMs !== undefined && !(timeoutMs > 0))
        throw new UsageError("--timeout", `'${timeoutMs}' must be positive`);
    return { timeoutMs, maxInstructions: instruction_limit(o.maxInstructions) };
}

/** Read and check everything needed to boot `o.image` (no boot yet). */
export async function prepare_image(o: ImageOptions): Promise<PreparedImage> {
    const img = await image_load(o.image);
    const engine = engine_of(o.engine);
    const set = set_strings(o.set);
    const preset = o.params ? "" : (o.preset ?? img.preset);
    const sets = [...(img.swap ? [`swap_size=${img.swap}`] : []), ...set];
    const params = o.params ?? params_from(preset, sets);
    const loader = loader_of(o.loader ?? img.loader);
    const memoryMap = memory_map_of(o.memoryMap, loader);
    const { ramSize } = ram_of(o.memory, memoryMap, img.memory);
    check_ram(engine, ramSize);
    if (engine === "none" && o.screenWatch)
        throw new UsageError("--screen-watch", "applies to the v86 engine only (none has no VGA)");
    const kernel = {
        path: img.kernel_name,
        bytes: pad_kernel_bss(read_file(img.kernel), params.kernel_bss, img.kernel),
    };
    const modules: ModuleSpec[] = img.modules.map((m) => ({
        path: m.name,
        args: m.args,
        bytes: module_file(m.file),
        nounzip: m.nounzip,
    }));
    const workload = typeof o.workload === "string" ? await workload_load(o.workload) : o.workload;
    return {
        img,
        engine,
        preset,
        set,
        params,
        load: { kernel, modules, cmdline: img.cmdline, ramSize, loader, memoryMap },
        workload,
        limits: limits_of(o, engine),
    };
}

/** A CPU read through the model's page tables that differs from what the model wrote is a bug. */
function check_reads(r: KbootResult): void {
    const bad = r.checks.find((c) => c.value !== c.expected);
    if (bad)
        throw new InternalError(
            `the CPU read ${hex32(bad.value)} at ${hex32(bad.va)} (${bad.what}) through the model's ` +
                `page tables, the model expected ${hex32(bad.expected)}`,
        );
}

/** What boot_prepared takes besides the prepared image. */
export type BootHooks = Pick<
    ImageBootOptions,
    "points" | "inspect" | "onConsole" | "onDebugcon" | "screenWatch" | "onDumpProgress"
>;

/** Boot a prepared image; `out`, when given, receives the dump (and is committed or discarded). */
export async function boot_prepared(
    p: PreparedImage,
    o: BootHooks = {},
    out: OutputDir | null = null,
): Promise<ImageBootResult> {
    const encoder = new TextEncoder();
    const sink = o.onConsole;
    const dsink = o.onDebugcon;
    try {
        const r = await kboot(
            {
                load: p.load,
                params: p.params,
                engine: p.engine,
                steps: p.img.steps,
                points: o.points ? new Set(o.points) : undefined,
                sink: sink ? (t) => sink(encoder.encode(t)) : undefined,
                debugconSink: dsink ? (t) => dsink(encoder.encode(t)) : undefined,
                screenWatch: o.screenWatch,
                workload: p.workload,
                limits: p.limits,
            },
            async (res) => {
                await o.inspect?.(res);
                if (out) await dump_write(out, res, o.onDumpProgress);
            },
        );
        check_reads(r);
        out?.commit();
        return {
            ...r,
            kind: "image",
            image: { name: p.img.name, dir: p.img.dir },
            preset: p.preset,
            set: p.set,
            params: p.params,
            memory: p.load.ramSize,
        };
    } catch (e) {
        out?.discard();
        throw e;
    }
}

/**
 * Boot an image into the modelled kernel. Resolves with how the run ended
 * (a panic, a stuck boot or a crash is a result); rejects with a UsageError
 * for bad input, and with InternalError/InvariantFailure for a bug in mach86.
 */
export async function bootImage(o: ImageBootOptions): Promise<ImageBootResult> {
    const p = await prepare_image(o);
    return boot_prepared(p, o, o.dump !== undefined ? OutputDir.open(o.dump, "--dump") : null);
}

/** Give a finished boot's sparse RAM back for reuse; the result must not read guest memory afterwards. */
export function release_ram(r: KbootResult): void {
    const mem = r.kernel?.mem;
    if (mem instanceof SparsePhysMem) mem.release();
}
