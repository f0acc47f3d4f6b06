/*
 * boot/loader.ts — multiboot_load: plan a whole boot, check it, then write it.
 *
 * Models QEMU's hw/i386/multiboot.c placement, so that results compare with
 * `qemu-system-i386 -kernel`: after the kernel's highest end, page-aligned,
 * the module array (16 bytes a module), then the strings — each module's
 * "path args", the kernel command line stored as "<kernel path> <cmdline>",
 * the boot loader name — then each module, page-aligned, one after another.
 * MBI at 0x9500, mmap at 0x9000, flat GDT at 0x8000 (the option ROM's),
 * EAX = 0x2BADB002, EBX = 0x9500, paging off.
 *
 * Departures from QEMU: the info area starts at the first page boundary at or
 * above the kernel's end (QEMU: load address + page-aligned size; the same for
 * page-aligned kernels); gzip modules are decompressed unless `nounzip` (GRUB
 * `module --nounzip`; QEMU never decompresses); ELF section headers are passed
 * (flag 5, GRUB's way) after the strings, so a large .symtab moves the modules
 * up by whole pages (same addresses as QEMU when they fit in the info area's
 * last page, as checked against qemu-system-i386 with the mbinfo guest); no
 * BOOT_DEVICE (there is no disk); the loader name is "mach86"; padding up to
 * each page end is zeroed. Every placement is checked (end of RAM, 4 GiB, the
 * low 64 KiB, the 0x9FC00–1 MiB hole, overlaps) before the first byte is
 * written: a refused boot leaves memory exactly as it was. Only BootError is
 * ever thrown.
 */
import { gunzipSync } from "node:zlib";
import type { EntryState, PhysMem } from "../emulator/types.ts";
import { aout_load_plan } from "./aout.ts";
import {
    FOUR_GIB,
    FileBytes,
    MIB,
    PAGE_SIZE,
    align_up,
    hex32,
    range_str,
    size_exact,
    size_str,
} from "./bytes.ts";
import { elf32_load_plan } from "./elf32.ts";
import { BootError } from "./errors.ts";
import {
    mbi_empty,
    mbi_encode,
    mbi_memory,
    mmap_encode,
    mmap_entries,
    mods_encode,
} from "./mbi.ts";
import {
    GDT_ADDR,
    HOLE_END,
    HOLE_START,
    LOW_RESERVED_END,
    MBI_ADDR,
    MMAP_ADDR,
    MOD_ENTRY_SIZE,
    MULTIBOOT_BOOTLOADER_MAGIC,
    MULTIBOOT_INFO,
    type KernelImage,
    type SectionHeaders,
    multiboot_header_find,
} from "./multiboot.ts";

export interface ModuleSpec {
    path: string;
    /** The module string is `path args` (just `path` when empty), GRUB semantics. */
    args: string;
    bytes: Uint8Array;
    /** Hand a gzip file over still compressed (GRUB `module --nounzip`). */
    nounzip: boolean;
}

export interface LoadRequest {
    kernel: { path: string; bytes: Uint8Array };
    modules: ModuleSpec[];
    /** Kernel arguments; the MBI cmdline is `<kernel path> <cmdline>`. */
    cmdline: string;
    /** Bytes of RAM (≥ 2 MiB, at most the PhysMem's size). */
    ramSize: number;
    /** Default "mach86". */
    loaderName?: string;
}

/** One range the loader wrote: [start, end). */
export interface Placement {
    what: string;
    start: number;
    end: number;
}

export interface BootInfo {
    entry: EntryState;
    /** In the order planned: kernel, info area, modules, GDT, mmap, MBI. */
    placements: Placement[];
    mbiAddr: number;
    /** The MBI flags. */
    flags: number;
    /** Highest end of the kernel's segments and bss (not page-aligned). */
    kernelEnd: number;
    modules: { start: number; end: number; string: string }[];
}

/** Flat 4 GiB segments: null, 0x08 code (0x00CF9A000000FFFF), 0x10 data (0x00CF92000000FFFF). */
const GDT_WORDS = [0, 0, 0x0000ffff, 0x00cf9a00, 0x0000ffff, 0x00cf9200];
/** gunzipSync's output cap: the Buffer limit of every Node ≥ 20 host. */
const GUNZIP_MAX = 0x7fffffff;

interface Write {
    addr: number;
    bytes?: Uint8Array;
    zero?: number;
}

interface Plan {
    ramSize: number;
    /** min(RAM size, 4 GiB): nothing may end above it. */
    limit: number;
    writes: Write[];
    placements: Placement[];
}

/** Load a multiboot v1 kernel and its modules into `mem`; throws BootError only, before writing. */
export function multiboot_load(mem: PhysMem, req: LoadRequest): BootInfo {
    const { plan, info } = multiboot_plan(req, mem.size);
    for (const w of plan.writes) {
        if (w.bytes) mem.write(w.addr, w.bytes);
        else if (w.zero) mem.fill(w.addr, w.zero, 0);
    }
    return info;
}

