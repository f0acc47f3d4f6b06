/*
 * lib/boot.ts — boot(): a multiboot v1 kernel and its modules loaded into a
 * fresh machine (the v86 CPU) the way GRUB and QEMU do, run until it stops.
 *
 * Every input is read and checked before the machine exists: the kernel
 * and module files, the RAM size, the limits. How the guest stopped is the
 * result (lib/stop.ts); the caller chooses the process exit code.
 */
import { readFileSync, statSync } from "node:fs";
import {
    BootError,
    format_placements,
    multiboot_load,
    type BootInfo,
    type ModuleSpec,
    type Placement,
} from "../boot/index.ts";
import {
    MAX_ICOUNT_SHIFT,
    Machine,
    ram_size_problem,
    type ScreenWatch,
} from "../emulator/machine.ts";
import { now_ms } from "../emulator/clock.ts";
import { screen_text, type TextScreen } from "../emulator/screen.ts";
import type { CpuState } from "../emulator/types.ts";
import { UsageError } from "./errors.ts";
import { loader_of, memory_map_of, ram_of, type LoaderName } from "./machine_input.ts";
import type { Stop } from "./stop.ts";
import { instruction_limit, parse_duration } from "./units.ts";
import { hex32, hex_digits } from "../util/hex.ts";

export { BootError, format_placements };
export type { BootInfo, CpuState, Placement, ScreenWatch, TextScreen };
export { screen_text };

/** A module: its GRUB line "PATH ARGS…", and whether a gzip file stays compressed. */
export interface ModuleArg {
    line: string;
    /** GRUB's `module --nounzip` (default false: a gzip module is decompressed). */
    nounzip?: boolean;
}

export interface BootOptions {
    /** The multiboot kernel file (ELF32 or a.out kludge). */
    kernel: string;
    /** Modules in load order: "PATH ARGS…" strings (decompressed) or ModuleArgs. */
    modules?: readonly (string | ModuleArg)[];
    /** The kernel command line (after the kernel path, as GRUB passes it). */
    cmdline?: string;
    /**
     * Guest RAM: bytes, or a size as QEMU's `-m` reads it ("64M", "1856",
     * "64.5M"; default 64 MiB). With `loader: "qemu"` it is `-m N` exactly.
     */
    memory?: number | string;
    /** The loader profile: "qemu" (default), "grub" or "legacy" (boot/profiles.ts). */
    loader?: LoaderName;
    /** An e820 map file for the grub loader (Linux "BIOS-e820:" lines or "BASE LENGTH TYPE"). */
    memoryMap?: string;
    /** Wall-clock limit: ms, or a duration such as "30s". */
    timeout?: number | string;
    /** Stop after this many guest instructions (deterministic). */
    maxInstructions?: number;
    /** Virtual clock and seeded RNG (default true): same inputs, same run. */
    deterministic?: boolean;
    /** Virtual CPU speed: 2^icount ns of virtual time per instruction (deterministic runs; default 0). */
    icount?: number;
    /** The guest's COM1 bytes as they arrive. */
    onConsole?: (chunk: Uint8Array) => void;
    /** The guest's debug-console (port 0xE9) bytes as they arrive. */
    onDebugcon?: (chunk: Uint8Array) => void;
    /** Report changes of the VGA text screen during the run. */
    screenWatch?: ScreenWatch;
}

export interface BootResult {
    kind: "kernel";
    stop: Stop;
    /** Everything the guest wrote to COM1. */
    console: string;
    /** Everything the guest wrote to the debug console (port 0xE9). */
    debugcon: string;
    /** The VGA text screen when the guest stopped. */
    screen: TextScreen | null;
    /** The loader profile that placed the kernel. */
    loader: LoaderName;
    instructions: number;
    cpu: CpuState;
    placements: Placement[];
    load: BootInfo;
    /** Guest RAM in bytes. */
    memory: number;
    /** Where the time went: building the machine, loading, running. */
    timing: { machine_ms: number; load_ms: number; run_ms: number };
}

function read_input(path: string): Uint8Array {
    let size: number;
    try {
        const st = statSync(path);
        if (!st.isFile()) throw new UsageError(path, "not a regular file");
        size = st.size;
    } catch (e) {
        if (e instanceof UsageError) throw e;
        throw new UsageError(path, "no such file");
    }
    if (size === 0) throw new UsageError(path, "empty file");
    return file_bytes(path);
}

/**
 * A file's bytes as a plain Uint8Array, not copied when that can be
 * avoided: readFileSync gives a large file a buffer of its own, and copying
 * the ~14 MB of a real kernel and its modules touched as much fresh memory
 * again (~3 ms/MiB on a VM) and made V8 collect garbage for it. A small file
 * shares Node's buffer pool and is copied out, so that the array always owns
 * all of its buffer. Throws what readFileSync throws.
 */
export function file_bytes(path: string): Uint8Array {
    const b = readFileSync(path);
    if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength)
        return new Uint8Array(b.buffer, 0, b.byteLength);
    return new Uint8Array(b);
}

/** "path args…" → ModuleSpec (GRUB semantics: the string is the whole line). */
function module_spec(m: string | ModuleArg): ModuleSpec {
    const { line, nounzip = false } = typeof m === "string" ? { line: m } : m;
    const trimmed = line.trim();
    const space = trimmed.search(/\s/);
    const path = space < 0 ? trimmed : trimmed.slice(0, space);
    const args = space < 0 ? "" : trimmed.slice(space + 1).trim();
    if (!path) throw new UsageError(nounzip ? "--module-nounzip" : "--module", "empty module path");
    return { path, args, bytes: read_input(path), nounzip };
}

