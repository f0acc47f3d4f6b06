import { describe, expect, it } from "vitest";
import { multiboot_load } from "../../../boot/index.ts";
import { build_elf, Bytes, mb_header, pattern, type ElfSpec, type SegSpec } from "./elfbuild.ts";
import {
    basic_kernel,
    dirty_mem,
    expect_refused,
    KERNEL_PATH,
    load,
    MiB,
    request,
} from "./helpers.ts";

const K = KERNEL_PATH;

/** One PT_LOAD segment of 0x1234 bytes at 1 MiB, entry at its start. */
const one = (extra: Partial<ElfSpec> = {}): Uint8Array =>
    build_elf({
        entry: 0x100000,
        segments: [{ paddr: 0x100000, data: pattern(0x1234) }],
        ...extra,
    }).bytes;

/** A kernel of the given segments, entered at the first one's paddr. */
const segs = (...segments: SegSpec[]): Uint8Array =>
    build_elf({ entry: segments[0]!.paddr, segments }).bytes;

/** Overwrite a little-endian field of a copy of `bytes`. */
function patch(bytes: Uint8Array, off: number, value: number, width: 2 | 4 = 4): Uint8Array {
    const out = bytes.slice();
    const v = new DataView(out.buffer);
    if (width === 2) v.setUint16(off, value, true);
    else v.setUint32(off, value >>> 0, true);
    return out;
}

describe("[boot/elf32]: loading", () => {
    it("translates a virtual e_entry to physical through its segment (GRUB)", () => {
        const k = build_elf({
            entry: 0xc0100010,
            segments: [{ paddr: 0x100000, vaddr: 0xc0100000, data: pattern(0x100) }],
        }).bytes;
        expect(load(request(k)).info.entry.eip).toBe(0x100010);
    });

    it("keeps a physical e_entry that lies in a segment's physical range", () => {
        const k = build_elf({
            entry: 0x100020,
            segments: [{ paddr: 0x100000, vaddr: 0xc0100000, data: pattern(0x100) }],
        }).bytes;
        expect(load(request(k)).info.entry.eip).toBe(0x100020);
    });

    it("skips non-PT_LOAD and empty segments", () => {
        const k = segs(
            { paddr: 0x100000, data: pattern(0x10) },
            { paddr: 0x8000, data: pattern(0x10), type: 4 },
            { paddr: 0x9000, data: [] },
        );
        const { info } = load(request(k));
        expect(info.placements.filter((p) => p.what.startsWith("kernel"))).toHaveLength(1);
    });

    it("accepts a kernel at 64 KiB (just above the low reserved area)", () => {
        const k = segs({ paddr: 0x10000, data: pattern(0x100) });
        expect(load(request(k)).info.entry.eip).toBe(0x10000);
    });

    it("accepts the video flag (2) and unknown optional flags, like QEMU", () => {
        expect(() => load(request(one({ mbFlags: 0x7 })))).not.toThrow();
        expect(() => load(request(one({ mbFlags: 0x3 | 0x20000 | 0x80000000 })))).not.toThrow();
    });
});

