/*
 * boot/errors.ts — the one way the loader fails.
 *
 * Where GRUB prints "error: <reason>" and QEMU exits with "qemu: <reason>",
 * mach86 turns every bad input (kernel, module, RAM size) into a BootError
 * naming the input (a file path, or "--memory") and a one-line reason; the
 * CLI prints `mach86: <input>: <reason>` and exits with 2. The loader throws
 * nothing else, and throws before it writes a byte of guest memory (QEMU may
 * have loaded the kernel already when it rejects a module).
 */

export class BootError extends Error {
    /** The file path (kernel or module) or option ("--memory") at fault. */
    readonly input: string;
    /** One line, no trailing period. */
    readonly reason: string;

    constructor(input: string, reason: string) {
        super(`${input}: ${reason}`);
        this.name = "BootError";
        this.input = input;
        this.reason = reason;
    }
}