/** The machine's RAM for `ramSize`: v86 takes 128 KiB granules up to 2047.875 MiB. */
function machine_ram_check(machineRam: number, memory: number | string | undefined): void {
    const problem = ram_size_problem(machineRam);
    if (problem) throw new UsageError("--memory", `${memory ?? machineRam}: ${problem}`);
}

function timeout_ms(t: number | string | undefined): number | undefined {
    const ms = typeof t === "string" ? parse_duration(t, "--timeout") : t;
    if (ms !== undefined && !(ms > 0)) throw new UsageError("--timeout", `'${t}' must be positive`);
    return ms;
}

/** A checked --icount shift (undefined: none given); it needs the virtual clock. */
export function icount_shift(n: number | undefined, deterministic: boolean): number | undefined {
    if (n === undefined) return undefined;
    if (!Number.isInteger(n) || n < 0 || n > MAX_ICOUNT_SHIFT)
        throw new UsageError("--icount", `'${n}' is not an integer from 0 to ${MAX_ICOUNT_SHIFT}`);
    if (!deterministic)
        throw new UsageError("--icount", "needs the virtual clock (not with --no-deterministic)");
    return n;
}

/**
 * Boot a multiboot kernel. Resolves with how the guest stopped (a crash or
 * a timeout is a result); rejects with a UsageError or BootError for bad
 * input, before anything runs.
 */
export async function boot(o: BootOptions): Promise<BootResult> {
    const loader = loader_of(o.loader);
    const memoryMap = memory_map_of(o.memoryMap, loader);
    const { ramSize: memory, machineRam } = ram_of(o.memory, memoryMap, "64M");
    machine_ram_check(machineRam, o.memory);
    const limits = {
        timeoutMs: timeout_ms(o.timeout),
        maxInstructions: instruction_limit(o.maxInstructions),
    };
    const req = {
        kernel: { path: o.kernel, bytes: read_input(o.kernel) },
        modules: (o.modules ?? []).map(module_spec),
        cmdline: o.cmdline ?? "",
        ramSize: memory,
        loader,
        memoryMap,
    };
    const t0 = now_ms();
    const machine = await Machine.create({
        memory: machineRam,
        deterministic: o.deterministic ?? true,
        icount: icount_shift(o.icount, o.deterministic ?? true),
        sink: o.onConsole,
        debugconSink: o.onDebugcon,
        // boot() uses the machine only through Machine: a kept one (keep_machines) may serve it.
        reuse: true,
    });
    try {
        const t1 = now_ms();
        const load = multiboot_load(machine.mem, req);
        const t2 = now_ms();
        machine.enter(load.entry);
        if (o.screenWatch) machine.watchScreen(o.screenWatch);
        const r = await machine.run(limits);
        return {
            kind: "kernel",
            stop: r.stop,
            console: machine.console.text(),
            debugcon: machine.debugcon.text(),
            screen: machine.screen() ?? null,
            loader,
            instructions: r.instructions,
            cpu: r.cpu,
            placements: load.placements,
            load,
            memory,
            timing: { machine_ms: t1 - t0, load_ms: t2 - t1, run_ms: r.wallMs },
        };
    } finally {
        await machine.destroy();
    }
}

/**
 * Keep the machines boot() builds for the next boot() in this process (a
 * `mach86 test` worker) instead of freeing them: a later boot with the same
 * RAM size gets one reset to its constructed state (emulator/machine.ts),
 * which gives the same run as a new machine at a fraction of the cost.
 * With `prepare`, build (and keep) the machine a boot with the default
 * options will want, so that the first boot does not build one either.
 */
export async function keep_machines(on: boolean, prepare = false): Promise<void> {
    await Machine.keepForReuse(on);
    if (!on || !prepare) return;
    const { machineRam } = ram_of(undefined, memory_map_of(undefined, loader_of(undefined)), "64M");
    const m = await Machine.create({ memory: machineRam, deterministic: true, reuse: true });
    await m.destroy();
}

/** How many boots in this process got a kept machine instead of a new one. */
export function machines_reused(): number {
    return Machine.reusedCount;
}

/** The last `n` lines of a console. */
export function console_tail(console: string, n = 10): string[] {
    const lines = console.replace(/\r/g, "").split("\n");
    if (lines.at(-1) === "") lines.pop();
    return lines.slice(-n);
}

/** The CPU registers as three lines of text. */
export function cpu_lines(c: CpuState): string[] {
    return [
        `eip=${hex32(c.eip)} eflags=${hex32(c.eflags)} cr0=${hex32(c.cr0)} ` +
            `cr2=${hex32(c.cr2)} cr3=${hex32(c.cr3)} cr4=${hex32(c.cr4)}`,
        `eax=${hex32(c.eax)} ebx=${hex32(c.ebx)} ecx=${hex32(c.ecx)} edx=${hex32(c.edx)} ` +
            `esp=${hex32(c.esp)} ebp=${hex32(c.ebp)} esi=${hex32(c.esi)} edi=${hex32(c.edi)}`,
        `cs=${hex_digits(c.cs, 4)} ds=${hex_digits(c.ds, 4)} ss=${hex_digits(c.ss, 4)} ` +
            `gdtr=${hex32(c.gdtrBase)}/${hex_digits(c.gdtrLimit, 4)} idtr=${hex32(c.idtrBase)}/${hex_digits(c.idtrLimit, 4)}`,
    ];
}
