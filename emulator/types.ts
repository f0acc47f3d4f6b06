/*
 * emulator/types.ts — the hardware interfaces the upper layers see.
 *
 * boot/ and kernel/ import these with `import type` only: they never touch
 * v86 or any runtime code of emulator/. Every address here is a guest
 * *physical* address, a plain number in [0, 2^32) (or above 4 GiB for the
 * sparse engine's PAE presets).
 */

/** Guest physical memory. Reads outside [0, size) return 0xFF bytes; writes there are ignored. */
export interface PhysMem {
    /** Bytes of RAM (the top of the last RAM byte + 1). */
    readonly size: number;
    read8(pa: number): number;
    read16(pa: number): number;
    read32(pa: number): number;
    write8(pa: number, value: number): void;
    write16(pa: number, value: number): void;
    write32(pa: number, value: number): void;
    /** A copy of `len` bytes starting at `pa`. */
    read(pa: number, len: number): Uint8Array;
    /** Copy `bytes` to `pa`. Implementations invalidate any cached code for that range. */
    write(pa: number, bytes: Uint8Array): void;
    /** Set `len` bytes at `pa` to `value` (0 for BSS). */
    fill(pa: number, len: number, value: number): void;
    /** A live, read-only view of RAM (no copy) where the implementation has one; else undefined. */
    view?(pa: number, len: number): Uint8Array | undefined;
    /**
     * One byte per 4 KiB page: 0 where the page was never written by anyone
     * and reads as zero, 1 where it may hold data; undefined when the
     * implementation cannot tell (then every page must be read).
     */
    touchedPages?(): Uint8Array | undefined;
    /**
     * The bytes [pa, pa+len) are what `fill` makes: fill(dst, off) writes the
     * region's bytes [off, off + dst.length) into dst (zeroed before). A
     * memory may call it at once or only when those bytes are first used
     * (read, written, copied out), so fill must give the same bytes whenever
     * it is called: a pure function of data that no longer changes.
     */
    defer?(pa: number, len: number, fill: PhysFill): void;
    /** memmove: `len` bytes from `from` to `to` (no bytes copied through the caller). */
    copy?(to: number, from: number, len: number): void;
}

/** What defer() calls to produce a region's bytes: dst gets the bytes from `off` on. */
export type PhysFill = (dst: Uint8Array, off: number) => void;

/** CPU state at a multiboot entry, as GRUB/QEMU leave it (flat protected mode, paging off). */
export interface EntryState {
    /** Physical entry point. */
    eip: number;
    /** 0x2BADB002 for multiboot v1. */
    eax: number;
    /** Physical address of the multiboot information structure. */
    ebx: number;
    /** Flat GDT the loader wrote: selector `cs` = code, `ds` = data. */
    gdtBase: number;
    gdtLimit: number;
    /** Code and data selectors (default 0x08 and 0x10; GRUB 2 uses 0x10 and 0x18). */
    cs?: number;
    ds?: number;
    /** What else the loader leaves in the registers (default 0; EFLAGS default 0x2). */
    ecx?: number;
    edx?: number;
    esi?: number;
    edi?: number;
    ebp?: number;
    esp?: number;
    eflags?: number;
    /** IDTR (default 0/0; QEMU's option ROM leaves the real-mode 0/0x3FF). */
    idtBase?: number;
    idtLimit?: number;
    /** How the firmware programmed the interrupt controllers, if it did. */
    pic?: PicState;
}

/** The 8259 pair as a BIOS leaves it: vector bases (ICW2) and interrupt masks (OCW1). */
export interface PicState {
    masterBase: number;
    slaveBase: number;
    masterMask: number;
    slaveMask: number;
}

/** Architectural CPU state reported on a crash, a halt, or with --dump. */
export interface CpuState {
    eip: number;
    eflags: number;
    eax: number;
    ecx: number;
    edx: number;
    ebx: number;
    esp: number;
    ebp: number;
    esi: number;
    edi: number;
    cr0: number;
    cr2: number;
    cr3: number;
    cr4: number;
    cs: number;
    ds: number;
    ss: number;
    idtrBase: number;
    idtrLimit: number;
    gdtrBase: number;
    gdtrLimit: number;
    instructions: number;
}

/** Control of the MMU: what pmap needs from the CPU. */
export interface Mmu {
    /** Load CR3 (with the side effects of `mov cr3`: non-global TLB flush). */
    set_cr3(pa: number): void;
    /** Drop every cached translation, including global ones. */
    flush_tlb(): void;
}