describe("[boot/elf32]: bad kernels are refused with the kernel path and nothing written", () => {
    it("empty file", () => expect_refused(request(new Uint8Array(0)), K, "empty file"));

    it("not ELF and no a.out kludge", () => {
        const b = new Bytes();
        b.put(mb_header(0x3));
        b.put(pattern(100));
        expect_refused(
            request(b.done()),
            K,
            "not an ELF file and no a.out kludge (multiboot flag 16)",
        );
    });

    it("64-bit ELF", () => {
        expect_refused(
            request(one({ elfClass: 2 })),
            K,
            "64-bit ELF (x86-64); give a 32-bit i386 kernel",
        );
    });

    it("bad class, big-endian, wrong machine, wrong type", () => {
        expect_refused(request(one({ elfClass: 0 })), K, /^bad ELF class 0/);
        expect_refused(request(one({ elfData: 2 })), K, /^big-endian ELF/);
        expect_refused(request(one({ elfData: 7 })), K, /^bad ELF data encoding 7/);
        expect_refused(request(one({ machine: 62 })), K, /x86-64/);
        expect_refused(request(one({ machine: 40 })), K, /^ELF machine 40 is not i386/);
        expect_refused(request(one({ type: 3 })), K, /^ELF type 3 is not an executable/);
    });

    it("truncated ELF header", () => {
        const b = new Bytes();
        b.put([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0]);
        b.put(mb_header(0x3), 20);
        b.length = 40;
        expect_refused(request(b.done()), K, "truncated ELF header (40 of 52 bytes)");
    });

    it("truncated segment", () => {
        const k = one();
        expect_refused(
            request(k.subarray(0, k.length - 10)),
            K,
            /^truncated segment 0 0x00100000–0x00101234: needs file bytes .*, file is \d+ bytes$/,
        );
    });

    it("truncated program header table, no program headers, bad e_phentsize", () => {
        expect_refused(request(patch(one(), 44, 0xffff, 2)), K, /^truncated program header table/);
        expect_refused(request(patch(one(), 28, 0xfffffff0)), K, /^truncated program header table/);
        expect_refused(request(patch(one(), 44, 0, 2)), K, /^no program headers/);
        expect_refused(request(patch(one(), 42, 16, 2)), K, /^bad e_phentsize 16/);
    });

    it("no PT_LOAD segment", () => {
        const k = segs({ paddr: 0x100000, data: [1], type: 4 });
        expect_refused(request(k), K, "no loadable (PT_LOAD) segment");
    });

    it("p_filesz larger than p_memsz", () => {
        const k = segs({ paddr: 0x100000, data: pattern(64), memsz: 32 });
        expect_refused(request(k), K, /^segment 0: p_filesz 0x00000040 is larger than p_memsz/);
    });

    it("overlapping segments", () => {
        const k = segs(
            { paddr: 0x100000, data: pattern(0x2000) },
            { paddr: 0x101000, data: pattern(0x10) },
        );
        expect_refused(
            request(k),
            K,
            "segments 0 and 1 overlap (0x00100000–0x00102000 and 0x00101000–0x00101010)",
        );
    });

    it("segment wrapping past 4 GiB", () => {
        const k = segs({ paddr: 0xfffff000, data: pattern(0x10), memsz: 0x2000 });
        expect_refused(request(k), K, "segment 0 at 0xfffff000 (8192 bytes) wraps past 4 GiB");
    });

    it("segment or bss beyond the end of RAM", () => {
        const far = segs({ paddr: 0x2000000, data: pattern(0x1234) });
        expect_refused(
            request(far),
            K,
            "segment 0 0x02000000–0x02001234 does not fit in 16 MiB of RAM",
        );
        const bss = segs({ paddr: 0x100000, data: [1], memsz: 64 * MiB });
        expect_refused(
            request(bss),
            K,
            "segment 0 0x00100000–0x04100000 does not fit in 16 MiB of RAM",
        );
    });

    it("segments in the low 64 KiB or the 0x9FC00–1 MiB hole", () => {
        const at = (paddr: number, n = 0x100) => segs({ paddr, data: pattern(n) });
        const re = /overlaps the MBI\/low reserved area/;
        expect_refused(request(at(0x8000)), K, re);
        expect_refused(
            request(at(0x0)),
            K,
            "segment 0 0x00000000–0x00000100 overlaps the " +
                "MBI/low reserved area 0x00000000–0x00010000",
        );
        expect_refused(request(at(0xff00)), K, re);
        expect_refused(request(at(0x9f000, 0x1000)), K, re);
        expect_refused(request(at(0xa0000)), K, re);
        expect_refused(
            request(at(0xfff00, 0x200)),
            K,
            "segment 0 0x000fff00–0x00100100 overlaps " +
                "the MBI/low reserved area 0x0009fc00–0x00100000",
        );
    });

    it("an info area that would run into the hole or past the end of RAM", () => {
        const low = segs({ paddr: 0x90000, data: pattern(0xf000) });
        expect_refused(
            request(low),
            K,
            /^module array and strings 0x0009f000–.* overlaps the MBI\/low reserved/,
        );
        const top = segs({ paddr: 0x100000, data: [1], memsz: 15 * MiB });
        expect_refused(
            request(top),
            K,
            /^module array and strings 0x01000000–.* does not fit in 16 MiB/,
        );
    });

    it("entry point outside every segment", () => {
        expect_refused(
            request(one({ entry: 0x500000 })),
            K,
            "entry point 0x00500000 is not inside any PT_LOAD segment",
        );
    });

    it("truncated or bogus section header table", () => {
        const k = build_elf({
            entry: 0x100000,
            segments: [{ paddr: 0x100000, data: pattern(0x100) }],
            sections: [{ name: ".symtab", type: 2, data: pattern(32) }],
        });
        const cut = k.bytes.subarray(0, k.bytes.length - 1);
        expect_refused(request(cut), K, /^truncated section header table/);
        expect_refused(request(patch(k.bytes, 46, 20, 2)), K, /^bad e_shentsize 20/);
        // .symtab (section 1) pointing past the end of the file
        const sh = (i: number, field: number) => k.shoff + 40 * i + field;
        const bad = patch(k.bytes, sh(1, 16), k.bytes.length);
        expect_refused(request(bad), K, /^truncated section 1 \(\.symtab\): needs file bytes/);
        // two sections each claiming the whole file: more bytes than the file
        let many = k.bytes;
        for (const i of [1, 2]) {
            many = patch(many, sh(i, 16), 0);
            many = patch(many, sh(i, 20), k.bytes.length);
        }
        expect_refused(
            request(many),
            K,
            /^non-allocated ELF sections hold more bytes than the file/,
        );
    });

    it("a NUL in the kernel command line", () => {
        expect_refused(
            request(basic_kernel(), { cmdline: "a\0b" }),
            K,
            "kernel command line contains a NUL character",
        );
    });

    it("does not write even the low area when a late check fails", () => {
        const mem = dirty_mem();
        expect(() => multiboot_load(mem, request(one({ entry: 1 })))).toThrow();
        expect(mem.read32(0x9500)).toBe(0xcccccccc);
        expect(mem.read32(0x100000)).toBe(0xcccccccc);
    });
});
