/*
 * lib/debuginfo/types.ts — C types as DWARF describes them, turned into
 * small plain objects: base, pointer, struct/union (member offsets,
 * bitfields), array (one or more dimensions), enum, typedef, qualifiers
 * (const/volatile/restrict/_Atomic), function and void.
 *
 * Bitfields: DWARF 4+ gives DW_AT_data_bit_offset (bits from the start of the
 * struct); DWARF 2/3 (and gcc's DWARF 4) give DW_AT_bit_offset counted from
 * the most significant bit of a storage unit of DW_AT_byte_size bytes at
 * DW_AT_data_member_location. Both become `bitPos`, the little-endian bit
 * number from the start of the struct (i386 is little-endian), which is what
 * gcc lays out: checked on the images/dwarf fixture in DWARF 2, 4 and 5.
 *
 * Member locations: a constant (DWARF 3+), or a DWARF 2 location expression
 * `DW_OP_plus_uconst N`. Union members have none (offset 0).
 */
import { ulebAt } from "./bytes.ts";
import { DW_AT, DW_TAG } from "./dwarf_const.ts";
import type { Die, Dwarf } from "./dwarf.ts";
import { DebugInfoError } from "./errors.ts";

export interface Member {
    /** "" for an anonymous struct/union member. */
    name: string;
    /** Byte offset in the enclosing struct (for a bitfield: the byte holding its first bit). */
    offset: number;
    type: CType;
    /** Bitfields only: width in bits and the little-endian bit number from the struct's start. */
    bitSize?: number;
    bitPos?: number;
}

interface Common {
    /** .debug_info offset of the DIE (-1 for the implicit void). */
    die: number;
    name: string;
    /** sizeof, in bytes (0 for void, functions and incomplete types). */
    size: number;
}

export interface BaseType extends Common {
    kind: "base";
    /** DW_ATE_* encoding. */
    encoding: number;
}
export interface PointerType extends Common {
    kind: "pointer";
    target: CType;
}
export interface StructType extends Common {
    kind: "struct" | "union";
    members: Member[];
    /** True for a declaration only (`struct foo;` in this unit): no members, size 0. */
    declaration: boolean;
}
export interface ArrayType extends Common {
    kind: "array";
    element: CType;
    /** Element count per dimension; undefined for `[]`. */
    dims: (number | undefined)[];
}
export interface EnumType extends Common {
    kind: "enum";
    values: Map<string, number>;
}
export interface TypedefType extends Common {
    kind: "typedef";
    target: CType;
}
export interface QualifiedType extends Common {
    kind: "const" | "volatile" | "restrict" | "atomic";
    target: CType;
}
export interface FunctionType extends Common {
    kind: "function";
}
export interface VoidType extends Common {
    kind: "void";
}

export type CType =
    | BaseType
    | PointerType
    | StructType
    | ArrayType
    | EnumType
    | TypedefType
    | QualifiedType
    | FunctionType
    | VoidType;

export const VOID: VoidType = { kind: "void", die: -1, name: "void", size: 0 };

/** Strip typedefs and qualifiers: the type a value really has. */
export function strip(t: CType): CType {
    while (
        t.kind === "typedef" ||
        t.kind === "const" ||
        t.kind === "volatile" ||
        t.kind === "restrict" ||
        t.kind === "atomic"
    )
        t = t.target;
    return t;
}

/** C spelling of a type, for messages: "struct vm_map *", "unsigned int[4]". */
export function typeName(t: CType): string {
    switch (t.kind) {
        case "struct":
        case "union":
            return `${t.kind} ${t.name || "<anonymous>"}`;
        case "enum":
            return `enum ${t.name || "<anonymous>"}`;
        case "pointer":
            return `${typeName(t.target)} *`;
        case "array":
            return `${typeName(t.element)}${t.dims.map((d) => `[${d ?? ""}]`).join("")}`;
        case "const":
        case "volatile":
        case "restrict":
        case "atomic":
            return `${t.kind} ${typeName(t.target)}`;
        case "function":
            return "function";
        default:
            return t.name;
    }
}

const QUALIFIERS: Record<number, QualifiedType["kind"]> = {
    [DW_TAG.const_type]: "const",
    [DW_TAG.volatile_type]: "volatile",
    [DW_TAG.restrict_type]: "restrict",
    [DW_TAG.atomic_type]: "atomic",
};

/** Builds CType objects from DIEs, once per DIE (cycles through pointers are fine). */
export class TypeReader {
    private readonly dwarf: Dwarf;
    private readonly cache = new Map<number, CType>();

    constructor(dwarf: Dwarf) {
        this.dwarf = dwarf;
    }

    /** The type described by the DIE at `off`. */
    at(off: number): CType {
        const hit = this.cache.get(off);
        if (hit) return hit;
        return this.build(this.dwarf.die(off));
    }

    /** The type a DIE refers to through DW_AT_type (void when it has none). */
    typeOf(die: Die): CType {
        const t = die.attrs.get(DW_AT.type);
        return typeof t === "number" ? this.at(t) : VOID;
    }

