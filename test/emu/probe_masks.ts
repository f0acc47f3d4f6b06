/*
 * The probe's lines that cannot be the same on mach86 as under QEMU or
 * GRUB, each with its cause (docs/machine.md, "Differences"): the
 * emu-tier loader tests and the CLI tests compare recordings through it.
 */
import type { LoaderName } from "../../boot/profiles.ts";

/** Lines (or parts) that cannot be the same, and why. */
export const MASKS: [RegExp, string, string][] = [
    // SeaBIOS's option ROM ran on a stack at 0x6F08 (page 6) and GRUB lives in low memory; no such code runs on mach86.
    [/^low pages .*/, "low pages (loader leftovers)", "both"],
    // SeaBIOS fills the real-mode vector table with pointers into its ROM; mach86 has no BIOS code.
    [/^ivt sum=.*/, "ivt sum (no BIOS)", "both"],
    // BDA 0x46C: ticks since midnight when SeaBIOS started (time of day); mach86 says 0.
    [/^(bda 0460: (?:\w\w ){12})\w\w \w\w \w\w \w\w$/, "$1<ticks>", "both"],
    // BDA 0x440: GRUB's floppy motor countdown, which depends on timing.
    [/^bda 0440: \w\w/, "bda 0440: <motor>", "grub"],
    // GRUB leaves heap garbage in each module entry's reserved word.
    [/ reserved=0x\w{8}/, " reserved=<grub>", "grub"],
    // The VBE controller block holds SeaBIOS's VGA BIOS answer; mach86 has none.
    [/^vbe control_info sum=0x\w{8}/, "vbe control_info sum=<vga bios>", "grub"],
];

export function normalise(text: string, loader: LoaderName): string[] {
    return text
        .split("\n")
        .filter((l) => l && !l.startsWith("#"))
        .map((l) => {
            for (const [re, to, who] of MASKS) {
                if (who === "both" || who === loader) l = l.replace(re, to);
            }
            return l;
        });
}
