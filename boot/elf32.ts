/*
 * boot/elf32.ts — ELF32 i386 executables as a multiboot loader sees them.
 *
 * Models what GRUB (loader/multiboot_elfxx.c) and QEMU (load_elf() from
 * hw/i386/multiboot.c) do with a kernel that has no a.out kludge: PT_LOAD
 * segments at p_paddr, file bytes then zeroes up to p_memsz; entry e_entry,
 * translated to physical when it falls in a segment whose p_vaddr differs
 * from its p_paddr (GRUB). Section headers (MBI flag 5) as GRUB passes them:
 * the table, plus copies of the non-SHF_ALLOC sections (.symtab, .strtab, …)
 * whose sh_addr is patched to the copy. QEMU passes no section headers.
 *
 * Departures, all stricter than GRUB and QEMU: ET_EXEC only; overlapping
 * segments, an entry point outside every segment, truncated section data and
 * non-allocated sections larger in total than the file are refused. Nothing
 * here writes memory: it returns a plan (views into the file).
 */
import { FOUR_GIB, type FileBytes, range_str } from "./bytes.ts";
import { hex_pad8 } from "../util/hex.ts";
import type { KernelImage, KernelSegment, SectionHeaders } from "./multiboot.ts";

const ELF = {
    CLASS32: 1,
    CLASS64: 2,
    DATA2LSB: 1,
    DATA2MSB: 2,
    ET_EXEC: 2,
    EM_386: 3,
    EM_X86_64: 62,
} as const;
const PT_LOAD = 1;
const SHT_NULL = 0;
const SHT_NOBITS = 8;
const SHF_ALLOC = 0x2;
const EHDR_SIZE = 52;
const PHDR_SIZE = 32;
const SHDR_SIZE = 40;
/** Section names longer than this are cut (they only label placements). */
const NAME_MAX = 48;

interface ElfLoad {
    index: number;
    offset: number;
    vaddr: number;
    paddr: number;
    filesz: number;
    memsz: number;
    flags: number;
}

interface ElfSection {
    index: number;
    name: string;
    nameOff: number;
    type: number;
    flags: number;
    addr: number;
    offset: number;
    size: number;
}

/** Whether the file starts with the ELF magic "\x7fELF". */
function elf32_is_elf(file: FileBytes): boolean {
    const b = file.bytes;
    return b.length >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;
}

/** Check an ELF32 i386 executable and say what to load where (throws BootError). */
export function elf32_load_plan(file: FileBytes): KernelImage {
    elf32_check_ident(file);
    const sections = elf32_sections(file);
    const loads = elf32_loads(file);
    const entry = elf32_entry(file, file.u32(24, "ELF header"), loads);
    const sorted = [...loads].sort((a, b) => a.paddr - b.paddr);
    for (let k = 1; k < sorted.length; k++) {
        const a = sorted[k - 1]!;
        const b = sorted[k]!;
        if (a.paddr + a.memsz > b.paddr) {
            const ra = range_str(a.paddr, a.paddr + a.memsz);
            const rb = range_str(b.paddr, b.paddr + b.memsz);
            file.fail(`segments ${a.index} and ${b.index} overlap (${ra} and ${rb})`);
        }
    }
    const segments: KernelSegment[] = sorted.map((l) => ({
        what: elf32_segment_name(l, sections ?? []),
        label: `segment ${l.index}`,
        paddr: l.paddr,
        data: file.bytes.subarray(l.offset, l.offset + l.filesz),
        memsz: l.memsz,
    }));
    const image: KernelImage = { entry, segments };
    if (sections) image.shdrs = elf32_shdrs(file, sections);
    return image;
}

