/*
 * lib/boot_kernel.ts — the part of the library that `mach86 boot --kernel`
 * needs: boot() of a real multiboot kernel, how runs end, its JSON
 * document and the errors, and keep_machines for the `mach86 test`
 * workers (cli/worker.ts). It imports nothing of the modelled kernel, so
 * the CLI's fast path (cli/boot_kernel.ts) loads and compiles only this
 * (build.mjs splits the bundle). Everything here is also in lib/index.ts.
 * set_code_cache_dir keeps V8's code cache of v86's JavaScript in a
 * directory (the CLI uses dist/; MACH86_CODE_CACHE=off or another
 * directory in its environment): it only saves compile time.
 */
export {
    boot,
    console_tail,
    cpu_lines,
    format_placements,
    keep_machines,
    screen_text,
    type BootOptions,
    type BootResult,
    type TextScreen,
} from "./boot.ts";
export { EXIT, exit_code, stop_text, type ExitCodeMode, type Stop } from "./stop.ts";
export { InterruptedError, is_bad_input, UsageError } from "./errors.ts";
export { boot_document, document_text } from "./json.ts";
export { discard_pending_outputs } from "./output.ts";
export { prepare_engine, set_code_cache_dir } from "./engine.ts";
