/*
 * boot/plan.ts — what every loader profile shares: the request and result
 * types, and a boot plan (the writes, in order, and each placement) that is
 * checked whole before the first byte reaches guest memory.
 *
 * Checks (all profiles): a range must end below min(RAM, 4 GiB) and must stay
 * out of the low 64 KiB and the 0x9FC00–1 MiB hole, except what the firmware
 * itself writes there (BDA, EBDA, the option ROM's GDT). Only BootError is
 * thrown.
 */
import { createRequire } from "node:module";
import type * as Zlib from "node:zlib";
import type { EntryState } from "../emulator/types.ts";
import { aout_load_plan } from "./aout.ts";
import type { FileBytes } from "./bytes.ts";
import { FOUR_GIB, MIB, range_str, size_exact, size_str } from "./bytes.ts";
import { hex_pad8 } from "../util/hex.ts";
import { elf32_load_plan } from "./elf32.ts";
import { BootError } from "./errors.ts";
import type { MmapEntry } from "./mbi.ts";
import {
    HOLE_END,
    HOLE_START,
    LOW_RESERVED_END,
    type KernelImage,
    multiboot_header_find,
} from "./multiboot.ts";
import type { LoaderName } from "./profiles.ts";

/**
 * Bytes known by their length and made only where they are needed: a
 * module file read into the memory that holds it, when that memory is
 * made (a modelled boot never reads most of a ramdisk image, and reading
 * megabytes into a buffer first costs a page fault per 4 KiB). fill(dst,
 * off) writes bytes [off, off + dst.length).
 */
export interface LazyBytes {
    readonly length: number;
    fill(dst: Uint8Array, off: number): void;
}

/** A module's bytes: in memory, or made on demand. */
export type ModuleBytes = Uint8Array | LazyBytes;

/** The bytes themselves (a LazyBytes is made whole). */
export function bytes_made(b: ModuleBytes): Uint8Array {
    if (b instanceof Uint8Array) return b;
    const out = new Uint8Array(b.length);
    b.fill(out, 0);
    return out;
}

export interface ModuleSpec {
    path: string;
    /** The module string is `path args` (just `path` when empty), GRUB semantics. */
    args: string;
    bytes: ModuleBytes;
    /** Hand a gzip file over still compressed (GRUB `module --nounzip`). */
    nounzip: boolean;
}

/**
 * What to load. The kernel's and the modules' bytes must not change after
 * the load: a memory that defers its writes (PhysMem.defer) keeps them.
 */
export interface LoadRequest {
    kernel: { path: string; bytes: Uint8Array };
    modules: ModuleSpec[];
    /** Kernel arguments; the MBI cmdline is `<kernel path> <cmdline>`. */
    cmdline: string;
    /** Bytes of RAM (≥ 2 MiB, at most the PhysMem's size). */
    ramSize: number;
    /** Default DEFAULT_LOADER (profiles.ts). */
    loader?: LoaderName;
    /** The firmware's e820 map (`grub` only; default: SeaBIOS's map for ramSize). */
    memoryMap?: MmapEntry[];
    /** The boot loader name (`legacy` only; default "mach86"). */
    loaderName?: string;
}

/** One range the loader wrote: [start, end). */
export interface Placement {
    what: string;
    start: number;
    end: number;
}

export interface BootInfo {
    /** The profile that placed everything. */
    loader: LoaderName;
    entry: EntryState;
    /** In the order planned: kernel, info area, modules, GDT, mmap, MBI. */
    placements: Placement[];
    mbiAddr: number;
    /** The MBI flags. */
    flags: number;
    /** Highest end of the kernel's segments and bss (not page-aligned). */
    kernelEnd: number;
    modules: { start: number; end: number; string: string }[];
    /** The memory map handed over (the MBI's mmap). */
    mmap?: MmapEntry[];
}

/**
 * node:zlib, loaded when a module is gzip: loading it costs ~5 ms of every
 * cold boot, and most boots have no gzip module.
 */
function zlib(): typeof Zlib {
    return createRequire(import.meta.url)("node:zlib") as typeof Zlib;
}

/** gunzipSync's output cap: the Buffer limit of every Node ≥ 20 host. */
const GUNZIP_MAX = 0x7fffffff;

export interface Write {
    addr: number;
    bytes?: ModuleBytes;
    zero?: number;
}

export interface Plan {
    ramSize: number;
    /** min(RAM size, 4 GiB): nothing may end above it. */
    limit: number;
    writes: Write[];
    placements: Placement[];
}

