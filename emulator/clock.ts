/*
 * emulator/clock.ts — the host's monotonic clock in milliseconds, for wall
 * time limits and timings. process.hrtime, not `performance.now()`: Node
 * loads perf_hooks on the first use of the `performance` global (~5 ms of
 * a cold boot). Only differences of its values mean anything.
 */

/** Milliseconds on a monotonic clock with an arbitrary origin. */
export function now_ms(): number {
    const [s, ns] = process.hrtime();
    return s * 1e3 + ns / 1e6;
}
