/*
 * boot/firmware.ts — what the PC firmware and the loader leave behind at the
 * kernel's entry, besides the MBI: the BIOS data area, the EBDA, the PIC, the
 * registers, the GDT and the IDTR.
 *
 * Every value was measured with images/probe (test/fixtures/qemu/) under
 * QEMU 7.2.22 with SeaBIOS 1.16 (pc machine, std VGA, `-display none`), once
 * entered by QEMU's multiboot option ROM (-kernel) and once by GRUB
 * 2.06-13+deb12u2 from a grub-mkrescue CD. Departures: the BDA's timer tick
 * count (0x46C, the time of day when SeaBIOS started) is 0, so runs are
 * deterministic; the real-mode vector table (0x000–0x3FF) is left zero —
 * there is no BIOS code for its vectors to point at; the option ROM's and
 * GRUB's own leftovers below 640 KiB (stack, code, heap) are not written.
 * The PIC vector bases 0x08/0x70 are SeaBIOS's standard programming (the
 * probe can only read the masks, 0xB8/0x8E).
 */
import type { EntryState, PicState } from "../emulator/types.ts";
import { SEABIOS_EBDA } from "./e820.ts";

export const BDA_ADDR = 0x400;

/** The BIOS data area SeaBIOS leaves: [offset within 0x400, 16 bytes] for each nonzero row. */
type BdaRows = [number, string][];

const SEABIOS_BDA: BdaRows = [
    [0x00, "f8 03 00 00 00 00 00 00 78 03 00 00 00 00 c0 9f"], // COM1 0x3f8, LPT1 0x378, EBDA 0x9fc0
    [0x10, "27 42 00 7f 02 00 00 00 00 00 1e 00 1e 00 00 00"], // equipment 0x4227, 639 KiB, kbd buffer
    [0x40, "00 00 00 00 00 00 00 00 00 03 50 00 00 10 00 00"], // video mode 3, 80 columns
    [0x50, "00 08 00 00 00 00 00 00 00 00 00 00 00 00 00 00"], // cursor: row 8 (SeaBIOS's banner)
    [0x60, "07 06 00 d4 03 00 00 00 00 00 00 00 00 00 00 00"], // cursor shape, CRTC 0x3d4
    [0x70, "00 00 00 00 00 00 c0 00 14 00 00 00 0a 00 00 00"],
    [0x80, "1e 00 3e 00 18 10 00 60 f9 51 08 00 00 00 00 07"], // 25 rows, 16-line font
    [0x90, "00 00 00 00 00 00 10 00 00 00 00 00 00 00 00 00"],
    [0xa0, "00 00 00 00 00 00 00 00 20 68 00 c0 00 00 00 00"], // video save table c000:6820
    [0xb0, "00 00 00 00 00 00 00 00 00 40 03 00 c6 68 00 00"],
];

/** GRUB read the CD and the floppy and wrote its menu: these rows differ after it. */
const GRUB_BDA: BdaRows = [
    ...SEABIOS_BDA.filter(([off]) => ![0x40, 0x50, 0x90].includes(off)),
    [0x30, "00 00 00 00 00 00 00 00 00 00 00 00 00 00 01 00"],
    [0x40, "1e 20 40 00 00 00 00 01 02 03 50 00 00 10 00 00"], // floppy motor state, count
    [0x50, "00 10 00 00 00 00 00 00 00 00 00 00 00 00 00 00"], // cursor: row 16
    [0x90, "17 00 00 00 00 00 10 00 00 00 00 00 00 00 00 00"], // floppy media state
];

function bda_bytes(rows: BdaRows): Uint8Array {
    const out = new Uint8Array(256);
    for (const [off, hex] of rows) {
        out.set(
            hex.split(" ").map((h) => Number.parseInt(h, 16)),
            off,
        );
    }
    return out;
}

/** What a loader's firmware writes to low memory and leaves in the devices. */
export interface FirmwareState {
    /** 256 bytes at 0x400. */
    bda: Uint8Array;
    /** The EBDA's first byte (its size in KiB) at SEABIOS_EBDA. */
    ebda: { addr: number; bytes: Uint8Array };
    pic: PicState;
}

const SEABIOS_PIC: PicState = {
    masterBase: 0x08,
    slaveBase: 0x70,
    masterMask: 0xb8,
    slaveMask: 0x8e,
};

export function seabios_state(after: "option rom" | "grub"): FirmwareState {
    return {
        bda: bda_bytes(after === "grub" ? GRUB_BDA : SEABIOS_BDA),
        ebda: { addr: SEABIOS_EBDA, bytes: Uint8Array.of(1) },
        pic: SEABIOS_PIC,
    };
}

/** The GDT a loader leaves: its address and 8-byte entries (as [low, high] words). */
export interface LoaderGdt {
    addr: number;
    limit: number;
    entries: [number, number][];
}

/** QEMU's multiboot option ROM (pc-bios/optionrom/multiboot.S, in the option ROM area). */
export const QEMU_OPTION_ROM_GDT: LoaderGdt = {
    addr: 0xcb2b8,
    limit: 0x27,
    entries: [
        [0, 0],
        [0x0000ffff, 0x00cf9a00],
        [0x0000ffff, 0x00cf9300],
        [0x0000ffff, 0x00009e00],
        [0x0000ffff, 0x00009200],
    ],
};

/** GRUB 2.06's relocator GDT: two null entries, code 0x10, data 0x18. */
export const GRUB_GDT: LoaderGdt = {
    addr: 0x10b0,
    limit: 0x20,
    entries: [
        [0, 0],
        [0, 0],
        [0x0000ffff, 0x00cf9a00],
        [0x0000ffff, 0x00cf9300],
    ],
};

export function gdt_bytes(gdt: LoaderGdt): Uint8Array {
    const out = new Uint8Array(gdt.entries.length * 8);
    const v = new DataView(out.buffer);
    gdt.entries.forEach(([lo, hi], i) => {
        v.setUint32(8 * i, lo, true);
        v.setUint32(8 * i + 4, hi, true);
    });
    return out;
}

/**
 * The registers QEMU's option ROM leaves besides EAX/EBX: ECX 0x0010000C,
 * EDI 0x1000, ESP 0x6F08, EFLAGS 0x6, IDTR 0/0x3FF (the real-mode IVT), and
 * EDX = the high half of mem_upper with 0x0511 below (measured at 64M, 128M,
 * 1856M and 2047M: 0x511, 0x10511, 0x1c0511, 0x1f0511).
 */
export function qemu_entry_regs(memUpper: number): Partial<EntryState> {
    return {
        ecx: 0x0010000c,
        edx: ((memUpper & 0xffff0000) | 0x0511) >>> 0,
        edi: 0x1000,
        esp: 0x6f08,
        eflags: 0x6,
        idtBase: 0,
        idtLimit: 0x3ff,
        cs: 0x08,
        ds: 0x10,
    };
}

/** GRUB 2.06 on BIOS: ESP 0x7FF00, EFLAGS 0x46, CS 0x10, data 0x18, everything else 0. */
export const GRUB_ENTRY_REGS: Partial<EntryState> = {
    esp: 0x7ff00,
    eflags: 0x46,
    idtBase: 0,
    idtLimit: 0,
    cs: 0x10,
    ds: 0x18,
};
