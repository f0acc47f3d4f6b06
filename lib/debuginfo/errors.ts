/*
 * lib/debuginfo/errors.ts — the one way reading a kernel's debug
 * information fails: a file that is not an ELF32 i386 file, has no
 * .debug_info or .symtab, is truncated, or uses a DWARF feature mach86 does
 * not read (type units, DWARF 64 on a 32-bit kernel is fine, split DWARF is
 * not). Like the loader's BootError, it names the input and gives a
 * one-line reason, so the CLI can print `mach86: <input>: <reason>`.
 */

export class DebugInfoError extends Error {
    readonly input: string;
    readonly reason: string;

    constructor(input: string, reason: string) {
        super(`${input}: ${reason}`);
        this.name = "DebugInfoError";
        this.input = input;
        this.reason = reason;
    }
}
