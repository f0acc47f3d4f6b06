/*
 * cli/boot.ts — `mach86 boot`: load a multiboot kernel and its modules into a
 * fresh machine, run it, and turn the way it stopped into an exit code.
 *
 * Exit codes: the guest's exit value (port 0xF4, V & 0xFF); 0 when it halts
 * with interrupts off; 1 guest crash or kernel panic; 2 bad input or usage;
 * 3 timeout.
 */
import { readFileSync, statSync } from "node:fs";
import {
    BootError,
    format_placements,
    multiboot_load,
    type BootInfo,
    type ModuleSpec,
} from "../boot/index.ts";
import { Machine, ram_size_problem, type RunResult } from "../emulator/machine.ts";
export { BootError };
import { hex32, parse_duration, parse_size, UsageError } from "./units.ts";

export const EXIT = { OK: 0, CRASH: 1, USAGE: 2, TIMEOUT: 3 } as const;

export interface BootOptions {
    kernel: string;
    module?: string[];
    moduleNounzip?: string[];
    cmdline?: string;
    memory?: string;
    timeout?: string;
    maxInstructions?: number;
    deterministic?: boolean;
    quiet?: boolean;
    verbose?: boolean;
    json?: boolean;
}

/** Where the command writes: injectable so tests can run it in-process. */
export interface Io {
    out(text: string): void;
    err(text: string): void;
    console(chunk: Uint8Array): void;
}

export const processIo: Io = {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    console: (c) => process.stdout.write(c),
};

export interface BootReport {
    exitCode: number;
    result?: RunResult;
    boot?: BootInfo;
    console: string;
}

function readInput(path: string): Uint8Array {
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
    return new Uint8Array(readFileSync(path));
}

/** "path args…" → ModuleSpec (GRUB semantics: the string is the whole line). */
function moduleSpec(line: string, nounzip: boolean): ModuleSpec {
    const trimmed = line.trim();
    const space = trimmed.search(/\s/);
    const path = space < 0 ? trimmed : trimmed.slice(0, space);
    const args = space < 0 ? "" : trimmed.slice(space + 1).trim();
    if (!path) throw new UsageError(nounzip ? "--module-nounzip" : "--module", "empty module path");
    return { path, args, bytes: readInput(path), nounzip };
}

function memoryBytes(opts: BootOptions): number {
    const bytes = parse_size(opts.memory ?? "64M", "--memory");
    const problem = ram_size_problem(bytes);
    if (problem) throw new UsageError("--memory", `${opts.memory}: ${problem}`);
    return bytes;
}

const hex16 = (n: number) => "0x" + n.toString(16).padStart(4, "0");

function exitCodeOf(r: RunResult): number {
    switch (r.stop.kind) {
        case "exit":
            return r.stop.value & 0xff;
        case "halt":
            return EXIT.OK;
        case "crash":
            return EXIT.CRASH;
        case "panic":
        case "reset":
            return EXIT.CRASH;
        case "poweroff":
        case "stop_point":
            return EXIT.OK;
        case "timeout":
            return EXIT.TIMEOUT;
    }
}

