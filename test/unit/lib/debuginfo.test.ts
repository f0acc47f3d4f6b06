/*
 * lib/debuginfo on the images/dwarf fixture, built by gcc -m32 in DWARF 2,
 * 4 and 5: struct offsets and sizes equal to the compiler's own offsetof /
 * sizeof table (read from the same file), typedef chains, arrays, bitfields
 * (DW_AT_bit_offset in DWARF 2/4, DW_AT_data_bit_offset in 5), enums,
 * qualifiers, anonymous members, file statics sharing a name.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
    DebugInfo,
    DebugInfoError,
    strip,
    typeName,
    type StructType,
} from "../../../lib/debuginfo/index.ts";
import { ElfMemory, KernelView, memberPath } from "../../../lib/gnumach/index.ts";

const FIXTURES = resolve(import.meta.dirname, "../../../build/images/dwarf");

function fixture(v: number): DebugInfo {
    const path = join(FIXTURES, `fixture-v${v}.elf`);
    if (!existsSync(path)) throw new Error(`${path} not built: run make images`);
    return DebugInfo.open(path);
}

function view(d: DebugInfo): KernelView {
    return new KernelView(d, new ElfMemory(d.elf));
}

/** The fixture's `checks` table: what gcc computed for each offsetof/sizeof. */
function compilerChecks(v: KernelView): Map<string, number> {
    const checks = v.var("checks");
    const n = v.var("nchecks").num();
    const out = new Map<string, number>();
    for (let i = 0; i < n; i++) {
        const c = checks.index(i);
        out.set(c.get("what").str(), c.get("value").num());
    }
    return out;
}

/** Evaluate one check line ("offsetof(struct vm_map, hdr)", "sizeof(kernel_size_t)") with the DWARF reader. */
function fromDwarf(d: DebugInfo, what: string): number {
    const off = /^offsetof\((.+), (\w+)\)$/.exec(what);
    if (off) return memberPath(d, d.type(off[1]!), off[2]!).offset;
    const size = /^sizeof\((.+)\)$/.exec(what)![1]!;
    if (size === "long long") return d.type("long long int").size;
    return d.type(size).size;
}

