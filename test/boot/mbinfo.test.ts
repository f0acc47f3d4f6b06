/*
 * Boot tier: the `mbinfo` guest prints every multiboot field it received;
 * each one is checked against what the loader was asked to do. The loader
 * is the default, `qemu` (QEMU 7.2 -kernel on SeaBIOS, docs/machine.md):
 * boot device, no section headers, modules passed raw, SeaBIOS's map.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { boot, image, type Booted } from "./helpers.ts";

const tmp = mkdtempSync(join(tmpdir(), "mach86-mbinfo-"));
const plain = new TextEncoder().encode("PLAINMODULE-" + "x".repeat(5000));
const payload = new Uint8Array(300_000).map((_, i) => (i * 7 + (i >> 9)) & 0xff);
const payloadGz = new Uint8Array(gzipSync(payload));
const nounzipSrc = new TextEncoder().encode("kept compressed ".repeat(1000));
const nounzipGz = new Uint8Array(gzipSync(nounzipSrc));
const paths = {
    plain: join(tmp, "plain.bin"),
    gz: join(tmp, "payload.gz"),
    nz: join(tmp, "initrd.gz"),
};

function sum32(b: Uint8Array): number {
    let s = 0;
    for (const x of b) s = (s + x) >>> 0;
    return s;
}
const hex = (n: number, w = 8) => "0x" + n.toString(16).padStart(w, "0");
function head(b: Uint8Array): string {
    return [...b.subarray(0, 8)]
        .map((c) => (c >= 0x20 && c <= 0x7e ? String.fromCharCode(c) : "."))
        .join("");
}

let r: Booted;
let lines: string[];

beforeAll(async () => {
    writeFileSync(paths.plain, plain);
    writeFileSync(paths.gz, payloadGz);
    writeFileSync(paths.nz, nounzipGz);
    r = await boot({
        kernel: image("mbinfo"),
        modules: [
            `${paths.plain} first arg`,
            `${paths.gz}`,
            { line: `${paths.nz} initrd $(ramdisk-create)`, nounzip: true },
        ],
        cmdline: "root=gunzip:device:rd0 -s",
        memory: "96M",
    });
    lines = r.console.split("\n");
});

const line = (prefix: string) => {
    const l = lines.find((x) => x.startsWith(prefix));
    expect(l, `console line starting with ${prefix}`).toBeDefined();
    return l!;
};

describe("mbinfo: every MBI field as the guest sees it", () => {
    it("boots and finishes", () => {
        expect(r.exitCode).toBe(0);
        expect(lines).toContain("mbinfo done");
        expect(lines).toContain("magic=0x2badb002");
        expect(lines).toContain("bss_clear=yes");
    });

    it("MBI at 0x9500 with QEMU's flags 0x24f: MEMORY BOOTDEV CMDLINE MODS MMAP LOADER_NAME", () => {
        expect(lines).toContain("mbi_addr=0x00009500");
        expect(line("flags=")).toBe("flags=0x0000024f");
        expect(lines.some((l) => l.startsWith("elf_sec "))).toBe(false);
    });

    it("mem_lower and mem_upper (SeaBIOS keeps the top 128 KiB)", () => {
        expect(lines).toContain("mem_lower=639 KiB");
        expect(lines).toContain(`mem_upper=${96 * 1024 - 1024 - 128} KiB`);
    });

    it("kernel command line carries the kernel path as argv[0]", () => {
        expect(lines).toContain(`cmdline='${image("mbinfo")} root=gunzip:device:rd0 -s'`);
    });

    it("three modules: strings, page-aligned placement, contents (passed raw, gzip or not)", () => {
        expect(lines).toContain("mods_count=3");
        const mods = lines.filter((l) => l.startsWith("mod["));
        expect(mods).toHaveLength(3);
        const expected = [
            { string: `${paths.plain} first arg`, bytes: plain },
            { string: paths.gz, bytes: payloadGz },
            { string: `${paths.nz} initrd $(ramdisk-create)`, bytes: nounzipGz },
        ];
        const placed = r.load.modules;
        expected.forEach((e, i) => {
            const p = placed[i]!;
            expect(p.start % 4096).toBe(0);
            expect(mods[i]).toBe(
                `mod[${i}] start=${hex(p.start)} end=${hex(p.end)} size=${e.bytes.length} ` +
                    `string='${e.string}' head='${head(e.bytes)}' sum=${hex(sum32(e.bytes))}`,
            );
        });
        // modules follow each other page by page, after the module array
        expect(placed[1]!.start).toBe(Math.ceil(placed[0]!.end / 4096) * 4096);
        expect(placed[2]!.start).toBe(Math.ceil(placed[1]!.end / 4096) * 4096);
        const modsAddr = parseInt(line("mods_addr=").slice(10), 16);
        expect(modsAddr % 4096).toBe(0);
        expect(modsAddr).toBeLessThan(placed[0]!.start);
    });

    it("memory map with the low reserved holes", () => {
        expect(line("mmap_addr=")).toBe("mmap_addr=0x00009000 mmap_length=144");
        const mmap = lines.filter((l) => l.startsWith("mmap base="));
        const e = (base: number, len: number, type: number) =>
            `mmap base=${hex(base, 16)} len=${hex(len, 16)} type=${type}`;
        const top = 96 * 1024 * 1024 - 128 * 1024;
        expect(mmap).toEqual([
            e(0, 0x9fc00, 1),
            e(0x9fc00, 0x400, 2),
            e(0xf0000, 0x10000, 2),
            e(0x100000, top - 0x100000, 1),
            e(top, 128 * 1024, 2),
            e(0xfffc0000, 0x40000, 2),
        ]);
    });

    it("boot loader name", () => {
        expect(lines).toContain("loader='qemu'");
    });
});