    private build(die: Die): CType {
        const d = this.dwarf;
        const name = d.name(die);
        const size = num(die.attrs.get(DW_AT.byte_size)) ?? 0;
        const base = { die: die.offset, name, size };
        const qual = QUALIFIERS[die.tag];
        switch (die.tag) {
            case DW_TAG.base_type:
                return this.put({
                    ...base,
                    kind: "base",
                    encoding: num(die.attrs.get(DW_AT.encoding)) ?? 0,
                });
            case DW_TAG.pointer_type: {
                // Registered before its target so that `struct s { struct s *next; }` terminates.
                const t: PointerType = this.put({
                    ...base,
                    size: size || die.unit.addrSize,
                    kind: "pointer",
                    target: VOID,
                });
                t.target = this.typeOf(die);
                return t;
            }
            case DW_TAG.typedef: {
                const t: TypedefType = this.put({ ...base, kind: "typedef", target: VOID });
                t.target = this.typeOf(die);
                t.size = strip(t.target).size;
                return t;
            }
            case DW_TAG.structure_type:
            case DW_TAG.union_type:
                return this.buildStruct(die, base);
            case DW_TAG.array_type:
                return this.buildArray(die, base);
            case DW_TAG.enumeration_type: {
                const values = new Map<string, number>();
                for (const c of d.children(die))
                    if (c.tag === DW_TAG.enumerator)
                        values.set(d.name(c), num(c.attrs.get(DW_AT.const_value)) ?? 0);
                return this.put({ ...base, kind: "enum", values });
            }
            case DW_TAG.subroutine_type:
            case DW_TAG.subprogram:
                return this.put({ ...base, kind: "function" });
            default:
                if (qual) {
                    const t: QualifiedType = this.put({ ...base, kind: qual, target: VOID });
                    t.target = this.typeOf(die);
                    t.size = strip(t.target).size;
                    return t;
                }
                throw new DebugInfoError(
                    d.path,
                    `DIE 0x${die.offset.toString(16)} (tag 0x${die.tag.toString(16)}) is not a type`,
                );
        }
    }

    private put<T extends CType>(t: T): T {
        this.cache.set(t.die, t);
        return t;
    }

    private buildStruct(die: Die, base: { die: number; name: string; size: number }): StructType {
        const decl = die.attrs.get(DW_AT.declaration);
        const kind = die.tag === DW_TAG.union_type ? "union" : "struct";
        const t: StructType = this.put({
            ...base,
            kind,
            members: [],
            declaration: decl === true || decl === 1,
        });
        // Members are read on first use: a kernel struct reaches hundreds of types through
        // its members, and most readers look at a handful of them.
        let members: Member[] | undefined;
        Object.defineProperty(t, "members", {
            enumerable: true,
            get: () =>
                (members ??= this.dwarf
                    .children(die)
                    .filter((c) => c.tag === DW_TAG.member)
                    .map((c) => this.member(c))),
        });
        return t;
    }

    private member(die: Die): Member {
        const a = die.attrs;
        const type = this.typeOf(die);
        const m: Member = {
            name: this.dwarf.name(die),
            offset: location(a.get(DW_AT.data_member_location)),
            type,
        };
        const bitSize = num(a.get(DW_AT.bit_size));
        if (bitSize === undefined) return m;
        const dbo = num(a.get(DW_AT.data_bit_offset));
        let bitPos: number;
        if (dbo !== undefined) {
            bitPos = dbo;
        } else {
            // DWARF 2/3: bit_offset counts from the MSB of a storage unit of byte_size bytes.
            const storage = num(a.get(DW_AT.byte_size)) ?? strip(type).size;
            bitPos = m.offset * 8 + storage * 8 - (num(a.get(DW_AT.bit_offset)) ?? 0) - bitSize;
        }
        m.bitSize = bitSize;
        m.bitPos = bitPos;
        m.offset = Math.floor(bitPos / 8);
        return m;
    }

    private buildArray(die: Die, base: { die: number; name: string; size: number }): ArrayType {
        const t: ArrayType = this.put({ ...base, kind: "array", element: VOID, dims: [] });
        t.element = this.typeOf(die);
        for (const c of this.dwarf.children(die)) {
            if (c.tag !== DW_TAG.subrange_type) continue;
            const count = num(c.attrs.get(DW_AT.count));
            const ub = num(c.attrs.get(DW_AT.upper_bound));
            // gcc marks `[0]` and `[]` with an upper bound of -1 (0xffffffff as data4) or none.
            const fromUb = ub === undefined || ub >= 0xffffffff || ub < 0 ? undefined : ub + 1;
            t.dims.push(count ?? fromUb);
        }
        if (!t.size) t.size = t.dims.reduce<number>((s, n) => s * (n ?? 0), strip(t.element).size);
        return t;
    }
}

function num(v: unknown): number | undefined {
    if (typeof v === "number") return v;
    if (v === true) return 1;
    return undefined;
}

/** DW_AT_data_member_location: a constant, or DWARF 2's `DW_OP_plus_uconst N`; absent = 0 (unions). */
function location(v: unknown): number {
    if (typeof v === "number") return v;
    if (v instanceof Uint8Array && v[0] === 0x23) return ulebAt(v, 1);
    return 0;
}
