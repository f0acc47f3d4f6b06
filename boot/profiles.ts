/*
 * boot/profiles.ts — the loader profiles: which loader (and firmware) a boot
 * reproduces.
 *
 * - `qemu`: QEMU 7.2's multiboot loader (hw/i386/multiboot.c and its option
 *   ROM) on SeaBIOS 1.16, as `qemu-system-i386 -kernel K -initrd … -m N`
 *   leaves the machine; `--memory N` is QEMU's `-m N`. See place_qemu.ts.
 * - `grub`: GRUB 2.06 (Debian 2.06-13+deb12u2, booted from a grub-mkrescue
 *   CD) on the same SeaBIOS, or on a firmware map given as an e820 list.
 *   See place_grub.ts.
 * - `legacy`: mach86's loader before the profiles (QEMU's placement, GRUB's
 *   gunzip and section headers, a map that ends at ramSize). Neither QEMU
 *   nor GRUB; kept by name so that earlier published results can be
 *   reproduced. The default is `qemu`: `--memory N` is QEMU's `-m N`.
 */

export type LoaderName = "qemu" | "grub" | "legacy";

export const DEFAULT_LOADER: LoaderName = "qemu";

export interface LoaderProfile {
    name: LoaderName;
    /** One line for --help and docs. */
    summary: string;
    /** The MBI's boot loader name. */
    bootLoaderName: string;
    /** Whether gzip modules are decompressed (unless the module is nounzip). */
    gunzip: boolean;
    /** Whether ELF section headers are passed (MBI flag 5). */
    sectionHeaders: boolean;
    /** The module string: "path args" (QEMU's -initrd element) or just "args" (GRUB 2). */
    moduleString: "path args" | "args";
    /** The kernel command line: "<kernel path> <cmdline>" (QEMU: the space even when empty) or "cmdline". */
    kernelCmdline: "path cmdline" | "cmdline";
}

export const LOADER_PROFILES: Record<LoaderName, LoaderProfile> = {
    qemu: {
        name: "qemu",
        summary: "QEMU 7.2 -kernel on SeaBIOS: --memory N is qemu-system-i386 -m N",
        bootLoaderName: "qemu",
        gunzip: false,
        sectionHeaders: false,
        moduleString: "path args",
        kernelCmdline: "path cmdline",
    },
    grub: {
        name: "grub",
        summary: "GRUB 2.06 multiboot/module on SeaBIOS (or on --memory-map's e820)",
        bootLoaderName: "GRUB 2.06-13+deb12u2",
        gunzip: true,
        sectionHeaders: true,
        moduleString: "args",
        kernelCmdline: "cmdline",
    },
    legacy: {
        name: "legacy",
        summary: "mach86's loader before profiles: QEMU placement, GRUB gunzip, own memory map",
        bootLoaderName: "mach86",
        gunzip: true,
        sectionHeaders: true,
        moduleString: "path args",
        kernelCmdline: "path cmdline",
    },
};

export const LOADER_NAMES = Object.keys(LOADER_PROFILES) as LoaderName[];

/** The profile called `name`, or undefined (the caller reports the bad input). */
export function loader_profile(name: string): LoaderProfile | undefined {
    return (LOADER_PROFILES as Record<string, LoaderProfile>)[name];
}
