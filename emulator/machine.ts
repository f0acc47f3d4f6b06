/*
 * emulator/machine.ts — the PC mach86 boots: a v86 CPU, RAM, COM1, the debug
 * console, the VGA text screen and the board's control ports, driven slice
 * by slice until the guest stops.
 *
 * A run ends when the guest writes the exit port (0xF4, any width), resets
 * the machine (8042, port 0xCF9, or a triple fault: v86 panics on an
 * exception it cannot deliver, and no double-fault gate could take it),
 * powers off (ACPI S5 at 0x604), halts with interrupts off, reaches a
 * breakpoint, is stopped by the host (stop()), crashes (v86 cannot go on for
 * a reason that is not a reset), or hits the wall-clock timeout or the
 * instruction budget. Every stop but the timeouts happens before the next
 * guest instruction. A guest crash is a result, never a host exception.
 */
import { BREAKPOINT_PORT, Breakpoints, type Breakpoint } from "./breakpoints.ts";
import { SerialConsole, type ConsoleSink } from "./console.ts";
import { platform_install } from "./platform.ts";
import { SCREEN_BYTES, screen_from_cells, type TextScreen } from "./screen.ts";
import { panic_meaning } from "./stops.ts";
import {
    MAX_ICOUNT_SHIFT,
    V86Cpu,
    V86_MAX_RAM,
    V86_RAM_GRANULE,
    type Regs,
} from "./v86_internals.ts";
import { V86PhysMem } from "./v86_physmem.ts";
import { now_ms } from "./clock.ts";
import type { CpuState, EntryState, Mmu, PhysMem } from "./types.ts";

export { DEBUGCON_PORT, EXIT_PORT } from "./platform.ts";
export type { Breakpoint } from "./breakpoints.ts";
export type { TextScreen } from "./screen.ts";
export const MIN_RAM = 2 * 1024 * 1024;
/** The modelled kernel's hypercall port (EAX = call number, arguments and results in registers). */
export const HYPERCALL_PORT = 0x5a0;
export { MAX_ICOUNT_SHIFT, V86_MAX_RAM };
export type { Regs };

export interface MachineOptions {
    /** RAM in bytes: a multiple of 128 KiB in [2 MiB, 2047.875 MiB]. */
    memory: number;
    /** Virtual clock + seeded RNG + deferred JIT install (default true). */
    deterministic?: boolean;
    seed?: number;
    /**
     * Virtual CPU speed (deterministic mode): each guest instruction lasts
     * 2^icount ns of virtual time, as QEMU's `-icount shift=N` (default 0,
     * 1 ns). Integer in [0, MAX_ICOUNT_SHIFT].
     */
    icount?: number;
    /** Where COM1 bytes stream to as they arrive (none = captured only). */
    sink?: ConsoleSink;
    /** Where debug-console (port 0xE9) bytes stream to (none = captured only). */
    debugconSink?: ConsoleSink;
    /**
     * When the process keeps machines (Machine.keepForReuse): take a kept
     * machine of the same RAM size, reset to its constructed state, instead
     * of building one, and keep this one at destroy(). The caller promises
     * to use the machine only through Machine (what V86Cpu.reset() puts back).
     */
    reuse?: boolean;
}

/**
 * Machines kept for reuse in this process: building a v86 machine costs
 * ~50–100 ms (its 65536-entry port table, device objects, a wasm instance
 * and its memory, and the garbage collection of the last one); resetting a
 * kept one costs a few ms (V86Cpu.reset). Off unless keepForReuse(true).
 */
const kept = { on: false, parked: [] as V86Cpu[], reused: 0 };
/** At most this many idle machines are kept (RAM sizes differ between cases). */
const MAX_KEPT = 2;

/** Watch the text screen during a run: `onChange` when it differs from the last look. */
export interface ScreenWatch {
    /**
     * Look at most once every this many guest instructions (at the end of the
     * v86 slice that crosses the mark, so the looks fall at the same points in
     * every deterministic run), and once at the stop.
     */
    everyInstructions: number;
    onChange(screen: TextScreen, instructions: number): void;
}

