/*
 * lib/debuginfo/dwarf.ts — .debug_info read on demand: DIEs by offset, their
 * attributes and children, and a name index of the file-scope types and
 * variables built in one pass over every unit.
 *
 * Sections read: .debug_info, .debug_abbrev, .debug_str, .debug_line_str,
 * .debug_str_offsets (DW_FORM_strx*), .debug_addr (DW_FORM_addrx*). Every
 * DW_FORM of DWARF 2–5 is decoded or stepped over; DW_FORM_ref_sig8 (type
 * units) and the supplementary-file forms are reported as unsupported when a
 * reader needs their value. Checked against gcc 12 output in DWARF 2, 4 and
 * 5 (the fixture in images/dwarf) and the four GNU Mach 2014 kernels
 * (DWARF 5, 2.5 MB .debug_info, ~240k DIEs).
 *
 * Why an index pass at all: a C type is defined in every unit that includes
 * its header, and a global variable is described (as a declaration) in every
 * unit that includes its extern, so finding "struct vm_map" means visiting
 * each unit's top-level DIEs. The pass decodes only those; subprogram bodies
 * and struct members are stepped over through DW_AT_sibling.
 */
import { Bytes, leb, lebEnd, slebAt, ulebAt } from "./bytes.ts";
import { DW_AT, DW_FORM, DW_TAG } from "./dwarf_const.ts";
import { type Abbrev, type Unit, formFixedSize, parseUnits } from "./dwarf_unit.ts";
import { DebugInfoError } from "./errors.ts";

export type AttrValue = number | string | Uint8Array | boolean;

export interface Die {
    /** Offset in .debug_info. */
    offset: number;
    tag: number;
    unit: Unit;
    hasChildren: boolean;
    attrs: Map<number, AttrValue>;
    /** Offset just past the attributes: the first child, or the next sibling. */
    end: number;
}

export interface DwarfSections {
    info: Uint8Array;
    abbrev: Uint8Array;
    str?: Uint8Array;
    lineStr?: Uint8Array;
    strOffsets?: Uint8Array;
    addr?: Uint8Array;
}

/** One file-scope variable DIE found by the index. */
export interface VariableDie {
    offset: number;
    declaration: boolean;
    /** The DIE this one completes (DW_AT_specification), if any. */
    specification?: number;
}

/** Top-level tags the index records, and the C namespace each lives in. */
const TYPE_PREFIX: Record<number, string> = {
    [DW_TAG.structure_type]: "struct ",
    [DW_TAG.union_type]: "union ",
    [DW_TAG.enumeration_type]: "enum ",
    [DW_TAG.typedef]: "",
    [DW_TAG.base_type]: "",
};

export class Dwarf {
    readonly path: string;
    readonly units: Unit[];
    private readonly info: Bytes;
    private readonly u8: Uint8Array;
    private readonly sec: DwarfSections;
    private readonly strCache = new Map<number, string>();

    constructor(sec: DwarfSections, path: string) {
        this.path = path;
        this.sec = sec;
        this.info = new Bytes(sec.info, path);
        this.u8 = sec.info;
        this.units = parseUnits(this.info, sec.abbrev);
        for (const u of this.units) this.unitBases(u);
    }

    /** The unit holding .debug_info offset `off`. */
    unitAt(off: number): Unit {
        const us = this.units;
        let lo = 0;
        let hi = us.length - 1;
        while (lo <= hi) {
            const mid = (lo + hi) >> 1;
            const u = us[mid]!;
            if (off < u.offset) hi = mid - 1;
            else if (off >= u.end) lo = mid + 1;
            else return u;
        }
        throw new DebugInfoError(
            this.path,
            `.debug_info offset 0x${off.toString(16)} is in no unit`,
        );
    }

