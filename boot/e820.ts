/*
 * boot/e820.ts — BIOS memory maps (INT 15h E820) as the loaders see them.
 *
 * seabios_e820() is the map SeaBIOS 1.16 (QEMU 7.2's pc machine) reports
 * for `-m N` below 4 GiB, as measured with the probe image at 2M, 2.5M,
 * 64M, 64.5M, 65537K, 128M, 1856M, 1856.3M and 2047M: RAM [0, 0x9FC00),
 * reserved 0x9FC00–0xA0000 (the EBDA) and 0xF0000–1 MiB (the BIOS), RAM
 * from 1 MiB to N − 128 KiB, the top 128 KiB reserved (SeaBIOS's own
 * tables), and the BIOS flash 0xFFFC0000–4 GiB reserved. Below about
 * 1.27 MiB SeaBIOS reserves less (or nothing); mach86's machines have at
 * least 2 MiB, where the rule above held in every measurement.
 *
 * e820_parse() reads a map taken from real hardware: Linux's boot lines
 * ("BIOS-e820: [mem 0x…-0x…] usable", end inclusive) or plain lines
 * "BASE LENGTH TYPE" (numbers in hex with 0x or decimal; TYPE a number or
 * usable/reserved/acpi/nvs/unusable); '#' starts a comment.
 */
import { FOUR_GIB, KIB, MIB } from "./bytes.ts";
import { hex_pad8 } from "../util/hex.ts";
import { BootError } from "./errors.ts";
import type { MmapEntry } from "./mbi.ts";

export const E820 = { RAM: 1, RESERVED: 2, ACPI: 3, NVS: 4, UNUSABLE: 5 } as const;

/** The EBDA SeaBIOS keeps below 640 KiB (1 KiB) and its segment in the BDA. */
export const SEABIOS_EBDA = 0x9fc00;
/** SeaBIOS's own tables at the top of RAM. */
const SEABIOS_HIGH_TABLES = 128 * KIB;
const BIOS_FLASH = 0xfffc0000;

/** SeaBIOS's e820 map for `ramSize` bytes of RAM (≥ 2 MiB, < 3.5 GiB: no RAM above 4 GiB). */
export function seabios_e820(ramSize: number): MmapEntry[] {
    const { RAM, RESERVED } = E820;
    const top = ramSize - SEABIOS_HIGH_TABLES;
    return [
        { base_addr: 0, length: SEABIOS_EBDA, type: RAM },
        { base_addr: SEABIOS_EBDA, length: 0xa0000 - SEABIOS_EBDA, type: RESERVED },
        { base_addr: 0xf0000, length: MIB - 0xf0000, type: RESERVED },
        { base_addr: MIB, length: top - MIB, type: RAM },
        { base_addr: top, length: SEABIOS_HIGH_TABLES, type: RESERVED },
        { base_addr: BIOS_FLASH, length: FOUR_GIB - BIOS_FLASH, type: RESERVED },
    ];
}

/**
 * mem_lower and mem_upper (KiB) from a map, as QEMU's option ROM and GRUB
 * compute them: the RAM entry starting at 0, and the RAM contiguous from
 * 1 MiB (entries above 4 GiB ignored).
 */
export function e820_lower_upper(map: MmapEntry[]): { mem_lower: number; mem_upper: number } {
    const ram = map.filter((e) => e.type === E820.RAM);
    const low = ram.find((e) => e.base_addr === 0);
    let end = MIB;
    for (;;) {
        const next = ram.find((e) => e.base_addr <= end && e.base_addr + e.length > end);
        if (!next) break;
        end = Math.min(next.base_addr + next.length, FOUR_GIB);
        if (end === FOUR_GIB) break;
    }
    return { mem_lower: Math.floor((low?.length ?? 0) / KIB), mem_upper: (end - MIB) / KIB };
}

/** The highest end of usable RAM below 4 GiB: the RAM a machine needs for this map. */
export function e820_ram_end(map: MmapEntry[]): number {
    let end = 0;
    for (const e of map) {
        if (e.type === E820.RAM && e.base_addr < FOUR_GIB) {
            end = Math.max(end, Math.min(e.base_addr + e.length, FOUR_GIB));
        }
    }
    return end;
}

const TYPE_NAMES: Record<string, number> = {
    usable: E820.RAM,
    ram: E820.RAM,
    reserved: E820.RESERVED,
    acpi: E820.ACPI,
    "acpi data": E820.ACPI,
    nvs: E820.NVS,
    "acpi nvs": E820.NVS,
    unusable: E820.UNUSABLE,
};

function e820_number(text: string, fail: (why: string) => never): number {
    const n = /^0x[0-9a-f]+$/i.test(text) ? Number.parseInt(text, 16) : Number(text);
    if (!/^(0x[0-9a-f]+|\d+)$/i.test(text) || !Number.isSafeInteger(n)) {
        return fail(`${JSON.stringify(text)} is not a number`);
    }
    return n;
}

function e820_type(text: string, fail: (why: string) => never): number {
    const named = TYPE_NAMES[text.toLowerCase().trim()];
    if (named) return named;
    if (/^\d+$/.test(text)) return Number(text);
    return fail(`unknown memory type ${JSON.stringify(text)}`);
}

const LINUX_LINE = /BIOS-e820: \[mem (0x[0-9a-f]+)-(0x[0-9a-f]+)\] (.+)$/i;

/** Parse an e820 map file (see the header); entries sorted by base, overlaps refused. */
export function e820_parse(text: string, path: string): MmapEntry[] {
    const out: MmapEntry[] = [];
    text.split("\n").forEach((raw, i) => {
        const fail = (why: string): never => {
            throw new BootError(path, `line ${i + 1}: ${why}`);
        };
        const line = raw.replace(/#.*/, "").trim();
        if (!line) return;
        const linux = LINUX_LINE.exec(line);
        if (linux) {
            const base = e820_number(linux[1]!, fail);
            const last = e820_number(linux[2]!, fail);
            if (last < base) fail("end before start");
            out.push({
                base_addr: base,
                length: last - base + 1,
                type: e820_type(linux[3]!, fail),
            });
            return;
        }
        const words = line.split(/\s+/);
        if (words.length < 3) fail('expected "BASE LENGTH TYPE" or a Linux "BIOS-e820:" line');
        const length = e820_number(words[1]!, fail);
        if (length === 0) fail("empty entry");
        const type = e820_type(words.slice(2).join(" "), fail);
        out.push({ base_addr: e820_number(words[0]!, fail), length, type });
    });
    if (out.length === 0) throw new BootError(path, "no memory map entries");
    out.sort((a, b) => a.base_addr - b.base_addr);
    for (let k = 1; k < out.length; k++) {
        const a = out[k - 1]!;
        if (a.base_addr + a.length > out[k]!.base_addr) {
            throw new BootError(
                path,
                `entries at ${hex_pad8(a.base_addr)} and ${hex_pad8(out[k]!.base_addr)} overlap`,
            );
        }
    }
    return out;
}