/** Human lines describing how the guest stopped (stderr). */
export function describe_stop(r: RunResult, tail: string[]): string[] {
    const c = r.cpu;
    const regs =
        `eip=${hex32(c.eip)} eflags=${hex32(c.eflags)} cr0=${hex32(c.cr0)} ` +
        `cr2=${hex32(c.cr2)} cr3=${hex32(c.cr3)} cr4=${hex32(c.cr4)}`;
    switch (r.stop.kind) {
        case "exit":
            return [
                `mach86: guest exited with value ${hex32(r.stop.value)} (exit code ${r.stop.value & 0xff})`,
            ];
        case "halt":
            return [`mach86: guest halted with interrupts off at eip=${hex32(c.eip)}`];
        case "timeout":
            return [`mach86: timeout after ${r.stop.limit} at eip=${hex32(c.eip)}`];
        case "panic":
            return [`mach86: ${r.stop.reason}`];
        case "reset":
            return [`mach86: machine reset (${r.stop.cause}) at eip=${hex32(c.eip)}`];
        case "poweroff":
            return [`mach86: guest powered off (${r.stop.cause})`];
        case "stop_point":
            return [`mach86: stopped at ${r.stop.point} (eip=${hex32(c.eip)})`];
        case "crash":
            return [
                `mach86: guest crashed: ${r.stop.reason}`,
                `  ${regs}`,
                `  eax=${hex32(c.eax)} ebx=${hex32(c.ebx)} ecx=${hex32(c.ecx)} edx=${hex32(c.edx)} ` +
                    `esp=${hex32(c.esp)} ebp=${hex32(c.ebp)} esi=${hex32(c.esi)} edi=${hex32(c.edi)}`,
                `  cs=${hex16(c.cs)} ds=${hex16(c.ds)} ss=${hex16(c.ss)} ` +
                    `gdtr=${hex32(c.gdtrBase)}/${hex16(c.gdtrLimit)} idtr=${hex32(c.idtrBase)}/${hex16(c.idtrLimit)}`,
                tail.length ? "  last console lines:" : "  (no console output)",
                ...tail.map((l) => `  | ${l}`),
            ];
    }
}

function loadRequest(opts: BootOptions, ramSize: number) {
    const modules = [
        ...(opts.module ?? []).map((m) => moduleSpec(m, false)),
        ...(opts.moduleNounzip ?? []).map((m) => moduleSpec(m, true)),
    ];
    return {
        kernel: { path: opts.kernel, bytes: readInput(opts.kernel) },
        modules,
        cmdline: opts.cmdline ?? "",
        ramSize,
    };
}

/** Run `mach86 boot`; returns the process exit code and what happened. Never throws. */
export async function boot_command(opts: BootOptions, io: Io = processIo): Promise<BootReport> {
    let machine: Machine | undefined;
    try {
        const memory = memoryBytes(opts);
        const timeoutMs = opts.timeout ? parse_duration(opts.timeout, "--timeout") : undefined;
        const req = loadRequest(opts, memory);
        const stream = !opts.quiet && !opts.json;
        const t0 = performance.now();
        machine = await Machine.create({
            memory,
            deterministic: opts.deterministic ?? true,
            sink: stream ? io.console : undefined,
        });
        const t1 = performance.now();
        const boot = multiboot_load(machine.mem, req);
        if (opts.verbose) {
            for (const l of format_placements(boot)) io.err(l + "\n");
            io.err(
                `mach86: machine ready in ${(t1 - t0).toFixed(1)} ms, ` +
                    `loaded in ${(performance.now() - t1).toFixed(1)} ms\n`,
            );
        }
        machine.enter(boot.entry);
        const result = await machine.run({ timeoutMs, maxInstructions: opts.maxInstructions });
        const report = {
            exitCode: exitCodeOf(result),
            result,
            boot,
            console: machine.console.text(),
        };
        emitResult(opts, io, report, machine.console.tail(10));
        return report;
    } catch (e) {
        if (e instanceof UsageError || e instanceof BootError) {
            io.err(`mach86: ${e.message}\n`);
            return { exitCode: EXIT.USAGE, console: "" };
        }
        throw e;
    } finally {
        await machine?.destroy();
    }
}

function emitResult(opts: BootOptions, io: Io, rep: BootReport, tail: string[]): void {
    const r = rep.result!;
    if (opts.json) {
        io.out(JSON.stringify(boot_json(rep), null, 2) + "\n");
        return;
    }
    const quietOk = r.stop.kind === "exit" || r.stop.kind === "halt";
    if (opts.verbose || !quietOk) for (const l of describe_stop(r, tail)) io.err(l + "\n");
    if (opts.verbose) {
        io.err(`mach86: ${r.instructions} instructions in ${r.wallMs.toFixed(1)} ms\n`);
    }
}

/** The `--json` document of `mach86 boot` (schema documented in README). */
export function boot_json(rep: BootReport) {
    const r = rep.result!;
    return {
        exitCode: rep.exitCode,
        stop: r.stop,
        instructions: r.instructions,
        cpu: r.cpu,
        placements: rep.boot?.placements ?? [],
        console: rep.console,
    };
}
