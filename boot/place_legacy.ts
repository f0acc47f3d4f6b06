/*
 * boot/place_legacy.ts — the `legacy` profile: mach86's own loader up to
 * this version, kept as the default until the CLI moves to `qemu`.
 *
 * QEMU's hw/i386/multiboot.c placement (after the kernel's highest end,
 * page-aligned: the module array, the strings — each module's "path args",
 * the kernel command line "<kernel path> <cmdline>", the loader name
 * "mach86" — then each module, page-aligned; MBI at 0x9500, mmap at 0x9000,
 * flat GDT at 0x8000) mixed with GRUB's module semantics (gzip modules
 * decompressed unless nounzip, ELF section headers passed, flag 5, after the
 * strings) and a memory map of its own: RAM [0, 0x9FC00) and [1 MiB, RAM end),
 * reserved 0x9FC00–0xA0000, 0xA0000–0xC0000 and 0xF0000–1 MiB. It is neither
 * QEMU nor GRUB: see place_qemu.ts and place_grub.ts for those.
 */
import { PAGE_SIZE, align_up } from "./bytes.ts";
import { FileBytes } from "./bytes.ts";
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
    MBI_ADDR,
    MMAP_ADDR,
    MOD_ENTRY_SIZE,
    MULTIBOOT_BOOTLOADER_MAGIC,
    MULTIBOOT_INFO,
    type SectionHeaders,
} from "./multiboot.ts";
import {
    type BootInfo,
    type LoadRequest,
    type ModuleSpec,
    type Placement,
    type Plan,
    c_string,
    concat,
    module_bytes,
    plan_kernel,
    plan_place,
    plan_range,
    plan_zero,
} from "./plan.ts";

/** Flat 4 GiB segments: null, 0x08 code (0x00CF9A000000FFFF), 0x10 data (0x00CF92000000FFFF). */
const GDT_WORDS = [0, 0, 0x0000ffff, 0x00cf9a00, 0x0000ffff, 0x00cf9200];

export function legacy_plan(plan: Plan, req: LoadRequest): BootInfo {
    const kernel = new FileBytes(req.kernel.path, req.kernel.bytes);
    const { image, kernelEnd } = plan_kernel(plan, kernel);
    const area = plan_info_area(plan, req, kernel, kernelEnd, image.shdrs);
    const modules = plan_modules(plan, req.modules, area);
    plan.writes.push({ addr: area.modArray, bytes: mods_encode(modules) });
    const flags = plan_low_area(plan, area, modules.length, image.shdrs);
    return {
        loader: "legacy",
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
        mmap: mmap_entries(plan.ramSize),
    };
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
        const data = module_bytes(m, !m.nounzip, plan.limit - next, next);
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
