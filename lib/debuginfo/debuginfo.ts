/*
 * lib/debuginfo/debuginfo.ts — a kernel's symbols and C types in one object:
 * `DebugInfo.open(path)` reads an ELF32 file with .symtab and DWARF 2–5, and
 * answers "where is variable V and what is its type", "what is struct S",
 * "which function holds address A".
 *
 * Addresses come from .symtab (the linker's word, as gdb's `info address`
 * gives it); the DWARF location (DW_OP_addr) only picks among file-local
 * statics that share a name, and stands in when a variable has no symbol.
 * Types come from the variable's own unit; a struct that unit only declares
 * (`struct vm_object;`) is completed from a unit that defines it.
 *
 * Opening parses the section and unit headers only; the name index is built
 * on the first lookup (one pass over .debug_info), types as they are asked
 * for. Checked against the four GNU Mach 2014 kernels (gcc 12, DWARF 5) and
 * the images/dwarf fixture (DWARF 2, 4, 5).
 */
import { readFileSync } from "node:fs";
import { DW_AT, DW_OP } from "./dwarf_const.ts";
import { Dwarf, type Die } from "./dwarf.ts";
import { type ElfSymbol, Elf32 } from "./elf32.ts";
import { DebugInfoError } from "./errors.ts";
import { type CType, type StructType, TypeReader, strip, typeName } from "./types.ts";

export interface Variable {
    name: string;
    address: number;
    type: CType;
    /** The DIE that gave the type. */
    die: number;
    /** The .symtab symbol the address came from, when there is one. */
    symbol?: ElfSymbol;
}

export class DebugInfo {
    readonly elf: Elf32;
    readonly dwarf: Dwarf;
    readonly types: TypeReader;

    private constructor(elf: Elf32) {
        this.elf = elf;
        const sec = (name: string) => {
            const s = elf.section(name);
            return s ? elf.sectionBytes(s) : undefined;
        };
        const info = sec(".debug_info");
        const abbrev = sec(".debug_abbrev");
        if (!info || info.length === 0)
            throw new DebugInfoError(
                elf.path,
                "no DWARF debug information (.debug_info); build the kernel with -g",
            );
        if (!abbrev) throw new DebugInfoError(elf.path, ".debug_info without .debug_abbrev");
        if (
            elf.sections.some(
                (s) =>
                    s.name.startsWith(".zdebug_") ||
                    (s.name.startsWith(".debug_") && s.flags & 0x800),
            )
        )
            throw new DebugInfoError(
                elf.path,
                "compressed debug sections are not read (objcopy --decompress-debug-sections)",
            );
        this.dwarf = new Dwarf(
            {
                info,
                abbrev,
                str: sec(".debug_str"),
                lineStr: sec(".debug_line_str"),
                strOffsets: sec(".debug_str_offsets"),
                addr: sec(".debug_addr"),
            },
            elf.path,
        );
        this.types = new TypeReader(this.dwarf);
    }

