import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
    format_placements,
    MBI_ADDR,
    mbi_parse,
    multiboot_load,
    MULTIBOOT_INFO,
} from "../../../boot/index.ts";
import { SparsePhysMem } from "../../../emulator/physmem.ts";
import { build_elf, pattern } from "./elfbuild.ts";
import {
    basic_kernel,
    dirty_mem,
    expect_refused,
    KERNEL_PATH,
    load,
    MiB,
    request,
} from "./helpers.ts";

const PAGE = 4096;
const text = (mem: { read(pa: number, n: number): Uint8Array }, pa: number, n: number) =>
    new TextDecoder().decode(mem.read(pa, n));

describe("[boot/loader]: kernel placement", () => {
    it("copies each PT_LOAD segment to p_paddr and zeroes its bss over dirty memory", () => {
        const { info, mem } = load(request(basic_kernel()));
        expect(mem.read(0x100000, 0x1234)).toEqual(pattern(0x1234, 1));
        expect(mem.read(0x102000, 0x100)).toEqual(pattern(0x100, 2));
        expect(mem.read(0x102100, 0x2f00).every((b) => b === 0)).toBe(true);
        // the gap between the segments is not the loader's: left as it was
        expect(mem.read(0x101234, 0x102000 - 0x101234).every((b) => b === 0xcc)).toBe(true);
        // below the kernel: untouched
        expect(mem.read(0xff000, 0x1000).every((b) => b === 0xcc)).toBe(true);
        expect(info.kernelEnd).toBe(0x105000);
        expect(info.entry).toEqual({
            eip: 0x100010,
            eax: 0x2badb002,
            ebx: 0x9500,
            gdtBase: 0x8000,
            gdtLimit: 23,
        });
        expect(info.mbiAddr).toBe(MBI_ADDR);
    });

    it("names segments after their first allocated section, else after their flags", () => {
        const named = load(request(basic_kernel())).info.placements.map((p) => p.what);
        expect(named).toContain("kernel .text segment");
        expect(named).toContain("kernel .data segment");
        const bare = load(request(basic_kernel({ sections: undefined }))).info.placements.map(
            (p) => p.what,
        );
        expect(bare).toContain("kernel segment 0 (r-x)");
        expect(bare).toContain("kernel segment 1 (rw-)");
    });

    it("writes the flat GDT at 0x8000", () => {
        const { mem } = load(request(basic_kernel()));
        expect(mem.read32(0x8000)).toBe(0);
        expect(mem.read32(0x8004)).toBe(0);
        expect([mem.read32(0x8008), mem.read32(0x800c)]).toEqual([0x0000ffff, 0x00cf9a00]);
        expect([mem.read32(0x8010), mem.read32(0x8014)]).toEqual([0x0000ffff, 0x00cf9200]);
    });
});

