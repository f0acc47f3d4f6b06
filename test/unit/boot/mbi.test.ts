import { describe, expect, it } from "vitest";
import {
    BootError,
    MBI_ADDR,
    mbi_empty,
    mbi_encode,
    mbi_parse,
    mmap_entries,
    multiboot_load,
    type MbiRaw,
} from "../../../boot/index.ts";
import { ArrayPhysMem, SparsePhysMem } from "../../../emulator/physmem.ts";
import { basic_kernel, KERNEL_PATH, load, MiB, request } from "./helpers.ts";
import { pattern } from "./elfbuild.ts";

const GiB = 1024 * MiB;

describe("[boot/mbi]: encode and parse", () => {
    it("round-trips every one of the 22 words (flags 0: nothing decoded)", () => {
        const raw: MbiRaw = {
            flags: 0,
            mem_lower: 0x11111111,
            mem_upper: 0x22222222,
            boot_device: 0x8000ffff,
            cmdline: 0x33333333,
            mods_count: 0x44444444,
            mods_addr: 0x55555555,
            syms: [0x66666666, 0x77777777, 0x88888888, 0x99999999],
            mmap_length: 0xaaaaaaaa,
            mmap_addr: 0xbbbbbbbb,
            drives_length: 0xcccccccc,
            drives_addr: 0xdddddddd,
            config_table: 0xeeeeeeee,
            boot_loader_name: 0xffffffff,
            apm_table: 0x01020304,
            vbe_control_info: 0x05060708,
            vbe_mode_info: 0x090a0b0c,
            vbe_mode: 0x0d0e,
            vbe_interface_seg: 0x0f10,
            vbe_interface_off: 0x1112,
            vbe_interface_len: 0x1314,
        };
        const bytes = mbi_encode(raw);
        expect(bytes.length).toBe(88);
        const mem = new ArrayPhysMem(0x20000);
        mem.write(0x9500, bytes);
        expect(mbi_parse(mem, 0x9500)).toEqual({ ...raw, addr: 0x9500 });
        // fixed offsets from the spec
        expect(mem.read32(0x9500 + 44)).toBe(0xaaaaaaaa);
        expect(mem.read32(0x9500 + 64)).toBe(0xffffffff);
        expect(mem.read16(0x9500 + 86)).toBe(0x1314);
    });

    it("reads back every field the loader wrote", () => {
        const { mem, info } = load(
            request(basic_kernel(), {
                cmdline: "root=gunzip:device:rd0",
                modules: [
                    {
                        path: "initrd.gz",
                        args: "initrd $(ramdisk-create)",
                        bytes: pattern(100),
                        nounzip: true,
                    },
                ],
            }),
        );
        const mbi = mbi_parse(mem, MBI_ADDR);
        expect(mbi.flags).toBe(0x26d);
        expect(mbi.mem_lower).toBe(639);
        expect(mbi.mem_upper).toBe(15 * 1024);
        expect(mbi.boot_device).toBe(0);
        expect(mbi.cmdline_str).toBe(`${KERNEL_PATH} root=gunzip:device:rd0`);
        expect(mbi.mods_count).toBe(1);
        expect(mbi.mods).toEqual([
            {
                mod_start: info.modules[0]!.start,
                mod_end: info.modules[0]!.end,
                string: 0x105010,
                reserved: 0,
                cmdline: "initrd.gz initrd $(ramdisk-create)",
            },
        ]);
        expect(mbi.syms[0]).toBe(7);
        expect(mbi.mmap_addr).toBe(0x9000);
        expect(mbi.mmap_length).toBe(5 * 24);
        expect(mbi.mmap).toHaveLength(5);
        expect(mbi.mmap!.every((e) => e.size === 20)).toBe(true);
        expect([mbi.drives_length, mbi.drives_addr, mbi.config_table, mbi.apm_table]).toEqual([
            0, 0, 0, 0,
        ]);
        expect([
            mbi.vbe_control_info,
            mbi.vbe_mode_info,
            mbi.vbe_mode,
            mbi.vbe_interface_seg,
            mbi.vbe_interface_off,
            mbi.vbe_interface_len,
        ]).toEqual([0, 0, 0, 0, 0, 0]);
        expect(mbi.boot_loader_name_str).toBe("mach86");
        // mmap_addr points at the size field of the first entry
        expect(mem.read32(0x9000)).toBe(20);
        expect(mem.read32(0x9004)).toBe(0);
    });

    it("refuses garbage instead of looping: huge mods_count, unterminated strings", () => {
        const mem = new ArrayPhysMem(0x20000);
        mem.write(0x9500, mbi_encode({ ...mbi_empty(), flags: 1 << 3, mods_count: 1e9 }));
        expect(() => mbi_parse(mem, 0x9500)).toThrow(BootError);
        mem.write(0x9500, mbi_encode({ ...mbi_empty(), flags: 1 << 2, cmdline: 0x30000 }));
        expect(() => mbi_parse(mem, 0x9500)).toThrow(/has no NUL within 64 KiB/);
    });
});

describe("[boot/mbi]: memory map", () => {
    const cases = [
        { ram: 2 * MiB, upper: 1024 },
        { ram: 64 * MiB, upper: 63 * 1024 },
        { ram: 1856 * MiB, upper: 1855 * 1024 },
        { ram: 2047.875 * MiB, upper: 2046.875 * 1024 },
        { ram: 3 * GiB, upper: 3 * 1024 * 1024 - 1024 },
        { ram: 5 * GiB, upper: 4 * 1024 * 1024 - 1024 },
    ];
    for (const { ram, upper } of cases) {
        it(`${ram / MiB} MiB: RAM below 639 KiB and from 1 MiB, reserved EBDA/VGA/BIOS`, () => {
            const mem = new SparsePhysMem(ram);
            multiboot_load(mem, request(basic_kernel(), { ramSize: ram }));
            const mbi = mbi_parse(mem, MBI_ADDR);
            expect(mbi.mem_lower).toBe(639);
            expect(mbi.mem_upper).toBe(upper);
            const table = [
                { size: 20, base_addr: 0, length: 0x9fc00, type: 1 },
                { size: 20, base_addr: 0x9fc00, length: 0x400, type: 2 },
                { size: 20, base_addr: 0xa0000, length: 0x20000, type: 2 },
                { size: 20, base_addr: 0xf0000, length: 0x10000, type: 2 },
                { size: 20, base_addr: 0x100000, length: ram - 0x100000, type: 1 },
            ];
            expect(mbi.mmap).toEqual(table);
            expect(mmap_entries(ram)).toEqual(table.map(({ size: _s, ...e }) => e));
        });
    }
});
