/*
 * emulator/resident.ts — which 4 KiB pages of a large ArrayBuffer the host
 * OS has ever backed with memory, read from Linux's /proc/self/pagemap,
 * without touching the pages.
 *
 * Why: a page of RAM nobody wrote reads as zero, but reading it makes the
 * OS map it, and on a virtual machine each such fault is slow (~20 µs: a
 * full read of 1856 MiB of untouched wasm memory took 6 s and left 1.9 GB
 * resident). --dump only needs the pages someone touched.
 *
 * JavaScript cannot see the address of a buffer, so the buffer's mapping is
 * found in /proc/self/maps as the one read-write anonymous mapping of
 * exactly its byte length; more than one, none, or no /proc: undefined,
 * and the caller reads every page as before. The caller checks the answer
 * against pages it knows are non-zero (lib/dump.ts).
 */
import { closeSync, openSync, readFileSync, readSync } from "node:fs";

const PAGE = 4096;
/** PRESENT (bit 63) and SWAPPED (bit 62) of a pagemap entry, in its high half. */
const HIGH_BITS = 0xc0000000;

/** Start addresses of the rw anonymous mappings `bytes` long, or undefined without /proc. */
function mappings_of(bytes: number): bigint[] | undefined {
    let maps: string;
    try {
        maps = readFileSync("/proc/self/maps", "utf8");
    } catch {
        return undefined;
    }
    const found: bigint[] = [];
    for (const line of maps.split("\n")) {
        const f = line.split(/\s+/);
        if (f.length < 5 || !f[1]!.startsWith("rw") || f[4] !== "0" || (f[5] ?? "") !== "")
            continue;
        const [a, b] = f[0]!.split("-").map((x) => BigInt(`0x${x}`));
        if (b! - a! === BigInt(bytes)) found.push(a!);
    }
    return found;
}

/** Start address of the only rw anonymous mapping `bytes` long, or undefined. */
function mapping_of(bytes: number): bigint | undefined {
    const found = mappings_of(bytes);
    return found?.length === 1 ? found[0] : undefined;
}

/** Whether each OS page from `first` on, `count` of them, is backed: 1 or 0; undefined on a short read. */
function backed(fd: number, first: bigint, count: number): Uint8Array | undefined {
    const out = new Uint8Array(count);
    const buf = Buffer.alloc(8 * 65536);
    for (let p = 0; p < count;) {
        const n = Math.min(65536, count - p);
        const got = readSync(fd, buf, 0, 8 * n, Number((first + BigInt(p)) * 8n));
        if (got !== 8 * n) return undefined;
        // Bits 63 and 62 are the top two of each entry's high 32-bit half.
        for (let i = 0; i < n; i++) if (buf.readUInt32LE(8 * i + 4) & HIGH_BITS) out[p + i] = 1;
        p += n;
    }
    return out;
}

/**
 * One byte per 4 KiB page of buffer[offset, offset + size) (size a multiple
 * of 4 KiB; offset any): 1 if the OS backs any part of it (resident or
 * swapped), 0 if it was never touched; undefined when that cannot be known
 * here.
 */
export function resident_pages(
    bufferBytes: number,
    offset: number,
    size: number,
): Uint8Array | undefined {
    const start = mapping_of(bufferBytes);
    if (start === undefined || size % PAGE) return undefined;
    const lo = start + BigInt(offset);
    const skew = Number(lo % BigInt(PAGE));
    const os = with_pagemap((fd) => backed(fd, lo / BigInt(PAGE), size / PAGE + (skew ? 1 : 0)));
    if (!os) return undefined;
    const out = new Uint8Array(size / PAGE);
    for (let i = 0; i < out.length; i++) out[i] = os[i]! | (skew ? os[i + 1]! : 0);
    return out;
}

/** fn on an open /proc/self/pagemap (closed after), or undefined when it cannot be opened. */
function with_pagemap<T>(fn: (fd: number) => T | undefined): T | undefined {
    let fd: number;
    try {
        fd = openSync("/proc/self/pagemap", "r");
    } catch {
        return undefined;
    }
    try {
        return fn(fd);
    } finally {
        closeSync(fd);
    }
}

/** One byte per 4 KiB page of the `bytes`-long mapping at `start`: 1 if backed; undefined if unknown. */
export function resident_pages_at(start: bigint, bytes: number): Uint8Array | undefined {
    if (bytes % PAGE || start % BigInt(PAGE)) return undefined;
    return with_pagemap((fd) => backed(fd, start / BigInt(PAGE), bytes / PAGE));
}

/**
 * Where `buf` (a page-aligned buffer of this process, a multiple of 4 KiB
 * long: a wasm memory) is mapped, proven rather than guessed: of the
 * mappings of its length (a freed one may linger until garbage collection),
 * the one whose page, unbacked in all of them, becomes backed when this
 * writes a zero into `buf` there (the page read as zero: its content does
 * not change). Undefined when that cannot be told; the address stays valid
 * while the buffer neither grows nor is freed.
 */
export function locate_buffer(buf: Uint8Array): bigint | undefined {
    const found = mappings_of(buf.length);
    if (!found?.length) return undefined;
    const maps = found.map((a) => resident_pages_at(a, buf.length));
    if (maps.some((m) => !m)) return undefined;
    let q = buf.length / PAGE - 1;
    while (q >= 0 && maps.some((m) => m![q])) q--;
    if (q < 0) return undefined;
    buf[q * PAGE] = 0;
    const hit = found.filter((a) => resident_pages_at(a + BigInt(q * PAGE), PAGE)?.[0] === 1);
    return hit.length === 1 ? hit[0] : undefined;
}