describe("[boot/loader]: info area and modules", () => {
    const mod1 = pattern(5000, 4);
    const mod2 = pattern(3 * PAGE, 5);
    const req = () =>
        request(basic_kernel(), {
            cmdline: "root=device:hd0s1 -s",
            modules: [
                {
                    path: "/hurd/ext2fs.static",
                    args: "ext2fs --host-priv-port=${host-port}",
                    bytes: mod1,
                    nounzip: false,
                },
                { path: "/lib/ld.so.1", args: "", bytes: mod2, nounzip: false },
            ],
        });

    it("puts the module array right after the page-aligned kernel end, then the strings", () => {
        const { info, mem } = load(req());
        const mbi = mbi_parse(mem, MBI_ADDR);
        expect(mbi.mods_addr).toBe(0x105000);
        expect(mbi.mods_count).toBe(2);
        const s1 = "/hurd/ext2fs.static ext2fs --host-priv-port=${host-port}";
        const s2 = "/lib/ld.so.1";
        const cmd = `${KERNEL_PATH} root=device:hd0s1 -s`;
        let at = 0x105000 + 32;
        for (const s of [s1, s2, cmd, "mach86"]) {
            expect(text(mem, at, s.length + 1)).toBe(s + "\0");
            at += s.length + 1;
        }
        expect(mbi.mods![0]!.string).toBe(0x105020);
        expect(mbi.mods![1]!.string).toBe(0x105020 + s1.length + 1);
        expect(mbi.cmdline).toBe(0x105020 + s1.length + s2.length + 2);
        expect(mbi.cmdline_str).toBe(cmd);
        expect(mbi.boot_loader_name_str).toBe("mach86");
        expect(info.modules.map((m) => m.string)).toEqual([s1, s2]);
    });

    it("places modules page-aligned, one after another, after the page-aligned info area", () => {
        const { info, mem } = load(req());
        const mbi = mbi_parse(mem, MBI_ADDR);
        const infoParts = info.placements.filter(
            (p) => p.start >= 0x105000 && !p.what.startsWith("module "),
        );
        const infoEnd = Math.max(...infoParts.map((p) => p.end));
        const first = Math.ceil(infoEnd / PAGE) * PAGE;
        const [m1, m2] = mbi.mods!;
        expect(m1!.mod_start).toBe(first);
        expect(m1!.mod_end).toBe(first + 5000);
        expect(m2!.mod_start).toBe(first + 2 * PAGE);
        expect(m2!.mod_end).toBe(first + 5 * PAGE);
        expect(m1!.reserved).toBe(0);
        expect(mem.read(m1!.mod_start, 5000)).toEqual(mod1);
        expect(mem.read(m2!.mod_start, 3 * PAGE)).toEqual(mod2);
        // page padding after a module is zeroed, the page after the last module is untouched
        expect(mem.read(m1!.mod_end, 2 * PAGE - 5000).every((b) => b === 0)).toBe(true);
        expect(mem.read(m2!.mod_end, PAGE).every((b) => b === 0xcc)).toBe(true);
        expect(info.modules).toEqual([
            { start: m1!.mod_start, end: m1!.mod_end, string: m1!.cmdline },
            { start: m2!.mod_start, end: m2!.mod_end, string: m2!.cmdline },
        ]);
    });

    it("sets MODS, mods_count 0, mods_addr at the (empty) array when there are no modules", () => {
        const { info, mem } = load(request(basic_kernel()));
        const mbi = mbi_parse(mem, MBI_ADDR);
        expect(mbi.flags & MULTIBOOT_INFO.MODS).toBeTruthy();
        expect(mbi.mods_count).toBe(0);
        expect(mbi.mods_addr).toBe(0x105000);
        expect(mbi.mods).toEqual([]);
        expect(mbi.cmdline).toBe(0x105000);
        expect(mbi.cmdline_str).toBe(KERNEL_PATH);
        expect(info.modules).toEqual([]);
    });

    it("gives a zero-length module mod_start == mod_end and the next module the same page", () => {
        const { mem } = load(
            request(basic_kernel(), {
                modules: [
                    { path: "empty", args: "", bytes: new Uint8Array(0), nounzip: false },
                    { path: "one", args: "", bytes: new Uint8Array([1]), nounzip: false },
                ],
            }),
        );
        const [a, b] = mbi_parse(mem, MBI_ADDR).mods!;
        expect(a!.mod_end).toBe(a!.mod_start);
        expect(b!.mod_start).toBe(a!.mod_start);
        expect(b!.mod_end).toBe(b!.mod_start + 1);
    });

    it("uses the given boot loader name", () => {
        const { mem } = load(request(basic_kernel(), { loaderName: "GNU GRUB 0.97" }));
        expect(mbi_parse(mem, MBI_ADDR).boot_loader_name_str).toBe("GNU GRUB 0.97");
    });

    it("decompresses gzip modules, and leaves nounzip ones compressed", () => {
        const payload = pattern(20000, 6);
        const gz = gzipSync(payload);
        const { mem } = load(
            request(basic_kernel(), {
                modules: [
                    {
                        path: "initrd.gz",
                        args: "initrd $(ramdisk-create)",
                        bytes: gz,
                        nounzip: true,
                    },
                    { path: "ext2fs.gz", args: "", bytes: gz, nounzip: false },
                ],
            }),
        );
        const [a, b] = mbi_parse(mem, MBI_ADDR).mods!;
        expect(a!.mod_end - a!.mod_start).toBe(gz.length);
        expect(mem.read(a!.mod_start, gz.length)).toEqual(new Uint8Array(gz));
        expect(b!.mod_end - b!.mod_start).toBe(payload.length);
        expect(mem.read(b!.mod_start, payload.length)).toEqual(payload);
        expect(b!.mod_start % PAGE).toBe(0);
    });

    it("copies the ELF section headers and the non-allocated sections, patching sh_addr", () => {
        const { info, mem } = load(request(basic_kernel()));
        const mbi = mbi_parse(mem, MBI_ADDR);
        expect(mbi.flags & MULTIBOOT_INFO.ELF_SHDR).toBeTruthy();
        const [num, size, addr, shndx] = mbi.syms;
        expect([num, size, shndx]).toEqual([7, 40, 6]);
        expect(addr % 4).toBe(0);
        const secs = mbi.elf_sec!;
        expect(secs).toHaveLength(7);
        // allocated sections keep their (virtual) sh_addr
        expect(secs[1]!.sh_addr).toBe(0x100000);
        expect(secs[3]!.sh_addr).toBe(0x102100);
        // .symtab, .strtab, .shstrtab were copied; their sh_addr now points at the copy
        for (const i of [4, 5, 6]) {
            const s = secs[i]!;
            expect(s.sh_addr).toBeGreaterThan(addr);
            expect(s.sh_addr % 4).toBe(0);
            expect(s.sh_addr + s.sh_size).toBeLessThanOrEqual(mbi.mods_addr + PAGE);
        }
        expect(mem.read(secs[4]!.sh_addr, 48)).toEqual(pattern(48, 3));
        expect(text(mem, secs[5]!.sh_addr + 1, 6)).toBe("_start");
        expect(text(mem, secs[6]!.sh_addr + secs[4]!.sh_name, 7)).toBe(".symtab");
        const whats = info.placements.map((p) => p.what);
        expect(whats).toEqual(
            expect.arrayContaining([
                "ELF section headers",
                "ELF section .symtab",
                "ELF section .strtab",
                "ELF section .shstrtab",
            ]),
        );
    });

    it("passes no section headers (flag 5 clear) for an ELF without them", () => {
        const { info, mem } = load(request(basic_kernel({ sections: undefined })));
        const mbi = mbi_parse(mem, MBI_ADDR);
        expect(mbi.flags).toBe(0x24d);
        expect(info.flags).toBe(0x24d);
        expect(mbi.syms).toEqual([0, 0, 0, 0]);
        expect(mbi.elf_sec).toBeUndefined();
    });

    it("loads into a sparse memory as well (the none engine)", () => {
        const mem = new SparsePhysMem(1856 * MiB);
        const info = multiboot_load(mem, request(basic_kernel(), { ramSize: 1856 * MiB }));
        expect(mem.read(0x100000, 0x1234)).toEqual(pattern(0x1234, 1));
        expect(mbi_parse(mem, info.mbiAddr).mem_upper).toBe((1856 - 1) * 1024);
    });

    it("makes lazy module bytes where the memory holds them: the same RAM as the bytes themselves", () => {
        const payload = pattern(300 * 1024 + 123, 7); // above the 64 KiB deferral threshold
        const gz = gzipSync(pattern(20000, 8));
        const asked: number[] = [];
        const lazy = (b: Uint8Array) => ({
            length: b.length,
            fill: (dst: Uint8Array, off: number) => {
                asked.push(dst.length);
                dst.set(b.subarray(off, off + dst.length));
            },
        });
        for (const loader of ["qemu", "grub", "legacy"] as const) {
            const mods = (wrap: (b: Uint8Array) => Uint8Array | ReturnType<typeof lazy>) => [
                { path: "big", args: "", bytes: wrap(payload), nounzip: false },
                { path: "small.gz", args: "", bytes: wrap(gz), nounzip: loader === "qemu" },
            ];
            const req = (wrap: Parameters<typeof mods>[0]) =>
                request(basic_kernel(), { ramSize: 4 * MiB, loader, modules: mods(wrap) });
            for (const Mem of [SparsePhysMem, undefined]) {
                const a = Mem ? new SparsePhysMem(4 * MiB) : dirty_mem(4 * MiB);
                const b = Mem ? new SparsePhysMem(4 * MiB) : dirty_mem(4 * MiB);
                multiboot_load(
                    a,
                    req((x) => x),
                );
                asked.length = 0;
                multiboot_load(b, req(lazy));
                // qemu hands modules over raw: the sparse memory has not made the big one yet
                // (grub and legacy read each module whole, to see whether it is gzip).
                if (Mem && loader === "qemu")
                    expect(asked.some((n) => n === payload.length)).toBe(false);
                expect(Buffer.compare(b.read(0, 4 * MiB), a.read(0, 4 * MiB))).toBe(0);
            }
        }
    });

    it("loads an ELF whose segments are not page-aligned and ends the info area on a page", () => {
        const k = build_elf({
            entry: 0x200123,
            segments: [{ paddr: 0x200100, data: pattern(0x40) }],
        }).bytes;
        const { info, mem } = load(
            request(k, {
                modules: [{ path: "m", args: "", bytes: pattern(10), nounzip: false }],
            }),
        );
        expect(info.kernelEnd).toBe(0x200140);
        const mbi = mbi_parse(mem, MBI_ADDR);
        expect(mbi.mods_addr).toBe(0x201000);
        expect(mbi.mods![0]!.mod_start).toBe(0x202000);
        // the tail of the kernel's last page is zeroed padding
        expect(mem.read(0x200140, 0x1000 - 0x140).every((b) => b === 0)).toBe(true);
    });
});

