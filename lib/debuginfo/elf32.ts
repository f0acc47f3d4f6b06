/*
 * lib/debuginfo/elf32.ts — the parts of an ELF32 little-endian file that a
 * debugger needs: section headers by name, the .symtab symbols (by name and
 * by address), and the file's initialised bytes at a virtual address.
 *
 * Checked against the four GNU Mach 2014 kernels (i386, ld 2.40 output with
 * 18 sections, ~3900 symbols) and gcc -m32 fixtures. The loader's own ELF
 * reader (boot/elf32.ts) plans a boot from program headers; this one never
 * touches those: sections carry everything a reader of debug data needs.
 */
import { Bytes } from "./bytes.ts";
import { DebugInfoError } from "./errors.ts";

export interface ElfSection {
    index: number;
    name: string;
    type: number;
    flags: number;
    addr: number;
    offset: number;
    size: number;
    link: number;
    entsize: number;
}

export type SymbolType = "notype" | "object" | "func" | "section" | "file" | "other";
export type SymbolBind = "local" | "global" | "weak" | "other";

export interface ElfSymbol {
    name: string;
    value: number;
    size: number;
    type: SymbolType;
    bind: SymbolBind;
    /** Section index (0 = undefined, 0xfff1 = absolute). */
    shndx: number;
}

export const SHT_SYMTAB = 2;
export const SHT_NOBITS = 8;
export const SHF_ALLOC = 0x2;

const SYM_TYPES: SymbolType[] = ["notype", "object", "func", "section", "file"];
const SYM_BINDS: SymbolBind[] = ["local", "global", "weak"];
const SHDR_SIZE = 40;
const SYM_SIZE = 16;

export class Elf32 {
    readonly bytes: Bytes;
    readonly sections: ElfSection[];
    private readonly byName = new Map<string, ElfSection>();
    private syms: ElfSymbol[] | undefined;
    private symsByName: Map<string, ElfSymbol[]> | undefined;
    private symsByAddr: ElfSymbol[] | undefined;

    constructor(u8: Uint8Array, path: string) {
        this.bytes = new Bytes(u8, path);
        this.sections = readSections(this.bytes);
        for (const s of this.sections) if (!this.byName.has(s.name)) this.byName.set(s.name, s);
    }

    get path(): string {
        return this.bytes.path;
    }

    section(name: string): ElfSection | undefined {
        return this.byName.get(name);
    }

    /** A section's bytes (a view into the file); empty for NOBITS. */
    sectionBytes(s: ElfSection): Uint8Array {
        if (s.type === SHT_NOBITS) return new Uint8Array(0);
        return this.bytes.slice(s.offset, s.size);
    }

    /** Every .symtab symbol, in file order (empty when there is no .symtab). */
    symbols(): ElfSymbol[] {
        this.syms ??= readSymbols(this);
        return this.syms;
    }

    /** Symbols named `name` (several when file-local statics share a name). */
    symbolsNamed(name: string): ElfSymbol[] {
        if (!this.symsByName) {
            this.symsByName = new Map();
            for (const s of this.symbols()) {
                if (!s.name || s.type === "file" || s.type === "section") continue;
                const list = this.symsByName.get(s.name);
                if (list) list.push(s);
                else this.symsByName.set(s.name, [s]);
            }
        }
        return this.symsByName.get(name) ?? [];
    }

    /**
     * The function or object symbol containing `addr` (value <= addr <
     * value + size), else the nearest one below it with size 0 (assembler
     * labels); undefined when none.
     */
    symbolAt(addr: number): ElfSymbol | undefined {
        if (!this.symsByAddr) {
            this.symsByAddr = this.symbols()
                .filter(
                    (s) =>
                        (s.type === "func" || s.type === "object" || s.type === "notype") &&
                        s.shndx !== 0 &&
                        s.name,
                )
                .sort((a, b) => a.value - b.value || b.size - a.size);
        }
        const list = this.symsByAddr;
        let lo = 0;
        let hi = list.length - 1;
        let best = -1;
        while (lo <= hi) {
            const mid = (lo + hi) >> 1;
            if (list[mid]!.value <= addr) {
                best = mid;
                lo = mid + 1;
            } else hi = mid - 1;
        }
        for (let i = best; i >= 0 && i > best - 64; i--) {
            const s = list[i]!;
            if (addr < s.value + s.size) return s;
            if (s.size === 0 && i === best) return s;
        }
        return undefined;
    }