    /** The DIE at `off`, attributes decoded. */
    die(off: number, unit: Unit = this.unitAt(off)): Die {
        const code = ulebAt(this.u8, off);
        let p = leb.end;
        if (code === 0) {
            throw new DebugInfoError(
                this.path,
                `no DIE at .debug_info offset 0x${off.toString(16)} (null entry)`,
            );
        }
        const ab = this.abbrev(unit, code, off);
        const attrs = new Map<number, AttrValue>();
        for (let i = 0; i < ab.forms.length; i++) {
            attrs.set(ab.names[i]!, this.readForm(ab.forms[i]!, p, unit, ab.consts[i]!));
            p = this.pos;
        }
        return { offset: off, tag: ab.tag, unit, hasChildren: ab.children, attrs, end: p };
    }

    /** The direct children of `die` (grandchildren stepped over). */
    children(die: Die): Die[] {
        const out: Die[] = [];
        if (!die.hasChildren) return out;
        let p = die.end;
        while (this.u8[p] !== 0) {
            const child = this.die(p, die.unit);
            out.push(child);
            p = this.next(child);
        }
        return out;
    }

    /** Offset of the DIE after `die` and all its descendants. */
    next(die: Die): number {
        if (!die.hasChildren) return die.end;
        const sib = die.attrs.get(DW_AT.sibling);
        if (typeof sib === "number") return sib;
        return this.skipTree(die.end, die.unit);
    }

    /** A DIE's name (DW_AT_name), or "" when it has none. */
    name(die: Die): string {
        const n = die.attrs.get(DW_AT.name);
        return typeof n === "string" ? n : "";
    }

    /** Offsets of the file-scope type definitions called `key` ("struct vm_map", "vm_map_t", "int"). */
    typeDefinitions(key: string): number[] {
        return this.index().types.get(key) ?? [];
    }

    /** The file-scope variable DIEs called `name` (definitions and declarations). */
    variableDies(name: string): VariableDie[] {
        return this.index().vars.get(name) ?? [];
    }

    /** Every indexed variable name (for "all variables of type T" searches). */
    variableNames(): string[] {
        return [...this.index().vars.keys()];
    }

    // ---- forms -----------------------------------------------------------------

    private abbrev(unit: Unit, code: number, off: number): Abbrev {
        const ab = unit.abbrevs.get(code);
        if (!ab) {
            throw new DebugInfoError(
                this.path,
                `abbreviation ${code} of the DIE at 0x${off.toString(16)} is not in its table`,
            );
        }
        return ab;
    }

    private badForm(form: number, p: number): DebugInfoError {
        return new DebugInfoError(
            this.path,
            `unknown DW_FORM 0x${form.toString(16)} at .debug_info offset 0x${p.toString(16)}`,
        );
    }

    /** Where the last readForm call stopped (saves allocating [value, end] pairs). */
    private pos = 0;

    /** Decode one attribute value of `form` at `p`; `this.pos` is set past it. */
    private readForm(form: number, p: number, unit: Unit, implicit: number): AttrValue {
        const w = formFixedSize(form, unit);
        if (w >= 0) {
            this.pos = p + w;
            return this.fixedForm(form, p, w, unit, implicit);
        }
        const u8 = this.u8;
        switch (form) {
            case DW_FORM.sdata: {
                const v = slebAt(u8, p);
                this.pos = leb.end;
                return v;
            }
            case DW_FORM.udata:
            case DW_FORM.loclistx:
            case DW_FORM.rnglistx:
            case DW_FORM.ref_udata:
            case DW_FORM.strx:
            case DW_FORM.addrx: {
                const v = ulebAt(u8, p);
                this.pos = leb.end;
                if (form === DW_FORM.ref_udata) return unit.offset + v;
                if (form === DW_FORM.strx) return this.strx(unit, v);
                if (form === DW_FORM.addrx) return this.addrx(unit, v);
                return v;
            }
            case DW_FORM.string:
                this.pos = this.info.cstrEnd(p);
                return this.info.cstr(p);
            case DW_FORM.exprloc:
            case DW_FORM.block:
            case DW_FORM.block1:
            case DW_FORM.block2:
            case DW_FORM.block4: {
                const n = this.blockLength(form, p);
                const q = leb.end;
                this.pos = q + n;
                return this.info.slice(q, n);
            }
            case DW_FORM.indirect: {
                const f = ulebAt(u8, p);
                return this.readForm(f, leb.end, unit, implicit);
            }
            default:
                throw this.badForm(form, p);
        }
    }

