/*
 * emulator/machine.ts — the PC mach86 boots: a v86 CPU, RAM, COM1 and the
 * exit port, driven slice by slice until the guest stops.
 *
 * A run ends when the guest writes the exit port (0xF4), halts with
 * interrupts off, crashes (v86 panics on an exception with no usable IDT,
 * e.g. "Unimplemented: #GP handler", and on a triple fault), or hits the
 * wall-clock timeout or the instruction budget. A guest crash is a result,
 * never a host exception.
 */
import { SerialConsole, type ConsoleSink } from "./console.ts";
import { V86Cpu, V86_MAX_RAM, V86_RAM_GRANULE, type Regs } from "./v86_internals.ts";
import { V86PhysMem } from "./v86_physmem.ts";
import type { CpuState, EntryState, Mmu, PhysMem } from "./types.ts";

/** isa-debug-exit's port. mach86 exits with V & 0xFF (QEMU would exit with (V << 1) | 1). */
export const EXIT_PORT = 0xf4;
export const MIN_RAM = 2 * 1024 * 1024;
/** The modelled kernel's hypercall port (EAX = call number, arguments and results in registers). */
export const HYPERCALL_PORT = 0x5a0;
export { V86_MAX_RAM };
export type { Regs };

export interface MachineOptions {
    /** RAM in bytes: a multiple of 128 KiB in [2 MiB, 2047.875 MiB]. */
    memory: number;
    /** Virtual clock + seeded RNG + deferred JIT install (default true). */
    deterministic?: boolean;
    seed?: number;
    /** Where console bytes stream to as they arrive (none = captured only). */
    sink?: ConsoleSink;
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
    readonly console: SerialConsole;
    private exitValue: number | undefined;

    private readonly cpu: V86Cpu;

    private constructor(cpu: V86Cpu, sink?: ConsoleSink) {
        this.cpu = cpu;
        this.mem = new V86PhysMem(cpu);
        this.console = new SerialConsole(sink);
        cpu.onSerialByte((b) => this.console.put(b));
        const exit = (v: number) => this.exit(v);
        cpu.onWrite32(EXIT_PORT, exit);
        cpu.onWrite8(EXIT_PORT, exit);
    }

    /** Build a machine; throws RangeError for a RAM size the engine cannot give exactly. */
    static async create(opts: MachineOptions): Promise<Machine> {
        const problem = ram_size_problem(opts.memory);
        if (problem) throw new RangeError(`memory ${opts.memory}: ${problem}`);
        const cpu = await V86Cpu.create({
            memory: opts.memory,
            deterministic: opts.deterministic ?? true,
            seed: opts.seed ?? 0x6d616368,
        });
        if (cpu.memorySize !== opts.memory) {
            await cpu.destroy();
            throw new RangeError(`memory ${opts.memory}: v86 gave ${cpu.memorySize} bytes`);
        }
        return new Machine(cpu, opts.sink);
    }

    private stopWith: StopReason | undefined;

    /** Handle hypercalls: `fn` gets the registers at the OUT and may change them. */
    onHypercall(fn: (regs: Regs) => void): void {
        this.cpu.onWrite32(HYPERCALL_PORT, () => {
            const regs = this.cpu.getRegs();
            fn(regs);
            this.cpu.setRegs(regs);
        });
    }

    /** Stop the run from a hypercall handler with this result. */
    stop(reason: StopReason): void {
        this.stopWith = reason;
        this.cpu.requestStop();
    }

    private exit(value: number): void {
        this.exitValue = value >>> 0;
        this.cpu.requestStop();
    }

    /** Put the CPU in the multiboot entry state (RAM is left as it is). */
    enter(state: EntryState): void {
        this.exitValue = undefined;
        this.stopWith = undefined;
        this.cpu.enterProtectedMode(state);
    }

    /** Run the guest until it stops; never throws for anything the guest does. */
    async run(limits: RunLimits = {}): Promise<RunResult> {
        const start = performance.now();
        let lastYield = start;
        let stop: StopReason | undefined;
        while (!stop) {
            stop = this.slice(limits, start);
            const now = performance.now();
            if (!stop && now - lastYield > 10) {
                this.console.flush();
                await new Promise((r) => setImmediate(r));
                lastYield = performance.now();
            }
        }
        this.console.flush();
        const cpu = this.cpu.state();
        return { stop, cpu, instructions: cpu.instructions, wallMs: performance.now() - start };
    }

    /** One v86 slice and the checks after it. */
    private slice(limits: RunLimits, start: number): StopReason | undefined {
        let hint: number;
        try {
            hint = this.cpu.step();
        } catch (e) {
            return { kind: "crash", reason: this.crashReason(e) };
        }
        if (this.stopWith) return this.stopWith;
        if (this.exitValue !== undefined) {
            return { kind: "exit", value: this.exitValue };
        }
        if (this.cpu.haltedForever()) return { kind: "halt" };
        if (this.cpu.halted() && hint > 0) this.cpu.idle(hint);
        const n = limits.maxInstructions;
        if (n !== undefined && this.cpu.instructions() >= n) {
            return { kind: "timeout", limit: `${n} instructions` };
        }
        const t = limits.timeoutMs;
        if (t !== undefined && performance.now() - start >= t) {
            return { kind: "timeout", limit: `${t / 1000} s` };
        }
        return undefined;
    }

    /**
     * v86 panics when it cannot deliver an exception ("Unimplemented: #GP
     * handler") instead of double- and triple-faulting; say what a real CPU
     * would have done, from the IDTR.
     */
    private crashReason(e: unknown): string {
        const v86 = this.cpu.panicText.replace(/^panicked at [^\n]*\n?/, "").trim();
        const exc = /(#\w+) handler/.exec(v86)?.[1];
        if (exc) {
            const s = this.cpu.state();
            if (s.idtrLimit === 0)
                return `CPU exception ${exc} with no IDT (IDTR limit 0) (v86: ${v86})`;
            return (
                `CPU exception ${exc} could not be delivered through the IDT at ` +
                `0x${s.idtrBase.toString(16)} (limit 0x${s.idtrLimit.toString(16)}): ` +
                `a real CPU would double-fault, then triple-fault and reset (v86: ${v86})`
            );
        }
        if (v86) return `v86 panic: ${v86}`;
        return `v86 stopped: ${e instanceof Error ? e.message : String(e)}`;
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
        this.console.flush();
        await this.cpu.destroy();
    }
}
