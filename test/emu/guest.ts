/*
 * Emu-tier helper: boot a guest kernel on a Machine through boot/ directly
 * (no CLI), with paths given relative to the repository root exactly as a
 * user would type them (they end up in the MBI's strings).
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { multiboot_load, type BootInfo } from "../../boot/index.ts";
import { machine_ram_for } from "../../boot/memsize.ts";
import type { LoaderName } from "../../boot/profiles.ts";
import type { MmapEntry } from "../../boot/mbi.ts";
import {
    Machine,
    type MachineOptions,
    type RunLimits,
    type RunResult,
} from "../../emulator/machine.ts";

export const ROOT = resolve(import.meta.dirname, "../..");

export interface GuestBoot {
    kernel: string;
    /** "path args" strings; a leading "!" marks nounzip. */
    modules?: string[];
    cmdline?: string;
    ramSize: number;
    loader?: LoaderName;
    memoryMap?: MmapEntry[];
    limits?: RunLimits;
    machine?: Partial<MachineOptions>;
    /** Called after the machine is built and loaded, before it runs. */
    before?: (m: Machine, info: BootInfo) => void;
}

export interface GuestRun {
    result: RunResult;
    console: string;
    debugcon: string;
    info: BootInfo;
    machine: Machine;
}

/** Boot, run to the stop, and keep the machine (the caller destroys it). */
export async function run_guest(g: GuestBoot): Promise<GuestRun> {
    const m = await Machine.create({ memory: machine_ram_for(g.ramSize), ...g.machine });
    const kernelBytes = readFileSync(g.kernel.startsWith("/") ? g.kernel : join(ROOT, g.kernel));
    const modules = (g.modules ?? []).map((spec) => {
        const nounzip = spec.startsWith("!");
        const text = nounzip ? spec.slice(1) : spec;
        const sp = text.indexOf(" ");
        const path = sp < 0 ? text : text.slice(0, sp);
        const args = sp < 0 ? "" : text.slice(sp + 1);
        return { path, args, nounzip, bytes: readFileSync(join(ROOT, path)) };
    });
    const info = multiboot_load(m.mem, {
        kernel: { path: g.kernel, bytes: kernelBytes },
        modules,
        cmdline: g.cmdline ?? "",
        ramSize: g.ramSize,
        loader: g.loader,
        memoryMap: g.memoryMap,
    });
    m.enter(info.entry);
    g.before?.(m, info);
    const result = await m.run({ maxInstructions: 200_000_000, ...g.limits });
    return { result, console: m.console.text(), debugcon: m.debugcon.text(), info, machine: m };
}

/** Boot, run, destroy; the console and the stop. */
export async function boot_guest(g: GuestBoot): Promise<Omit<GuestRun, "machine">> {
    const r = await run_guest(g);
    await r.machine.destroy();
    return { result: r.result, console: r.console, debugcon: r.debugcon, info: r.info };
}