function elf32_check_ident(file: FileBytes): void {
    if (!elf32_is_elf(file)) file.fail("not an ELF file and no a.out kludge (multiboot flag 16)");
    const cls = file.u8(4, "ELF identification");
    if (cls === ELF.CLASS64) file.fail("64-bit ELF (x86-64); give a 32-bit i386 kernel");
    if (cls !== ELF.CLASS32) file.fail(`bad ELF class ${cls} (EI_CLASS must be 1, 32-bit)`);
    const data = file.u8(5, "ELF identification");
    if (data === ELF.DATA2MSB) file.fail("big-endian ELF; give a little-endian i386 kernel");
    if (data !== ELF.DATA2LSB) file.fail(`bad ELF data encoding ${data} (EI_DATA must be 1)`);
    if (file.length < EHDR_SIZE) file.fail(`truncated ELF header (${file.length} of 52 bytes)`);
    const machine = file.u16(18, "ELF header");
    if (machine === ELF.EM_X86_64) file.fail("ELF machine x86-64 (62); give a 32-bit i386 kernel");
    if (machine !== ELF.EM_386) file.fail(`ELF machine ${machine} is not i386 (EM_386 = 3)`);
    const type = file.u16(16, "ELF header");
    if (type !== ELF.ET_EXEC) file.fail(`ELF type ${type} is not an executable (ET_EXEC = 2)`);
}

/** The PT_LOAD segments with memory, in program header order. */
function elf32_loads(file: FileBytes): ElfLoad[] {
    const phoff = file.u32(28, "ELF header");
    const phentsize = file.u16(42, "ELF header");
    const phnum = file.u16(44, "ELF header");
    if (phnum === 0) file.fail("no program headers (nothing to load)");
    if (phentsize < PHDR_SIZE) {
        file.fail(`bad e_phentsize ${phentsize} (a program header is 32 bytes)`);
    }
    if (!file.has(phoff, phnum * phentsize)) {
        file.fail(
            `truncated program header table (${phnum} × ${phentsize} bytes at offset ` +
                `${hex_pad8(phoff)}, file is ${file.length} bytes)`,
        );
    }
    const loads: ElfLoad[] = [];
    for (let i = 0; i < phnum; i++) {
        const at = phoff + i * phentsize;
        const w = (k: number) => file.u32(at + 4 * k, "program header");
        if (w(0) !== PT_LOAD) continue;
        const l: ElfLoad = {
            index: i,
            offset: w(1),
            vaddr: w(2),
            paddr: w(3),
            filesz: w(4),
            memsz: w(5),
            flags: w(6),
        };
        if (l.filesz > l.memsz) {
            file.fail(
                `segment ${i}: p_filesz ${hex_pad8(l.filesz)} is larger than ` +
                    `p_memsz ${hex_pad8(l.memsz)}`,
            );
        }
        if (l.memsz === 0) continue;
        if (l.paddr + l.memsz > FOUR_GIB) {
            file.fail(`segment ${i} at ${hex_pad8(l.paddr)} (${l.memsz} bytes) wraps past 4 GiB`);
        }
        if (!file.has(l.offset, l.filesz)) {
            const need = range_str(l.offset, l.offset + l.filesz);
            file.fail(
                `truncated segment ${i} ${range_str(l.paddr, l.paddr + l.memsz)}: needs ` +
                    `file bytes ${need}, file is ${file.length} bytes`,
            );
        }
        loads.push(l);
    }
    if (loads.length === 0) file.fail("no loadable (PT_LOAD) segment");
    return loads;
}

/** e_entry, made physical through the first segment whose virtual range holds it (GRUB). */
function elf32_entry(file: FileBytes, e_entry: number, loads: ElfLoad[]): number {
    const seg = loads.find((l) => e_entry >= l.vaddr && e_entry < l.vaddr + l.memsz);
    const pa = seg ? e_entry - seg.vaddr + seg.paddr : e_entry;
    if (!loads.some((l) => pa >= l.paddr && pa < l.paddr + l.memsz)) {
        file.fail(`entry point ${hex_pad8(e_entry)} is not inside any PT_LOAD segment`);
    }
    return pa;
}