    /**
     * The file's initialised bytes at virtual address [va, va + len): from the
     * allocated section that holds them (zeroes in .bss); undefined when no
     * allocated section covers the whole range.
     */
    readStatic(va: number, len: number): Uint8Array | undefined {
        for (const s of this.sections) {
            if (!(s.flags & SHF_ALLOC) || va < s.addr || va + len > s.addr + s.size) continue;
            if (s.type === SHT_NOBITS) return new Uint8Array(len);
            const off = s.offset + (va - s.addr);
            this.bytes.check(off, len, `section ${s.name}`);
            return this.bytes.u8.slice(off, off + len);
        }
        return undefined;
    }
}

function readSections(b: Bytes): ElfSection[] {
    b.check(0, 52, "ELF header");
    const u8 = b.u8;
    if (u8[0] !== 0x7f || u8[1] !== 0x45 || u8[2] !== 0x4c || u8[3] !== 0x46)
        throw new DebugInfoError(b.path, "not an ELF file");
    if (u8[4] !== 1) throw new DebugInfoError(b.path, "not a 32-bit ELF file (ELFCLASS32)");
    if (u8[5] !== 1) throw new DebugInfoError(b.path, "not a little-endian ELF file");
    const shoff = b.u32(32);
    const shentsize = b.u16(46);
    const shnum = b.u16(48);
    const shstrndx = b.u16(50);
    if (shoff === 0 || shnum === 0) throw new DebugInfoError(b.path, "no section headers");
    if (shentsize !== SHDR_SIZE)
        throw new DebugInfoError(b.path, `section header size ${shentsize}, expected 40`);
    b.check(shoff, shnum * SHDR_SIZE, "section header table");
    const raw: ElfSection[] = [];
    const nameOffs: number[] = [];
    for (let i = 0; i < shnum; i++) {
        const o = shoff + i * SHDR_SIZE;
        nameOffs.push(b.u32(o));
        raw.push({
            index: i,
            name: "",
            type: b.u32(o + 4),
            flags: b.u32(o + 8),
            addr: b.u32(o + 12),
            offset: b.u32(o + 16),
            size: b.u32(o + 20),
            link: b.u32(o + 24),
            entsize: b.u32(o + 36),
        });
    }
    const strtab = raw[shstrndx];
    for (const s of raw) {
        const nameOff = nameOffs[s.index]!;
        if (strtab && nameOff < strtab.size) s.name = b.cstr(strtab.offset + nameOff);
        if (s.type !== SHT_NOBITS && s.type !== 0) b.check(s.offset, s.size, `section ${s.name}`);
    }
    return raw;
}

function readSymbols(elf: Elf32): ElfSymbol[] {
    const symtab = elf.sections.find((s) => s.type === SHT_SYMTAB);
    if (!symtab) return [];
    const strtab = elf.sections[symtab.link];
    const b = elf.bytes;
    const out: ElfSymbol[] = [];
    const n = Math.floor(symtab.size / SYM_SIZE);
    for (let i = 1; i < n; i++) {
        const o = symtab.offset + i * SYM_SIZE;
        const nameOff = b.u32(o);
        const info = b.u8at(o + 12);
        out.push({
            name: strtab && nameOff < strtab.size ? b.cstr(strtab.offset + nameOff) : "",
            value: b.u32(o + 4),
            size: b.u32(o + 8),
            type: SYM_TYPES[info & 0xf] ?? "other",
            bind: SYM_BINDS[info >> 4] ?? "other",
            shndx: b.u16(o + 14),
        });
    }
    return out;
}
