/*
 * lib/debuginfo/dwarf_unit.ts — .debug_info unit headers and .debug_abbrev
 * tables, DWARF versions 2 to 5, 32- and 64-bit formats.
 *
 * Header layouts (DWARF 5 section 7.5.1): v2–v4 `unit_length, version,
 * debug_abbrev_offset, address_size`; v5 `unit_length, version, unit_type,
 * address_size, debug_abbrev_offset` (+ a type signature and type offset for
 * type units, + a DWO id for skeleton and split units). Type units
 * (DW_UT_type, or .debug_types in v4) are refused when a reference into one
 * is followed; the kernels mach86 reads (gcc 12 -g, DWARF 5) have none.
 *
 * Each abbreviation also gets a precomputed "fixed size" (the bytes of its
 * attributes when every form has a fixed width) so that the indexing pass
 * can step over most DIEs without looking at their forms.
 */
import { type Bytes, leb, slebAt, ulebAt } from "./bytes.ts";
import { DW_AT, DW_FORM, DW_UT } from "./dwarf_const.ts";
import { DebugInfoError } from "./errors.ts";

export interface Abbrev {
    code: number;
    tag: number;
    children: boolean;
    /** Attribute names, forms and DW_FORM_implicit_const values, in order. */
    names: number[];
    forms: number[];
    consts: number[];
    /** Bytes of all attributes when every form has a fixed size in this unit, else -1. */
    fixedSize: number;
    /** Index of DW_AT_sibling / DW_AT_name in `names`, or -1. */
    siblingAt: number;
    nameAt: number;
}

export interface Unit {
    /** Offset of the unit header in .debug_info. */
    offset: number;
    /** Offset just past the unit. */
    end: number;
    version: number;
    unitType: number;
    addrSize: number;
    /** 4 (32-bit DWARF) or 8 (64-bit DWARF). */
    offsetSize: number;
    /** Offset of the first DIE (the unit DIE). */
    dieOffset: number;
    /** Offset of the unit's abbreviation table in .debug_abbrev. */
    abbrevOffset: number;
    abbrevs: Map<number, Abbrev>;
    /** DW_AT_str_offsets_base / DW_AT_addr_base of the unit DIE (DWARF 5), when present. */
    strOffsetsBase: number;
    addrBase: number;
}

/** Byte width of a form that has one in `unit` (0 for flag_present/implicit_const), else -1. */
export function formFixedSize(
    form: number,
    unit: Pick<Unit, "addrSize" | "offsetSize" | "version">,
): number {
    switch (form) {
        case DW_FORM.flag_present:
        case DW_FORM.implicit_const:
            return 0;
        case DW_FORM.data1:
        case DW_FORM.ref1:
        case DW_FORM.flag:
        case DW_FORM.strx1:
        case DW_FORM.addrx1:
            return 1;
        case DW_FORM.data2:
        case DW_FORM.ref2:
        case DW_FORM.strx2:
        case DW_FORM.addrx2:
            return 2;
        case DW_FORM.strx3:
        case DW_FORM.addrx3:
            return 3;
        case DW_FORM.data4:
        case DW_FORM.ref4:
        case DW_FORM.strx4:
        case DW_FORM.addrx4:
        case DW_FORM.ref_sup4:
            return 4;
        case DW_FORM.data8:
        case DW_FORM.ref8:
        case DW_FORM.ref_sig8:
        case DW_FORM.ref_sup8:
            return 8;
        case DW_FORM.data16:
            return 16;
        case DW_FORM.addr:
            return unit.addrSize;
        case DW_FORM.ref_addr:
            // DWARF 2 made ref_addr address-sized; DWARF 3 on made it offset-sized.
            return unit.version <= 2 ? unit.addrSize : unit.offsetSize;
        case DW_FORM.strp:
        case DW_FORM.line_strp:
        case DW_FORM.sec_offset:
        case DW_FORM.strp_sup:
            return unit.offsetSize;
        default:
            return -1;
    }
}

