import { describe, expect, it } from "vitest";
import { MULTIBOOT_HEADER_MAGIC } from "../../../boot/index.ts";
import { build_aout, build_elf, Bytes, mb_header, pattern } from "./elfbuild.ts";
import { expect_refused, KERNEL_PATH, load, request } from "./helpers.ts";

const K = KERNEL_PATH;

/** An a.out-kludge kernel whose multiboot header sits at file offset `hdrOff`. */
function aout_at(hdrOff: number, extra = 0x40): Uint8Array {
    const image = pattern(hdrOff + 32 + extra);
    return build_aout({ loadAddr: 0x100000, image, hdrOff, entry: 0x100000 });
}

describe("[boot/multiboot]: header scan", () => {
    it("finds the header 4-byte aligned anywhere its 12 or 32 bytes fit in the first 8 KiB", () => {
        expect(load(request(aout_at(0))).info.entry.eip).toBe(0x100000);
        expect(load(request(aout_at(8192 - 32))).info.entry.eip).toBe(0x100000);
    });

    it("does not find a header that starts at 8 KiB or is not 4-byte aligned", () => {
        expect_refused(request(aout_at(8192)), K, /^no multiboot header in the first 8 KiB$/);
        const b = new Bytes();
        b.put(new Uint8Array(2));
        b.put(mb_header(0x3));
        b.put(new Uint8Array(64));
        expect_refused(request(b.done()), K, /^no multiboot header in the first 8 KiB$/);
    });

    it("refuses a 12-byte header that crosses 8 KiB, and an a.out header that does", () => {
        const b = new Bytes();
        b.put(new Uint8Array(8188));
        b.put(mb_header(0x3));
        expect_refused(request(b.done()), K, /^no multiboot header in the first 8 KiB$/);
        expect_refused(
            request(aout_at(8192 - 28)),
            K,
            "multiboot header at offset 0x00001fe4 " +
                "with a.out kludge (flag 16) does not fit in the first 8 KiB",
        );
    });

    it("refuses an a.out header cut by the end of the file", () => {
        const k = aout_at(0x100);
        expect_refused(
            request(k.subarray(0, 0x100 + 20)),
            K,
            "multiboot header at offset " +
                "0x00000100 with a.out kludge (flag 16) is cut short by the end of the file",
        );
    });

    it("reports a bad checksum when no valid header follows", () => {
        const k = build_elf({
            entry: 0x100000,
            segments: [{ paddr: 0x100000, data: pattern(16) }],
        });
        const bad = k.bytes.slice();
        bad[k.mboff + 8]! ^= 1;
        expect(k.mboff).toBe(0x54);
        expect_refused(
            request(bad),
            K,
            "bad multiboot header checksum (header at offset 0x00000054)",
        );
    });

    it("takes the first header with a valid checksum after a bad one", () => {
        const b = new Bytes();
        b.put(mb_header(0x10003, undefined, 1));
        const good = aout_at(0x40);
        b.put(good.subarray(0x10), 0x10); // keep our bad magic at 0, the rest from the good image
        const out = b.done();
        expect(new DataView(out.buffer).getUint32(0, true)).toBe(MULTIBOOT_HEADER_MAGIC);
        expect(load(request(out)).info.entry.eip).toBe(0x100000);
    });

    it("refuses unsupported required flags, naming the lowest one", () => {
        const k = (flags: number) =>
            build_elf({
                entry: 0x100000,
                segments: [{ paddr: 0x100000, data: pattern(16) }],
                mbFlags: flags,
            }).bytes;
        expect_refused(request(k(0x3 | 0x8)), K, /^unsupported multiboot header flag 3 /);
        expect_refused(request(k(0x8000 | 0x100)), K, /^unsupported multiboot header flag 8 /);
        expect_refused(
            request(k(0x8000)),
            K,
            /^unsupported multiboot header flag 15 \(required flags 0x00008000;/,
        );
    });
});