    /** The value of a fixed-width form (`w` bytes at `p`). */
    private fixedForm(form: number, p: number, w: number, unit: Unit, implicit: number): AttrValue {
        switch (form) {
            case DW_FORM.flag_present:
                return true;
            case DW_FORM.implicit_const:
                return implicit;
            case DW_FORM.data16:
                return this.info.slice(p, 16);
            case DW_FORM.ref1:
            case DW_FORM.ref2:
            case DW_FORM.ref4:
            case DW_FORM.ref8:
                return unit.offset + this.fixed(p, w);
            case DW_FORM.strp:
                return this.str(this.sec.str, this.fixed(p, w), ".debug_str");
            case DW_FORM.line_strp:
                return this.str(this.sec.lineStr, this.fixed(p, w), ".debug_line_str");
            case DW_FORM.strx1:
            case DW_FORM.strx2:
            case DW_FORM.strx3:
            case DW_FORM.strx4:
                return this.strx(unit, this.fixed(p, w));
            case DW_FORM.addrx1:
            case DW_FORM.addrx2:
            case DW_FORM.addrx3:
            case DW_FORM.addrx4:
                return this.addrx(unit, this.fixed(p, w));
            default:
                // addr, data*, flag, sec_offset, ref_addr (section-relative already); ref_sig8
                // and the supplementary-file forms stay raw numbers: following them needs
                // type units or another file, which mach86 does not read.
                return this.fixed(p, w);
        }
    }

    /** An unsigned little-endian integer of `w` bytes (1, 2, 3, 4 or 8) at `p`. */
    private fixed(p: number, w: number): number {
        const u8 = this.u8;
        switch (w) {
            case 1:
                return u8[p]!;
            case 2:
                return u8[p]! | (u8[p + 1]! << 8);
            case 3:
                return u8[p]! | (u8[p + 1]! << 8) | (u8[p + 2]! << 16);
            case 4:
                return this.info.u32(p);
            default:
                return this.info.u64(p);
        }
    }

    /** A block form's length at `p`; `leb.end` is set to where its bytes start. */
    private blockLength(form: number, p: number): number {
        switch (form) {
            case DW_FORM.block1:
                leb.end = p + 1;
                return this.u8[p]!;
            case DW_FORM.block2:
                leb.end = p + 2;
                return this.info.u16(p);
            case DW_FORM.block4:
                leb.end = p + 4;
                return this.info.u32(p);
            default:
                return ulebAt(this.u8, p);
        }
    }

    /** Step over one attribute value of `form` at `p` (the indexing pass's fast path). */
    private skipForm(form: number, p: number, unit: Unit): number {
        const w = formFixedSize(form, unit);
        if (w >= 0) return p + w;
        switch (form) {
            case DW_FORM.string:
                return this.info.cstrEnd(p);
            case DW_FORM.sdata:
            case DW_FORM.udata:
            case DW_FORM.ref_udata:
            case DW_FORM.strx:
            case DW_FORM.addrx:
            case DW_FORM.loclistx:
            case DW_FORM.rnglistx:
                return lebEnd(this.u8, p);
            case DW_FORM.exprloc:
            case DW_FORM.block:
            case DW_FORM.block1:
            case DW_FORM.block2:
            case DW_FORM.block4: {
                const n = this.blockLength(form, p);
                return leb.end + n;
            }
            case DW_FORM.indirect: {
                const f = ulebAt(this.u8, p);
                return this.skipForm(f, leb.end, unit);
            }
            default:
                throw this.badForm(form, p);
        }
    }