/** Lines for `mach86 boot --verbose`: each placement by address, then the entry state. */
export function format_placements(info: BootInfo): string[] {
    const sorted = [...info.placements].sort((a, b) => a.start - b.start || a.end - b.end);
    const lines = sorted.map(
        (p) =>
            `${hex32(p.start)}-${hex32(p.end)} ${size_str(p.end - p.start).padStart(12)}  ${p.what}`,
    );
    const e = info.entry;
    lines.push(
        `entry ${hex32(e.eip)}  eax ${hex32(e.eax)}  ebx ${hex32(e.ebx)}  ` +
            `MBI flags ${hex32(info.flags)}  kernel end ${hex32(info.kernelEnd)}`,
    );
    return lines;
}

function multiboot_plan(req: LoadRequest, memSize: number): { plan: Plan; info: BootInfo } {
    const plan = plan_create(req.ramSize, memSize);
    const kernel = new FileBytes(req.kernel.path, req.kernel.bytes);
    const { image, kernelEnd } = plan_kernel(plan, kernel);
    const area = plan_info_area(plan, req, kernel, kernelEnd, image.shdrs);
    const modules = plan_modules(plan, req.modules, area);
    plan.writes.push({ addr: area.modArray, bytes: mods_encode(modules) });
    const flags = plan_low_area(plan, area, modules.length, image.shdrs);
    const info: BootInfo = {
        entry: {
            eip: image.entry,
            eax: MULTIBOOT_BOOTLOADER_MAGIC,
            ebx: MBI_ADDR,
            gdtBase: GDT_ADDR,
            gdtLimit: GDT_WORDS.length * 4 - 1,
        },
        placements: plan.placements,
        mbiAddr: MBI_ADDR,
        flags,
        kernelEnd,
        modules: modules.map((m) => ({ start: m.start, end: m.end, string: m.text })),
    };
    return { plan, info };
}

/** The kernel's segments and bss, at their physical addresses. */
function plan_kernel(plan: Plan, kernel: FileBytes): { image: KernelImage; kernelEnd: number } {
    if (kernel.length === 0) kernel.fail("empty file");
    const header = multiboot_header_find(kernel);
    const image = header.aout
        ? aout_load_plan(kernel, header.offset, header.aout)
        : elf32_load_plan(kernel);
    let kernelEnd = 0;
    for (const s of image.segments) {
        const end = s.paddr + s.memsz;
        plan_range(plan, kernel.path, s.label, s.paddr, end);
        plan_place(plan, s.what, s.paddr, end, s.data);
        const bss = s.memsz - s.data.length;
        if (bss > 0) plan.writes.push({ addr: s.paddr + s.data.length, zero: bss });
        kernelEnd = Math.max(kernelEnd, end);
    }
    return { image, kernelEnd };
}

/** GDT, mmap and MBI in the first 64 KiB; returns the MBI flags. */
function plan_low_area(
    plan: Plan,
    area: InfoArea,
    modsCount: number,
    shdrs?: SectionHeaders,
): number {
    const I = MULTIBOOT_INFO;
    const flags =
        I.MEMORY | I.CMDLINE | I.MODS | I.MEM_MAP | I.BOOT_LOADER_NAME | (shdrs ? I.ELF_SHDR : 0);
    const gdt = new Uint8Array(GDT_WORDS.length * 4);
    const view = new DataView(gdt.buffer);
    GDT_WORDS.forEach((w, i) => view.setUint32(4 * i, w, true));
    const mmap = mmap_encode(mmap_entries(plan.ramSize));
    const mbi = mbi_encode({
        ...mbi_empty(),
        ...mbi_memory(plan.ramSize),
        flags,
        cmdline: area.cmdline,
        mods_count: modsCount,
        mods_addr: area.modArray,
        syms: shdrs ? [shdrs.num, shdrs.entsize, area.shdrTable, shdrs.shndx] : [0, 0, 0, 0],
        mmap_length: mmap.length,
        mmap_addr: MMAP_ADDR,
        boot_loader_name: area.loaderName,
    });
    plan_place(plan, "GDT", GDT_ADDR, GDT_ADDR + gdt.length, gdt);
    plan_place(plan, "mmap", MMAP_ADDR, MMAP_ADDR + mmap.length, mmap);
    plan_place(plan, "MBI", MBI_ADDR, MBI_ADDR + mbi.length, mbi);
    return flags;
}

