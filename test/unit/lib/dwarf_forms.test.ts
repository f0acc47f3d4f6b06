/*
 * lib/debuginfo/dwarf.ts on hand-assembled .debug_info: the forms gcc's
 * ordinary -g output does not use (strx1–4, strx, addrx, data2/8, udata,
 * ref1/2/8/udata, ref_addr, block2/4, indirect, data16) and the unit header
 * variants (DWARF 2, 3, 4, 5; 32- and 64-bit DWARF), each value decoded
 * as the DWARF 5 standard (section 7.5) defines it.
 */
import { describe, expect, it } from "vitest";
import { DW_AT, DW_FORM, DW_TAG } from "../../../lib/debuginfo/dwarf_const.ts";
import { Dwarf } from "../../../lib/debuginfo/dwarf.ts";

/** Little-endian byte assembler. */
class Asm {
    readonly b: number[] = [];
    u8(...v: number[]): this {
        this.b.push(...v.map((x) => x & 0xff));
        return this;
    }
    u16(v: number): this {
        return this.u8(v, v >> 8);
    }
    u32(v: number): this {
        return this.u8(v, v >> 8, v >> 16, v >>> 24);
    }
    u64(v: number): this {
        return this.u32(v % 0x100000000).u32(Math.floor(v / 0x100000000));
    }
    uleb(v: number): this {
        do {
            const byte = v % 128;
            v = Math.floor(v / 128);
            this.u8(byte | (v ? 0x80 : 0));
        } while (v);
        return this;
    }
    sleb(v: number): this {
        for (;;) {
            const byte = v & 0x7f;
            v >>= 7;
            const done = (v === 0 && !(byte & 0x40)) || (v === -1 && byte & 0x40);
            this.u8(byte | (done ? 0 : 0x80));
            if (done) return this;
        }
    }
    str(s: string): this {
        return this.u8(...new TextEncoder().encode(s), 0);
    }
    get length(): number {
        return this.b.length;
    }
    bytes(): Uint8Array {
        return Uint8Array.from(this.b);
    }
}

/** An abbreviation table: [code, tag, children, [[attr, form, implicit?], …]]. */
function abbrevs(list: [number, number, boolean, [number, number, number?][]][]): Asm {
    const a = new Asm();
    for (const [code, tag, children, attrs] of list) {
        a.uleb(code)
            .uleb(tag)
            .u8(children ? 1 : 0);
        for (const [at, form, c] of attrs) {
            a.uleb(at).uleb(form);
            if (form === DW_FORM.implicit_const) a.sleb(c!);
        }
        a.u8(0, 0);
    }
    return a.u8(0);
}

