/*
 * cli/entry.ts — what dist/mach86.mjs runs first. A plain `boot --kernel`
 * or `boot IMAGE` (cli/fast.ts) loads only the boot code; every other
 * command line loads yargs and the whole command tree (cli/mach86.ts). The
 * bundle is split (build.mjs) so that neither path parses the other's code.
 * `__suite-worker` is a `mach86 test` pool worker (cli/worker.ts); `test`
 * forks its first one before anything else is loaded.
 *
 * V8's code cache of v86's JavaScript is kept beside the bundle, in dist/
 * (MACH86_CODE_CACHE=DIR puts it elsewhere, =off keeps none).
 *
 * Before loading the rest, a command line that will run v86 (a boot not
 * on the none engine, a suite worker) starts v86.wasm's compile: it runs
 * on other threads while this one loads and compiles the boot code. This
 * file imports only lib/engine.ts for that; the rest comes by import().
 */
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { prepare_engine, set_code_cache_dir } from "../lib/engine.ts";

const cacheDir = process.env["MACH86_CODE_CACHE"] || dirname(fileURLToPath(import.meta.url));
set_code_cache_dir(cacheDir === "off" ? undefined : cacheDir);

const args = process.argv.slice(2);
if (args[0] === "test" && !args.some((a) => /^(--isolate|--help|-h|--version)$/.test(a))) {
    // The suite's first warm worker starts now, alongside the parser's loading (lib/suite/pool.ts).
    const { prefork } = await import("../lib/suite/pool.ts");
    prefork(fileURLToPath(import.meta.url));
}
const runsV86 =
    args[0] === "__suite-worker" ||
    (args[0] === "boot" && !args.some((a) => a === "none" || a === "--engine=none"));
if (runsV86) prepare_engine();
if (args[0] === "__suite-worker") {
    await import("./worker.ts");
} else {
    const { run_fast_process } = await import("./fast_run.ts");
    if (!run_fast_process(args)) await import("./mach86.ts");
}
