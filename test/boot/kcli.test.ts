/*
 * Boot tier: the image commands as a user runs them (bundled CLI):
 * layout, pt, presets, bisect over a layout parameter, --dump, --json.
 */
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, cli } from "./helpers.ts";

const DI = join(ROOT, "images/debian-installer");

describe("cli: image commands", () => {
    it("layout --at modules prints the tree, the terms and map->size; --json is the same data", () => {
        const r = cli(["layout", DI, "--engine", "none", "--at", "modules"]);
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(/kmem_map \[submap\]/);
        expect(r.stdout).toMatch(/ramdisk rd0 \[wired\]/);
        expect(r.stdout).toMatch(/kernel_map->size, term by term:/);
        expect(r.stdout).toMatch(/vm_page array +\d+ pages x 48 B/);
        const j = cli(["layout", DI, "--engine", "none", "--at", "modules", "--json"]);
        const doc = JSON.parse(j.stdout);
        expect(doc.at).toBe("modules");
        expect(doc.layout.at).toBe("modules");
        expect(r.stdout).toContain(`kernel_map: size ${doc.layout.kernel_map.size} `);
    });

    it("pt --va walks one address; pt alone lists the mapped runs", () => {
        const r = cli(["pt", DI, "--engine", "none", "--va", "0x80009500"]);
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(/^PDE +\[0x200\]/m);
        expect(r.stdout).toMatch(/VA 0x80009500 -> PA 0x00009500/);
        const all = cli(["pt", DI, "--engine", "none"]);
        expect(all.stdout).toMatch(/^0x80000000-0x[0-9a-f]{8} -> 0x00000000-0x[0-9a-f]{8} +RW G/m);
        expect(cli(["pt", DI, "--va", "nowhere"]).code).toBe(2);
    });

    it("presets lists every preset with its source; --json parses", () => {
        const r = cli(["presets"]);
        for (const name of [
            "debian-2014",
            "debian-2014-fix",
            "gnumach-8d03c760-debian",
            "gnumach-8d03c760-debian-kmem128",
            "upstream-2014",
            "zalloc-2011",
            "head",
        ]) {
            expect(r.stdout).toContain(`${name}\n`);
        }
        expect(r.stdout).toContain("8d03c760");
        expect(JSON.parse(cli(["presets", "--json"]).stdout).presets).toHaveLength(8);
    });

    it("bisect works on a layout parameter too (kmem_map_size at 1856M)", () => {
        const r = cli([
            "bisect",
            DI,
            "--engine",
            "none",
            "--param",
            "kmem_map_size",
            "--range",
            "64M..160M",
            "--memory",
            "1856M",
            "--json",
        ]);
        expect(r.code).toBe(0);
        const doc = JSON.parse(r.stdout);
        expect(doc.largest_booting % 4096).toBe(0);
        expect(doc.first_failing - doc.largest_booting).toBe(4096);
        expect(doc.failure.failed.map).toBe("kernel_map");
    });

    it("--dump writes a sparse phys.bin, machine.json with CR3 and layout.json", () => {
        const dir = mkdtempSync(join(tmpdir(), "mach86-dump-"));
        const r = cli(["boot", DI, "--memory", "128M", "--quiet", "--dump", dir]);
        expect(r.code).toBe(0);
        for (const f of ["phys.bin", "machine.json", "layout.json"])
            expect(existsSync(join(dir, f))).toBe(true);
        expect(statSync(join(dir, "phys.bin")).size).toBe(128 * 1024 * 1024);
        const m = JSON.parse(readFileSync(join(dir, "machine.json"), "utf8"));
        expect(m.cpu.cr3).toBe(m.kernel_cr3);
        const phys = readFileSync(join(dir, "phys.bin"));
        expect(phys.readUInt32LE(0x9500)).toBe(0x24f); // QEMU's MBI flags, where its loader puts them
    });

    it("zalloc-2011 and head presets boot the image", () => {
        for (const preset of ["zalloc-2011", "head"]) {
            const r = cli([
                "boot",
                DI,
                "--preset",
                preset,
                "--engine",
                "none",
                "--memory",
                "512M",
                "--quiet",
            ]);
            expect(r.code, `${preset}: ${r.stderr}`).toBe(0);
        }
    });
});
