/*
 * lib/gnumach/index.ts — reading a GNU Mach kernel's structures from the
 * host: kernel_map and its submaps, slab caches or zones, vm_page counters,
 * boot_info and the modules. See kernel.ts for the entry point.
 */
export { GnuMach, type StoppedMachine } from "./kernel.ts";
export {
    ElfMemory,
    GuestMemory,
    PhysicalMemory,
    UnmappedError,
    type KernelMemory,
} from "./memory.ts";
export type { BootInfoRead, BootModule } from "./multiboot.ts";
export type { CacheInfo } from "./slab.ts";
export { KernelView, Ref, c_string, memberPath, sizeOf } from "./view.ts";
export type { KernelNames, MapEntryInfo, MapInfo } from "./vm_map.ts";
export type { VmPageCounts, VmPageQueues } from "./vm_page.ts";
