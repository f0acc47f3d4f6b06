/*
 * boot/place_grub.ts — the `grub` profile: GRUB 2.06's `multiboot` and
 * `module` (grub-core/loader/multiboot.c, multiboot_elfxx.c,
 * i386/multiboot_mbi.c) on a BIOS: SeaBIOS's map of --memory, or a given
 * e820 list.
 *
 * GRUB's relocator gives each piece the lowest free range that fits (as
 * measured with images/probe under GRUB 2.06-13+deb12u2, test/fixtures/qemu):
 * - the kernel's segments at their physical addresses;
 * - at `multiboot`, each section that is not allocated (.symtab, .strtab,
 *   .debug_*, …) at or above 1 MiB, aligned to its sh_addralign, in section
 *   order — so they fill the gaps between and after the kernel's segments;
 * - at each `module`, the file (decompressed unless --nounzip) page-aligned
 *   at or above 1 MiB;
 * - at `boot`, one buffer, 4-aligned, at or above 0x10000 below 640 KiB
 *   (0x10000 itself unless the kernel is there), holding in this order: the
 *   MBI (GRUB's 120-byte struct with the framebuffer fields), the command
 *   line (the words after the kernel path), the name "GRUB 2.06-13+deb12u2",
 *   20 bytes of APM information (SeaBIOS has APM; the MBI does not flag it),
 *   the module list, each module's string (the words after its path), the
 *   memory map, the section header table (sh_addr of the copied sections
 *   patched), the VBE controller block (512 bytes) and the mode block (256;
 *   GRUB makes it up for text mode 3: 80x25).
 * Each string is 4-aligned. Flags: MEMORY, BOOT_DEVICE (0xE0FFFFFF: the CD
 * drive with no partition), CMDLINE, MODS (with modules), ELF_SHDR (ELF),
 * MMAP, LOADER_NAME, VBE_INFO, FRAMEBUFFER_INFO (EGA text at 0xB8000, 80x25,
 * pitch 160, 16 bpp). ESP, EFLAGS, GDT: firmware.ts.
 *
 * Departures: the VBE controller block and the APM block are zero (they hold
 * what SeaBIOS's VGA BIOS and APM code answered); the module entries'
 * reserved word is 0 (GRUB leaves heap garbage there); the words of a module
 * or command line are passed as given (GRUB re-quotes each word).
 */
import { FOUR_GIB, MIB, PAGE_SIZE, align_up } from "./bytes.ts";
import { hex_pad8 } from "../util/hex.ts";
import { E820, e820_lower_upper, seabios_e820 } from "./e820.ts";
import { BootError } from "./errors.ts";
import { BDA_ADDR, GRUB_ENTRY_REGS, GRUB_GDT, gdt_bytes, seabios_state } from "./firmware.ts";
import { type MmapEntry, mbi_empty, mbi_encode, mmap_encode, mods_encode } from "./mbi.ts";
import { MULTIBOOT_BOOTLOADER_MAGIC, MULTIBOOT_INFO, type SectionHeaders } from "./multiboot.ts";
import {
    type BootInfo,
    type LoadRequest,
    type Plan,
    c_string,
    concat,
    module_bytes,
    plan_kernel,
    plan_place,
    plan_range,
    plan_zero,
} from "./plan.ts";
import { FileBytes } from "./bytes.ts";
import { LOADER_PROFILES } from "./profiles.ts";

const I = MULTIBOOT_INFO;
const GRUB_BOOT_DEVICE = 0xe0ffffff;
/** sizeof (struct multiboot_info) in GRUB 2.06 (88 bytes + framebuffer fields, 8-aligned). */
const GRUB_MBI_SIZE = 120;
const APM_INFO_SIZE = 20;
const VBE_CONTROL_SIZE = 512;
const VBE_MODE_SIZE = 256;
const PALETTE_SIZE = 256 * 3;
const MBI_ZONE = { lo: 0x10000, hi: 0xa0000 };

/** Free ranges GRUB's relocator can hand out: the map's RAM minus what is taken. */
class Relocator {
    private readonly taken: [number, number][] = [];
    private readonly ram: MmapEntry[];

    constructor(map: MmapEntry[]) {
        this.ram = map.filter((e) => e.type === E820.RAM);
    }

    take(start: number, end: number): void {
        this.taken.push([start, end]);
        this.taken.sort((a, b) => a[0] - b[0]);
    }

