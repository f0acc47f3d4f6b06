/*
 * Boot tier: the JSON contract. Every command's --json output, from real
 * runs of the bundled CLI, is one document that validates against its
 * schema (schemas/<command>.schema.json) with ajv; every key is snake_case.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { check_document, presets, type DocumentSchema } from "../../lib/index.ts";
import { IMAGES, ROOT, cli, image } from "./helpers.ts";

const DI = join(ROOT, "images/debian-installer");
const tmp = mkdtempSync(join(tmpdir(), "mach86-json-"));

/** Every key of a document, at any depth. */
function keys(v: unknown, out = new Set<string>()): Set<string> {
    if (Array.isArray(v)) for (const x of v) keys(x, out);
    else if (v && typeof v === "object")
        for (const [k, x] of Object.entries(v)) {
            out.add(k);
            keys(x, out);
        }
    return out;
}

/** Run the CLI, parse its stdout as one document, and check it against the command's schema. */
async function documentOf(args: string[], codes: number[] = [0]) {
    const r = cli(args);
    expect(codes, `${args.join(" ")}: exit ${r.code}: ${r.stderr}`).toContain(r.code);
    const doc = JSON.parse(r.stdout) as { schema_version: number; command: DocumentSchema };
    expect(doc.schema_version).toBe(1);
    expect(await check_document(doc.command, doc), args.join(" ")).toEqual([]);
    const bad = [...keys(doc)].filter((k) => !/^[a-z][a-z0-9_]*$/.test(k));
    expect(bad, "snake_case keys").toEqual([]);
    return doc as Record<string, unknown> & { command: string };
}

