/*
 * lib/debuginfo on the four real GNU Mach 2014 kernels (gcc 12, DWARF 5,
 * 2.5 MB of .debug_info each), no boot: the struct sizes that make up
 * kernel_map->size, and every member offset of the structures lib/gnumach
 * reads, compared with gdb's answer for the same file. Skipped with the
 * reason printed when MACH86_GNUMACH_DIR does not hold the kernels; the gdb
 * comparison is skipped when gdb is not installed.
 */
import { spawnSync } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { DebugInfo, strip, type StructType, type Variable } from "../../../lib/debuginfo/index.ts";
import { KERNELS, real_kernel } from "../../gnumach_real.ts";

/** sizeof(struct vm_page): 44 B after the three 2014-01-02 commits, 48 B in v1.4 (Debian's 2014 packages). */
const VM_PAGE_SIZE: Record<string, number> = {
    "gnumach-8d03c760-debian": 44,
    "gnumach-8d03c760-debian-kmem128": 44,
    "gnumach-debian-1.4-6": 48,
    "gnumach-debian-1.4-4": 48,
};

const STRUCTS = [
    "vm_map",
    "vm_map_header",
    "vm_map_links",
    "vm_map_entry",
    "kmem_cache",
    "list",
    "multiboot_info",
    "multiboot_module",
    "vm_page",
];

for (const name of KERNELS) {
    const k = real_kernel(name);
    if (k.skip) console.log(`skipped: ${name}: ${k.skip}`);
    describe.skipIf(!k.path)(`lib/debuginfo: ${name}`, () => {
        let d: DebugInfo;
        let km: Variable;
        beforeAll(() => {
            const t0 = performance.now();
            d = DebugInfo.open(k.path!);
            const t1 = performance.now();
            km = d.variable("kernel_map");
            const t2 = performance.now();
            console.log(
                `${name}: open ${(t1 - t0).toFixed(0)} ms, name index + kernel_map ${(t2 - t1).toFixed(0)} ms ` +
                    `(${d.dwarf.units.length} units)`,
            );
        });

        it("gives the sizes of the structures kernel_map's size is made of", () => {
            expect(d.type("struct vm_page").size).toBe(VM_PAGE_SIZE[name]);
            expect(d.type("struct vm_map_entry").size).toBe(60);
            expect(d.type("struct pv_entry").size).toBe(12);
            expect(d.type("struct vm_map").size).toBe(68);
        });

        it("finds variables at their .symtab addresses, with their types", () => {
            expect(km.address).toBe(d.elf.symbolsNamed("kernel_map")[0]!.value);
            expect(strip(km.type)).toMatchObject({ kind: "pointer" });
            const list = d.variable("kmem_cache_list");
            expect(list.symbol?.bind).toBe("local"); // a file static of kern/slab.c
            expect(strip(list.type)).toMatchObject({ kind: "struct", name: "list", size: 8 });
            expect(d.variable("vm_page_free_count").type.name).toBe("int");
        });

        it("lays out every member as gdb does", () => {
            const exprs: string[] = [];
            const mine: string[] = [];
            for (const s of STRUCTS) {
                const t = d.type(`struct ${s}`) as StructType;
                exprs.push(`printf "sizeof ${s} %lu\\n", (unsigned long)sizeof(struct ${s})`);
                mine.push(`sizeof ${s} ${t.size}`);
                for (const m of t.members) {
                    if (m.bitSize !== undefined || !m.name) continue; // gdb cannot take a bitfield's address
                    exprs.push(
                        `printf "${s}.${m.name} %lu\\n", (unsigned long)&((struct ${s} *)0)->${m.name}`,
                    );
                    mine.push(`${s}.${m.name} ${m.offset}`);
                }
            }
            const args = [
                "-nx",
                "-batch",
                "-ex",
                `file ${k.path}`,
                ...exprs.flatMap((e) => ["-ex", e]),
            ];
            const r = spawnSync("gdb", args, { encoding: "utf8", timeout: 60_000 });
            if (r.error) {
                console.log("skipped: gdb comparison: gdb is not installed");
                return;
            }
            expect(r.stdout.trim().split("\n")).toEqual(mine);
            expect(mine.length).toBeGreaterThan(60);
        });

        it("reads struct vm_page's bitfields as each version's header declares them", () => {
            const t = d.type("struct vm_page") as StructType;
            const bits = t.members.filter((m) => m.bitSize !== undefined);
            // v1.4: wire_count:16; one of the 2014-01-02 commits before 8d03c760 made it :15.
            const w = VM_PAGE_SIZE[name] === 44 ? 15 : 16;
            expect(bits[0]).toMatchObject({ name: "wire_count", bitSize: w });
            // The flag bits follow wire_count one by one in the same 32-bit word.
            const start = bits[0]!.bitPos!;
            const flags = bits.slice(1, 5).map((m) => [m.name, m.bitPos! - start, m.bitSize]);
            expect(flags).toEqual([
                ["inactive", w, 1],
                ["active", w + 1, 1],
                ["laundry", w + 2, 1],
                ["free", w + 3, 1],
            ]);
        });
    });
}