    /** The lowest address ≥ lo, `align`-aligned, where [a, a + size) is free RAM below hi. */
    alloc(lo: number, hi: number, size: number, align: number): number | undefined {
        for (const r of this.ram) {
            let a = align_up(Math.max(lo, r.base_addr), align);
            const rEnd = Math.min(r.base_addr + r.length, hi, FOUR_GIB);
            while (a + size <= rEnd) {
                const clash = this.taken.find(([s, e]) => a < e && s < a + Math.max(size, 1));
                if (!clash) {
                    this.take(a, a + size);
                    return a;
                }
                a = align_up(clash[1], align);
            }
        }
        return undefined;
    }
}

function grub_alloc(
    rel: Relocator,
    what: string,
    lo: number,
    hi: number,
    size: number,
    align: number,
): number {
    const at = rel.alloc(lo, hi, size, align);
    if (at === undefined) {
        throw new BootError(
            what,
            `no free RAM for ${size} bytes between ${hex_pad8(lo)} and ${hex_pad8(hi)}`,
        );
    }
    return at;
}

/** Place the unallocated sections; returns the table with sh_addr patched. */
function grub_sections(
    plan: Plan,
    rel: Relocator,
    path: string,
    shdrs: SectionHeaders,
): Uint8Array {
    const table = new Uint8Array(shdrs.table);
    const view = new DataView(table.buffer);
    for (const c of shdrs.copies) {
        const align = Math.max(1, view.getUint32(c.index * shdrs.entsize + 32, true));
        const at = grub_alloc(rel, path, MIB, FOUR_GIB, c.data.length, align);
        plan_range(plan, path, c.what, at, at + c.data.length);
        plan_place(plan, c.what, at, at + c.data.length, c.data);
        view.setUint32(c.index * shdrs.entsize + 12, at, true);
    }
    return table;
}

/** A 4-aligned run of pieces in the MBI buffer. */
class MbiBuffer {
    readonly parts: Uint8Array[] = [];
    size = 0;
    readonly base: number;
    constructor(base: number) {
        this.base = base;
    }
    /** Append `bytes` padded to 4; returns its address. */
    put(bytes: Uint8Array, padTo = align_up(bytes.length, 4)): number {
        const out = new Uint8Array(padTo);
        out.set(bytes);
        this.parts.push(out);
        this.size += padTo;
        return this.base + this.size - padTo;
    }
}

const GRUB_STRING_PAD = (s: Uint8Array) => align_up(s.length, 4);

