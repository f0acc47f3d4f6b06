/*
 * cli/boot_image.ts — `mach86 boot IMAGE`: boot an image into the modelled
 * kernel and print its result. Apart from cli/commands.ts (which re-exports
 * it) because the fast path (cli/fast_run.ts) runs it: importing only the
 * library modules a boot uses, not lib/index.ts, keeps report, diff, suite
 * and DWARF code out of the bundle chunk a plain image boot compiles.
 */
import { dump_progress_writer } from "../lib/dump.ts";
import {
    boot_document,
    document_text,
    exit_code,
    format_placements,
    type ExitCodeMode,
} from "../lib/boot_kernel.ts";
import { bootImage, type ImageOptions } from "../lib/model.ts";
import type { KbootResult } from "../lib/kboot.ts";
import { stop_ok } from "../lib/stop.ts";
import { checks_lines, diagnosis, sample_table, user_lines } from "../lib/text.ts";
import { console_options, lines, print_screen, type ConsoleArgs, type Io } from "./boot_kernel.ts";

/** What every command on an image takes from the command line. */
export type ImageArgs = ImageOptions & { json: boolean };

/** Print why an image boot did not succeed (nothing when it did). */
export function report_failure(r: KbootResult, io: Io): void {
    if (!stop_ok(r.stop)) lines(io.err, diagnosis(r));
}

export interface BootImageArgs extends Omit<ImageArgs, "screenWatch">, ConsoleArgs {
    dump?: string;
    samples: boolean;
    verbose: boolean;
    exitCode: ExitCodeMode;
}

/** `mach86 boot IMAGE`. */
export async function cmd_boot_image(a: BootImageArgs, io: Io): Promise<number> {
    // A dump's progress on stderr: in place on a terminal, by tenths with --verbose, never with --json.
    const tty = process.stderr.isTTY === true;
    const shown = a.dump !== undefined && !a.json && (tty || a.verbose);
    const dump = shown ? dump_progress_writer(io.err, a.dump!, tty) : undefined;
    let r;
    try {
        r = await bootImage({
            ...a,
            ...console_options({ ...a, quiet: a.quiet || a.json }, io),
            onDumpProgress: dump?.progress,
        });
    } finally {
        dump?.end();
    }
    const code = exit_code(r.stop, a.exitCode);
    if (a.json) {
        io.out(document_text(boot_document(r, code)));
        return code;
    }
    print_screen(a, r.screen, io);
    if (a.verbose) lines(io.err, format_placements(r.boot));
    lines(io.err, checks_lines(r));
    lines(io.err, user_lines(r));
    if (a.samples && r.user?.ran) lines(io.out, sample_table(r.user.kernel.samples));
    if (r.stop.kind === "exit" && r.user) {
        if (r.stop.value !== 0)
            io.err(
                `mach86: exit value ${r.stop.value}: a user task was killed or did not exit with code 0\n`,
            );
    } else report_failure(r, io);
    if (a.dump !== undefined) io.err(`mach86: wrote ${a.dump}\n`);
    return code;
}