/** "kernel .text segment" after the lowest allocated section it holds, else its flags. */
function elf32_segment_name(l: ElfLoad, sections: ElfSection[]): string {
    let first: ElfSection | undefined;
    for (const s of sections) {
        if (!(s.flags & SHF_ALLOC) || s.size === 0 || s.type === SHT_NULL || !s.name) continue;
        if (s.addr < l.vaddr || s.addr >= l.vaddr + l.memsz) continue;
        if (!first || s.addr < first.addr) first = s;
    }
    if (first) return `kernel ${first.name} segment`;
    const rwx = (l.flags & 4 ? "r" : "-") + (l.flags & 2 ? "w" : "-") + (l.flags & 1 ? "x" : "-");
    return `kernel segment ${l.index} (${rwx})`;
}

/** The section header table, or undefined when the file has none. */
function elf32_sections(file: FileBytes): ElfSection[] | undefined {
    const shoff = file.u32(32, "ELF header");
    const shentsize = file.u16(46, "ELF header");
    const shnum = file.u16(48, "ELF header");
    const shstrndx = file.u16(50, "ELF header");
    if (shoff === 0 || shnum === 0) return undefined;
    if (shentsize < SHDR_SIZE) {
        file.fail(`bad e_shentsize ${shentsize} (a section header is 40 bytes)`);
    }
    if (!file.has(shoff, shnum * shentsize)) {
        file.fail(
            `truncated section header table (${shnum} × ${shentsize} bytes at offset ` +
                `${hex_pad8(shoff)}, file is ${file.length} bytes)`,
        );
    }
    const sections: ElfSection[] = [];
    for (let i = 0; i < shnum; i++) {
        const at = shoff + i * shentsize;
        const w = (k: number) => file.u32(at + 4 * k, "section header");
        sections.push({
            index: i,
            name: "",
            nameOff: w(0),
            type: w(1),
            flags: w(2),
            addr: w(3),
            offset: w(4),
            size: w(5),
        });
    }
    const strtab = sections[shstrndx];
    if (strtab && strtab.type !== SHT_NOBITS) {
        for (const s of sections) s.name = elf32_name(file, strtab, s.nameOff);
    }
    return sections;
}

/** A printable, bounded section name ("" when it cannot be read). */
function elf32_name(file: FileBytes, strtab: ElfSection, off: number): string {
    if (off >= strtab.size) return "";
    const start = strtab.offset + off;
    const end = Math.min(strtab.offset + strtab.size, start + NAME_MAX, file.length);
    let name = "";
    for (let p = start; p < end; p++) {
        const c = file.bytes[p]!;
        if (c === 0) break;
        name += c > 0x20 && c < 0x7f ? String.fromCharCode(c) : "?";
    }
    return name;
}

/** What MBI flag 5 carries: the table and copies of the non-allocated sections. */
function elf32_shdrs(file: FileBytes, sections: ElfSection[]): SectionHeaders {
    const shoff = file.u32(32, "ELF header");
    const entsize = file.u16(46, "ELF header");
    const copies: SectionHeaders["copies"] = [];
    let total = 0;
    for (const s of sections) {
        if (s.flags & SHF_ALLOC || s.size === 0) continue;
        if (s.type === SHT_NULL || s.type === SHT_NOBITS) continue;
        const label = s.name ? `section ${s.index} (${s.name})` : `section ${s.index}`;
        if (!file.has(s.offset, s.size)) {
            file.fail(
                `truncated ${label}: needs file bytes ` +
                    `${range_str(s.offset, s.offset + s.size)}, file is ${file.length} bytes`,
            );
        }
        total += s.size;
        if (total > file.length) {
            file.fail(
                "non-allocated ELF sections hold more bytes than the file " +
                    "(overlapping sections)",
            );
        }
        copies.push({
            what: `ELF section ${s.name || s.index}`,
            index: s.index,
            data: file.bytes.subarray(s.offset, s.offset + s.size),
        });
    }
    return {
        table: file.bytes.subarray(shoff, shoff + sections.length * entsize),
        num: sections.length,
        entsize,
        shndx: file.u16(50, "ELF header"),
        copies,
    };
}