    static open(path: string): DebugInfo {
        let bytes: Uint8Array;
        try {
            bytes = readFileSync(path);
        } catch (e) {
            throw new DebugInfoError(
                path,
                (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : "cannot be read",
            );
        }
        return DebugInfo.fromBytes(bytes, path);
    }

    static fromBytes(bytes: Uint8Array, path: string): DebugInfo {
        return new DebugInfo(new Elf32(bytes, path));
    }

    get path(): string {
        return this.elf.path;
    }

    /**
     * Every file-scope variable called `name`: one per address (several when
     * file-local statics share the name), each with the type its own unit gives.
     */
    variables(name: string): Variable[] {
        const dies = this.dwarf.variableDies(name);
        const syms = this.elf
            .symbolsNamed(name)
            .filter((s) => s.type === "object" || s.type === "notype");
        const defs = dies
            .filter((d) => !d.declaration)
            .map((d) => ({ v: d, die: this.dwarf.die(d.offset) }))
            .map((x) => ({ ...x, addr: this.locationOf(x.die) }));
        const out = new Map<number, Variable>();
        const add = (address: number, symbol: ElfSymbol | undefined, die: Die | undefined) => {
            die ??= dies[0] ? this.dwarf.die(dies[0].offset) : undefined;
            if (!die || out.has(address)) return;
            // A definition completing a declaration may carry no DW_AT_type of its own.
            const spec = die.attrs.get(DW_AT.specification);
            const typed =
                !die.attrs.has(DW_AT.type) && typeof spec === "number" ? this.dwarf.die(spec) : die;
            out.set(address, {
                name,
                address,
                type: this.types.typeOf(typed),
                die: typed.offset,
                ...(symbol ? { symbol } : {}),
            });
        };
        for (const s of syms) {
            const def =
                defs.find((d) => d.addr === s.value) ?? (syms.length === 1 ? defs[0] : undefined);
            if (def || syms.length === 1) add(s.value, s, def?.die);
        }
        // No symbol (or none matched): the DWARF location alone.
        for (const d of defs)
            if (d.addr !== undefined && syms.length === 0) add(d.addr, undefined, d.die);
        return [...out.values()];
    }

    /** The variable `name`, undefined when the file knows none; throws when several statics share the name. */
    findVariable(name: string): Variable | undefined {
        const vs = this.variables(name);
        if (vs.length > 1) {
            const at = vs.map((v) => `0x${v.address.toString(16)}`).join(", ");
            throw new DebugInfoError(
                this.path,
                `${vs.length} variables are called ${name} (at ${at}): use variables()`,
            );
        }
        return vs[0];
    }

    /** The variable `name`; throws when the kernel has none. */
    variable(name: string): Variable {
        const v = this.findVariable(name);
        if (!v) throw new DebugInfoError(this.path, `no variable ${name} in the debug information`);
        return v;
    }

    /** A type by its C name: "struct vm_map", "union vm_map_object", "vm_offset_t"; undefined if none is defined. */
    findType(key: string): CType | undefined {
        const offs = this.dwarf.typeDefinitions(key);
        return offs.length ? this.types.at(offs[0]!) : undefined;
    }

    type(key: string): CType {
        const t = this.findType(key);
        if (!t) throw new DebugInfoError(this.path, `no type ${key} in the debug information`);
        return t;
    }

    /** Every definition of a type name (gcc repeats one per unit; they differ only if the C code does). */
    typeDefinitions(key: string): CType[] {
        return this.dwarf.typeDefinitions(key).map((o) => this.types.at(o));
    }

    /** The full definition of a struct or union that a unit only declared (itself when complete). */
    complete(t: StructType): StructType {
        if (!t.declaration) return t;
        const full = this.findType(`${t.kind} ${t.name}`);
        if (!full || (full.kind !== "struct" && full.kind !== "union"))
            throw new DebugInfoError(
                this.path,
                `${typeName(t)} is declared but defined in no unit`,
            );
        return full;
    }

    /** File-scope variables whose type satisfies `pred` (stripped of typedefs and qualifiers). */
    variablesWhere(pred: (t: CType) => boolean): Variable[] {
        const out: Variable[] = [];
        for (const name of this.dwarf.variableNames()) {
            const first = this.dwarf.variableDies(name)[0]!;
            const die = this.dwarf.die(first.offset);
            const spec = die.attrs.get(DW_AT.specification);
            const typed =
                !die.attrs.has(DW_AT.type) && typeof spec === "number" ? this.dwarf.die(spec) : die;
            if (pred(strip(this.types.typeOf(typed)))) out.push(...this.variables(name));
        }
        return out;
    }

    /** "function+0xoff" for a code or data address, from .symtab. */
    symbolize(addr: number): string | undefined {
        const s = this.elf.symbolAt(addr);
        if (!s) return undefined;
        const off = addr - s.value;
        return off ? `${s.name}+0x${off.toString(16)}` : s.name;
    }

    /** A variable DIE's static address (DW_OP_addr / DW_OP_addrx location), if it has one. */
    private locationOf(die: Die): number | undefined {
        const loc = die.attrs.get(DW_AT.location);
        if (!(loc instanceof Uint8Array)) return undefined;
        if (loc[0] === DW_OP.addr && loc.length === 1 + die.unit.addrSize) {
            const dv = new DataView(loc.buffer, loc.byteOffset + 1, die.unit.addrSize);
            return die.unit.addrSize === 8
                ? dv.getUint32(0, true) + dv.getUint32(4, true) * 0x100000000
                : dv.getUint32(0, true);
        }
        // DW_OP_addrx and computed locations: the symbol table has the address.
        return undefined;
    }
}
