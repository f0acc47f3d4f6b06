/*
 * boot/index.ts — the multiboot v1 loader's public surface.
 *
 * multiboot_load() places a kernel (ELF32 or a.out kludge), its modules and
 * the multiboot information the way the chosen loader profile does (QEMU
 * 7.2 -kernel, GRUB 2.06, or mach86's legacy loader: profiles.ts);
 * mbi_parse() reads that information back. memory_size_parse() reads RAM
 * sizes as QEMU's -m does; e820_parse() reads a firmware map file. See the
 * header comment of each file for what it models and where it departs.
 */
export { BootError } from "./errors.ts";
export {
    bytes_made,
    format_placements,
    multiboot_load,
    type BootInfo,
    type LazyBytes,
    type LoadRequest,
    type ModuleBytes,
    type ModuleSpec,
    type Placement,
} from "./loader.ts";
export {
    DEFAULT_LOADER,
    LOADER_NAMES,
    LOADER_PROFILES,
    loader_profile,
    type LoaderName,
    type LoaderProfile,
} from "./profiles.ts";
export { machine_ram_for, memory_size_parse, QEMU_RAM_ALIGN } from "./memsize.ts";
export { E820, e820_lower_upper, e820_parse, e820_ram_end, seabios_e820 } from "./e820.ts";
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
