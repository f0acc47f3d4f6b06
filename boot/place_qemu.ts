/*
 * boot/place_qemu.ts — the `qemu` profile: QEMU 7.2's multiboot loader
 * (hw/i386/multiboot.c + the multiboot option ROM) on SeaBIOS 1.16.
 *
 * Placement, as measured with images/probe (test/fixtures/qemu/): one buffer
 * from the kernel's lowest load address: the kernel, padded to a page; the
 * module array (16 bytes a module); the strings — each module's -initrd
 * element "path args", then "<kernel path> <cmdline>" (with the space even
 * when the command line is empty); the name "qemu" after the room QEMU
 * reserved for the strings, which counts a comma of a module string twice
 * (QEMU's -initrd escapes it as ",,"); the buffer padded to a page; then each
 * module raw (never decompressed), page-aligned. mmap at 0x9000 from
 * SeaBIOS's e820 (e820.ts), MBI at 0x9500, flags MEMORY, BOOT_DEVICE,
 * CMDLINE, MODS (even with no module), MMAP, LOADER_NAME; boot_device
 * 0x8000FFFF; no section headers. The option ROM's GDT, registers and
 * SeaBIOS's BDA, EBDA and PIC as firmware.ts says.
 *
 * Departures: padding is zeroed (QEMU's buffer tail is whatever its
 * allocator held); the IVT and the option ROM's stack page are not written
 * (firmware.ts).
 */
import { PAGE_SIZE, align_up } from "./bytes.ts";
import { E820, e820_lower_upper, seabios_e820 } from "./e820.ts";
import {
    BDA_ADDR,
    QEMU_OPTION_ROM_GDT,
    gdt_bytes,
    qemu_entry_regs,
    seabios_state,
} from "./firmware.ts";
import { BootError } from "./errors.ts";
import { mbi_empty, mbi_encode, mmap_encode, mods_encode } from "./mbi.ts";
import {
    MBI_ADDR,
    MMAP_ADDR,
    MOD_ENTRY_SIZE,
    MULTIBOOT_BOOTLOADER_MAGIC,
    MULTIBOOT_INFO,
} from "./multiboot.ts";
import {
    type BootInfo,
    type LoadRequest,
    type Plan,
    c_string,
    concat,
    plan_kernel,
    plan_place,
    plan_range,
    plan_zero,
} from "./plan.ts";
import { FileBytes } from "./bytes.ts";
import { LOADER_PROFILES } from "./profiles.ts";

const I = MULTIBOOT_INFO;
const QEMU_MBI_FLAGS = I.MEMORY | I.BOOTDEV | I.CMDLINE | I.MODS | I.MEM_MAP | I.BOOT_LOADER_NAME;
const QEMU_BOOT_DEVICE = 0x8000ffff;

export function qemu_plan(plan: Plan, req: LoadRequest): BootInfo {
    if (req.memoryMap) {
        throw new BootError("--memory-map", "the qemu loader uses SeaBIOS's map of --memory");
    }
    const kernel = new FileBytes(req.kernel.path, req.kernel.bytes);
    const { image, kernelStart, kernelEnd } = plan_kernel(plan, kernel);
    const info = kernelStart + align_up(kernelEnd - kernelStart, PAGE_SIZE);
    const n = req.modules.length;
    // The strings, and where QEMU puts each.
    const modText = req.modules.map((m) => (m.args ? `${m.path} ${m.args}` : m.path));
    const cmdText = `${kernel.path} ${req.cmdline}`;
    const strings: Uint8Array[] = [];
    let at = info + n * MOD_ENTRY_SIZE;
    const stringsStart = at;
    const put = (bytes: Uint8Array): number => {
        strings.push(bytes);
        at += bytes.length;
        return at - bytes.length;
    };
    const modAddr = req.modules.map((m, i) => put(c_string(m.path, "module string", modText[i]!)));
    const cmdline = put(c_string(kernel.path, "kernel command line", cmdText));
    const commas = modText.join("").split(",").length - 1;
    if (commas) put(new Uint8Array(commas));
    const loaderName = put(
        c_string(kernel.path, "loader name", LOADER_PROFILES.qemu.bootLoaderName),
    );
    const infoEnd = at;
    const modulesStart = align_up(infoEnd, PAGE_SIZE);
    plan_range(plan, kernel.path, "module array and strings", kernelEnd, infoEnd, modulesStart);
    plan_zero(plan, kernelEnd, modulesStart);
    plan.placements.push({ what: "module array", start: info, end: stringsStart });
    plan_place(plan, "strings", stringsStart, infoEnd, concat(strings, infoEnd - stringsStart));
    // The modules, raw, page after page.
    let next = modulesStart;
    const modules = req.modules.map((m, i) => {
        const start = next;
        const end = start + m.bytes.length;
        const padEnd = align_up(end, PAGE_SIZE);
        plan_range(plan, m.path, "module", start, end, padEnd);
        plan_place(plan, `module ${i + 1} ${m.path}`, start, end, m.bytes);
        plan_zero(plan, end, padEnd);
        next = padEnd;
        return { start, end, string: modAddr[i]! };
    });
    plan.writes.push({ addr: info, bytes: mods_encode(modules) });
    // mmap, MBI, firmware.
    const mmap = seabios_e820(plan.ramSize);
    if (mmap.some((e) => e.type === E820.RAM && e.length <= 0)) {
        throw new BootError("--memory", "too small for SeaBIOS's map");
    }
    const mem = e820_lower_upper(mmap);
    const mmapBytes = mmap_encode(mmap);
    const mbi = mbi_encode({
        ...mbi_empty(),
        ...mem,
        flags: QEMU_MBI_FLAGS,
        boot_device: QEMU_BOOT_DEVICE,
        cmdline,
        mods_count: n,
        mods_addr: info,
        mmap_length: mmapBytes.length,
        mmap_addr: MMAP_ADDR,
        boot_loader_name: loaderName,
    });
    const fw = seabios_state("option rom");
    const gdt = QEMU_OPTION_ROM_GDT;
    plan_place(plan, "BIOS data area", BDA_ADDR, BDA_ADDR + fw.bda.length, fw.bda);
    plan_place(plan, "EBDA", fw.ebda.addr, fw.ebda.addr + fw.ebda.bytes.length, fw.ebda.bytes);
    plan_place(plan, "option ROM GDT", gdt.addr, gdt.addr + gdt.limit + 1, gdt_bytes(gdt));
    plan_place(plan, "mmap", MMAP_ADDR, MMAP_ADDR + mmapBytes.length, mmapBytes);
    plan_place(plan, "MBI", MBI_ADDR, MBI_ADDR + mbi.length, mbi);
    return {
        loader: "qemu",
        entry: {
            eip: image.entry,
            eax: MULTIBOOT_BOOTLOADER_MAGIC,
            ebx: MBI_ADDR,
            gdtBase: gdt.addr,
            gdtLimit: gdt.limit,
            ...qemu_entry_regs(mem.mem_upper),
            pic: fw.pic,
        },
        placements: plan.placements,
        mbiAddr: MBI_ADDR,
        flags: QEMU_MBI_FLAGS,
        kernelEnd,
        modules: modules.map((m, i) => ({ start: m.start, end: m.end, string: modText[i]! })),
        mmap,
    };
}
