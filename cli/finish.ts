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
 * A failed write ends the run as end_on_closed_output says.
 */
export function exitWhenFlushed(code: number): void {
    process.stdout.write("", (e) => {
        if (e) return output_failed(process.stdout, e);
        process.stderr.write("", (e2) =>
            e2 ? output_failed(process.stderr, e2) : process.exit(code),
        );
    });
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

/**
 * A reader of stdout that goes away (`mach86 boot … | head`) ends the run
 * the way SIGPIPE ends a C program: silently (stderr may be the same pipe),
 * with nothing half-written left and exit code 141 (128 + SIGPIPE), never
 * an EPIPE stack trace. Any other failure to write stdout or stderr is an
 * output that cannot be written: one line if stderr still works, and 2.
 * `stop` ends what the run started (child processes) first.
 */
export function end_on_closed_output(stop: () => void = () => {}): void {
    stopOnClosedOutput = stop;
    for (const stream of [process.stdout, process.stderr])
        stream.on("error", (e) => output_failed(stream, e));
}

let stopOnClosedOutput = (): void => {};

function output_failed(stream: NodeJS.WriteStream, e: NodeJS.ErrnoException): never {
    stopOnClosedOutput();
    discard_pending_outputs();
    if (e.code === "EPIPE") process.exit(EXIT.CLOSED_OUTPUT);
    if (stream === process.stdout) process.stderr.write(`mach86: stdout: ${e.message}\n`);
    process.exit(EXIT.USAGE);
}

export function exitWithError(e: unknown, args: readonly string[]): void {
    exitWhenFlushed(error_exit_code(e, args, (t) => process.stderr.write(t)));
}