function plan_create(ramSize: number, memSize: number): Plan {
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
function plan_range(
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

function plan_place(
    plan: Plan,
    what: string,
    start: number,
    end: number,
    bytes?: Uint8Array,
): void {
    plan.placements.push({ what, start, end });
    if (bytes && bytes.length) plan.writes.push({ addr: start, bytes });
}

const utf8 = new TextEncoder();

/** `text` as a C string; a NUL inside would cut it short, so it is refused. */
function c_string(input: string, what: string, text: string): Uint8Array {
    if (text.includes("\0")) throw new BootError(input, `${what} contains a NUL character`);
    const b = utf8.encode(text);
    const out = new Uint8Array(b.length + 1);
    out.set(b);
    return out;
}

interface InfoArea {
    modArray: number;
    /** Address of each module's string. */
    modStrings: { addr: number; text: string }[];
    cmdline: number;
    loaderName: number;
    shdrTable: number;
    /** First module address (page-aligned end of the info area). */
    modules: number;
}

/** Module array, strings and ELF section data, from the page after the kernel. */
function plan_info_area(
    plan: Plan,
    req: LoadRequest,
    kernel: FileBytes,
    kernelEnd: number,
    shdrs?: SectionHeaders,
): InfoArea {
    const modArray = align_up(kernelEnd, PAGE_SIZE);
    let at = modArray + req.modules.length * MOD_ENTRY_SIZE;
    const strings: Uint8Array[] = [];
    const addString = (bytes: Uint8Array): number => {
        strings.push(bytes);
        at += bytes.length;
        return at - bytes.length;
    };
    const stringsStart = at;
    const modStrings = req.modules.map((m) => {
        const text = m.args ? `${m.path} ${m.args}` : m.path;
        return { addr: addString(c_string(m.path, "module string", text)), text };
    });
    const cmdText = req.cmdline ? `${kernel.path} ${req.cmdline}` : kernel.path;
    const cmdline = addString(c_string(kernel.path, "kernel command line", cmdText));
    const loaderText = req.loaderName ?? "mach86";
    const loaderName = addString(c_string(kernel.path, "boot loader name", loaderText));
    const stringsEnd = at;
    const sections = shdrs ? shdrs_layout(shdrs, stringsEnd) : [];
    const infoEnd = sections.at(-1)?.end ?? stringsEnd;
    const modules = align_up(infoEnd, PAGE_SIZE);
    const label = shdrs ? "module array, strings and ELF sections" : "module array and strings";
    plan_range(plan, kernel.path, label, kernelEnd, infoEnd, modules);
    plan_zero(plan, kernelEnd, modules);
    plan.placements.push({ what: "module array", start: modArray, end: stringsStart });
    const stringBytes = concat(strings, stringsEnd - stringsStart);
    plan_place(plan, "strings", stringsStart, stringsEnd, stringBytes);
    for (const s of sections) plan_place(plan, s.what, s.start, s.end, s.data);
    const shdrTable = sections[0]?.start ?? 0;
    return { modArray, modStrings, cmdline, loaderName, shdrTable, modules };
}

type PlacedBytes = Placement & { data: Uint8Array };

/**
 * The section header table then each copied section, 4-aligned from `at`; the table's copy
 * has the copied sections' sh_addr patched to where they land (GRUB does the same).
 */
function shdrs_layout(shdrs: SectionHeaders, at: number): PlacedBytes[] {
    const start = align_up(at, 4);
    const table = new Uint8Array(shdrs.table);
    const view = new DataView(table.buffer);
    const out: PlacedBytes[] = [
        { what: "ELF section headers", start, end: start + table.length, data: table },
    ];
    for (const c of shdrs.copies) {
        const start = align_up(out.at(-1)!.end, 4);
        out.push({ what: c.what, start, end: start + c.data.length, data: c.data });
        view.setUint32(c.index * shdrs.entsize + 12, start, true);
    }
    return out;
}

/** Zero padding [start, end) clipped to RAM: what the kernel sees never depends on old RAM. */
function plan_zero(plan: Plan, start: number, end: number): void {
    const top = Math.min(end, plan.limit);
    if (top > start) plan.writes.push({ addr: start, zero: top - start });
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
        out.set(p, at);
        at += p.length;
    }
    return out;
}

interface PlacedModule {
    start: number;
    end: number;
    string: number;
    text: string;
}

/** Each module page-aligned, one after another from the end of the info area. */
function plan_modules(plan: Plan, specs: ModuleSpec[], area: InfoArea): PlacedModule[] {
    let next = area.modules;
    return specs.map((m, i) => {
        const data = module_bytes(m, plan.limit - next, next);
        const start = next;
        const end = start + data.length;
        const padEnd = align_up(end, PAGE_SIZE);
        plan_range(plan, m.path, "module", start, end, padEnd);
        plan_place(plan, `module ${i + 1} ${m.path}`, start, end, data);
        plan_zero(plan, end, padEnd);
        next = padEnd;
        const s = area.modStrings[i]!;
        return { start, end, string: s.addr, text: s.text };
    });
}

function is_gzip(b: Uint8Array): boolean {
    return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/** The bytes the kernel gets: gunzipped unless nounzip, capped at the RAM left at `at`. */
function module_bytes(m: ModuleSpec, room: number, at: number): Uint8Array {
    if (m.nounzip || !is_gzip(m.bytes)) return m.bytes;
    const cap = Math.max(1, Math.min(room, GUNZIP_MAX));
    try {
        const out = gunzipSync(m.bytes, { maxOutputLength: cap });
        return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    } catch (e) {
        const err = e as { code?: unknown; message?: unknown };
        if (err.code === "ERR_BUFFER_TOO_LARGE") {
            const left = size_str(Math.max(room, 0));
            throw new BootError(
                m.path,
                `decompressed module does not fit in the ${left} of RAM ` + `left at ${hex32(at)}`,
            );
        }
        const msg = String(err.message ?? e).split("\n")[0];
        throw new BootError(m.path, `corrupt gzip: ${msg}`);
    }
}