export function grub_plan(plan: Plan, req: LoadRequest): BootInfo {
    const profile = LOADER_PROFILES.grub;
    const map = req.memoryMap ?? seabios_e820(plan.ramSize);
    const rel = new Relocator(map);
    const kernel = new FileBytes(req.kernel.path, req.kernel.bytes);
    const { image, kernelEnd } = plan_kernel(plan, kernel);
    for (const s of image.segments) rel.take(s.paddr, s.paddr + s.memsz);
    const table = image.shdrs ? grub_sections(plan, rel, kernel.path, image.shdrs) : undefined;
    const modules = req.modules.map((m, i) => {
        const data = module_bytes(m, !m.nounzip, plan.limit, MIB);
        const start = grub_alloc(rel, m.path, MIB, FOUR_GIB, data.length, PAGE_SIZE);
        const end = start + data.length;
        plan_range(plan, m.path, "module", start, end, align_up(end, PAGE_SIZE));
        plan_place(plan, `module ${i + 1} ${m.path}`, start, end, data);
        plan_zero(plan, end, align_up(end, PAGE_SIZE));
        return { start, end, text: m.args };
    });
    // The MBI buffer: its size first (GRUB allocates it whole), then its pieces.
    const cmd = c_string(kernel.path, "kernel command line", req.cmdline);
    const name = c_string(kernel.path, "loader name", profile.bootLoaderName);
    const modStrings = modules.map((m, i) =>
        c_string(req.modules[i]!.path, "module string", m.text),
    );
    const mmapBytes = mmap_encode(map);
    const shdrBytes = table ?? new Uint8Array(0);
    const size =
        GRUB_MBI_SIZE +
        GRUB_STRING_PAD(cmd) +
        GRUB_STRING_PAD(name) +
        APM_INFO_SIZE +
        modules.length * 16 +
        modStrings.reduce((n, s) => n + GRUB_STRING_PAD(s), 0) +
        mmapBytes.length +
        shdrBytes.length +
        PALETTE_SIZE +
        VBE_CONTROL_SIZE +
        VBE_MODE_SIZE;
    const mbiAddr = grub_alloc(rel, kernel.path, MBI_ZONE.lo, MBI_ZONE.hi, size, 4);
    const buf = new MbiBuffer(mbiAddr);
    buf.put(new Uint8Array(GRUB_MBI_SIZE)); // filled below
    const cmdline = buf.put(cmd);
    const loaderName = buf.put(name);
    buf.put(new Uint8Array(APM_INFO_SIZE));
    const modList = modules.length ? buf.put(new Uint8Array(modules.length * 16)) : 0;
    const strAddr = modStrings.map((s) => buf.put(s));
    const mmapAddr = buf.put(mmapBytes);
    const shdrAddr = table ? buf.put(shdrBytes) : 0;
    const vbeControl = buf.put(new Uint8Array(VBE_CONTROL_SIZE));
    const vbeMode = buf.put(grub_text_mode_info());
    const flags =
        I.MEMORY |
        I.BOOTDEV |
        I.CMDLINE |
        (modules.length ? I.MODS : 0) |
        (table ? I.ELF_SHDR : 0) |
        I.MEM_MAP |
        I.BOOT_LOADER_NAME |
        I.VBE_INFO |
        (1 << 12);
    const mem = e820_lower_upper(map);
    const shdrs = image.shdrs;
    const mbi = new Uint8Array(GRUB_MBI_SIZE);
    mbi.set(
        mbi_encode({
            ...mbi_empty(),
            ...mem,
            flags,
            boot_device: GRUB_BOOT_DEVICE,
            cmdline,
            mods_count: modules.length,
            mods_addr: modList,
            syms: shdrs && table ? [shdrs.num, shdrs.entsize, shdrAddr, shdrs.shndx] : [0, 0, 0, 0],
            mmap_length: mmapBytes.length,
            mmap_addr: mmapAddr,
            boot_loader_name: loaderName,
            vbe_control_info: vbeControl,
            vbe_mode_info: vbeMode,
            vbe_mode: 3,
            vbe_interface_seg: 0xffff,
            vbe_interface_off: 0x6000,
            vbe_interface_len: 0x4f,
        }),
    );
    grub_framebuffer_text(new DataView(mbi.buffer));
    buf.parts[0] = mbi;
    const modEntries = mods_encode(modules.map((m, i) => ({ ...m, string: strAddr[i]! })));
    const bytes = concat(buf.parts, buf.size);
    if (modList) bytes.set(modEntries, modList - mbiAddr);
    const fw = seabios_state("grub");
    plan_place(plan, "BIOS data area", BDA_ADDR, BDA_ADDR + fw.bda.length, fw.bda);
    plan_place(plan, "EBDA", fw.ebda.addr, fw.ebda.addr + fw.ebda.bytes.length, fw.ebda.bytes);
    plan_place(
        plan,
        "GRUB GDT",
        GRUB_GDT.addr,
        GRUB_GDT.addr + GRUB_GDT.limit + 1,
        gdt_bytes(GRUB_GDT),
    );
    plan_place(
        plan,
        "MBI, strings, mmap, section headers, VBE blocks",
        mbiAddr,
        mbiAddr + buf.size,
        bytes,
    );
    return {
        loader: "grub",
        entry: {
            eip: image.entry,
            eax: MULTIBOOT_BOOTLOADER_MAGIC,
            ebx: mbiAddr,
            gdtBase: GRUB_GDT.addr,
            gdtLimit: GRUB_GDT.limit,
            ...GRUB_ENTRY_REGS,
            pic: fw.pic,
        },
        placements: plan.placements,
        mbiAddr,
        flags,
        kernelEnd,
        modules: modules.map((m) => ({ start: m.start, end: m.end, string: m.text })),
        mmap: map,
    };
}

/** GRUB's made-up VBE mode block for text mode 3: all zero but 80x25 (memory model 0 = text). */
function grub_text_mode_info(): Uint8Array {
    const out = new Uint8Array(VBE_MODE_SIZE);
    const v = new DataView(out.buffer);
    v.setUint16(18, 80, true);
    v.setUint16(20, 25, true);
    return out;
}

/** The framebuffer fields (offsets 88-109) GRUB fills for EGA text. */
function grub_framebuffer_text(v: DataView): void {
    v.setUint32(88, 0xb8000, true);
    v.setUint32(96, 160, true);
    v.setUint32(100, 80, true);
    v.setUint32(104, 25, true);
    v.setUint8(108, 16);
    v.setUint8(109, 2);
}
