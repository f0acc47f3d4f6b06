/*
 * test/unit/boot/elfbuild.ts — tiny in-memory builders of multiboot kernels
 * for the loader tests: ELF32 executables (header, program headers, optional
 * section headers) and a.out-kludge images.
 *
 * File layout of build_elf: ELF header, program headers, the multiboot header
 * (outside every segment, as the loader allows), each segment's data
 * (16-aligned), section data, .shstrtab, then the section header table.
 */

export const PT_LOAD = 1;
export const SHT = { NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, NOBITS: 8 } as const;
export const SHF = { WRITE: 1, ALLOC: 2, EXEC: 4 } as const;
export const MB_MAGIC = 0x1badb002;

export class Bytes {
    private buf = new Uint8Array(256);
    length = 0;

    private grow(n: number): void {
        if (n <= this.buf.length) return;
        const next = new Uint8Array(Math.max(n, this.buf.length * 2));
        next.set(this.buf);
        this.buf = next;
    }
    align(a: number): number {
        this.length = Math.ceil(this.length / a) * a;
        this.grow(this.length);
        return this.length;
    }
    put(bytes: ArrayLike<number>, at = this.length): number {
        this.grow(at + bytes.length);
        this.buf.set(bytes, at);
        this.length = Math.max(this.length, at + bytes.length);
        return at;
    }
    u16(at: number, v: number): void {
        this.grow(at + 2);
        new DataView(this.buf.buffer).setUint16(at, v, true);
        this.length = Math.max(this.length, at + 2);
    }
    u32(at: number, v: number): void {
        this.grow(at + 4);
        new DataView(this.buf.buffer).setUint32(at, v >>> 0, true);
        this.length = Math.max(this.length, at + 4);
    }
    done(): Uint8Array {
        return this.buf.slice(0, this.length);
    }
}

export interface AoutFields {
    header_addr: number;
    load_addr: number;
    load_end_addr: number;
    bss_end_addr: number;
    entry_addr: number;
}

/** A multiboot header: 12 bytes, or 32 with the a.out fields. */
export function mb_header(flags: number, aout?: AoutFields, checksumDelta = 0): Uint8Array {
    const b = new Bytes();
    b.u32(0, MB_MAGIC);
    b.u32(4, flags);
    b.u32(8, (-(MB_MAGIC + flags) + checksumDelta) >>> 0);
    if (aout) {
        [
            aout.header_addr,
            aout.load_addr,
            aout.load_end_addr,
            aout.bss_end_addr,
            aout.entry_addr,
        ].forEach((w, i) => b.u32(12 + 4 * i, w));
    }
    return b.done();
}

export interface SegSpec {
    paddr: number;
    vaddr?: number;
    data: ArrayLike<number>;
    /** Default data.length. */
    memsz?: number;
    /** PF_R | PF_X by default. */
    flags?: number;
    type?: number;
}

export interface SecSpec {
    name: string;
    type: number;
    flags?: number;
    addr?: number;
    data?: ArrayLike<number>;
    /** For NOBITS (or to lie): default data.length. */
    size?: number;
    link?: number;
    info?: number;
    addralign?: number;
    entsize?: number;
}

export interface ElfSpec {
    entry: number;
    segments: SegSpec[];
    /** Section 0 (NULL) and a trailing .shstrtab are added; none at all when undefined. */
    sections?: SecSpec[];
    /** Multiboot header flags (default 0x3); null: no header. */
    mbFlags?: number | null;
    elfClass?: number;
    elfData?: number;
    machine?: number;
    type?: number;
}

export interface BuiltElf {
    bytes: Uint8Array;
    /** File offsets of interesting parts, for mutation tests. */
    phoff: number;
    mboff: number;
    segOffsets: number[];
    shoff: number;
    shnum: number;
}

