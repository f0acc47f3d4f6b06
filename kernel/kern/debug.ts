/*
 * kernel/kern/debug.ts — models kern/debug.c: panic() and assert().
 *
 * panic() throws a KernelPanic carrying Mach's own message; the boot driver
 * catches it, stops the machine and prints the diagnosis (exit 1). It is
 * the only exception kernel/ throws.
 */

export class KernelPanic extends Error {
    readonly panicMessage: string;
    constructor(message: string) {
        super(`panic: ${message}`);
        this.panicMessage = message;
    }
}

export function panic(message: string): never {
    throw new KernelPanic(message);
}

/**
 * Invariant check; a failure is a bug in the model, reported as Mach
 * reports it. A message that needs formatting is passed as a function, so
 * hot paths do not build strings for checks that hold.
 */
export function assert(cond: unknown, what: string | (() => string)): asserts cond {
    if (!cond) panic(`assertion failed: ${typeof what === "string" ? what : what()}`);
}