describe.each([2, 4, 5])("lib/debuginfo: gcc -gdwarf-%i fixture", (version) => {
    const d = fixture(version);
    const v = view(d);

    it(`is DWARF ${version}`, () => {
        expect(new Set(d.dwarf.units.map((u) => u.version))).toEqual(new Set([version]));
    });

    it("gives every offset and size the compiler computed", () => {
        const checks = compilerChecks(v);
        expect(checks.size).toBe(32);
        for (const [what, value] of checks)
            expect([what, fromDwarf(d, what)]).toEqual([what, value]);
    });

    it("follows a typedef chain to its base type", () => {
        const t = d.type("kernel_size_t");
        const chain: string[] = [];
        for (let x = t; x.kind === "typedef"; x = x.target) chain.push(x.name);
        expect(chain).toEqual(["kernel_size_t", "vm_size_t", "vm_offset_t", "u32"]);
        expect(strip(t)).toMatchObject({ kind: "base", name: "unsigned int", size: 4 });
    });

    it("reads bitfields, signed ones and one across a 32-bit boundary", () => {
        const b = v.var("the_bits");
        const vals = ["a", "b", "c", "d", "s", "tail", "wide"].map((m) => b.get(m).num());
        expect(vals).toEqual([5, 1, 12345, 8000, -3, 0xab, 0x9876543210]);
        const bits = d.type("struct bits") as StructType;
        expect(
            bits.members
                .filter((m) => m.bitSize !== undefined)
                .map((m) => [m.name, m.bitPos, m.bitSize]),
        ).toEqual([
            ["a", 0, 3],
            ["b", 3, 1],
            ["c", 4, 15],
            ["d", 19, 13],
            ["s", 32, 5],
            // i386 aligns a long long bitfield's unit to 4 bytes: it starts right after `tail`.
            ["wide", 48, 40],
        ]);
        // A bitfield inside a nested struct: its position counts from the outer struct.
        expect(v.var("the_nested").get("inner.s").num()).toBe(15);
        expect(v.var("the_nested").get("inner.a").num()).toBe(2);
    });

    it("reads arrays of one and two dimensions, strings, enums, pointers and qualifiers", () => {
        const n = v.var("the_nested");
        const grid = n.get("grid");
        expect(strip(grid.type)).toMatchObject({ kind: "array", dims: [3, 5], size: 60 });
        expect(grid.index(2).index(4).num()).toBe(42);
        expect(grid.index(1).index(0).num()).toBe(-7);
        expect(n.get("name").str()).toBe("fixture");
        expect(n.get("tag").num()).toBe("N".charCodeAt(0));
        expect(n.get("color").num()).toBe(0xfffffffe); // enums read unsigned, as their storage
        const color = d.type("enum color");
        expect(color.kind === "enum" && [...color.values]).toEqual([
            ["RED", -2],
            ["GREEN", 0],
            ["BLUE", 7],
            ["HUGE_COLOR", 0x7fffffff],
        ]);
        expect(n.get("self").num()).toBe(n.addr);
        expect(n.get("self").deref().get("qualified").num()).toBe(0xdeadbeef);
        // gcc nests the qualifiers either way round.
        expect(typeName(n.get("qualified").type)).toMatch(
            /^(const volatile|volatile const) kernel_size_t$/,
        );
        expect(typeName(n.get("fn").type)).toBe("function *");
        expect(v.var("greeting").str()).toBe("hello from the fixture");
    });

    it("looks through anonymous union and struct members", () => {
        const n = v.var("the_nested");
        expect([n.get("lo").num(), n.get("hi").num()]).toEqual([0x5678, 0x1234]);
        expect(n.get("as_int").num()).toBe(0x12345678);
    });

    it("sign-extends signed integers of every width", () => {
        expect(v.var("big_value").num()).toBe(-5);
        expect(v.var("small_neg").num()).toBe(-100);
        expect(v.var("shorty").num()).toBe(-2);
        expect(v.var("flag").num()).toBe(1);
    });

    it("tells file statics of one name apart by their DWARF location", () => {
        const vs = d.variables("file_static_a");
        expect(vs.map((x) => v.at(x.address, x.type).num()).sort()).toEqual([11, 22]);
        expect(() => d.variable("file_static_a")).toThrow(/2 variables are called file_static_a/);
        // Each address is the linker's (.symtab) and the DWARF location's at once.
        for (const x of vs) expect(x.symbol?.value).toBe(x.address);
    });

    it("takes addresses from .symtab and symbolizes them", () => {
        const sym = d.elf.symbolsNamed("the_nested")[0]!;
        expect(d.variable("the_nested").address).toBe(sym.value);
        expect(d.symbolize(sym.value + 8)).toBe("the_nested+0x8");
        expect(d.symbolize(d.elf.symbolsNamed("_start")[0]!.value)).toBe("_start");
    });

    it("finds variables by type (every struct vm_map * global)", () => {
        const maps = d.variablesWhere(
            (t) => t.kind === "pointer" && strip(t.target).name === "vm_map",
        );
        expect(maps.map((m) => m.name).sort()).toEqual(["kernel_map", "kmem_map"]);
    });

    it("reports what is missing as a DebugInfoError", () => {
        expect(() => d.type("struct no_such_thing")).toThrow(DebugInfoError);
        expect(() => d.variable("no_such_var")).toThrow(/no variable no_such_var/);
        expect(() => v.var("the_nested").get("no_member")).toThrow(/has no member no_member/);
        expect(() => v.var("the_nested").get("tag").deref()).toThrow(/is not a pointer/);
    });
});

describe("lib/debuginfo: bad input", () => {
    it("refuses a file that is not ELF32 or has no DWARF, with one line naming it", () => {
        const hello = resolve(FIXTURES, "../hello.elf");
        expect(() => DebugInfo.fromBytes(new Uint8Array(64), "x.bin")).toThrow(
            "x.bin: not an ELF file",
        );
        const elf64 = new Uint8Array(4096);
        const fd = openSync(process.execPath, "r"); // node itself: a 64-bit ELF on Linux
        readSync(fd, elf64, 0, 4096, 0);
        closeSync(fd);
        expect(() => DebugInfo.fromBytes(elf64, "node")).toThrow(
            /node: not a 32-bit ELF file|node: not an ELF file/,
        );
        expect(() => DebugInfo.open(hello)).toThrow(/no DWARF debug information/);
        expect(() => DebugInfo.open("/nonexistent/k")).toThrow("/nonexistent/k: no such file");
    });

    it("refuses a truncated file", () => {
        const bytes = readFileSync(join(FIXTURES, "fixture-v5.elf"));
        expect(() => DebugInfo.fromBytes(bytes.subarray(0, bytes.length - 100), "cut.elf")).toThrow(
            /cut.elf: .* runs past the end of the file/,
        );
    });
});
