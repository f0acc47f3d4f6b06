/*
 * boot/bytes.ts — bounded little-endian reads over an input file, and the
 * address arithmetic the loader shares (multiboot and ELF32 fields are all
 * little-endian u16/u32, spec 0.6.96 §3.1 and the System V ABI).
 *
 * Every read names what it reads, so an out-of-bounds field of a damaged
 * file becomes BootError(path, "truncated <what>") instead of `undefined`
 * silently turning into NaN. Addresses are plain numbers: sums of two u32
 * values are exact (< 2^33), so a range that crosses 4 GiB is detected, never
 * wrapped.
 */
import { BootError } from "./errors.ts";
import { hex_pad8 } from "../util/hex.ts";

export const PAGE_SIZE = 4096;
export const KIB = 1024;
export const MIB = 1024 * 1024;
export const FOUR_GIB = 0x1_0000_0000;

/** One input file: its path (for errors) and bytes. */
export class FileBytes {
    readonly path: string;
    readonly bytes: Uint8Array;

    constructor(path: string, bytes: Uint8Array) {
        this.path = path;
        this.bytes = bytes;
    }
    get length(): number {
        return this.bytes.length;
    }
    /** Whether [off, off + len) lies inside the file. */
    has(off: number, len: number): boolean {
        return off >= 0 && len >= 0 && off + len <= this.bytes.length;
    }
    fail(reason: string): never {
        throw new BootError(this.path, reason);
    }
    u8(off: number, what: string): number {
        if (!this.has(off, 1)) this.fail(`truncated ${what}`);
        return this.bytes[off]!;
    }
    u16(off: number, what: string): number {
        if (!this.has(off, 2)) this.fail(`truncated ${what}`);
        return this.bytes[off]! | (this.bytes[off + 1]! << 8);
    }
    u32(off: number, what: string): number {
        if (!this.has(off, 4)) this.fail(`truncated ${what}`);
        const b = this.bytes;
        return (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
    }
    /** A view (no copy) of [off, off + len). */
    slice(off: number, len: number, what: string): Uint8Array {
        if (!this.has(off, len)) this.fail(`truncated ${what}`);
        return this.bytes.subarray(off, off + len);
    }
}

export function align_up(n: number, align: number): number {
    return Math.ceil(n / align) * align;
}

/** "0x00100000–0x00180000": a half-open range [start, end). */
export function range_str(start: number, end: number): string {
    return `${hex_pad8(start)}–${hex_pad8(end)}`;
}

/** "64 MiB", "2047.875 MiB", "4 KiB", "56 B" (rounded to 3 decimals). */
export function size_str(bytes: number): string {
    if (bytes >= MIB) return `${+(bytes / MIB).toFixed(3)} MiB`;
    if (bytes >= KIB) return `${+(bytes / KIB).toFixed(3)} KiB`;
    return `${bytes} B`;
}

/** Like size_str but never rounded: "2047.875 MiB", "3076 KiB", "2097151 bytes". */
export function size_exact(bytes: number): string {
    if (Number.isInteger((bytes / MIB) * 1000)) return `${bytes / MIB} MiB`;
    if (bytes % KIB === 0) return `${bytes / KIB} KiB`;
    return `${bytes} bytes`;
}
