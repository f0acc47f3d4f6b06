/*
 * kernel/kern/kernel_image.ts — what the modelled kernel knows of its own
 * image, the mach86 stub's ELF file, the way GNU Mach knows its link
 * symbols: `etext` (pmap_bootstrap maps the pages wholly inside
 * [_start, etext) read-only) and the addresses of the globals it keeps in
 * guest RAM (vm_page_queue_free, …; see kernel/vm/vm_page_ram.ts).
 *
 * Symbols come from the file's .symtab; an image without them (stripped, or
 * not ELF) leaves them absent: the text end then is the image start (nothing
 * read-only) and the globals are not written.
 */

const SHT_SYMTAB = 2;
const SHN_UNDEF = 0;

/** The stub's symbols the model uses (physical addresses: the stub links VMA = LMA). */
const KERNEL_IMAGE_SYMBOLS = [
    "etext",
    "vm_page_queue_free",
    "vm_page_queue_active",
    "vm_page_queue_inactive",
    "vm_page_free_count",
    "vm_page_active_count",
    "vm_page_inactive_count",
    "vm_page_wire_count",
] as const;

export type KernelImageSymbol = (typeof KERNEL_IMAGE_SYMBOLS)[number];

export interface KernelImage {
    /** Physical end of the kernel text (etext), or null when the image does not say. */
    text_end: number | null;
    /** The other symbols found, by name. */
    symbols: ReadonlyMap<KernelImageSymbol, number>;
}

/** Defined symbols of an ELF32 little-endian file's .symtab, by name (first definition wins). */
export function elf32_symbols(b: Uint8Array): Map<string, number> {
    const out = new Map<string, number>();
    if (b.length < 52 || b[0] !== 0x7f || b[1] !== 0x45 || b[2] !== 0x4c || b[3] !== 0x46)
        return out;
    if (b[4] !== 1 || b[5] !== 1) return out;
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const shoff = dv.getUint32(32, true);
    const shentsize = dv.getUint16(46, true);
    const shnum = dv.getUint16(48, true);
    if (shentsize < 40 || shoff + shnum * shentsize > b.length) return out;
    const section = (i: number) => {
        const at = shoff + i * shentsize;
        return {
            type: dv.getUint32(at + 4, true),
            offset: dv.getUint32(at + 16, true),
            size: dv.getUint32(at + 20, true),
            link: dv.getUint32(at + 24, true),
            entsize: dv.getUint32(at + 36, true),
        };
    };
    for (let i = 0; i < shnum; i++) {
        const sym = section(i);
        if (sym.type !== SHT_SYMTAB || sym.entsize < 16 || sym.link >= shnum) continue;
        const str = section(sym.link);
        if (sym.offset + sym.size > b.length || str.offset + str.size > b.length) continue;
        for (let at = sym.offset; at + 16 <= sym.offset + sym.size; at += sym.entsize) {
            const name = dv.getUint32(at, true);
            const shndx = dv.getUint16(at + 14, true);
            if (shndx === SHN_UNDEF || name === 0 || name >= str.size) continue;
            let end = str.offset + name;
            while (end < str.offset + str.size && b[end] !== 0) end++;
            const s = new TextDecoder().decode(b.subarray(str.offset + name, end));
            if (!out.has(s)) out.set(s, dv.getUint32(at + 4, true));
        }
    }
    return out;
}

/** The model's view of its kernel image file. */
export function kernel_image_read(file: Uint8Array): KernelImage {
    const all = elf32_symbols(file);
    const symbols = new Map<KernelImageSymbol, number>();
    for (const name of KERNEL_IMAGE_SYMBOLS) {
        const v = all.get(name);
        if (v !== undefined) symbols.set(name, v);
    }
    return { text_end: symbols.get("etext") ?? null, symbols };
}
