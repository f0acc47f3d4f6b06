/*
 * boot/aout.ts — the multiboot "a.out kludge" (header flag 16).
 *
 * Models spec 0.6.96 §3.1.3: the header's address fields say where the file
 * goes, whatever its format. The load area starts in the file at
 * header offset − (header_addr − load_addr) and runs to load_end_addr (0: end
 * of file); bss runs from there to bss_end_addr (0: none). GRUB and QEMU
 * (hw/i386/multiboot.c) load it the same way.
 *
 * Departures, all stricter than QEMU: every field is checked against the file
 * and against each other, the load area must contain the header itself, and
 * the entry point must lie in the load area.
 */
import { FOUR_GIB, type FileBytes, range_str } from "./bytes.ts";
import { hex_pad8 } from "../util/hex.ts";
import {
    type AoutKludge,
    type KernelImage,
    type KernelSegment,
    MULTIBOOT_HEADER_AOUT_SIZE,
} from "./multiboot.ts";

/** Check the kludge fields of the header at `offset` and say what to load where. */
export function aout_load_plan(file: FileBytes, offset: number, k: AoutKludge): KernelImage {
    const bad = (why: string): never => file.fail(`a.out kludge: ${why}`);
    if (k.load_addr > k.header_addr) {
        bad(`load_addr ${hex_pad8(k.load_addr)} is above header_addr ${hex_pad8(k.header_addr)}`);
    }
    const fileOff = offset - (k.header_addr - k.load_addr);
    if (fileOff < 0) {
        bad(
            `header_addr − load_addr (${hex_pad8(k.header_addr - k.load_addr)}) is larger than ` +
                `the header's file offset ${hex_pad8(offset)}`,
        );
    }
    if (k.load_end_addr !== 0 && k.load_end_addr < k.load_addr) {
        bad(
            `load_end_addr ${hex_pad8(k.load_end_addr)} is below load_addr ${hex_pad8(k.load_addr)}`,
        );
    }
    const loadSize = k.load_end_addr === 0 ? file.length - fileOff : k.load_end_addr - k.load_addr;
    const loadEnd = k.load_addr + loadSize;
    if (!file.has(fileOff, loadSize)) {
        bad(
            `truncated: load area ${range_str(k.load_addr, loadEnd)} needs file bytes ` +
                `${range_str(fileOff, fileOff + loadSize)}, file is ${file.length} bytes`,
        );
    }
    if (loadEnd > FOUR_GIB) bad(`load area ${range_str(k.load_addr, loadEnd)} wraps past 4 GiB`);
    if (k.header_addr + MULTIBOOT_HEADER_AOUT_SIZE > loadEnd) {
        bad(
            `load area ${range_str(k.load_addr, loadEnd)} does not hold the header at ` +
                `header_addr ${hex_pad8(k.header_addr)}`,
        );
    }
    const bssEnd = k.bss_end_addr === 0 ? loadEnd : k.bss_end_addr;
    if (bssEnd < loadEnd) {
        bad(
            `bss_end_addr ${hex_pad8(bssEnd)} is below the end of the load area ${hex_pad8(loadEnd)}`,
        );
    }
    if (k.entry_addr < k.load_addr || k.entry_addr >= loadEnd) {
        bad(
            `entry_addr ${hex_pad8(k.entry_addr)} is outside the load area ` +
                range_str(k.load_addr, loadEnd),
        );
    }
    const segments: KernelSegment[] = [
        {
            what: "kernel a.out image",
            label: "a.out load area",
            paddr: k.load_addr,
            data: file.bytes.subarray(fileOff, fileOff + loadSize),
            memsz: loadSize,
        },
    ];
    if (bssEnd > loadEnd) {
        segments.push({
            what: "kernel bss",
            label: "a.out bss",
            paddr: loadEnd,
            data: new Uint8Array(0),
            memsz: bssEnd - loadEnd,
        });
    }
    return { entry: k.entry_addr, segments };
}