/** Parse the abbreviation table at `off` in .debug_abbrev (`abbrev` is the section's bytes). */
function parseAbbrevs(
    abbrev: Uint8Array,
    off: number,
    unit: Pick<Unit, "addrSize" | "offsetSize" | "version">,
    path: string,
): Map<number, Abbrev> {
    const out = new Map<number, Abbrev>();
    let p = off;
    for (;;) {
        if (p >= abbrev.length)
            throw new DebugInfoError(path, ".debug_abbrev table runs past its section");
        const code = ulebAt(abbrev, p);
        if (code === 0) return out;
        const tag = ulebAt(abbrev, leb.end);
        p = leb.end;
        const children = abbrev[p++] === 1;
        const a: Abbrev = {
            code,
            tag,
            children,
            names: [],
            forms: [],
            consts: [],
            fixedSize: 0,
            siblingAt: -1,
            nameAt: -1,
        };
        for (;;) {
            const name = ulebAt(abbrev, p);
            const form = ulebAt(abbrev, leb.end);
            p = leb.end;
            if (name === 0 && form === 0) break;
            let c = 0;
            if (form === DW_FORM.implicit_const) {
                c = slebAt(abbrev, p);
                p = leb.end;
            }
            if (name === DW_AT.sibling) a.siblingAt = a.names.length;
            if (name === DW_AT.name) a.nameAt = a.names.length;
            a.names.push(name);
            a.forms.push(form);
            a.consts.push(c);
            const w = formFixedSize(form, unit);
            a.fixedSize = w < 0 || a.fixedSize < 0 ? -1 : a.fixedSize + w;
        }
        out.set(code, a);
    }
}

/** Read every unit header of .debug_info (`info`: the section's bytes); abbreviations parsed once per table. */
export function parseUnits(info: Bytes, abbrev: Uint8Array): Unit[] {
    const units: Unit[] = [];
    const tables = new Map<string, Map<number, Abbrev>>();
    let p = 0;
    const end = info.length;
    while (p < end) {
        const unit = parseUnitHeader(info, p);
        if (unit.end > end)
            throw new DebugInfoError(
                info.path,
                `.debug_info unit at 0x${p.toString(16)} runs past its section`,
            );
        const abbrevOffset = unit.abbrevOffset;
        // The fixed sizes depend on the unit's address and offset sizes and version.
        const key = `${abbrevOffset}/${unit.addrSize}/${unit.offsetSize}/${unit.version}`;
        let table = tables.get(key);
        if (!table) {
            table = parseAbbrevs(abbrev, abbrevOffset, unit, info.path);
            tables.set(key, table);
        }
        unit.abbrevs = table;
        units.push(unit);
        p = unit.end;
    }
    return units;
}

/** One unit header at offset `p` of .debug_info. */
function parseUnitHeader(b: Bytes, p: number): Unit {
    b.check(p, 11, ".debug_info unit header");
    const start = p;
    let length = b.u32(p);
    let offsetSize = 4;
    p += 4;
    if (length === 0xffffffff) {
        length = b.u64(p);
        offsetSize = 8;
        p += 8;
    }
    const end = p + length;
    const version = b.u16(p);
    p += 2;
    if (version < 2 || version > 5)
        throw new DebugInfoError(
            b.path,
            `DWARF version ${version} in .debug_info (mach86 reads 2 to 5)`,
        );
    let unitType: number = DW_UT.compile;
    let addrSize: number;
    let abbrevOffset: number;
    const readOff = (at: number) => (offsetSize === 8 ? b.u64(at) : b.u32(at));
    if (version >= 5) {
        unitType = b.u8at(p);
        addrSize = b.u8at(p + 1);
        abbrevOffset = readOff(p + 2);
        p += 2 + offsetSize;
        if (unitType === DW_UT.type || unitType === DW_UT.split_type) p += 8 + offsetSize;
        else if (unitType === DW_UT.skeleton || unitType === DW_UT.split_compile) p += 8;
    } else {
        abbrevOffset = readOff(p);
        addrSize = b.u8at(p + offsetSize);
        p += offsetSize + 1;
    }
    return {
        offset: start,
        end,
        version,
        unitType,
        addrSize,
        offsetSize,
        dieOffset: p,
        abbrevs: new Map(),
        strOffsetsBase: -1,
        addrBase: -1,
        abbrevOffset,
    };
}