    private str(sec: Uint8Array | undefined, off: number, name: string): string {
        if (!sec) {
            throw new DebugInfoError(
                this.path,
                `a string form refers to ${name}, which the file lacks`,
            );
        }
        // .debug_str strings are shared by many DIEs (type and member names): decode each once.
        const key = sec === this.sec.str ? off : -1 - off;
        const hit = this.strCache.get(key);
        if (hit !== undefined) return hit;
        let end = off;
        while (end < sec.length && sec[end] !== 0) end++;
        let s = "";
        for (let i = off; i < end; i++) {
            const c = sec[i]!;
            if (c >= 0x80) {
                s = new TextDecoder().decode(sec.subarray(off, end));
                break;
            }
            s += String.fromCharCode(c);
        }
        this.strCache.set(key, s);
        return s;
    }

    /** Entry `i` of a little-endian table of `w`-byte words starting at `base` in `sec`. */
    private tableEntry(sec: Uint8Array, base: number, i: number, w: number): number {
        const dv = new DataView(sec.buffer, sec.byteOffset, sec.byteLength);
        const at = base + i * w;
        return w === 8
            ? dv.getUint32(at, true) + dv.getUint32(at + 4, true) * 0x100000000
            : dv.getUint32(at, true);
    }

    private strx(unit: Unit, i: number): string {
        const so = this.sec.strOffsets;
        if (!so) throw new DebugInfoError(this.path, "DW_FORM_strx without .debug_str_offsets");
        // Without DW_AT_str_offsets_base the table starts after its header (8 or 16 bytes).
        const base = unit.strOffsetsBase >= 0 ? unit.strOffsetsBase : 2 * unit.offsetSize;
        return this.str(this.sec.str, this.tableEntry(so, base, i, unit.offsetSize), ".debug_str");
    }

    private addrx(unit: Unit, i: number): number {
        const a = this.sec.addr;
        if (!a) throw new DebugInfoError(this.path, "DW_FORM_addrx without .debug_addr");
        const base = unit.addrBase >= 0 ? unit.addrBase : 8;
        return this.tableEntry(a, base, i, unit.addrSize);
    }

    /** Read DW_AT_str_offsets_base / DW_AT_addr_base from the unit DIE before any strx/addrx is decoded. */
    private unitBases(unit: Unit): void {
        if (unit.version < 5 || unit.dieOffset >= unit.end) return;
        const ab = unit.abbrevs.get(ulebAt(this.u8, unit.dieOffset));
        let p = leb.end;
        if (!ab) return;
        for (let i = 0; i < ab.forms.length; i++) {
            const name = ab.names[i]!;
            const form = ab.forms[i]!;
            if (form === DW_FORM.sec_offset && name === DW_AT.str_offsets_base)
                unit.strOffsetsBase = this.fixed(p, unit.offsetSize);
            if (form === DW_FORM.sec_offset && name === DW_AT.addr_base)
                unit.addrBase = this.fixed(p, unit.offsetSize);
            p = this.skipForm(form, p, unit);
        }
    }

    // ---- tree walking ----------------------------------------------------------------

    /** Offset past the sibling chain starting at `p` (a DIE's children), through its null entry. */
    private skipTree(p: number, unit: Unit): number {
        let depth = 1;
        while (depth > 0) {
            const code = ulebAt(this.u8, p);
            p = leb.end;
            if (code === 0) {
                depth--;
                continue;
            }
            const ab = this.abbrev(unit, code, p);
            if (ab.children && ab.siblingAt >= 0) {
                p = this.siblingOf(ab, p, unit);
                continue;
            }
            p = this.skipAttrs(ab, p, unit);
            if (ab.children) depth++;
        }
        return p;
    }