describe("[boot/loader]: format_placements", () => {
    it("prints placements by address with 0x%08x bounds and a size, then the entry state", () => {
        const { info } = load(
            request(basic_kernel(), {
                modules: [{ path: "initrd.gz", args: "", bytes: pattern(PAGE), nounzip: false }],
            }),
        );
        const lines = format_placements(info);
        expect(lines[0]).toMatch(/^0x00008000-0x00008018 +24 B {2}GDT$/);
        expect(lines[1]).toMatch(/^0x00009000-0x00009078 +120 B {2}mmap$/);
        expect(lines[2]).toMatch(/^0x00009500-0x00009558 +88 B {2}MBI$/);
        expect(lines[3]).toMatch(/^0x00100000-0x00101234 +4\.551 KiB {2}kernel \.text segment$/);
        const mod1 = /^0x0010[0-9a-f]{4}-0x0010[0-9a-f]{4} +4 KiB {2}module 1 initrd\.gz$/;
        expect(lines.some((l) => mod1.test(l))).toBe(true);
        expect(lines.at(-1)).toBe(
            "entry 0x00100010  eax 0x2badb002  ebx 0x00009500  " +
                "MBI flags 0x0000026d  kernel end 0x00105000",
        );
        const starts = lines.slice(0, -1).map((l) => parseInt(l.slice(2, 10), 16));
        expect(starts).toEqual([...starts].sort((a, b) => a - b));
    });
});

