/*
 * lib/real.ts — a real multiboot kernel (a GNU Mach built with debug info)
 * booted with an image's modules and command line, stopped at a stop point
 * (lib/stop_points.ts), and looked at from the host while the machine still
 * exists (lib/gnumach reads its structures through the CPU's page tables).
 *
 * What the real kernel gets from the image: the modules in image order,
 * with the names and arguments image.json gives them, and the image's
 * command line with `console=com0` in front (mach86's console is COM1; GNU
 * Mach prints on the VGA screen without it). `cmdline` replaces the whole
 * command line. The loader is QEMU's (`qemu`) unless `loader` says
 * otherwise: then `--memory N` is `qemu-system-i386 -m N`.
 *
 * The boot is the emulator's: nothing of the modelled kernel runs here.
 * Bad input (files, RAM size, loader, stop point) is a UsageError before
 * the machine exists.
 */
import {
    BootError,
    machine_ram_for,
    memory_size_parse,
    multiboot_load,
    type BootInfo,
    type LoadRequest,
    type ModuleSpec,
} from "../boot/index.ts";
import { LOADER_NAMES, loader_profile, type LoaderName } from "../boot/profiles.ts";
import { Machine, ram_size_problem } from "../emulator/machine.ts";
import type { CpuState } from "../emulator/types.ts";
import { file_bytes, icount_shift } from "./boot.ts";
import { DebugInfo } from "./debuginfo/debuginfo.ts";
import { DebugInfoError } from "./debuginfo/errors.ts";
import { UsageError } from "./errors.ts";
import { GnuMach } from "./gnumach/kernel.ts";
import { image_load } from "./image.ts";
import type { Stop } from "./stop.ts";
import { stop_point_arm, stop_point_parse, type StopPoint } from "./stop_points.ts";
import { instruction_limit, parse_duration } from "./units.ts";

export type { StopPoint };

export interface RealBootOptions {
    /** The real kernel (a multiboot ELF; symbols and DWARF for stop points at symbols and for reads). */
    kernel: string;
    /** The image whose modules and command line the kernel boots (images/<name>). */
    image: string;
    /** The whole kernel command line (default: "console=com0 " + the image's). */
    cmdline?: string;
    /** RAM: bytes, or a QEMU -m size such as "1856M" (default: the image's). */
    memory?: number | string;
    /** Loader profile: qemu (default), grub or legacy. */
    loader?: string;
    /** modules (default), console:REGEX, or a symbol; "none" runs to the kernel's own stop. */
    stopAt?: string;
    /** Wall-clock limit (ms, or "30s"). */
    timeout?: number | string;
    /** Stop after this many guest instructions. */
    maxInstructions?: number;
    /** Virtual CPU speed, as QEMU's -icount shift=N: 2^N ns of virtual time per instruction (default 0). */
    icount?: number;
    /** The guest's COM1 bytes as they arrive. */
    onConsole?: (chunk: Uint8Array) => void;
}

export interface RealBootResult {
    kind: "real";
    /** The kernel file booted. */
    kernel: string;
    image: { name: string; dir: string };
    loader: LoaderName;
    cmdline: string;
    /** The stop point asked for (null: none). */
    stop_at: string | null;
    stop: Stop;
    /** Whether the run stopped at the stop point asked for. */
    reached: boolean;
    console: string;
    instructions: number;
    cpu: CpuState;
    load: BootInfo;
    /** RAM as given (QEMU's -m) and the end of usable RAM in the map the loader handed over. */
    memory: number;
    ram_end: number;
}

/** The machine at its stop, for a reader: the result so far, the machine, the kernel's debug info. */
export interface RealStopped {
    result: RealBootResult;
    machine: Machine;
    /** The kernel's symbols and DWARF (read on first use). */
    dbg(): DebugInfo;
    /** The kernel's structures, read through the stopped CPU's page tables. */
    gnumach(): GnuMach;
}

/** What a real boot needs, read and checked before the machine exists. */
interface RealPrepared {
    load: LoadRequest & { loader: LoaderName };
    machineRam: number;
    image: { name: string; dir: string };
    point: StopPoint | null;
    stopAt: string | null;
    dbg: () => DebugInfo;
    limits: { timeoutMs?: number; maxInstructions?: number };
}

function read_kernel(path: string): Uint8Array {
    try {
        return file_bytes(path);
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new UsageError(
            path,
            code === "ENOENT"
                ? "no such file"
                : code === "EISDIR"
                  ? "is a directory"
                  : "cannot be read",
        );
    }
}

function read_module(path: string): Uint8Array {
    try {
        return file_bytes(path);
    } catch {
        throw new UsageError(path, "no such file (run make images)");
    }
}