export function build_elf(spec: ElfSpec): BuiltElf {
    const b = new Bytes();
    b.put([0x7f, 0x45, 0x4c, 0x46, spec.elfClass ?? 1, spec.elfData ?? 1, 1, 0]);
    b.put(new Uint8Array(8));
    b.u16(16, spec.type ?? 2);
    b.u16(18, spec.machine ?? 3);
    b.u32(20, 1);
    b.u32(24, spec.entry);
    const phoff = 52;
    b.u32(28, phoff);
    b.u16(40, 52);
    b.u16(42, 32);
    b.u16(44, spec.segments.length);
    b.u16(46, 40);
    b.length = phoff + 32 * spec.segments.length;
    b.align(4);
    let mboff = -1;
    if (spec.mbFlags !== null) mboff = b.put(mb_header(spec.mbFlags ?? 0x3));
    const segOffsets = spec.segments.map((s, i) => {
        const off = b.align(16);
        b.put(s.data);
        const at = phoff + 32 * i;
        const vals = [
            s.type ?? PT_LOAD,
            off,
            s.vaddr ?? s.paddr,
            s.paddr,
            s.data.length,
            s.memsz ?? s.data.length,
            s.flags ?? 5,
            16,
        ];
        vals.forEach((v, k) => b.u32(at + 4 * k, v));
        return off;
    });
    let shoff = 0;
    let shnum = 0;
    if (spec.sections) ({ shoff, shnum } = put_sections(b, spec.sections));
    b.u32(32, shoff);
    b.u16(48, shnum);
    b.u16(50, shnum ? shnum - 1 : 0);
    return { bytes: b.done(), phoff, mboff, segOffsets, shoff, shnum };
}

function put_sections(b: Bytes, specs: SecSpec[]): { shoff: number; shnum: number } {
    const all: SecSpec[] = [
        { name: "", type: SHT.NULL },
        ...specs,
        { name: ".shstrtab", type: SHT.STRTAB },
    ];
    const names: number[] = [0];
    const nameOff = all.map((s) => {
        if (!s.name) return 0;
        const off = names.length;
        for (const c of s.name) names.push(c.charCodeAt(0));
        names.push(0);
        return off;
    });
    const offsets = all.map((s, i) => {
        if (i === all.length - 1) return b.put(names);
        if (!s.data || s.type === SHT.NOBITS) return 0;
        b.align(4);
        return b.put(s.data);
    });
    const shoff = b.align(4);
    all.forEach((s, i) => {
        const size = i === all.length - 1 ? names.length : (s.size ?? s.data?.length ?? 0);
        const vals = [
            nameOff[i]!,
            s.type,
            s.flags ?? 0,
            s.addr ?? 0,
            offsets[i]!,
            size,
            s.link ?? 0,
            s.info ?? 0,
            s.addralign ?? 1,
            s.entsize ?? 0,
        ];
        vals.forEach((v, k) => b.u32(shoff + 40 * i + 4 * k, v));
    });
    return { shoff, shnum: all.length };
}

export interface AoutSpec {
    loadAddr: number;
    /** The image from load_addr on; the header is written into it at `hdrOff`. */
    image: ArrayLike<number>;
    hdrOff: number;
    /** Junk bytes in the file before the load area. */
    prefix?: number;
    /** Default: load_addr + image length; 0 = to the end of the file. */
    loadEnd?: number;
    bssEnd?: number;
    entry: number;
    flags?: number;
}

/** An a.out-kludge kernel: [prefix junk][image with the 32-byte header at hdrOff]. */
export function build_aout(spec: AoutSpec): Uint8Array {
    const prefix = spec.prefix ?? 0;
    const b = new Bytes();
    b.put(new Uint8Array(prefix).fill(0xee));
    b.put(spec.image);
    const fields: AoutFields = {
        header_addr: spec.loadAddr + spec.hdrOff,
        load_addr: spec.loadAddr,
        load_end_addr: spec.loadEnd ?? spec.loadAddr + spec.image.length,
        bss_end_addr: spec.bssEnd ?? 0,
        entry_addr: spec.entry,
    };
    b.put(mb_header(spec.flags ?? 0x10003, fields), prefix + spec.hdrOff);
    return b.done();
}

/** A recognisable byte pattern of `n` bytes. */
export function pattern(n: number, seed = 1): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = (i * 7 + seed * 13 + (i >> 8)) & 0xff;
    return out;
}
