/*
 * boot/mbi.ts — the multiboot information structure (MBI), its mmap and
 * module list: encoding (for the loader) and decoding (for tests and for the
 * modelled kernel, which reads `mbi->mem_upper` etc. like GNU Mach does).
 *
 * Models spec 0.6.96 §3.3: the 88-byte v1 structure (22 words, VBE fields as
 * u16 at 80..86), mmap entries with their size field at −4 (mmap_addr points
 * at the size field), 16-byte module entries.
 *
 * The memory map follows the e820 map QEMU's option ROM reports for a pc
 * machine ([0, 0x9FC00) RAM, 0x9FC00–0xA0000 and 0xF0000–1 MiB reserved, RAM
 * from 1 MiB), with two departures: VGA 0xA0000–0xC0000 is listed as
 * reserved (it is v86 MMIO, never RAM; QEMU leaves it out), and the RAM entry
 * runs to the very end of RAM — QEMU reserves the top 128 KiB and
 * 0xFFFC0000–4 GiB for its firmware, which mach86 does not have. So mem_upper
 * is (RAM − 1 MiB) / 1 KiB, capped at 4 GiB, where QEMU gives 128 KiB less.
 */
import type { PhysMem } from "../emulator/types.ts";
import { FOUR_GIB, KIB, MIB } from "./bytes.ts";
import { hex_pad8 } from "../util/hex.ts";
import { BootError } from "./errors.ts";
import {
    HOLE_END,
    HOLE_START,
    MBI_SIZE,
    MMAP_ENTRY_SIZE,
    MOD_ENTRY_SIZE,
    MULTIBOOT_INFO,
    MULTIBOOT_MEMORY,
} from "./multiboot.ts";

/** The 22 words of a v1 MBI, by their names in the spec's struct multiboot_info. */
export interface MbiRaw {
    flags: number;
    mem_lower: number;
    mem_upper: number;
    boot_device: number;
    cmdline: number;
    mods_count: number;
    mods_addr: number;
    /** a.out symbols (flag 4) or ELF section headers (flag 5): num, size, addr, shndx. */
    syms: [number, number, number, number];
    mmap_length: number;
    mmap_addr: number;
    drives_length: number;
    drives_addr: number;
    config_table: number;
    boot_loader_name: number;
    apm_table: number;
    vbe_control_info: number;
    vbe_mode_info: number;
    vbe_mode: number;
    vbe_interface_seg: number;
    vbe_interface_off: number;
    vbe_interface_len: number;
}

const MBI_U32 = [
    ["flags", 0],
    ["mem_lower", 4],
    ["mem_upper", 8],
    ["boot_device", 12],
    ["cmdline", 16],
    ["mods_count", 20],
    ["mods_addr", 24],
    ["mmap_length", 44],
    ["mmap_addr", 48],
    ["drives_length", 52],
    ["drives_addr", 56],
    ["config_table", 60],
    ["boot_loader_name", 64],
    ["apm_table", 68],
    ["vbe_control_info", 72],
    ["vbe_mode_info", 76],
] as const;
const MBI_U16 = [
    ["vbe_mode", 80],
    ["vbe_interface_seg", 82],
    ["vbe_interface_off", 84],
    ["vbe_interface_len", 86],
] as const;
const MBI_SYMS = 28;

export interface MbiModule {
    mod_start: number;
    /** Exclusive. */
    mod_end: number;
    /** Address of the module's string. */
    string: number;
    reserved: number;
    /** The string itself ("path args"). */
    cmdline: string;
}

export interface MmapEntry {
    base_addr: number;
    length: number;
    type: number;
}

export interface MbiMmapEntry extends MmapEntry {
    /** The entry's size field (20 for mach86's entries). */
    size: number;
}

export interface ElfSectionHeader {
    sh_name: number;
    sh_type: number;
    sh_flags: number;
    sh_addr: number;
    sh_offset: number;
    sh_size: number;
    sh_link: number;
    sh_info: number;
    sh_addralign: number;
    sh_entsize: number;
}

/** Every MBI field, plus what the valid ones point at. */
export interface ParsedMbi extends MbiRaw {
    addr: number;
    cmdline_str?: string;
    mods?: MbiModule[];
    elf_sec?: ElfSectionHeader[];
    mmap?: MbiMmapEntry[];
    boot_loader_name_str?: string;
}

