/*
 * lib/gnumach/view.ts — typed reads of kernel memory: a Ref is "an object of
 * C type T at address A", and lets a reader say what gdb would say:
 * `ref.get("hdr.links.next").deref().get("links.start").num()`.
 *
 * The types come from a DebugInfo (DWARF), the bytes from a KernelMemory
 * (guest RAM through the page tables, physical RAM, or the ELF file), so the
 * same code reads a real GNU Mach kernel, a kernel that has not run yet, and
 * the modelled kernel's structures in guest RAM (with the DWARF of a kernel
 * whose layout the model follows). Nothing here writes.
 *
 * Integers are read little-endian (i386); 64-bit ones come back as doubles
 * (exact below 2^53). Bitfields are extracted from their bytes with the bit
 * position the DWARF reader computed.
 */
import { DW_ATE } from "../debuginfo/dwarf_const.ts";
import type { DebugInfo } from "../debuginfo/debuginfo.ts";
import { DebugInfoError } from "../debuginfo/errors.ts";
import { type CType, type Member, type StructType, strip, typeName } from "../debuginfo/types.ts";
import { type KernelMemory, UnmappedError } from "./memory.ts";

/** A kernel's debug information and memory, read together. */
export class KernelView {
    readonly dbg: DebugInfo;
    readonly mem: KernelMemory;

    constructor(dbg: DebugInfo, mem: KernelMemory) {
        this.dbg = dbg;
        this.mem = mem;
    }

    /** The global or file-static variable `name`. */
    var(name: string): Ref {
        const v = this.dbg.variable(name);
        return new Ref(this, v.address, v.type);
    }

    /** The variable `name`, or undefined when this kernel has none (a member of another era). */
    findVar(name: string): Ref | undefined {
        const v = this.dbg.findVariable(name);
        return v ? new Ref(this, v.address, v.type) : undefined;
    }

    /** An object of type `type` ("struct vm_map" or a CType) at `addr`. */
    at(addr: number, type: string | CType): Ref {
        return new Ref(this, addr >>> 0, typeof type === "string" ? this.dbg.type(type) : type);
    }

    /** The struct containing the member `path` at `addr` (C's container_of / list_entry). */
    containerOf(addr: number, type: string | StructType, path: string): Ref {
        const t = typeof type === "string" ? this.dbg.type(type) : type;
        const off = memberPath(this.dbg, t, path).offset;
        return this.at((addr - off) >>> 0, t);
    }

    /** Byte offset of member `path` ("hdr.links.next") in struct `type`. */
    offsetOf(type: string | CType, path: string): number {
        const t = typeof type === "string" ? this.dbg.type(type) : type;
        return memberPath(this.dbg, t, path).offset;
    }

    /** Whether struct `type` has member `path` (fields differ between GNU Mach versions). */
    hasMember(type: string | CType, path: string): boolean {
        const t = typeof type === "string" ? this.dbg.findType(type) : type;
        if (!t) return false;
        try {
            memberPath(this.dbg, t, path);
            return true;
        } catch (e) {
            if (e instanceof DebugInfoError) return false;
            throw e;
        }
    }
}

export class Ref {
    readonly view: KernelView;
    readonly addr: number;
    readonly type: CType;
    /** Set for a bitfield member: bit number from `addr` (little-endian) and width. */
    readonly bits: { pos: number; size: number } | undefined;

    constructor(view: KernelView, addr: number, type: CType, bits?: { pos: number; size: number }) {
        this.view = view;
        this.addr = addr >>> 0;
        this.type = type;
        this.bits = bits;
    }

    /** The type with typedefs and qualifiers stripped (a declared struct completed). */
    get real(): CType {
        const t = strip(this.type);
        return t.kind === "struct" || t.kind === "union" ? this.view.dbg.complete(t) : t;
    }

    /** Member `path` ("hdr.links.next"; anonymous struct/union members are looked through). */
    get(path: string): Ref {
        const m = memberPath(this.view.dbg, this.type, path);
        if (m.bitSize !== undefined) {
            return new Ref(this.view, this.addr, m.type, { pos: m.bitPos!, size: m.bitSize });
        }
        return new Ref(this.view, this.addr + m.offset, m.type);
    }

    /** Whether member `path` exists. */
    has(path: string): boolean {
        return this.view.hasMember(this.type, path);
    }

    /** The object a pointer points to (its target type; `struct foo;` declarations completed). */
    deref(as?: string | CType): Ref {
        const t = this.real;
        if (t.kind !== "pointer") throw this.error(`is not a pointer`);
        const target =
            as === undefined ? t.target : typeof as === "string" ? this.view.dbg.type(as) : as;
        return new Ref(this.view, this.num(), target);
    }

    /** Element `i` of an array (or of what a pointer points to). */
    index(i: number): Ref {
        const t = this.real;
        if (t.kind === "array") {
            // int grid[3][5]: grid[i] is an int[5].
            const el: CType =
                t.dims.length > 1
                    ? {
                          ...t,
                          dims: t.dims.slice(1),
                          size: t.dims
                              .slice(1)
                              .reduce<number>(
                                  (s, n) => s * (n ?? 0),
                                  sizeOf(this.view.dbg, t.element),
                              ),
                      }
                    : t.element;
            return new Ref(this.view, this.addr + i * sizeOf(this.view.dbg, el), el);
        }
        if (t.kind === "pointer") {
            return new Ref(this.view, this.num() + i * sizeOf(this.view.dbg, t.target), t.target);
        }
        throw this.error("is neither an array nor a pointer");
    }

    /** sizeof the object. */
    get size(): number {
        return sizeOf(this.view.dbg, this.type);
    }

    /** The raw bytes of the object. */
    bytes(): Uint8Array {
        return this.view.mem.read(this.addr, this.size);
    }

