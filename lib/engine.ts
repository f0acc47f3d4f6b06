/*
 * lib/engine.ts — what a process sets up for v86 before it loads any of the
 * boot code: where V8's code cache of v86's JavaScript is kept
 * (set_code_cache_dir) and the early start of v86.wasm's compile
 * (prepare_engine). The CLI's entry imports only this (and what it
 * imports), so that the compile runs on other threads while the main one
 * loads and compiles the rest of mach86 (build.mjs splits the bundle).
 * Both only save time; lib/index.ts exports them too.
 */
import { prepare_v86, set_v86_code_cache } from "../emulator/v86_internals.ts";

export { set_v86_code_cache as set_code_cache_dir };

/**
 * Start reading and compiling v86.wasm now, off the main thread; the first
 * machine waits for it (or starts it itself when nobody called this).
 */
export function prepare_engine(): void {
    void prepare_v86();
}
