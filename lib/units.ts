/*
 * lib/units.ts — parsing of the sizes and durations users type.
 *
 * Sizes: a number of bytes with an optional K/M/G suffix (binary: 1K = 1024),
 * optionally followed by "iB" or "B" ("64M", "1856MiB", "0x8000", "2G").
 * Durations: "30s", "500ms", "2m", or a bare number of seconds.
 */
import { UsageError } from "./errors.ts";

const SIZE_UNITS: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** Bytes for a size string; throws UsageError naming `what`. */
export function parse_size(text: string, what: string): number {
    const m = /^\s*(0x[0-9a-f]+|\d+(?:\.\d+)?)\s*([KMG]?)(?:i?B)?\s*$/i.exec(text);
    if (!m) throw new UsageError(what, `'${text}' is not a size (use e.g. 64M, 1856M, 2G)`);
    const value = m[1]!.toLowerCase().startsWith("0x") ? parseInt(m[1]!, 16) : Number(m[1]);
    const bytes = value * SIZE_UNITS[m[2]!.toUpperCase()]!;
    if (!Number.isSafeInteger(bytes)) {
        throw new UsageError(what, `'${text}' is not a whole number of bytes`);
    }
    return bytes;
}

const TIME_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, "": 1000 };

/** Milliseconds for a duration string; throws UsageError naming `what`. */
export function parse_duration(text: string, what: string): number {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|)\s*$/.exec(text);
    if (!m) throw new UsageError(what, `'${text}' is not a duration (use e.g. 30s, 500ms, 2m)`);
    const ms = Number(m[1]) * TIME_UNITS[m[2]!]!;
    if (!(ms > 0)) throw new UsageError(what, `'${text}' must be positive`);
    return ms;
}

/** "64 MiB", "1855.5 MiB", "4 KiB": a size as a person reads it. */
export function format_size(bytes: number): string {
    for (const [unit, n] of [
        ["GiB", 1024 ** 3],
        ["MiB", 1024 ** 2],
        ["KiB", 1024],
    ] as const) {
        if (bytes >= n) return `${+(bytes / n).toFixed(3)} ${unit}`;
    }
    return `${bytes} B`;
}

/** A positive whole number of instructions (undefined stays undefined), or a UsageError. */
export function instruction_limit(n: number | undefined): number | undefined {
    if (n === undefined) return undefined;
    if (!Number.isSafeInteger(n) || n < 1)
        throw new UsageError("--max-instructions", `'${n}' is not a positive whole number`);
    return n;
}
