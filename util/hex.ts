/*
 * Hexadecimal formatting, one module for every layer (util/ is the bottom
 * layer: pure functions that import nothing, so emulator/, boot/, kernel/,
 * lib/ and cli/ may all use it).
 *
 * Two families, named after what they print:
 *   - hex, hex32, hex_pad8, hex_digits: host-side text, always with "0x";
 *   - printf_x, printf_08x, printf_hash_x: GNU Mach's kern/printf.c
 *     conversions, for strings the model prints in Mach's own words
 *     (panic messages, boot lines), where "%x" and "%p" have no "0x".
 * hex32 wraps its argument to 32 bits; the printf ones take a negative
 * number (JavaScript's signed result of a bitwise operator) as unsigned,
 * as a C unsigned int would, and print a value above 32 bits whole.
 */

/** "0x%x": no padding; values at or above 4 GiB print in full. */
export function hex(n: number): string {
    return "0x" + n.toString(16);
}

/** "0x%08x" of a 32-bit value: the number is taken modulo 2^32 first. */
export function hex32(n: number): string {
    return "0x" + (n >>> 0).toString(16).padStart(8, "0");
}

/**
 * "0x%08x" for a number that may exceed 32 bits (a physical address or a
 * PAE entry above 4 GiB): never wrapped, wider when it needs more digits.
 */
export function hex_pad8(n: number): string {
    return "0x" + n.toString(16).padStart(8, "0");
}

/** "0x" and at least `width` digits: a byte (2), a port (4), a table index (3). */
export function hex_digits(n: number, width: number): string {
    return "0x" + n.toString(16).padStart(width, "0");
}

/** Mach's "%x" and "%p": bare lowercase hex. */
export function printf_x(n: number): string {
    return unsigned(n).toString(16);
}

/** Mach's "%08x": bare, zero-padded to 8 digits. */
export function printf_08x(n: number): string {
    return unsigned(n).toString(16).padStart(8, "0");
}

/** A negative 32-bit result taken as unsigned; a value above 32 bits (PAE) kept whole. */
function unsigned(n: number): number {
    return n < 0 ? n >>> 0 : n;
}

/** Mach's "%#x": "0x" before a non-zero value, plain "0" for zero. */
export function printf_hash_x(n: number): string {
    return n === 0 ? "0" : "0x" + n.toString(16);
}