/** Why the machine reset (it stops there, as QEMU -no-reboot does). */
export type ResetCause = "keyboard controller" | "port 0xcf9" | "triple fault";

/**
 * How a run ended. `exit` carries the guest's full exit value (any width the
 * guest wrote); turning it into a process exit code is the caller's business.
 */
export type StopReason =
    | { kind: "exit"; value: number }
    | { kind: "halt" }
    | { kind: "reset"; cause: ResetCause; detail?: string }
    | { kind: "poweroff"; cause: string }
    | { kind: "crash"; reason: string }
    | { kind: "panic"; reason: string }
    | { kind: "stop_point"; point: string }
    | { kind: "timeout"; limit: string };

export interface RunLimits {
    /** Wall-clock limit in ms (default: none). */
    timeoutMs?: number;
    /** Stop after this many guest instructions (deterministic). */
    maxInstructions?: number;
}

export interface RunResult {
    stop: StopReason;
    cpu: CpuState;
    instructions: number;
    wallMs: number;
}

/** Why a RAM size cannot be used on the v86 engine, or undefined if it can. */
export function ram_size_problem(bytes: number): string | undefined {
    if (!Number.isSafeInteger(bytes) || bytes < MIN_RAM) return "below the 2 MiB minimum";
    if (bytes > V86_MAX_RAM) {
        return "above the v86 engine's cap of 2047.875 MiB (2 GiB - 128 KiB)";
    }
    if (bytes % V86_RAM_GRANULE !== 0) return "not a multiple of 128 KiB (v86's RAM granule)";
    return undefined;
}

export class Machine implements Mmu {
    readonly mem: PhysMem;
    /** COM1. */
    readonly console: SerialConsole;
    /** The debug console, port 0xE9. */
    readonly debugcon: SerialConsole;

    private readonly cpu: V86Cpu;
    private readonly ram: V86PhysMem;
    private readonly breakpoints: Breakpoints;
    private screenWatch: { watch: ScreenWatch; next: number; last?: Uint8Array } | undefined;

    private readonly reuse: boolean;

    private constructor(cpu: V86Cpu, opts: MachineOptions) {
        this.cpu = cpu;
        this.reuse = opts.reuse === true && kept.on;
        this.ram = new V86PhysMem(cpu);
        this.mem = this.ram;
        this.console = new SerialConsole(opts.sink);
        this.debugcon = new SerialConsole(opts.debugconSink);
        cpu.onSerialByte((b) => this.console.put(b));
        platform_install(
            cpu,
            (e) => this.stop(e),
            (b) => this.debugcon.put(b),
        );
        cpu.vgaTextMode();
        this.breakpoints = new Breakpoints(this.mem);
        cpu.interceptWrite8(BREAKPOINT_PORT, (_v, pass) => this.breakpointHit() || pass());
    }

    /** Build a machine; throws RangeError for a RAM size the engine cannot give exactly. */
    static async create(opts: MachineOptions): Promise<Machine> {
        const problem = ram_size_problem(opts.memory);
        if (problem) throw new RangeError(`memory ${opts.memory}: ${problem}`);
        const icount = opts.icount ?? 0;
        if (!Number.isInteger(icount) || icount < 0 || icount > MAX_ICOUNT_SHIFT)
            throw new RangeError(`icount ${icount}: not an integer in [0, ${MAX_ICOUNT_SHIFT}]`);
        const deterministic = opts.deterministic ?? true;
        const seed = opts.seed ?? 0x6d616368;
        const reuse = opts.reuse === true && kept.on;
        const k = reuse
            ? kept.parked.findIndex(
                  (c) => c.memorySize === opts.memory && c.deterministic === deterministic,
              )
            : -1;
        if (k >= 0) {
            const [cpu] = kept.parked.splice(k, 1);
            cpu!.reset({ seed, icountShift: icount });
            kept.reused++;
            return new Machine(cpu!, opts);
        }
        const cpu = await V86Cpu.create({
            memory: opts.memory,
            deterministic,
            seed,
            icountShift: icount,
        });
        if (cpu.memorySize !== opts.memory) {
            await cpu.destroy();
            throw new RangeError(`memory ${opts.memory}: v86 gave ${cpu.memorySize} bytes`);
        }
        if (reuse) cpu.capturePristine();
        return new Machine(cpu, opts);
    }

