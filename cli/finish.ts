/*
 * cli/finish.ts — how every `mach86` run ends, whichever path parsed its
 * arguments (cli/fast.ts or yargs in cli/mach86.ts): exit once stdout and
 * stderr are flushed, with the exit code of the run or of its error.
 */
import {
    discard_pending_outputs,
    EXIT,
    InterruptedError,
    is_bad_input,
} from "../lib/boot_kernel.ts";

/**
 * Exit as soon as output is flushed: V8 keeps tiering v86.wasm up with
 * TurboFan in the background, and a natural exit waits ~200 ms for it.
 */
export function exitWhenFlushed(code: number): void {
    process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}

/**
 * What a rejected run prints and its exit code: bad input is one line and
 * 2; anything else is a mach86 bug (70).
 */
export function error_exit_code(
    e: unknown,
    args: readonly string[],
    err: (text: string) => void,
): number {
    discard_pending_outputs();
    if (is_bad_input(e)) {
        err(`mach86: ${e.message}\n`);
        return EXIT.USAGE;
    }
    if (e instanceof InterruptedError) {
        err("mach86: interrupted\n");
        return EXIT.INTERRUPTED;
    }
    // A bug in mach86 itself: say so, ask for a report; the trace for MACH86_DEBUG=1.
    const what = e instanceof Error ? e.message : String(e);
    err(
        `mach86: internal error (mach86 bug): ${what}\n` +
            `mach86: please report it with the command line: mach86 ${args.join(" ")}\n`,
    );
    if (process.env["MACH86_DEBUG"]) console.error(e);
    return EXIT.INTERNAL;
}

export function exitWithError(e: unknown, args: readonly string[]): void {
    exitWhenFlushed(error_exit_code(e, args, (t) => process.stderr.write(t)));
}
