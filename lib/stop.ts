/*
 * lib/stop.ts — how a run ended, and the process exit code mach86 gives it.
 *
 * A Stop is the emulator's StopReason, plus one kind only the modelled
 * kernel produces: "stuck" (a request of the boot's first tasks failed, so
 * GNU Mach would hang there without panicking, as d-i did in 2014).
 *
 * Exit codes live in mach86's own space: a guest's exit value never leaks
 * into it unless the caller asks (ExitCodeMode "guest" or "qemu").
 *
 * | code | meaning |
 * |---|---|
 * | 0 | success: guest exit value 0, halt, power-off, a stop point reached, a completed boot |
 * | 1 | failure judged from the guest or model: exit value != 0, a boot that got stuck |
 * | 2 | bad input or usage |
 * | 3 | timeout |
 * | 4 | guest crash (the CPU cannot go on, and it is not a reset) |
 * | 5 | panic of the modelled kernel |
 * | 6 | machine reset (keyboard controller, port 0xCF9, triple fault) |
 * | 70 | internal error: a bug in mach86 |
 * | 130 | interrupted (Ctrl-C) |
 * | 141 | the reader of stdout went away (`mach86 … \| head`), as SIGPIPE ends a C program |
 */
import type { StopReason } from "../emulator/machine.ts";
import { hex32 } from "../util/hex.ts";

export type Stop = StopReason | { kind: "stuck"; reason: string };
export type StopKind = Stop["kind"];

export const STOP_KINDS: readonly StopKind[] = [
    "exit",
    "halt",
    "poweroff",
    "stop_point",
    "stuck",
    "timeout",
    "crash",
    "panic",
    "reset",
];

/** mach86's process exit codes (see the table above). */
export const EXIT = {
    OK: 0,
    FAILURE: 1,
    USAGE: 2,
    TIMEOUT: 3,
    CRASH: 4,
    PANIC: 5,
    RESET: 6,
    INTERNAL: 70,
    INTERRUPTED: 130,
    CLOSED_OUTPUT: 141,
} as const;

/**
 * What a guest's exit value becomes: "status" (default) keeps mach86's own
 * codes (0 for value 0, else 1); "guest" passes value & 0xFF through; "qemu"
 * gives what QEMU's isa-debug-exit gives, ((value << 1) | 1) & 0xFF.
 */
export type ExitCodeMode = "status" | "guest" | "qemu";
export const EXIT_CODE_MODES: readonly ExitCodeMode[] = ["status", "guest", "qemu"];

const CODE_OF_KIND: Record<Exclude<StopKind, "exit">, number> = {
    halt: EXIT.OK,
    poweroff: EXIT.OK,
    stop_point: EXIT.OK,
    stuck: EXIT.FAILURE,
    timeout: EXIT.TIMEOUT,
    crash: EXIT.CRASH,
    panic: EXIT.PANIC,
    reset: EXIT.RESET,
};

/** The process exit code of a run that ended with `stop`. */
export function exit_code(stop: Stop, mode: ExitCodeMode = "status"): number {
    if (stop.kind !== "exit") return CODE_OF_KIND[stop.kind];
    const v = stop.value >>> 0;
    switch (mode) {
        case "status":
            return v === 0 ? EXIT.OK : EXIT.FAILURE;
        case "guest":
            return v & 0xff;
        case "qemu":
            return ((v << 1) | 1) & 0xff;
    }
}

/** True when the run succeeded by mach86's own measure (exit code 0 in "status" mode). */
export function stop_ok(stop: Stop): boolean {
    return exit_code(stop) === EXIT.OK;
}

/** The text a regex in a suite's `expect.reason` is matched against (the stop's own words). */
export function stop_detail(stop: Stop): string {
    switch (stop.kind) {
        case "exit":
            return String(stop.value);
        case "halt":
            return "";
        case "reset":
            return stop.detail ? `${stop.cause}: ${stop.detail}` : stop.cause;
        case "poweroff":
            return stop.cause;
        case "stop_point":
            return stop.point;
        case "timeout":
            return stop.limit;
        case "crash":
        case "panic":
        case "stuck":
            return stop.reason;
    }
}

/** One line saying how the run ended, as mach86 prints it (without the "mach86: " prefix). */
export function stop_text(stop: Stop): string {
    switch (stop.kind) {
        case "exit":
            return `guest exited with value ${stop.value} (${hex32(stop.value)})`;
        case "halt":
            return "guest halted with interrupts off";
        case "reset":
            return `machine reset (${stop_detail(stop)})`;
        case "poweroff":
            return `guest powered off (${stop.cause})`;
        case "stop_point":
            return `stopped at ${stop.point}`;
        case "timeout":
            return `timeout after ${stop.limit}`;
        case "crash":
            return `guest crashed: ${stop.reason}`;
        case "panic":
            return `kernel panic: ${stop.reason.replace(/^panic: /, "")}`;
        case "stuck":
            return `boot failed: ${stop.reason}`;
    }
}