describe("[boot/loader]: a failed load writes nothing", () => {
    it("a module that does not fit leaves the kernel unwritten too", () => {
        const mem = dirty_mem(4 * MiB);
        const before = mem.bytes.slice();
        expect(() =>
            multiboot_load(
                mem,
                request(basic_kernel(), {
                    ramSize: 4 * MiB,
                    modules: [
                        { path: "big", args: "", bytes: new Uint8Array(3 * MiB), nounzip: false },
                    ],
                }),
            ),
        ).toThrow(/^big: module 0x00106000–0x00406000 does not fit in 4 MiB of RAM$/);
        expect(Buffer.compare(mem.bytes, before)).toBe(0);
    });
});

describe("[boot/loader]: bad modules and RAM sizes", () => {
    const mod = (path: string, bytes: Uint8Array, nounzip = false, args = "") => ({
        path,
        args,
        bytes,
        nounzip,
    });
    const K = basic_kernel();

    it("a corrupt gzip module names the module", () => {
        const gz = gzipSync(pattern(5000));
        const bad = gz.slice(0, 40);
        const modules = [mod("ok", pattern(10)), mod("/boot/initrd.gz", bad)];
        expect_refused(
            request(K, { modules }),
            "/boot/initrd.gz",
            "corrupt gzip: unexpected end of file",
        );
        const junk = new Uint8Array([0x1f, 0x8b, 0x99, 0, 0, 0, 0, 0, 0, 0]);
        expect_refused(request(K, { modules: [mod("j.gz", junk)] }), "j.gz", /^corrupt gzip: /);
        // but handed over as is with nounzip
        expect(() => load(request(K, { modules: [mod("j.gz", junk, true)] }))).not.toThrow();
    });

    it("a gzip module that expands beyond RAM is refused without inflating it all", () => {
        const bomb = gzipSync(new Uint8Array(32 * MiB));
        expect_refused(
            request(basic_kernel(), { modules: [mod("bomb.gz", bomb)] }),
            "bomb.gz",
            /^decompressed module does not fit in the .* of RAM left at 0x00106000$/,
        );
    });

    it("a module in the hole names the module", () => {
        const k = build_elf({
            entry: 0x20000,
            segments: [{ paddr: 0x20000, data: pattern(0x100) }],
        }).bytes;
        expect_refused(
            request(k, { modules: [mod("big", new Uint8Array(0x80000))] }),
            "big",
            "module 0x00022000–0x000a2000 overlaps the MBI/low reserved area " +
                "0x0009fc00–0x00100000",
        );
    });

    it("a NUL in module args names the module", () => {
        expect_refused(
            request(K, { modules: [mod("m", pattern(4), false, "a\0")] }),
            "m",
            /^module string contains a NUL character$/,
        );
    });

    it("RAM sizes below 2 MiB, not whole, or larger than the machine name --memory", () => {
        const k = basic_kernel();
        expect_refused(
            request(k, { ramSize: 2 * MiB - 4096 }),
            "--memory",
            "2044 KiB of RAM is below the 2 MiB minimum",
        );
        expect_refused(
            request(k, { ramSize: NaN }),
            "--memory",
            "RAM size NaN is not a whole number of bytes",
        );
        expect_refused(request(k, { ramSize: -1 }), "--memory", /not a whole number/);
        expect_refused(request(k, { ramSize: 3.5 * MiB + 0.5 }), "--memory", /not a whole number/);
        expect_refused(request(k, { ramSize: Infinity }), "--memory", /not a whole number/);
        expect_refused(
            request(k, { ramSize: 2 * MiB - 1 }),
            "--memory",
            /^2097151 bytes of RAM is below/,
        );
        expect_refused(
            request(k, { ramSize: 32 * MiB }),
            "--memory",
            /^32 MiB of RAM is more than the machine has \(16 MiB\)$/,
        );
    });

    it("accepts exactly 2 MiB", () => {
        const { info } = load(request(basic_kernel(), { ramSize: 2 * MiB }));
        expect(info.entry.eip).toBe(0x100010);
    });
});