describe("--json documents validate against their schemas", () => {
    it("boot --kernel: exit, halt, crash, reset, timeout share one shape", async () => {
        const hello = await documentOf(["boot", "--kernel", image("hello"), "--json"]);
        expect(hello["mode"]).toBe("kernel");
        await documentOf(["boot", "--kernel", image("halt"), "--json"]);
        const crash = await documentOf(
            ["boot", "--kernel", image("stop"), "--cmdline", "how=10", "--json"],
            [4],
        );
        expect((crash["stop"] as { kind: string }).kind).toBe("crash");
        const reset = await documentOf(["boot", "--kernel", image("noidt"), "--json"], [6]);
        expect(reset["stop"]).toMatchObject({ kind: "reset", cause: "triple fault" });
        const t = await documentOf(
            ["boot", "--kernel", image("loop"), "--max-instructions", "1000000", "--json"],
            [3],
        );
        expect(t["stop"]).toEqual({ kind: "timeout", limit: "1000000 instructions" });
        const ex = await documentOf(
            ["boot", "--kernel", image("exitcode"), "--cmdline", "code=258", "--json"],
            [1],
        );
        expect(ex["stop"]).toEqual({ kind: "exit", value: 258 });
        expect(ex["exit_code"]).toBe(1);
    });

    it("boot IMAGE: the same common part, plus the model's (none and v86 engines, stuck, user tasks)", async () => {
        const none = await documentOf([
            "boot",
            DI,
            "--engine",
            "none",
            "--memory",
            "256M",
            "--json",
        ]);
        expect(none["mode"]).toBe("image");
        expect(none["cpu"]).toBeNull();
        const v86 = await documentOf(["boot", DI, "--memory", "256M", "--json"]);
        expect(v86["stop"]).toEqual({ kind: "halt" });
        const common = [
            "schema_version",
            "command",
            "mode",
            "stop",
            "exit_code",
            "console",
            "memory",
            "placements",
            "instructions",
            "cpu",
        ];
        const kernel = await documentOf(["boot", "--kernel", image("hello"), "--json"]);
        for (const k of common) {
            expect(Object.keys(v86)).toContain(k);
            expect(Object.keys(kernel)).toContain(k);
        }
        const stuck = await documentOf(
            [
                "boot",
                DI,
                "--engine",
                "none",
                "--preset",
                "debian-2014",
                "--memory",
                "1856M",
                "--json",
            ],
            [1],
        );
        expect((stuck["stop"] as { kind: string }).kind).toBe("stuck");
        const user = await documentOf(["boot", join(ROOT, "images/user-faulty"), "--json"], [1]);
        expect(user["stop"]).toEqual({ kind: "exit", value: 1 });
        expect((user["user"] as { tasks: unknown[] }).tasks.length).toBeGreaterThan(0);
    });

    it("layout, pt (walk and runs), whatis, slabinfo, zoneinfo, workload", async () => {
        const base = [DI, "--engine", "none", "--memory", "256M", "--json"];
        const l = await documentOf(["layout", ...base, "--at", "modules"]);
        expect((l["layout"] as { at: string }).at).toBe("modules");
        const walk = await documentOf(["pt", ...base, "--va", "0x80009500"]);
        expect((walk["walk"] as { pa: number }).pa).toBe(0x9500);
        await documentOf(["pt", ...base]);
        const w = await documentOf(["whatis", ...base, "0x80009500"]);
        expect((w["found"] as { direct_map: number }).direct_map).toBe(0x9500);
        await documentOf(["slabinfo", ...base]);
        await documentOf(["zoneinfo", ...base, "--preset", "zalloc-2011"]);
        await documentOf(["whatis", ...base, "--preset", "zalloc-2011", "0xc0009500"]);
        await documentOf(
            [
                "workload",
                ...base,
                join(ROOT, "workloads/zone-exhaustion.json"),
                "--preset",
                "zalloc-2011",
                "--set",
                "zone_map_size=12M",
            ],
            [5],
        );
    });

    it("pt's runs (read from RAM by mach86's own scan) are the runs the model's pmap_info prints", () => {
        const args = ["pt", DI, "--engine", "none", "--memory", "256M"];
        const doc = JSON.parse(cli([...args, "--json"]).stdout) as {
            runs: { va_start: number; va_end: number; pa_start: number; pa_end: number }[];
        };
        const hex = (n: number) => "0x" + n.toString(16).padStart(8, "0");
        const text = cli(args)
            .stdout.split("\n")
            .filter((l) => /^0x[0-9a-f]{8}-/.test(l));
        expect(text.map((l) => l.split("  ")[0])).toEqual(
            doc.runs.map(
                (r) =>
                    `${hex(r.va_start)}-${hex(r.va_end - 1)} -> ${hex(r.pa_start)}-${hex(r.pa_end - 1)}`,
            ),
        );
    });

    it("bisect, presets, report", async () => {
        await documentOf([
            "bisect",
            DI,
            "--engine",
            "none",
            "--preset",
            "debian-2014",
            "--range",
            "1700M..1900M",
            "--json",
        ]);
        const p = await documentOf(["presets", "--json"]);
        expect((p["presets"] as unknown[]).length).toBe(presets().length);
        const html = join(tmp, "r.html");
        const r = await documentOf([
            "report",
            DI,
            "--engine",
            "none",
            "--memory",
            "1024M",
            "--sweep",
            "1024M..1152M:128M",
            "--json",
            "--html",
            html,
        ]);
        expect(r["html_file"]).toBe(html);
        expect(readFileSync(html, "utf8")).toMatch(/^<!DOCTYPE html>/);
        await documentOf(["report", DI, "--engine", "none", "--memory", "256M", "--json"]);
    });

    it("test --json prints the report document on stdout; --report-json writes the same document", async () => {
        const suite = join(tmp, "suite.json");
        writeFileSync(
            suite,
            JSON.stringify({
                name: "j",
                cases: [
                    { name: "hello", kernel: join(IMAGES, "hello.elf") },
                    {
                        name: "two",
                        kernel: join(IMAGES, "exitcode.elf"),
                        cmdline: "code=2",
                        expect: { exit: 2 },
                    },
                ],
            }),
        );
        const file = join(tmp, "report.json");
        const doc = await documentOf(["test", suite, "--json", "--report-json", file]);
        const written = JSON.parse(readFileSync(file, "utf8"));
        expect(await check_document("test", written)).toEqual([]);
        expect(written.cases).toEqual((doc as unknown as { cases: unknown }).cases);
    });
});
