/*
 * lib/gnumach/multiboot.ts — what the kernel kept of its multiboot
 * information: `struct multiboot_info boot_info` (i386at/model_dep.c), the
 * module list it points to, and `kernel_cmdline`.
 *
 * GNU Mach copies the module list, each module and each module string to
 * pages of its own early in boot (i386at_init, 2013 on) and updates
 * boot_info.mods_addr and each mod_start/mod_end/string to the copies:
 * those are PHYSICAL addresses, so they are read from guest RAM directly,
 * not through the page tables. kernel_cmdline is a kernel pointer, read
 * through them. Checked against GNU Mach 8d03c760 and v1.4 + Debian 1.4-6
 * booted by mach86's loader (the module strings and sizes it loaded).
 */
import type { KernelMemory } from "./memory.ts";
import { KernelView, c_string } from "./view.ts";

export interface BootModule {
    index: number;
    /** Physical addresses of the kernel's copy. */
    mod_start: number;
    mod_end: number;
    size: number;
    /** The module string, "path args" (GRUB semantics). */
    string: string;
}

export interface BootInfoRead {
    flags: number;
    mem_lower: number;
    mem_upper: number;
    /** The kernel command line (kernel_cmdline). */
    cmdline: string;
    mods_count: number;
    /** Physical address of the module list. */
    mods_addr: number;
    modules: BootModule[];
}

const MULTIBOOT_MODS = 0x8;
const MAX_MODULES = 1024;

/** boot_info and its modules; `phys` reads guest RAM by physical address. */
export function boot_info_read(view: KernelView, phys: KernelMemory): BootInfoRead {
    const bi = view.var("boot_info");
    const n = (p: string) => bi.get(p).num();
    const flags = n("flags");
    const mods_count = flags & MULTIBOOT_MODS ? Math.min(n("mods_count"), MAX_MODULES) : 0;
    const mods_addr = n("mods_addr");
    const pv = new KernelView(view.dbg, phys);
    const size = pv.at(mods_addr, "struct multiboot_module").size;
    const modules: BootModule[] = [];
    for (let i = 0; i < mods_count; i++) {
        const mi = pv.at(mods_addr + i * size, "struct multiboot_module");
        const mod_start = mi.get("mod_start").num();
        const mod_end = mi.get("mod_end").num();
        const strAt = mi.get("string").num();
        modules.push({
            index: i,
            mod_start,
            mod_end,
            size: mod_end - mod_start,
            string: strAt ? c_string(phys, strAt) : "",
        });
    }
    const cmd = view.findVar("kernel_cmdline");
    return {
        flags,
        mem_lower: n("mem_lower"),
        mem_upper: n("mem_upper"),
        cmdline: cmd ? cmd.str() : "",
        mods_count,
        mods_addr,
        modules,
    };
}
