/*
 * boot/multiboot.ts — multiboot v1 constants and the kernel header scan.
 *
 * Models the Multiboot Specification 0.6.96 §3.1 (the OS image header) and
 * the fixed low-memory layout of QEMU's hw/i386/multiboot.c: mmap buffer at
 * 0x9000, MBI at 0x9500; GDT at 0x8000 as the multiboot option ROM leaves it.
 *
 * Departures: the scan covers the whole first 8 KiB (the spec's
 * MULTIBOOT_SEARCH) where QEMU stops 48 bytes short; the first magic with a
 * valid checksum wins (as in GRUB and QEMU), and a magic with a bad checksum
 * is reported as such when no valid one follows. Required flags other than
 * 0 (page-align modules: always done), 1 (memory info: always given) and
 * 2 (video mode: ignored, like QEMU) are refused, like GRUB.
 */
import { type FileBytes } from "./bytes.ts";
import { hex_pad8 } from "../util/hex.ts";

export const MULTIBOOT_HEADER_MAGIC = 0x1badb002;
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;
/** The header must lie entirely within this many bytes of the file start. */
const MULTIBOOT_SEARCH = 8192;
/** Bytes of a header without / with the a.out kludge address fields. */
const MULTIBOOT_HEADER_SIZE = 12;
export const MULTIBOOT_HEADER_AOUT_SIZE = 32;

/** OS image header flags (spec §3.1.2). Bits 0..15 are required, 16..31 optional. */
export const MULTIBOOT_HEADER_FLAG = {
    PAGE_ALIGN: 1 << 0,
    MEMORY_INFO: 1 << 1,
    VIDEO_MODE: 1 << 2,
    AOUT_KLUDGE: 1 << 16,
} as const;

/** Required flags mach86 honours; any other bit in 0..15 refuses the image. */
const SUPPORTED_REQUIRED = 0x7;

/** Multiboot information flags (spec §3.3): which MBI fields are valid. */
export const MULTIBOOT_INFO = {
    MEMORY: 1 << 0,
    BOOTDEV: 1 << 1,
    CMDLINE: 1 << 2,
    MODS: 1 << 3,
    AOUT_SYMS: 1 << 4,
    ELF_SHDR: 1 << 5,
    MEM_MAP: 1 << 6,
    DRIVE_INFO: 1 << 7,
    CONFIG_TABLE: 1 << 8,
    BOOT_LOADER_NAME: 1 << 9,
    APM_TABLE: 1 << 10,
    VBE_INFO: 1 << 11,
} as const;

/** mmap entry types. */
export const MULTIBOOT_MEMORY = { AVAILABLE: 1, RESERVED: 2 } as const;

/** Fixed low-memory placement (QEMU's MULTIBOOT_STRUCT_ADDR = 0x9000, MBI at +0x500). */
export const GDT_ADDR = 0x8000;
export const MMAP_ADDR = 0x9000;
export const MBI_ADDR = 0x9500;
/** The 22 words of a v1 MBI, offsets 0..84 (+ two u16s of VBE at 80..86 ending at 88). */
export const MBI_SIZE = 88;
export const MOD_ENTRY_SIZE = 16;
export const MMAP_ENTRY_SIZE = 24;

/** Nothing of the image may land here: GDT, mmap and MBI live in the first 64 KiB. */
export const LOW_RESERVED_END = 0x10000;
/** EBDA, VGA and BIOS: [639 KiB, 1 MiB) is never loaded into. */
export const HOLE_START = 0x9fc00;
export const HOLE_END = 0x100000;

/** The a.out kludge address fields (header flag 16), all physical. */
export interface AoutKludge {
    header_addr: number;
    load_addr: number;
    /** 0: load to the end of the file. */
    load_end_addr: number;
    /** 0: no bss. */
    bss_end_addr: number;
    entry_addr: number;
}

export interface MultibootHeader {
    /** File offset of the magic. */
    offset: number;
    flags: number;
    /** Present when flag 16 is set. */
    aout?: AoutKludge;
}

/** One piece of the kernel image: `data` (file bytes) at `paddr`, zeroed up to `memsz`. */
export interface KernelSegment {
    /** Placement name: "kernel .text segment", "kernel a.out image". */
    what: string;
    /** For errors: "segment 1", "a.out load area". */
    label: string;
    paddr: number;
    data: Uint8Array;
    memsz: number;
}

/** ELF section headers handed to the kernel (MBI flag 5). */
export interface SectionHeaders {
    /** The section header table as in the file; the loader copies it and patches sh_addr. */
    table: Uint8Array;
    num: number;
    entsize: number;
    shndx: number;
    /** Non-SHF_ALLOC sections copied into the info area (sh_addr patched to the copy). */
    copies: { what: string; index: number; data: Uint8Array }[];
}

/** What the loader places for a kernel, whatever its format. */
export interface KernelImage {
    /** Physical entry point. */
    entry: number;
    /** Sorted by paddr, non-overlapping, none empty. */
    segments: KernelSegment[];
    shdrs?: SectionHeaders;
}

/** Find and check the multiboot header of a kernel file (throws BootError). */
export function multiboot_header_find(file: FileBytes): MultibootHeader {
    const limit = Math.min(file.length, MULTIBOOT_SEARCH);
    let badChecksum = -1;
    for (let off = 0; off + MULTIBOOT_HEADER_SIZE <= limit; off += 4) {
        if (file.u32(off, "multiboot header") !== MULTIBOOT_HEADER_MAGIC) continue;
        const flags = file.u32(off + 4, "multiboot header");
        const checksum = file.u32(off + 8, "multiboot header");
        if ((MULTIBOOT_HEADER_MAGIC + flags + checksum) >>> 0 !== 0) {
            if (badChecksum < 0) badChecksum = off;
            continue;
        }
        return multiboot_header_check(file, off, flags);
    }
    if (badChecksum >= 0) {
        file.fail(`bad multiboot header checksum (header at offset ${hex_pad8(badChecksum)})`);
    }
    return file.fail("no multiboot header in the first 8 KiB");
}

function multiboot_header_check(file: FileBytes, off: number, flags: number): MultibootHeader {
    const unsupported = flags & 0xffff & ~SUPPORTED_REQUIRED;
    if (unsupported) {
        const bit = 31 - Math.clz32(unsupported & -unsupported);
        file.fail(
            `unsupported multiboot header flag ${bit} (required flags ` +
                `${hex_pad8(flags & 0xffff)}; mach86 knows flags 0, 1, 2 and 16)`,
        );
    }
    if (!(flags & MULTIBOOT_HEADER_FLAG.AOUT_KLUDGE)) return { offset: off, flags };
    const at = `multiboot header at offset ${hex_pad8(off)} with a.out kludge (flag 16)`;
    if (off + MULTIBOOT_HEADER_AOUT_SIZE > file.length) {
        file.fail(`${at} is cut short by the end of the file`);
    }
    if (off + MULTIBOOT_HEADER_AOUT_SIZE > MULTIBOOT_SEARCH) {
        file.fail(`${at} does not fit in the first 8 KiB`);
    }
    const field = (i: number) => file.u32(off + 12 + 4 * i, "multiboot header");
    const aout: AoutKludge = {
        header_addr: field(0),
        load_addr: field(1),
        load_end_addr: field(2),
        bss_end_addr: field(3),
        entry_addr: field(4),
    };
    return { offset: off, flags, aout };
}
