/*
 * lib/errors.ts — the three ways a library call can fail, apart from the
 * guest's own outcomes (which are results, never exceptions):
 *
 *  - bad input: UsageError (and the loader's BootError): the caller named a
 *    file, option or value mach86 cannot use; the message is one line,
 *    "<input>: <reason>", and nothing has been written;
 *  - a bug in mach86: InternalError, or the model's InvariantFailure (a
 *    failed assert()); never reported as a Mach panic or a guest crash;
 *  - interruption: InterruptedError, after an AbortSignal fired; every
 *    output still being written has been removed.
 *
 * KernelPanic is not here on purpose: a panic of the modelled kernel is a
 * result (a Stop of kind "panic"), not an error of the call.
 */
import { BootError } from "../boot/index.ts";
import { InvariantFailure } from "../kernel/kern/debug.ts";

export { BootError, InvariantFailure };

/** Bad input: `input` is what the user gave (an option, a file), `reason` why it cannot be used. */
export class UsageError extends Error {
    readonly input: string;
    readonly reason: string;
    constructor(input: string, reason: string) {
        super(`${input}: ${reason}`);
        this.name = "UsageError";
        this.input = input;
        this.reason = reason;
    }
}

/** A bug in mach86 detected by the library (the model's own asserts throw InvariantFailure). */
export class InternalError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "InternalError";
    }
}

/** The call was interrupted (its AbortSignal fired); nothing half-written was left. */
export class InterruptedError extends Error {
    constructor(message = "interrupted") {
        super(message);
        this.name = "InterruptedError";
    }
}

/** True for the errors that mean "the input is bad" (exit code 2, one line). */
export function is_bad_input(e: unknown): e is UsageError | BootError {
    return e instanceof UsageError || e instanceof BootError;
}