    /**
     * Keep machines made with `reuse: true` for later ones in this process
     * (a `mach86 test` worker), or stop keeping them (the kept ones are freed).
     */
    static async keepForReuse(on: boolean): Promise<void> {
        kept.on = on;
        if (!on) for (const c of kept.parked.splice(0)) await c.destroy();
    }

    /** How many machines were handed out reset instead of built, in this process. */
    static get reusedCount(): number {
        return kept.reused;
    }

    private stopWith: StopReason | undefined;

    /** Handle hypercalls: `fn` gets the registers at the OUT and may change them. */
    onHypercall(fn: (regs: Regs) => void): void {
        this.cpu.onWrite32(HYPERCALL_PORT, () => {
            const regs = this.cpu.getRegs();
            fn(regs);
            this.cpu.setRegs(regs);
            this.ram.flushDirty(); // the CPU goes on right after the OUT
        });
    }

    /**
     * Stop the run with this result before the next guest instruction. Safe
     * from any handler that runs inside a guest instruction: a hypercall, a
     * console byte (console.watch), a port.
     */
    stop(reason: StopReason): void {
        if (this.stopWith) return; // the first stop wins
        this.stopWith = reason;
        this.cpu.requestStop();
    }

    /**
     * Stop the first time execution reaches `bp.phys` (see breakpoints.ts):
     * the stop is `stop_point{point: bp.label}` with EIP at the address.
     * Every breakpoint is removed (its bytes restored) when the run stops,
     * whatever the reason.
     */
    addBreakpoint(bp: Breakpoint): void {
        this.breakpoints.add(bp);
    }

    /** The OUT to port 0xCC: a breakpoint's, or the guest's own (then false). */
    private breakpointHit(): boolean {
        if (this.breakpoints.count === 0) return false;
        const ip = this.cpu.previousIp();
        const bp = this.breakpoints.at(this.cpu.translateCode(ip));
        if (!bp) return false;
        this.cpu.setInstructionPointer(ip);
        this.stop({ kind: "stop_point", point: bp.label });
        return true;
    }

    /** The 80x25 text screen now, or undefined when the VGA is not in a text mode at 0xB8000. */
    screen(): TextScreen | undefined {
        const cells = this.cpu.vgaText(SCREEN_BYTES);
        return cells && screen_from_cells(cells);
    }

    /** Report screen changes during the next runs (undefined: stop watching). */
    watchScreen(watch: ScreenWatch | undefined): void {
        this.screenWatch = watch && { watch, next: this.cpu.instructions() };
    }

    private lookAtScreen(force: boolean): void {
        const w = this.screenWatch;
        const now = this.cpu.instructions();
        if (!w || (!force && now < w.next)) return;
        w.next = now + Math.max(1, w.watch.everyInstructions);
        const cells = this.cpu.vgaText(SCREEN_BYTES);
        if (!cells || (w.last && cells.every((b, i) => b === w.last![i]))) return;
        w.last = cells;
        w.watch.onChange(screen_from_cells(cells), now);
    }

    /**
     * From now on the host's deferred writes (PhysMem.defer, copies of them)
     * stay out of RAM until the host uses them or materialize() writes them:
     * the caller materializes whatever the CPU may read before it runs
     * (v86_physmem.ts).
     */
    deferWrites(): void {
        this.ram.deferWrites();
    }

    /** Write the deferred bytes over [pa, pa+len) into RAM (the CPU reads them next). */
    materialize(pa: number, len: number): void {
        this.ram.materialize(pa, len);
    }

