/*
 * test/unit/boot/helpers.ts — shared fixtures for the boot/ tests.
 */
import { expect } from "vitest";
import { BootError, multiboot_load, type BootInfo, type LoadRequest } from "../../../boot/index.ts";
import { ArrayPhysMem } from "../../../emulator/physmem.ts";
import { build_elf, pattern, SHF, SHT, type ElfSpec } from "./elfbuild.ts";

export const MiB = 1024 * 1024;
export const KERNEL_PATH = "/boot/kernel.elf";

const ALLOC_X = SHF.ALLOC | SHF.EXEC;
const ALLOC_W = SHF.ALLOC | SHF.WRITE;

/** Two segments: .text at 1 MiB (0x1234 bytes), .data at 0x102000 with 0x2f00 bytes of bss. */
export function basic_spec(extra: Partial<ElfSpec> = {}): ElfSpec {
    return {
        entry: 0x100010,
        segments: [
            { paddr: 0x100000, data: pattern(0x1234, 1), flags: 5 },
            { paddr: 0x102000, data: pattern(0x100, 2), memsz: 0x3000, flags: 6 },
        ],
        sections: [
            { name: ".text", type: SHT.PROGBITS, flags: ALLOC_X, addr: 0x100000, size: 0x1234 },
            { name: ".data", type: SHT.PROGBITS, flags: ALLOC_W, addr: 0x102000, size: 0x100 },
            { name: ".bss", type: SHT.NOBITS, flags: ALLOC_W, addr: 0x102100, size: 0x2f00 },
            { name: ".symtab", type: SHT.SYMTAB, data: pattern(48, 3), link: 5, entsize: 16 },
            { name: ".strtab", type: SHT.STRTAB, data: [0, 0x5f, 0x73, 0x74, 0x61, 0x72, 0x74, 0] },
        ],
        ...extra,
    };
}

export function basic_kernel(extra: Partial<ElfSpec> = {}): Uint8Array {
    return build_elf(basic_spec(extra)).bytes;
}

export function request(kernel: Uint8Array, extra: Partial<LoadRequest> = {}): LoadRequest {
    return {
        kernel: { path: KERNEL_PATH, bytes: kernel },
        modules: [],
        cmdline: "",
        ramSize: 16 * MiB,
        // These tests pin the legacy profile's placement and map; the qemu and
        // grub profiles are checked against recordings (test/emu/loader_profiles).
        loader: "legacy",
        ...extra,
    };
}

/** Memory filled with a non-zero pattern, so zeroing and untouched bytes are both visible. */
export function dirty_mem(size = 16 * MiB): ArrayPhysMem {
    const mem = new ArrayPhysMem(size);
    mem.bytes.fill(0xcc);
    return mem;
}

/** One dirty RAM for refusal tests: a refused load must leave it as it was, so it is reused. */
let shared: { mem: ArrayPhysMem; snapshot: Uint8Array } | undefined;

/**
 * Expect the load to fail with BootError(input, reason) — `reason` exactly, or matching a
 * RegExp — and memory to be unchanged.
 */
export function expect_refused(
    req: LoadRequest,
    input: string,
    reason: RegExp | string,
    mem?: ArrayPhysMem,
): BootError {
    if (!mem) shared ??= { mem: dirty_mem(), snapshot: dirty_mem().bytes };
    const target = mem ?? shared!.mem;
    const before = mem ? mem.bytes.slice() : shared!.snapshot;
    let err: unknown;
    try {
        multiboot_load(target, req);
    } catch (e) {
        err = e;
    }
    const unchanged = Buffer.compare(target.bytes, before) === 0;
    if (!unchanged) target.bytes.set(before); // keep the shared RAM clean for the next test
    expect(unchanged, "memory unchanged after a refused load").toBe(true);
    expect(err).toBeInstanceOf(BootError);
    const be = err as BootError;
    expect(be.input).toBe(input);
    if (typeof reason === "string") expect(be.reason).toBe(reason);
    else expect(be.reason).toMatch(reason);
    expect(be.message).toBe(`${input}: ${be.reason}`);
    expect(be.reason).not.toMatch(/\n/);
    return be;
}

export function load(
    req: LoadRequest,
    mem = dirty_mem(req.ramSize),
): { info: BootInfo; mem: ArrayPhysMem } {
    return { info: multiboot_load(mem, req), mem };
}
