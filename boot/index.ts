/*
 * boot/index.ts — the multiboot v1 loader's public surface.
 *
 * multiboot_load() places a kernel (ELF32 or a.out kludge), its modules and
 * the multiboot information the way QEMU's `-kernel` does; mbi_parse() reads
 * that information back. See the header comment of each file for what it
 * models and where it departs.
 */
export { BootError } from "./errors.ts";
export {
    format_placements,
    multiboot_load,
    type BootInfo,
    type LoadRequest,
    type ModuleSpec,
    type Placement,
} from "./loader.ts";
export {
    mbi_empty,
    mbi_encode,
    mbi_parse,
    mbi_string,
    mmap_entries,
    type ElfSectionHeader,
    type MbiMmapEntry,
    type MbiModule,
    type MbiRaw,
    type MmapEntry,
    type ParsedMbi,
} from "./mbi.ts";
export {
    GDT_ADDR,
    MBI_ADDR,
    MMAP_ADDR,
    MULTIBOOT_BOOTLOADER_MAGIC,
    MULTIBOOT_HEADER_FLAG,
    MULTIBOOT_HEADER_MAGIC,
    MULTIBOOT_INFO,
    MULTIBOOT_MEMORY,
} from "./multiboot.ts";
