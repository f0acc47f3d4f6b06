/*
 * Unit tier: QEMU's -m sizes, SeaBIOS's e820 map, e820 files, and the
 * placement rules of the qemu and grub profiles that the probe fixtures do
 * not reach (a kernel at 16 MiB, a given map).
 */
import { describe, expect, it } from "vitest";
import { BootError, mbi_parse } from "../../../boot/index.ts";
import { e820_lower_upper, e820_parse, seabios_e820 } from "../../../boot/e820.ts";
import { multiboot_load } from "../../../boot/loader.ts";
import { machine_ram_for, memory_size_parse } from "../../../boot/memsize.ts";
import { SparsePhysMem } from "../../../emulator/physmem.ts";
import { build_elf } from "./elfbuild.ts";

const MIB = 1 << 20;

describe("memory_size_parse (QEMU 7.2 -m, measured)", () => {
    it.each([
        ["64", 64 * MIB],
        ["64M", 64 * MIB],
        ["64m", 64 * MIB],
        [" 64", 64 * MIB],
        ["0x40", 64 * MIB],
        ["1.1M", 1155072],
        ["65537K", 67117056],
        ["64.5M", 67633152],
        ["64.M", 64 * MIB],
        ["64.00000001M", 64 * MIB],
        ["0.0625G", 64 * MIB],
        ["1856.3M", 1946476544],
        ["2047.875M", 2047.875 * MIB],
        ["65536000B", 65536000],
    ])("%s -> %d bytes", (text, bytes) => {
        expect(memory_size_parse(text)).toBe(bytes);
    });

    it.each(["64.5", "2047.9", ".5G", "1e3M", "64MB", "64MiB", "67108864.5B", "", "-1M"])(
        "refuses %j as QEMU does",
        (text) => {
            expect(() => memory_size_parse(text)).toThrow(BootError);
        },
    );

    it("the machine gets whole 128 KiB granules", () => {
        expect(machine_ram_for(67117056)).toBe(64 * MIB + 128 * 1024);
        expect(machine_ram_for(64 * MIB)).toBe(64 * MIB);
    });
});

describe("e820", () => {
    it("SeaBIOS's map: 128 KiB reserved at the top and the flash below 4 GiB", () => {
        const map = seabios_e820(128 * MIB);
        expect(map.map((e) => [e.base_addr, e.length, e.type])).toEqual([
            [0, 0x9fc00, 1],
            [0x9fc00, 0x400, 2],
            [0xf0000, 0x10000, 2],
            [0x100000, 0x7ee0000, 1],
            [0x7fe0000, 0x20000, 2],
            [0xfffc0000, 0x40000, 2],
        ]);
        expect(e820_lower_upper(map)).toEqual({ mem_lower: 639, mem_upper: 129920 });
    });

    it("reads Linux boot lines and plain lines; refuses overlaps", () => {
        const linux = [
            "[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable",
            "[    0.000000] BIOS-e820: [mem 0x000000000009fc00-0x000000000009ffff] reserved",
            "[    0.000000] BIOS-e820: [mem 0x0000000000100000-0x000000007ffdffff] usable",
            "[    0.000000] BIOS-e820: [mem 0x000000007ffe0000-0x000000007fffffff] ACPI data",
        ].join("\n");
        const map = e820_parse(linux, "hw.txt");
        expect(map.map((e) => [e.base_addr, e.length, e.type])).toEqual([
            [0, 0x9fc00, 1],
            [0x9fc00, 0x400, 2],
            [0x100000, 0x7fee0000, 1],
            [0x7ffe0000, 0x20000, 3],
        ]);
        const plain = e820_parse("# a map\n0 0x9fc00 usable\n0x100000 16777216 1\n", "m.txt");
        expect(plain).toHaveLength(2);
        expect(() => e820_parse("0 0x100000 1\n0x80000 0x1000 2\n", "bad.txt")).toThrow(/overlap/);
        expect(() => e820_parse("0 zero 1\n", "bad.txt")).toThrow(/line 1/);
    });
});

function load(loader: "qemu" | "grub", paddr: number, mods: number[], map?: string) {
    const mem = new SparsePhysMem(64 * MIB);
    const kernel = build_elf({
        entry: paddr,
        segments: [{ paddr, data: new Uint8Array(0x3000), memsz: 0x5000 }],
    }).bytes;
    const modules = mods.map((n, i) => ({
        path: `m${i}`,
        args: `arg${i}`,
        bytes: new Uint8Array(n).fill(i + 1),
        nounzip: false,
    }));
    const info = multiboot_load(mem, {
        kernel: { path: "k.elf", bytes: kernel },
        modules,
        cmdline: "",
        ramSize: 64 * MIB,
        loader,
        memoryMap: map ? e820_parse(map, "map") : undefined,
    });
    return { info, mbi: mbi_parse(mem, info.mbiAddr) };
}

describe("placement", () => {
    it("grub: a kernel at 16 MiB gets its modules below it, from 1 MiB (GRUB's lowest fit)", () => {
        const { info, mbi } = load("grub", 16 * MIB, [0x1800, 10]);
        expect(info.modules.map((m) => m.start)).toEqual([MIB, MIB + 0x2000]);
        expect(mbi.mods?.map((m) => m.cmdline)).toEqual(["arg0", "arg1"]);
        expect(info.mbiAddr).toBe(0x10000);
        expect(mbi.cmdline_str).toBe("");
    });

    it("grub: a given map is handed over and holes in it are skipped", () => {
        const map = "0 0x9fc00 1\n0x100000 0x100000 1\n0x300000 0x3d00000 1\n";
        const { info, mbi } = load("grub", 16 * MIB, [0x180000]);
        expect(info.modules[0]!.start).toBe(MIB);
        const holed = load("grub", 16 * MIB, [0x180000], map);
        expect(holed.info.modules[0]!.start).toBe(0x300000);
        expect(holed.mbi.mmap).toHaveLength(3);
        expect(holed.mbi.mem_upper).toBe(1024);
        expect(mbi.mmap).toHaveLength(6);
    });

    it("qemu: modules right after the kernel's page-aligned end, raw; memory maps refused", () => {
        const { info, mbi } = load("qemu", 16 * MIB, [10]);
        expect(info.modules[0]!.start).toBe(16 * MIB + 0x6000);
        expect(mbi.cmdline_str).toBe("k.elf ");
        expect(mbi.boot_loader_name_str).toBe("qemu");
        expect(() => load("qemu", 16 * MIB, [], "0 0x9fc00 1\n")).toThrow(/--memory-map/);
    });
});