describe("lib/debuginfo/dwarf: forms", () => {
    // .debug_str: "a\0bee\0cee\0dee\0"; .debug_str_offsets (v5 header, then 4 entries)
    const str = new Asm().str("a").str("bee").str("cee").str("dee").bytes();
    const strOffsets = new Asm().u32(20).u16(5).u16(0).u32(0).u32(2).u32(6).u32(10).bytes();
    // .debug_addr (v5 header, then 2 addresses)
    const addr = new Asm().u32(12).u16(5).u8(4, 0).u32(0x80001000).u32(0x80002000).bytes();
    const F = DW_FORM;
    const abbrev = abbrevs([
        [
            1,
            DW_TAG.compile_unit,
            true,
            [
                [DW_AT.str_offsets_base, F.sec_offset],
                [DW_AT.addr_base, F.sec_offset],
            ],
        ],
        [
            2,
            DW_TAG.base_type,
            false,
            [
                [DW_AT.name, F.strx1],
                [DW_AT.byte_size, F.data2],
                [DW_AT.encoding, F.implicit_const, 7],
            ],
        ],
        [
            3,
            DW_TAG.variable,
            false,
            [
                [DW_AT.name, F.strx2],
                [DW_AT.type, F.ref1],
                [DW_AT.const_value, F.data8],
            ],
        ],
        [
            4,
            DW_TAG.variable,
            false,
            [
                [DW_AT.name, F.strx3],
                [DW_AT.type, F.ref2],
                [DW_AT.const_value, F.udata],
                [DW_AT.location, F.block2],
            ],
        ],
        [
            5,
            DW_TAG.variable,
            false,
            [
                [DW_AT.name, F.strx4],
                [DW_AT.type, F.ref8],
                [DW_AT.const_value, F.sdata],
                [DW_AT.location, F.block4],
            ],
        ],
        [
            6,
            DW_TAG.variable,
            false,
            [
                [DW_AT.name, F.indirect],
                [DW_AT.type, F.ref_udata],
                [DW_AT.location, F.addrx1],
                [DW_AT.byte_size, F.addrx],
                [DW_AT.const_value, F.data16],
            ],
        ],
        [
            7,
            DW_TAG.typedef,
            false,
            [
                [DW_AT.name, F.strx],
                [DW_AT.type, F.ref_addr],
            ],
        ],
    ]);
    // One DWARF 5 compile unit; the base type sits at unit offset 14.
    const info = new Asm().u32(0).u16(5).u8(1, 4).u32(0);
    info.uleb(1).u32(8).u32(8); // str_offsets_base, addr_base
    const base = info.length;
    info.uleb(2).u8(0).u16(4); // "a", 4 bytes, encoding 7 (implicit)
    info.uleb(3)
        .u16(1)
        .u8(base)
        .u64(2 ** 40 + 3); // "bee"
    info.uleb(4).u8(2, 0, 0).u16(base).uleb(300).u16(2).u8(0x96, 0x97); // "cee"
    info.uleb(5).u32(3).u64(base).sleb(-70000).u32(1).u8(0x42); // "dee"
    info.uleb(6)
        .uleb(F.string)
        .str("inline")
        .uleb(base)
        .u8(1)
        .uleb(0)
        .u8(...Array(16).keys());
    info.uleb(7).uleb(0).u32(base); // typedef "a" of the base type, by a section offset
    info.u8(0);
    const bytes = info.bytes();
    new DataView(bytes.buffer).setUint32(0, bytes.length - 4, true);
    const d = new Dwarf(
        { info: bytes, abbrev: abbrev.bytes(), str, strOffsets, addr },
        "synthetic",
    );

    it("decodes every form to its value", () => {
        const dies = d.children(d.die(d.units[0]!.dieOffset));
        const at = (i: number, a: number) => dies[i]!.attrs.get(a);
        expect(dies.map((x) => d.name(x))).toEqual(["a", "bee", "cee", "dee", "inline", "a"]);
        expect([at(0, DW_AT.byte_size), at(0, DW_AT.encoding)]).toEqual([4, 7]);
        expect([at(1, DW_AT.type), at(1, DW_AT.const_value)]).toEqual([base, 2 ** 40 + 3]);
        expect([at(2, DW_AT.type), at(2, DW_AT.const_value), at(2, DW_AT.location)]).toEqual([
            base,
            300,
            Uint8Array.of(0x96, 0x97),
        ]);
        expect([at(3, DW_AT.type), at(3, DW_AT.const_value), at(3, DW_AT.location)]).toEqual([
            base,
            -70000,
            Uint8Array.of(0x42),
        ]);
        expect([at(4, DW_AT.type), at(4, DW_AT.location), at(4, DW_AT.byte_size)]).toEqual([
            base,
            0x80002000,
            0x80001000,
        ]);
        expect(at(4, DW_AT.const_value)).toEqual(Uint8Array.from(Array(16).keys()));
        expect(at(5, DW_AT.type)).toBe(base);
    });

    it("indexes names given by any string form", () => {
        expect(d.typeDefinitions("a").length).toBe(2); // the base type and the typedef
        expect(d.variableNames().sort()).toEqual(["bee", "cee", "dee", "inline"]);
    });
});

describe("lib/debuginfo/dwarf: unit headers", () => {
    const abbrev = abbrevs([
        [1, DW_TAG.compile_unit, true, []],
        [
            2,
            DW_TAG.base_type,
            false,
            [
                [DW_AT.name, DW_FORM.strp],
                [DW_AT.byte_size, DW_FORM.data1],
            ],
        ],
        [
            3,
            DW_TAG.typedef,
            false,
            [
                [DW_AT.name, DW_FORM.string],
                [DW_AT.type, DW_FORM.ref_addr],
            ],
        ],
    ]).bytes();
    const str = new Asm().str("int").bytes();

    /** One unit of `version`, 64-bit DWARF when `dw64`: a base type "int" and a typedef of it. */
    function unit(version: number, dw64: boolean): Uint8Array {
        const a = new Asm();
        const off = (v: number) => (dw64 ? a.u64(v) : a.u32(v));
        if (dw64) a.u32(0xffffffff).u64(0);
        else a.u32(0);
        a.u16(version);
        if (version >= 5) {
            a.u8(1, 4); // DW_UT_compile, address size
            off(0); // abbreviation table offset
        } else {
            off(0);
            a.u8(4);
        }
        a.uleb(1);
        const base = a.length;
        a.uleb(2);
        off(0);
        a.u8(4);
        a.uleb(3).str("myint");
        // ref_addr: address-sized in DWARF 2, offset-sized from DWARF 3 on.
        if (version === 2) a.u32(base);
        else off(base);
        a.u8(0);
        const bytes = a.bytes();
        const dv = new DataView(bytes.buffer);
        if (dw64) dv.setUint32(4, bytes.length - 12, true);
        else dv.setUint32(0, bytes.length - 4, true);
        return bytes;
    }

    it.each([
        [2, false],
        [3, false],
        [4, false],
        [5, false],
        [4, true],
        [5, true],
    ])("DWARF %i, 64-bit %s: header, strp and ref_addr widths", (version, dw64) => {
        const d = new Dwarf({ info: unit(version, dw64), abbrev, str }, "synthetic");
        const u = d.units[0]!;
        expect([u.version, u.offsetSize, u.addrSize]).toEqual([version, dw64 ? 8 : 4, 4]);
        const [int, td] = d.children(d.die(u.dieOffset));
        expect([d.name(int!), int!.attrs.get(DW_AT.byte_size)]).toEqual(["int", 4]);
        expect([d.name(td!), td!.attrs.get(DW_AT.type)]).toEqual(["myint", int!.offset]);
        expect(d.typeDefinitions("myint")).toEqual([td!.offset]);
    });
});