/** The kernel's segments and bss, at their physical addresses. */
export function plan_kernel(
    plan: Plan,
    kernel: FileBytes,
): { image: KernelImage; kernelStart: number; kernelEnd: number } {
    if (kernel.length === 0) kernel.fail("empty file");
    const header = multiboot_header_find(kernel);
    const image = header.aout
        ? aout_load_plan(kernel, header.offset, header.aout)
        : elf32_load_plan(kernel);
    let kernelEnd = 0;
    let kernelStart = FOUR_GIB;
    for (const s of image.segments) {
        const end = s.paddr + s.memsz;
        plan_range(plan, kernel.path, s.label, s.paddr, end);
        plan_place(plan, s.what, s.paddr, end, s.data);
        const bss = s.memsz - s.data.length;
        if (bss > 0) plan.writes.push({ addr: s.paddr + s.data.length, zero: bss });
        kernelEnd = Math.max(kernelEnd, end);
        kernelStart = Math.min(kernelStart, s.paddr);
    }
    return { image, kernelStart, kernelEnd };
}

export function plan_create(ramSize: number, memSize: number): Plan {
    const fail = (reason: string): never => {
        throw new BootError("--memory", reason);
    };
    if (!Number.isSafeInteger(ramSize) || ramSize < 0) {
        fail(`RAM size ${ramSize} is not a whole number of bytes`);
    }
    if (ramSize < 2 * MIB) fail(`${size_exact(ramSize)} of RAM is below the 2 MiB minimum`);
    if (ramSize > memSize) {
        fail(`${size_exact(ramSize)} of RAM is more than the machine has (${size_exact(memSize)})`);
    }
    return { ramSize, limit: Math.min(ramSize, FOUR_GIB), writes: [], placements: [] };
}

/**
 * Check that [start, end) fits in RAM below 4 GiB and that [start, padEnd) (the range plus
 * the zero padding written after it) stays out of the low 64 KiB and the 0x9FC00–1 MiB hole.
 */
export function plan_range(
    plan: Plan,
    input: string,
    label: string,
    start: number,
    end: number,
    padEnd = end,
): void {
    const at = `${label} ${range_str(start, end)}`;
    if (end > plan.limit || start > plan.limit) {
        const room =
            plan.limit < plan.ramSize ? "below 4 GiB" : `in ${size_exact(plan.ramSize)} of RAM`;
        throw new BootError(input, `${at} does not fit ${room}`);
    }
    for (const [lo, hi] of [
        [0, LOW_RESERVED_END],
        [HOLE_START, HOLE_END],
    ] as const) {
        if (start < padEnd && start < hi && lo < padEnd) {
            throw new BootError(
                input,
                `${at} overlaps the MBI/low reserved area ` + range_str(lo, hi),
            );
        }
    }
}

export function plan_place(
    plan: Plan,
    what: string,
    start: number,
    end: number,
    bytes?: ModuleBytes,
): void {
    plan.placements.push({ what, start, end });
    if (bytes && bytes.length) plan.writes.push({ addr: start, bytes });
}

const utf8 = new TextEncoder();

/** `text` as a C string; a NUL inside would cut it short, so it is refused. */
export function c_string(input: string, what: string, text: string): Uint8Array {
    if (text.includes("\0")) throw new BootError(input, `${what} contains a NUL character`);
    const b = utf8.encode(text);
    const out = new Uint8Array(b.length + 1);
    out.set(b);
    return out;
}

/** Zero padding [start, end) clipped to RAM: what the kernel sees never depends on old RAM. */
export function plan_zero(plan: Plan, start: number, end: number): void {
    const top = Math.min(end, plan.limit);
    if (top > start) plan.writes.push({ addr: start, zero: top - start });
}

export function concat(parts: Uint8Array[], total: number): Uint8Array {
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
        out.set(p, at);
        at += p.length;
    }
    return out;
}

function is_gzip(b: Uint8Array): boolean {
    return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/** The bytes the kernel gets: gunzipped if `unzip` and gzip, capped at the RAM left at `at`. */
export function module_bytes(m: ModuleSpec, unzip: boolean, room: number, at: number): ModuleBytes {
    if (!unzip) return m.bytes;
    const bytes = bytes_made(m.bytes);
    if (!is_gzip(bytes)) return bytes;
    const cap = Math.max(1, Math.min(room, GUNZIP_MAX));
    try {
        const out = zlib().gunzipSync(bytes, { maxOutputLength: cap });
        return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    } catch (e) {
        const err = e as { code?: unknown; message?: unknown };
        if (err.code === "ERR_BUFFER_TOO_LARGE") {
            const left = size_str(Math.max(room, 0));
            throw new BootError(
                m.path,
                `decompressed module does not fit in the ${left} of RAM ` +
                    `left at ${hex_pad8(at)}`,
            );
        }
        const msg = String(err.message ?? e).split("\n")[0];
        throw new BootError(m.path, `corrupt gzip: ${msg}`);
    }
}