    /** Write every deferred byte into RAM (the CPU may read anything next). */
    materializeAll(): void {
        this.ram.materializeAll();
    }

    /** Put the CPU in the multiboot entry state (RAM is left as it is). */
    enter(state: EntryState): void {
        this.stopWith = undefined;
        this.cpu.enterProtectedMode(state);
    }

    /**
     * Run the guest until it stops; never throws for anything the guest does.
     * After a stop_point or a timeout, run() again continues from there.
     */
    async run(limits: RunLimits = {}): Promise<RunResult> {
        this.stopWith = undefined; // a second run() continues where the last one stopped
        const start = now_ms();
        let lastYield = start;
        let stop: StopReason | undefined;
        while (!stop) {
            stop = this.slice(limits, start);
            const now = now_ms();
            if (!stop) this.lookAtScreen(false);
            if (!stop && now - lastYield > 10) {
                this.console.flush();
                this.debugcon.flush();
                await new Promise((r) => setImmediate(r));
                lastYield = now_ms();
            }
        }
        this.breakpoints.clear();
        this.lookAtScreen(true);
        this.console.flush();
        this.debugcon.flush();
        const cpu = this.cpu.state();
        return { stop, cpu, instructions: cpu.instructions, wallMs: now_ms() - start };
    }

    /** One v86 slice and the checks after it. */
    private slice(limits: RunLimits, start: number): StopReason | undefined {
        let hint: number;
        this.ram.flushDirty(); // what the host wrote between slices
        try {
            hint = this.cpu.step();
        } catch (e) {
            return this.panicStop(e);
        }
        if (this.stopWith) {
            this.cpu.clearStopRequest();
            return this.stopWith;
        }
        if (this.cpu.haltedForever()) return { kind: "halt" };
        if (this.cpu.halted() && hint > 0) this.cpu.idle(hint);
        const n = limits.maxInstructions;
        if (n !== undefined && this.cpu.instructions() >= n) {
            return { kind: "timeout", limit: `${n} instructions` };
        }
        const t = limits.timeoutMs;
        if (t !== undefined && now_ms() - start >= t) {
            return { kind: "timeout", limit: `${t / 1000} s` };
        }
        return undefined;
    }

    /** v86 threw out of main_loop: a triple fault (reset) or a crash (stops.ts). */
    private panicStop(e: unknown): StopReason {
        if (!this.cpu.panicText) {
            return {
                kind: "crash",
                reason: `v86 stopped: ${e instanceof Error ? e.message : String(e)}`,
            };
        }
        const m = panic_meaning(this.cpu.panicText, this.mem, this.cpu.state());
        if (m.kind === "triple fault")
            return { kind: "reset", cause: "triple fault", detail: m.detail };
        return { kind: "crash", reason: m.reason };
    }

    cpuState(): CpuState {
        return this.cpu.state();
    }

    // ---- Mmu ---------------------------------------------------------------

    set_cr3(pa: number): void {
        const s = this.cpu.state();
        this.cpu.setPaging(s.cr0, pa, s.cr4);
    }

    flush_tlb(): void {
        this.cpu.fullClearTlb();
    }

    /** Load CR0/CR3/CR4 from the host (tests use this to compare translations). */
    setPaging(cr0: number, cr3: number, cr4: number): void {
        this.cpu.setPaging(cr0, cr3, cr4);
    }

    /** v86's own translation of a mapped VA (it aborts on unmapped ones). */
    translate(va: number): number {
        return this.cpu.translate(va);
    }

    async destroy(): Promise<void> {
        this.ram.flushDirty();
        this.console.flush();
        this.debugcon.flush();
        if (this.reuse && kept.on && this.cpu.reusable()) {
            this.cpu.park();
            kept.parked.push(this.cpu);
            while (kept.parked.length > MAX_KEPT) await kept.parked.shift()!.destroy();
            return;
        }
        await this.cpu.destroy();
    }
}
