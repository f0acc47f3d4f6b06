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
}

/** CPU state at a multiboot entry, as GRUB/QEMU leave it (flat protected mode, paging off). */
export interface EntryState {
    /** Physical entry point. */
    eip: number;
    /** 0x2BADB002 for multiboot v1. */
    eax: number;
    /** Physical address of the multiboot information structure. */
    ebx: number;
    /** Flat GDT the loader wrote: selector 0x08 = code, 0x10 = data. */
    gdtBase: number;
    gdtLimit: number;
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