/** Strings, module lists and maps longer than these are taken as garbage. */
const STRING_MAX = 64 * KIB;
const MODS_MAX = 4096;
const MMAP_MAX = 1024;

export function mbi_empty(): MbiRaw {
    return {
        flags: 0,
        mem_lower: 0,
        mem_upper: 0,
        boot_device: 0,
        cmdline: 0,
        mods_count: 0,
        mods_addr: 0,
        syms: [0, 0, 0, 0],
        mmap_length: 0,
        mmap_addr: 0,
        drives_length: 0,
        drives_addr: 0,
        config_table: 0,
        boot_loader_name: 0,
        apm_table: 0,
        vbe_control_info: 0,
        vbe_mode_info: 0,
        vbe_mode: 0,
        vbe_interface_seg: 0,
        vbe_interface_off: 0,
        vbe_interface_len: 0,
    };
}

/** The 88 bytes of an MBI. */
export function mbi_encode(raw: MbiRaw): Uint8Array {
    const out = new Uint8Array(MBI_SIZE);
    const v = new DataView(out.buffer);
    for (const [name, off] of MBI_U32) v.setUint32(off, raw[name] >>> 0, true);
    for (const [name, off] of MBI_U16) v.setUint16(off, raw[name] & 0xffff, true);
    raw.syms.forEach((w, i) => v.setUint32(MBI_SYMS + 4 * i, w >>> 0, true));
    return out;
}

/** mem_lower and mem_upper (KiB) for `ramSize` bytes of RAM. */
export function mbi_memory(ramSize: number): { mem_lower: number; mem_upper: number } {
    return {
        mem_lower: HOLE_START / KIB,
        mem_upper: Math.floor((Math.min(ramSize, FOUR_GIB) - MIB) / KIB),
    };
}

/** The memory map for `ramSize` (≥ 2 MiB) bytes of RAM. */
export function mmap_entries(ramSize: number): MmapEntry[] {
    const { AVAILABLE, RESERVED } = MULTIBOOT_MEMORY;
    return [
        { base_addr: 0, length: HOLE_START, type: AVAILABLE },
        { base_addr: HOLE_START, length: 0xa0000 - HOLE_START, type: RESERVED },
        { base_addr: 0xa0000, length: 0x20000, type: RESERVED },
        { base_addr: 0xf0000, length: HOLE_END - 0xf0000, type: RESERVED },
        { base_addr: HOLE_END, length: ramSize - HOLE_END, type: AVAILABLE },
    ];
}

/** mmap entries as the kernel reads them: u32 size (= 20), u64 base, u64 length, u32 type. */
export function mmap_encode(entries: MmapEntry[]): Uint8Array {
    const out = new Uint8Array(entries.length * MMAP_ENTRY_SIZE);
    const v = new DataView(out.buffer);
    entries.forEach((e, i) => {
        const at = i * MMAP_ENTRY_SIZE;
        v.setUint32(at, MMAP_ENTRY_SIZE - 4, true);
        set_u64(v, at + 4, e.base_addr);
        set_u64(v, at + 12, e.length);
        v.setUint32(at + 20, e.type, true);
    });
    return out;
}

/** The module array: mod_start, mod_end (exclusive), string address, reserved 0. */
export function mods_encode(mods: { start: number; end: number; string: number }[]): Uint8Array {
    const out = new Uint8Array(mods.length * MOD_ENTRY_SIZE);
    const v = new DataView(out.buffer);
    mods.forEach((m, i) => {
        v.setUint32(i * MOD_ENTRY_SIZE, m.start, true);
        v.setUint32(i * MOD_ENTRY_SIZE + 4, m.end, true);
        v.setUint32(i * MOD_ENTRY_SIZE + 8, m.string, true);
    });
    return out;
}

function set_u64(v: DataView, at: number, n: number): void {
    v.setUint32(at, n % FOUR_GIB, true);
    v.setUint32(at + 4, Math.floor(n / FOUR_GIB), true);
}

