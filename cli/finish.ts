/*
 * cli/finish.ts — how every `mach86` run ends, whichever path parsed its
 * arguments (cli/fast.ts or yargs in cli/mach86.ts): exit once stdout and
 * stderr are flushed, with the exit code of the run or of its error.
 */
import { discard_pending_outputs, EXIT, InterruptedError, is_bad_input } from "../lib/index.ts";

/**
 * Exit as soon as output is flushed: V8 keeps tiering v86.wasm up with
 * TurboFan in the background, and a natural exit waits ~200 ms for it.
 */
export function exitWhenFlushed(code: number): void {
    process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}

/** A rejected run: bad input is one line and exit 2; anything else is a mach86 bug (70). */
export function exitWithError(e: unknown, args: readonly string[]): void {
    discard_pending_outputs();
    if (is_bad_input(e)) {
        process.stderr.write(`mach86: ${e.message}\n`);
        exitWhenFlushed(EXIT.USAGE);
        return;
    }
    if (e instanceof InterruptedError) {
        process.stderr.write("mach86: interrupted\n");
        exitWhenFlushed(EXIT.INTERRUPTED);
        return;
    }
    // A bug in mach86 itself: say so, ask for a report; the trace for MACH86_DEBUG=1.
    const what = e instanceof Error ? e.message : String(e);
    process.stderr.write(
        `mach86: internal error (mach86 bug): ${what}\n` +
            `mach86: please report it with the command line: mach86 ${args.join(" ")}\n`,
    );
    if (process.env["MACH86_DEBUG"]) console.error(e);
    exitWhenFlushed(EXIT.INTERNAL);
}
