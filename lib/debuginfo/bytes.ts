/*
 * lib/debuginfo/bytes.ts — little-endian reads over one file's bytes, the
 * way ELF32 and DWARF lay them out: fixed-width integers, LEB128 and
 * NUL-terminated strings, at absolute offsets (no cursor object: the DWARF
 * reader keeps its own position in a local variable, which is what keeps a
 * 2.5 MB .debug_info pass fast).
 *
 * Values wider than 53 bits (DW_FORM_data8, ULEB128 beyond 7 bytes) come
 * back as the nearest double: nothing mach86 reads from a 32-bit kernel's
 * debug information needs more.
 */
import { DebugInfoError } from "./errors.ts";

const TWO32 = 0x100000000;
const utf8 = new TextDecoder("utf-8", { fatal: false });

export class Bytes {
    readonly u8: Uint8Array;
    private readonly dv: DataView;
    /** Names the file in errors. */
    readonly path: string;

    constructor(u8: Uint8Array, path: string) {
        this.u8 = u8;
        this.dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
        this.path = path;
    }

    get length(): number {
        return this.u8.length;
    }

    /** Throw the one error a truncated or corrupt file gives. */
    check(off: number, len: number, what: string): void {
        if (off < 0 || len < 0 || off + len > this.u8.length) {
            throw new DebugInfoError(
                this.path,
                `${what} at offset 0x${off.toString(16)} runs past the end of the file`,
            );
        }
    }

    u8at(off: number): number {
        return this.dv.getUint8(off);
    }
    u16(off: number): number {
        return this.dv.getUint16(off, true);
    }
    u32(off: number): number {
        return this.dv.getUint32(off, true);
    }
    i32(off: number): number {
        return this.dv.getInt32(off, true);
    }
    u64(off: number): number {
        return this.dv.getUint32(off + 4, true) * TWO32 + this.dv.getUint32(off, true);
    }

    /** A NUL-terminated string at `off` (to the end of the file when unterminated). */
    cstr(off: number): string {
        const u8 = this.u8;
        let end = off;
        while (end < u8.length && u8[end] !== 0) end++;
        return utf8.decode(u8.subarray(off, end));
    }

    /** Offset just past the NUL-terminated string at `off`. */
    cstrEnd(off: number): number {
        const u8 = this.u8;
        while (off < u8.length && u8[off] !== 0) off++;
        return off + 1;
    }

    /** A copy-free view of [off, off + len). */
    slice(off: number, len: number): Uint8Array {
        return this.u8.subarray(off, off + len);
    }
}

/**
 * Where the last ulebAt/slebAt call stopped. The LEB128 readers return the
 * value and leave the end offset here instead of allocating a [value, end]
 * pair: the index pass reads a few hundred thousand of them.
 */
export const leb = { end: 0 };

/** ULEB128 at `off`; `leb.end` is set to the offset after it. */
export function ulebAt(u8: Uint8Array, off: number): number {
    let b = u8[off++]!;
    if (b < 0x80) {
        leb.end = off;
        return b;
    }
    let result = b & 0x7f;
    let mul = 128;
    for (;;) {
        b = u8[off++]!;
        result += (b & 0x7f) * mul;
        if ((b & 0x80) === 0) break;
        mul *= 128;
    }
    leb.end = off;
    return result;
}

/** SLEB128 at `off`; `leb.end` is set to the offset after it. */
export function slebAt(u8: Uint8Array, off: number): number {
    let result = 0;
    let mul = 1;
    for (;;) {
        const b = u8[off++]!;
        result += (b & 0x7f) * mul;
        mul *= 128;
        if ((b & 0x80) === 0) {
            if (b & 0x40) result -= mul;
            break;
        }
    }
    leb.end = off;
    return result;
}

/** Offset just past the LEB128 number at `off` (either signedness). */
export function lebEnd(u8: Uint8Array, off: number): number {
    while (u8[off++]! & 0x80);
    return off;
}
