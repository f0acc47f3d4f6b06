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

/** Invariant check; a failure is a bug in the model, reported as Mach reports it. */
export function assert(cond: unknown, what: string): asserts cond {
    if (!cond) panic(`assertion failed: ${what}`);
}