/** A kernel's debug info, or a UsageError naming the file (no DWARF, not ELF32…). */
export function debuginfo_open(path: string, bytes?: Uint8Array): DebugInfo {
    try {
        return bytes ? DebugInfo.fromBytes(bytes, path) : DebugInfo.open(path);
    } catch (e) {
        if (e instanceof DebugInfoError) throw new UsageError(e.input, e.reason);
        throw e;
    }
}

function loader_of(name: string | undefined): LoaderName {
    const l = name ?? "qemu";
    if (!loader_profile(l))
        throw new UsageError("--loader", `'${l}' is not a loader (${LOADER_NAMES.join(", ")})`);
    return l as LoaderName;
}

/** RAM in bytes: a number as it is, text as QEMU's -m reads it. */
export function real_memory(memory: number | string): { ram: number; machine: number } {
    let ram: number;
    try {
        ram = typeof memory === "number" ? memory : memory_size_parse(memory);
    } catch (e) {
        if (e instanceof BootError) throw new UsageError("--memory", e.reason);
        throw e;
    }
    const machine = machine_ram_for(ram);
    const problem = ram_size_problem(machine);
    if (problem) throw new UsageError("--memory", `${memory}: ${problem}`);
    return { ram, machine };
}

function limits_of(o: RealBootOptions): RealPrepared["limits"] {
    const timeoutMs =
        typeof o.timeout === "string" ? parse_duration(o.timeout, "--timeout") : o.timeout;
    if (timeoutMs !== undefined && !(timeoutMs > 0))
        throw new UsageError("--timeout", `'${o.timeout}' must be positive`);
    return { timeoutMs, maxInstructions: instruction_limit(o.maxInstructions) };
}

async function real_prepare(o: RealBootOptions): Promise<RealPrepared> {
    const img = await image_load(o.image);
    const bytes = read_kernel(o.kernel);
    let dbg: DebugInfo | undefined;
    const lazy = () => (dbg ??= debuginfo_open(o.kernel, bytes));
    const stopAt = o.stopAt === "none" ? null : (o.stopAt ?? "modules");
    const point = stopAt === null ? null : stop_point_parse(stopAt, { dbg: lazy, bytes });
    const mem = real_memory(o.memory ?? img.memory);
    const modules: ModuleSpec[] = img.modules.map((m) => ({
        path: m.name,
        args: m.args,
        bytes: read_module(m.file),
        nounzip: m.nounzip,
    }));
    const cmdline = o.cmdline ?? `console=com0 ${img.cmdline}`.trim();
    return {
        load: {
            kernel: { path: o.kernel, bytes },
            modules,
            cmdline,
            ramSize: mem.ram,
            loader: loader_of(o.loader),
        },
        machineRam: mem.machine,
        image: { name: img.name, dir: img.dir },
        point,
        stopAt,
        dbg: lazy,
        limits: limits_of(o),
    };
}

/** The end of the highest RAM range (type 1) in the memory map the loader handed over. */
function ram_end(load: BootInfo, ramSize: number): number {
    const ram = (load.mmap ?? []).filter((m) => m.type === 1);
    return ram.length ? Math.max(...ram.map((m) => m.base_addr + m.length)) : ramSize;
}

/**
 * Boot the real kernel with the image's modules and run it to the stop
 * point (or its own stop). `inspect` runs at the stop while the machine
 * still exists. Rejects with a UsageError or BootError for bad input.
 */
export async function realBoot(
    o: RealBootOptions,
    inspect?: (s: RealStopped) => void | Promise<void>,
): Promise<RealBootResult> {
    const p = await real_prepare(o);
    const machine = await Machine.create({
        memory: p.machineRam,
        icount: icount_shift(o.icount, true),
        sink: o.onConsole,
    });
    try {
        const load = multiboot_load(machine.mem, p.load);
        if (p.point) stop_point_arm(machine, p.point);
        machine.enter(load.entry);
        const run = await machine.run(p.limits);
        const result: RealBootResult = {
            kind: "real",
            kernel: o.kernel,
            image: p.image,
            loader: p.load.loader,
            cmdline: p.load.cmdline,
            stop_at: p.stopAt,
            stop: run.stop,
            reached:
                p.stopAt !== null &&
                run.stop.kind === "stop_point" &&
                run.stop.point === p.point!.label,
            console: machine.console.text(),
            instructions: run.instructions,
            cpu: run.cpu,
            load,
            memory: p.load.ramSize,
            ram_end: ram_end(load, p.load.ramSize),
        };
        let g: GnuMach | undefined;
        await inspect?.({
            result,
            machine,
            dbg: p.dbg,
            gnumach: () => (g ??= GnuMach.fromMachine(p.dbg(), machine)),
        });
        return result;
    } finally {
        await machine.destroy();
    }
}
