/* cli/fast_run.ts — run the boot cli/fast.ts read, exactly as the yargs path runs it. */
import { discard_pending_outputs, EXIT } from "../lib/index.ts";
import { cmd_boot_kernel, processIo } from "./commands.ts";
import type { FastBoot } from "./fast.ts";
import { exitWhenFlushed, exitWithError } from "./finish.ts";

export function run_fast_boot(a: FastBoot, args: readonly string[]): void {
    process.on("SIGINT", () => {
        discard_pending_outputs();
        process.stderr.write("mach86: interrupted\n");
        process.exit(EXIT.INTERRUPTED);
    });
    cmd_boot_kernel({ ...a, deterministic: true }, processIo).then(exitWhenFlushed, (e: unknown) =>
        exitWithError(e, args),
    );
}