    /** An integer, enum, boolean, pointer or bitfield value (signed types sign-extended). */
    num(): number {
        const t = this.real;
        if (this.bits) return this.bitfield(t);
        const size = t.kind === "pointer" ? t.size || 4 : t.size;
        if (t.kind !== "base" && t.kind !== "enum" && t.kind !== "pointer")
            throw this.error(`is a ${t.kind}, not a number`);
        if (t.kind === "base" && t.encoding === DW_ATE.float)
            throw this.error("is a floating-point value");
        const b = this.view.mem.read(this.addr, size);
        const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
        const sg = signed(t);
        switch (size) {
            case 1:
                return sg ? dv.getInt8(0) : dv.getUint8(0);
            case 2:
                return sg ? dv.getInt16(0, true) : dv.getUint16(0, true);
            case 4:
                return sg ? dv.getInt32(0, true) : dv.getUint32(0, true);
            case 8:
                // Exact below 2^53 in magnitude, the nearest double beyond.
                return (
                    (sg ? dv.getInt32(4, true) : dv.getUint32(4, true)) * 0x100000000 +
                    dv.getUint32(0, true)
                );
            default:
                throw this.error(`has a size (${size}) mach86 does not read as a number`);
        }
    }

    /** num() !== 0. */
    bool(): boolean {
        return this.num() !== 0;
    }

    /** A char array's or char pointer's C string (at most `max` bytes). */
    str(max = 4096): string {
        const t = this.real;
        let addr = this.addr;
        let len = max;
        if (t.kind === "pointer") addr = this.num();
        else if (t.kind === "array") len = Math.min(max, t.size || max);
        else throw this.error("is not a string");
        return addr === 0 ? "" : c_string(this.view.mem, addr, len);
    }

    private bitfield(t: CType): number {
        const { pos, size } = this.bits!;
        const first = Math.floor(pos / 8);
        const nbytes = Math.ceil((pos + size) / 8) - first;
        const b = this.view.mem.read(this.addr + first, nbytes);
        let v = 0;
        for (let i = nbytes - 1; i >= 0; i--) v = v * 256 + b[i]!;
        v = Math.floor(v / 2 ** (pos - first * 8)) % 2 ** size;
        if (signed(t) && v >= 2 ** (size - 1)) v -= 2 ** size;
        return v;
    }

    private error(what: string): DebugInfoError {
        return new DebugInfoError(
            this.view.dbg.path,
            `${typeName(this.type)} at 0x${this.addr.toString(16)} ${what}`,
        );
    }
}

function signed(t: CType): boolean {
    if (t.kind === "enum") return false;
    return t.kind === "base" && (t.encoding === DW_ATE.signed || t.encoding === DW_ATE.signed_char);
}

/** sizeof(t), completing declared structs. */
export function sizeOf(dbg: DebugInfo, t: CType): number {
    const s = strip(t);
    if ((s.kind === "struct" || s.kind === "union") && s.declaration) return dbg.complete(s).size;
    if (s.kind === "pointer") return s.size || 4;
    return s.size;
}

/**
 * The member at dotted `path` inside `type`: its `offset` counts from the
 * start of `type` (and so does `bitPos` for a bitfield).
 */
export function memberPath(dbg: DebugInfo, type: CType, path: string): Member {
    let t = type;
    let base = 0;
    const names = path.split(".");
    for (let i = 0; ; i++) {
        const s = strip(t);
        if (s.kind !== "struct" && s.kind !== "union") {
            throw new DebugInfoError(
                dbg.path,
                `${typeName(type)}: ${path}: ${typeName(t)} has no members`,
            );
        }
        const hit = findMember(dbg.complete(s), names[i]!, dbg);
        if (!hit) throw new DebugInfoError(dbg.path, `${typeName(type)} has no member ${path}`);
        const { m, at } = hit;
        if (i === names.length - 1) {
            const offset = base + at + m.offset;
            if (m.bitSize === undefined) return { ...m, offset };
            return { ...m, offset, bitPos: (base + at) * 8 + m.bitPos! };
        }
        base += at + m.offset;
        t = m.type;
    }
}

/**
 * A named member of `s`, looking through anonymous struct/union members
 * (C11); `at` is the offset of the (anonymous) struct that holds it.
 */
function findMember(
    s: StructType,
    name: string,
    dbg: DebugInfo,
): { m: Member; at: number } | undefined {
    for (const m of s.members) if (m.name === name) return { m, at: 0 };
    for (const m of s.members) {
        const inner = strip(m.type);
        if (m.name || (inner.kind !== "struct" && inner.kind !== "union")) continue;
        const hit = findMember(dbg.complete(inner), name, dbg);
        if (hit) return { m: hit.m, at: hit.at + m.offset };
    }
    return undefined;
}

/** The NUL-terminated string at `addr` (at most `max` bytes). */
export function c_string(mem: KernelMemory, addr: number, max = 4096): string {
    const out: number[] = [];
    while (out.length < max) {
        // Up to the page end (a string at the end of a mapped page must not fault on the
        // next one); byte by byte when that range is not all readable (the end of an ELF section).
        const at = addr + out.length;
        const n = Math.min(max - out.length, 4096 - (at % 4096));
        let chunk: Uint8Array;
        try {
            chunk = mem.read(at, n);
        } catch (e) {
            if (!(e instanceof UnmappedError) || n === 1) throw e;
            chunk = mem.read(at, 1);
        }
        const z = chunk.indexOf(0);
        if (z >= 0) {
            out.push(...chunk.subarray(0, z));
            break;
        }
        out.push(...chunk);
    }
    return new TextDecoder().decode(Uint8Array.from(out));
}