/** Read back the MBI at `addr` and what its flags make valid (BootError on garbage). */
export function mbi_parse(mem: PhysMem, addr: number): ParsedMbi {
    const bytes = mem.read(addr, MBI_SIZE);
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const mbi: ParsedMbi = { ...mbi_empty(), addr };
    for (const [name, off] of MBI_U32) mbi[name] = v.getUint32(off, true);
    for (const [name, off] of MBI_U16) mbi[name] = v.getUint16(off, true);
    mbi.syms = [0, 1, 2, 3].map((i) => v.getUint32(MBI_SYMS + 4 * i, true)) as MbiRaw["syms"];
    const where = `MBI at ${hex_pad8(addr)}`;
    const f = mbi.flags;
    if (f & MULTIBOOT_INFO.CMDLINE) mbi.cmdline_str = mbi_string(mem, mbi.cmdline, where);
    if (f & MULTIBOOT_INFO.MODS) mbi.mods = mbi_mods(mem, mbi, where);
    if (f & MULTIBOOT_INFO.ELF_SHDR) mbi.elf_sec = mbi_elf_sections(mem, mbi.syms, where);
    if (f & MULTIBOOT_INFO.MEM_MAP) mbi.mmap = mbi_mmap(mem, mbi.mmap_addr, mbi.mmap_length, where);
    if (f & MULTIBOOT_INFO.BOOT_LOADER_NAME) {
        mbi.boot_loader_name_str = mbi_string(mem, mbi.boot_loader_name, where);
    }
    return mbi;
}

const utf8 = new TextDecoder("utf-8");

/** The NUL-terminated string at `pa`. */
export function mbi_string(mem: PhysMem, pa: number, where: string): string {
    const chunks: Uint8Array[] = [];
    for (let n = 0; n < STRING_MAX; n += 256) {
        const chunk = mem.read(pa + n, 256);
        const nul = chunk.indexOf(0);
        chunks.push(nul < 0 ? chunk : chunk.subarray(0, nul));
        if (nul >= 0) {
            const all = new Uint8Array(n + nul);
            let at = 0;
            for (const c of chunks) {
                all.set(c, at);
                at += c.length;
            }
            return utf8.decode(all);
        }
    }
    throw new BootError(where, `string at ${hex_pad8(pa)} has no NUL within 64 KiB`);
}

function mbi_mods(mem: PhysMem, mbi: MbiRaw, where: string): MbiModule[] {
    if (mbi.mods_count > MODS_MAX) {
        throw new BootError(where, `mods_count ${mbi.mods_count} is implausible`);
    }
    const mods: MbiModule[] = [];
    for (let i = 0; i < mbi.mods_count; i++) {
        const at = mbi.mods_addr + i * MOD_ENTRY_SIZE;
        const string = mem.read32(at + 8);
        mods.push({
            mod_start: mem.read32(at),
            mod_end: mem.read32(at + 4),
            string,
            reserved: mem.read32(at + 12),
            cmdline: mbi_string(mem, string, where),
        });
    }
    return mods;
}

function mbi_elf_sections(mem: PhysMem, syms: MbiRaw["syms"], where: string): ElfSectionHeader[] {
    const [num, size, addr] = syms;
    if (num > 0xffff || (num > 0 && size < 40)) {
        throw new BootError(where, `implausible ELF section headers (num ${num}, size ${size})`);
    }
    const out: ElfSectionHeader[] = [];
    for (let i = 0; i < num; i++) {
        const at = addr + i * size;
        const w = (k: number) => mem.read32(at + 4 * k);
        out.push({
            sh_name: w(0),
            sh_type: w(1),
            sh_flags: w(2),
            sh_addr: w(3),
            sh_offset: w(4),
            sh_size: w(5),
            sh_link: w(6),
            sh_info: w(7),
            sh_addralign: w(8),
            sh_entsize: w(9),
        });
    }
    return out;
}

function mbi_mmap(mem: PhysMem, addr: number, length: number, where: string): MbiMmapEntry[] {
    const out: MbiMmapEntry[] = [];
    let off = 0;
    while (off < length) {
        if (out.length === MMAP_MAX) {
            throw new BootError(where, `mmap has more than ${MMAP_MAX} entries`);
        }
        const at = addr + off;
        const e = {
            size: mem.read32(at),
            base_addr: mem.read32(at + 4) + mem.read32(at + 8) * FOUR_GIB,
            length: mem.read32(at + 12) + mem.read32(at + 16) * FOUR_GIB,
            type: mem.read32(at + 20),
        };
        out.push(e);
        off += e.size + 4;
    }
    return out;
}
