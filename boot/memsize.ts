/*
 * boot/memsize.ts — RAM sizes as QEMU 7.2's `-m` reads them.
 *
 * Measured with qemu-system-i386 7.2.22 (the probe image's mem_upper and
 * memory map): a number with an optional suffix B, K, M, G, T, P or E (any
 * case; none means MiB); a decimal fraction is accepted only with a suffix
 * ("64.5M" yes, "64.5" no; "67108864.5B" no); a hex number (0x40) is taken as
 * MiB; the product is truncated to whole bytes, then rounded UP to a multiple
 * of 8 KiB ("1.1M" = 1153433 bytes -> 1155072, "65537K" -> 67117056,
 * "64.00000001M" -> 67108864). mach86's v86 engine gives RAM in 128 KiB
 * granules, so the machine gets machine_ram_for(size) bytes and the loader
 * reports exactly `size` in the memory map, as QEMU does.
 */
import { BootError } from "./errors.ts";

/** QEMU rounds -m up to this (8 KiB). */
export const QEMU_RAM_ALIGN = 8192;
/** v86's RAM granule. */
const MACHINE_RAM_GRANULE = 128 * 1024;

const UNITS: Record<string, number> = {
    b: 1,
    k: 2 ** 10,
    m: 2 ** 20,
    g: 2 ** 30,
    t: 2 ** 40,
    p: 2 ** 50,
    e: 2 ** 60,
};

/** Bytes of RAM for a QEMU-style `-m` value; BootError("--memory", reason) when QEMU refuses it. */
export function memory_size_parse(text: string): number {
    const fail = (why: string): never => {
        throw new BootError("--memory", `${JSON.stringify(text)}: ${why}`);
    };
    const m = /^\s*(?:(0x[0-9a-f]+)|(\d+)(\.\d*)?)([bkmgtpe]?)$/i.exec(text);
    if (!m) return fail("expected a size such as 64M, 1856M, 2047.875M or 1.5G");
    const [, hex, int, frac, suffixText] = m;
    const suffix = suffixText!.toLowerCase();
    if (frac && !suffix) return fail("a fraction needs a unit suffix (QEMU refuses it too)");
    if (frac && suffix === "b") return fail("a fraction of a byte is not a size");
    const unit = UNITS[suffix || "m"]!;
    const whole = hex ? Number.parseInt(hex, 16) : Number(int);
    const fraction = frac ? Number(`0${frac}`) : 0;
    const bytes = Math.floor(whole * unit + fraction * unit);
    if (!Number.isSafeInteger(bytes)) return fail("too large");
    return Math.ceil(bytes / QEMU_RAM_ALIGN) * QEMU_RAM_ALIGN;
}

/** The machine RAM that holds `ramSize` bytes: v86 allocates 128 KiB granules. */
export function machine_ram_for(ramSize: number): number {
    return Math.ceil(ramSize / MACHINE_RAM_GRANULE) * MACHINE_RAM_GRANULE;
}