    private skipAttrs(ab: Abbrev, p: number, unit: Unit): number {
        if (ab.fixedSize >= 0) return p + ab.fixedSize;
        for (const f of ab.forms) p = this.skipForm(f, p, unit);
        return p;
    }

    /** The DW_AT_sibling target of the DIE whose attributes start at `p`. */
    private siblingOf(ab: Abbrev, p: number, unit: Unit): number {
        for (let i = 0; i < ab.siblingAt; i++) p = this.skipForm(ab.forms[i]!, p, unit);
        return this.readForm(ab.forms[ab.siblingAt]!, p, unit, 0) as number;
    }

    // ---- the index -----------------------------------------------------------------

    private indexed: Index | undefined;

    private index(): Index {
        if (this.indexed) return this.indexed;
        const ix: Index = { types: new Map(), vars: new Map() };
        const pending: VariableDie[] = [];
        for (const unit of this.units) this.indexUnit(unit, ix, pending);
        // A definition that completes an earlier declaration has no name of its own.
        for (const v of pending) {
            const name = this.name(this.die(v.specification!));
            if (name) push(ix.vars, name, v);
        }
        this.indexed = ix;
        return ix;
    }

    /** Record the unit's top-level types and variables; step over everything else. */
    private indexUnit(unit: Unit, ix: Index, pending: VariableDie[]): void {
        const u8 = this.u8;
        let p = unit.dieOffset;
        let depth = 0;
        while (p < unit.end) {
            const at = p;
            const code = ulebAt(u8, p);
            p = leb.end;
            if (code === 0) {
                depth--;
                continue;
            }
            const ab = this.abbrev(unit, code, at);
            if (depth === 1 && (ab.tag in TYPE_PREFIX || ab.tag === DW_TAG.variable)) {
                p = this.record(at, ab, p, unit, ix, pending);
                continue;
            }
            if (depth >= 1 && ab.children && ab.siblingAt >= 0) {
                p = this.siblingOf(ab, p, unit);
                continue;
            }
            p = this.skipAttrs(ab, p, unit);
            if (ab.children) depth++;
        }
    }

    /**
     * Index one top-level type or variable DIE whose attributes start at `p`,
     * decoding only its name, declaration flag and specification; returns
     * the offset of the next DIE at its level.
     */
    private record(
        off: number,
        ab: Abbrev,
        p: number,
        unit: Unit,
        ix: Index,
        pending: VariableDie[],
    ): number {
        let name = "";
        let decl = false;
        let spec: number | undefined;
        let sibling = -1;
        for (let i = 0; i < ab.forms.length; i++) {
            const n = ab.names[i]!;
            const form = ab.forms[i]!;
            if (
                n === DW_AT.name ||
                n === DW_AT.declaration ||
                n === DW_AT.specification ||
                n === DW_AT.sibling
            ) {
                const v = this.readForm(form, p, unit, ab.consts[i]!);
                p = this.pos;
                if (n === DW_AT.name) name = v as string;
                else if (n === DW_AT.declaration) decl = v === true || v === 1;
                else if (n === DW_AT.specification) spec = v as number;
                else sibling = v as number;
            } else {
                p = this.skipForm(form, p, unit);
            }
        }
        const prefix = TYPE_PREFIX[ab.tag];
        if (prefix !== undefined) {
            if (name && !decl) push(ix.types, prefix + name, off);
        } else {
            const v: VariableDie = { offset: off, declaration: decl };
            if (spec !== undefined) v.specification = spec;
            if (name) push(ix.vars, name, v);
            else if (spec !== undefined) pending.push(v);
        }
        if (!ab.children) return p;
        return sibling >= 0 ? sibling : this.skipTree(p, unit);
    }
}

interface Index {
    types: Map<string, number[]>;
    vars: Map<string, VariableDie[]>;
}

function push<T>(m: Map<string, T[]>, key: string, v: T): void {
    const list = m.get(key);
    if (list) list.push(v);
    else m.set(key, [v]);
}
