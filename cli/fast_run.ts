/*
 * cli/fast_run.ts — run a boot or a test cli/fast.ts read, exactly as the
 * yargs path runs it. `boot --kernel` loads only cli/boot_kernel.ts (no
 * modelled kernel: a smaller bundle chunk to compile); `boot IMAGE` loads
 * the command tree when it needs it; `test` loads the suite runner.
 */
import { discard_pending_outputs, EXIT } from "../lib/boot_kernel.ts";
import { cmd_boot_kernel, processIo, type Io } from "./boot_kernel.ts";
import { fast_boot_image, fast_boot_kernel, fast_test } from "./fast.ts";
import { end_on_closed_output, exitWhenFlushed, exitWithError } from "./finish.ts";

/** What the yargs path gives when no console option is on the command line. */
const CONSOLE_DEFAULTS = { serial: "stdout", debugcon: "stdout", screen: false } as const;

/** The boot `args` ask for, run with `io`; undefined when they need yargs. */
export function run_fast(args: readonly string[], io: Io): Promise<number> | undefined {
    const k = fast_boot_kernel(args);
    if (k) return cmd_boot_kernel({ ...CONSOLE_DEFAULTS, ...k, deterministic: true }, io);
    const i = fast_boot_image(args);
    if (i)
        return import("./boot_image.ts").then(({ cmd_boot_image }) =>
            cmd_boot_image({ ...CONSOLE_DEFAULTS, ...i }, io),
        );
    return undefined;
}

/** The process's run: false when the arguments need yargs (nothing was started). */
export function run_fast_process(args: readonly string[]): boolean {
    // As in cli/mach86.ts: Ctrl-C or a closed output stops a test's workers first.
    const abort = new AbortController();
    const test = fast_test(args);
    const run = test
        ? import("./test_cmd.ts").then(({ cmd_test }) =>
              cmd_test({ ...test, signal: abort.signal }, processIo),
          )
        : run_fast(args, processIo);
    if (!run) return false;
    end_on_closed_output(() => abort.abort());
    process.on("SIGINT", () => {
        abort.abort();
        discard_pending_outputs();
        process.stderr.write("mach86: interrupted\n");
        process.exit(EXIT.INTERRUPTED);
    });
    run.then(exitWhenFlushed, (e: unknown) => exitWithError(e, args));
    return true;
}
