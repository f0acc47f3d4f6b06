/*
 * cli/entry.ts — what dist/mach86.mjs runs first. A plain `boot --kernel`
 * (cli/fast.ts) loads only the boot code; every other command line loads
 * yargs and the whole command tree (cli/mach86.ts). The bundle is split
 * (build.mjs) so that neither path parses the other's code.
 */
import { fast_boot_kernel } from "./fast.ts";

const args = process.argv.slice(2);
const fast = fast_boot_kernel(args);
if (fast) {
    const { run_fast_boot } = await import("./fast_run.ts");
    run_fast_boot(fast, args);
} else {
    await import("./mach86.ts");
}
