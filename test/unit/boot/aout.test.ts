import { describe, expect, it } from "vitest";
import { MBI_ADDR, mbi_parse } from "../../../boot/index.ts";
import { build_aout, pattern, type AoutSpec } from "./elfbuild.ts";
import { expect_refused, KERNEL_PATH, load, request } from "./helpers.ts";

const K = KERNEL_PATH;
const base: AoutSpec = {
    loadAddr: 0x100000,
    image: pattern(0x3000, 7),
    hdrOff: 0x40,
    entry: 0x100080,
};
const aout = (extra: Partial<AoutSpec> = {}) => build_aout({ ...base, ...extra });

/** A copy of `k` with the a.out field at header offset `field` (bytes) set to `value`. */
function with_field(k: Uint8Array, field: number, value: number): Uint8Array {
    const out = k.slice();
    new DataView(out.buffer).setUint32(base.hdrOff + field, value, true);
    return out;
}

describe("[boot/aout]: a.out kludge kernels", () => {
    it("loads [load_addr, load_end_addr) from the file and zeroes up to bss_end_addr", () => {
        const k = aout({ bssEnd: 0x105000 });
        const { info, mem } = load(request(k));
        expect(mem.read(0x100000, 0x3000)).toEqual(k.subarray(0, 0x3000));
        expect(mem.read(0x103000, 0x2000).every((b) => b === 0)).toBe(true);
        expect(info.kernelEnd).toBe(0x105000);
        expect(info.entry.eip).toBe(0x100080);
        expect(info.placements.slice(0, 2)).toEqual([
            { what: "kernel a.out image", start: 0x100000, end: 0x103000 },
            { what: "kernel bss", start: 0x103000, end: 0x105000 },
        ]);
        expect(mbi_parse(mem, MBI_ADDR).mods_addr).toBe(0x105000);
        // a.out kernels pass no ELF section headers
        expect(info.flags).toBe(0x24d);
    });

    it("starts the load area at header offset − (header_addr − load_addr) in the file", () => {
        const k = aout({ prefix: 0x200 });
        const { mem } = load(request(k));
        expect(mem.read(0x100000, 0x3000)).toEqual(k.subarray(0x200, 0x3200));
    });

    it("loads to the end of the file when load_end_addr is 0", () => {
        const k = aout({ loadEnd: 0 });
        const { info, mem } = load(request(k));
        expect(info.kernelEnd).toBe(0x103000);
        expect(mem.read(0x100000, 0x3000)).toEqual(k);
    });

    it("loads a shorter load area than the file and ignores the rest", () => {
        const { info } = load(request(aout({ loadEnd: 0x101000 })));
        expect(info.kernelEnd).toBe(0x101000);
    });

    it("refuses inconsistent address fields", () => {
        expect_refused(
            request(aout({ loadEnd: 0x0ff000 })),
            K,
            "a.out kludge: load_end_addr 0x000ff000 is below load_addr 0x00100000",
        );
        expect_refused(
            request(aout({ loadEnd: 0x104000 })),
            K,
            "a.out kludge: truncated: load area 0x00100000–0x00104000 needs file bytes " +
                "0x00000000–0x00004000, file is 12288 bytes",
        );
        expect_refused(
            request(aout({ loadEnd: 0x100050 })),
            K,
            "a.out kludge: load area 0x00100000–0x00100050 does not hold the header at " +
                "header_addr 0x00100040",
        );
        expect_refused(
            request(aout({ bssEnd: 0x102000 })),
            K,
            "a.out kludge: bss_end_addr 0x00102000 is below the end of the load area 0x00103000",
        );
        expect_refused(
            request(aout({ entry: 0x103000 })),
            K,
            "a.out kludge: entry_addr 0x00103000 is outside the load area 0x00100000–0x00103000",
        );
        expect_refused(
            request(aout({ entry: 0xfffff })),
            K,
            /^a\.out kludge: entry_addr 0x000fffff/,
        );
    });

    it("refuses load_addr above header_addr and a header too early in the file", () => {
        const LOAD_ADDR = 16;
        expect_refused(
            request(with_field(aout(), LOAD_ADDR, 0x100044)),
            K,
            "a.out kludge: load_addr 0x00100044 is above header_addr 0x00100040",
        );
        expect_refused(
            request(with_field(aout(), LOAD_ADDR, 0x0ff000)),
            K,
            "a.out kludge: header_addr − load_addr (0x00001040) is larger than the header's " +
                "file offset 0x00000040",
        );
    });

    it("refuses a load area that wraps past 4 GiB, and one that lands in reserved memory", () => {
        const wrap = build_aout({
            loadAddr: 0xfffff000,
            image: pattern(0x2000),
            hdrOff: 0,
            entry: 0xfffff000,
            loadEnd: 0,
        });
        expect_refused(
            request(wrap),
            K,
            "a.out kludge: load area 0xfffff000–0x100001000 wraps past 4 GiB",
        );
        const low = build_aout({
            loadAddr: 0x9000,
            image: pattern(0x100),
            hdrOff: 0,
            entry: 0x9000,
        });
        expect_refused(
            request(low),
            K,
            "a.out load area 0x00009000–0x00009100 overlaps the " +
                "MBI/low reserved area 0x00000000–0x00010000",
        );
        expect_refused(
            request(aout({ bssEnd: 0x2000000 })),
            K,
            "a.out bss 0x00103000–0x02000000 does not fit in 16 MiB of RAM",
        );
    });
});
