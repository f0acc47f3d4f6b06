/*
 * kernel/kern/debug.ts — models kern/debug.c: panic() and assert().
 *
 * panic() throws a KernelPanic carrying Mach's own message; the boot driver
 * catches it, stops the machine and reports the panic as the run's result.
 *
 * Departure from GNU Mach: a failed assert() does not panic. In GNU Mach it
 * calls Assert(), which panics; in the model every assert() states an
 * invariant of the model itself (no guest, workload or user input can break
 * one without a bug in mach86), so it throws an InvariantFailure instead,
 * which the library reports as an internal error of mach86, never as a
 * Mach panic.
 */

export class KernelPanic extends Error {
    readonly panicMessage: string;
    constructor(message: string) {
        super(`panic: ${message}`);
        this.panicMessage = message;
    }
}

/** A failed assert(): the model broke one of its own invariants (a bug in mach86). */
export class InvariantFailure extends Error {
    readonly what: string;
    constructor(what: string) {
        super(`assertion failed: ${what}`);
        this.name = "InvariantFailure";
        this.what = what;
    }
}

export function panic(message: string): never {
    throw new KernelPanic(message);
}

/**
 * Invariant check; a failure is a bug in the model (InvariantFailure). A
 * message that needs formatting is passed as a function, so hot paths do
 * not build strings for checks that hold.
 */
export function assert(cond: unknown, what: string | (() => string)): asserts cond {
    if (!cond) throw new InvariantFailure(typeof what === "string" ? what : what());
}
