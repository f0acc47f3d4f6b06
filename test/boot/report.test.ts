/*
 * Boot tier: `mach86 report` — the HTML/SVG page of the d-i layout at
 * 1856M, generated in-process: one drawn block per kernel_map entry or
 * hole, in order; then the page in headless Chromium (when installed):
 * it parses, keeps the SVG and logs no errors. And the CLI's exit codes.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bootImage, type ImageOptions } from "../../lib/index.ts";
import { prepare_image } from "../../lib/model.ts";
import { report_html, sweep_svg } from "../../lib/report/html.ts";
import { parse_sweep, report_input, report_layout, sweep } from "../../lib/report/report.ts";
import { entry_label, layout_svg } from "../../lib/report/svg.ts";
import { xml_escape } from "../../util/xml.ts";
import { ROOT, cli } from "./helpers.ts";

const DI = join(ROOT, "images/debian-installer");
const CHROMIUM = "/usr/bin/chromium";
const OPTS: ImageOptions = { image: DI, preset: "debian-2014", memory: "1856M", engine: "none" };

/** The overview's blocks: class exactly entry/submap/hole (optionally " wired"), in document order. */
function blocks(svg: string): { kind: string; label: string }[] {
    const re =
        /<rect class="(entry|submap|hole)(?: wired)?" data-start="0x[0-9a-f]{8}" data-end="0x[0-9a-f]{8}" data-label="([^"]*)"/g;
    return [...svg.matchAll(re)].map((m) => ({ kind: m[1]!, label: m[2]! }));
}

describe("report: HTML/SVG of the kernel layout", async () => {
    const r = await bootImage({ ...OPTS, points: ["modules", "end"] });
    const layout = report_layout(r, undefined);

    it("the d-i boot at 1856M stops after the modules point, which the report shows", () => {
        expect(r.status).toBe("stuck");
        expect(layout?.at).toBe("modules");
    });

    it("draws exactly one block per kernel_map entry or hole, in order, with its label", () => {
        const l = layout!;
        const svg = layout_svg(l);
        const got = blocks(svg);
        const classes = [...svg.matchAll(/class="(entry|submap|hole)(?: wired)?"/g)];
        expect(classes).toHaveLength(l.kernel_map.entries.length);
        expect(got.map((b) => b.kind)).toEqual(l.kernel_map.entries.map((e) => e.kind));
        expect(got.map((b) => b.label)).toEqual(
            l.kernel_map.entries.map((e) => xml_escape(entry_label(e))),
        );
        expect(got.some((b) => b.label === "kmem_map [submap]")).toBe(true);
        // Submaps' own entries are drawn nested (second row), holes too; and the zoomed strip exists.
        expect(svg).toMatch(/class="sub-hole"/);
        expect(svg).toMatch(/class="zoom-submap"/);
        expect(svg).toContain(
            `zoom: above the direct map, 0x${(l.kernel_virtual_start >>> 0).toString(16).padStart(8, "0")}`,
        );
        expect(svg).toMatch(/<text class="axis-label"[^>]*>0x80000000<\/text>/);
    });

    it("escapes text for XML", () => {
        expect(xml_escape(`a<b & "c">'`)).toBe("a&lt;b &amp; &quot;c&quot;&gt;&apos;");
        expect(xml_escape("bell\u0007 cr\r tab\t nl\n")).toBe("bell? cr? tab\t nl\n");
        const l = structuredClone(layout!);
        l.kernel_map.entries[1]!.tag = "<evil & co>";
        const svg = layout_svg(l);
        expect(svg).not.toContain("<evil");
        expect(svg).toContain("&lt;evil &amp; co&gt;");
    });

    it("--sweep parses LOW..HIGH:STEP and refuses nonsense", () => {
        expect(parse_sweep("1024M..1280M:128M")).toEqual(
            [1024, 1152, 1280].map((m) => m * 1048576),
        );
        expect(parse_sweep("1000M..1100M:64M").map((b) => b / 1048576)).toEqual([1000, 1064, 1100]);
        expect(() => parse_sweep("1024M-2047M")).toThrow(/LOW\.\.HIGH:STEP/);
        expect(() => parse_sweep("2G..1G:64M")).toThrow(/above/);
        expect(() => parse_sweep("1M..2047M:4K")).toThrow(/256 boots/);
    });

    const dir = mkdtempSync(join(tmpdir(), "mach86-report-"));
    const file = join(dir, "report.html");
    const points = await sweep(
        await prepare_image(OPTS),
        parse_sweep("1600M..1856M:64M"),
        undefined,
    );
    const html = report_html(report_input(r, undefined, points));
    writeFileSync(file, html);

    it("the page is self-contained and has every section; the sweep finds the boundary", () => {
        expect(html).toMatch(/^<!DOCTYPE html>/);
        expect(html).not.toMatch(/<script|<link|src="http|href="http/);
        for (const h of [
            "kernel_map-&gt;size, term by term",
            "Physical memory",
            "slabinfo",
            "Free kernel_map against RAM size",
        ]) {
            expect(html).toContain(h);
        }
        expect(points.map((p) => p.ok)).toEqual([true, true, false, false, false]);
        expect(points[0]!.free).toBeGreaterThan(points[4]!.free);
        expect(html).toMatch(/class="boundary"/);
        expect(html).toContain("boots ≤ 1664 MiB");
    });

    it("says what the CLI says, puts the sweep before slabinfo and folds the empty caches", () => {
        expect(html).toContain('<span class="status bad">boot failed</span>');
        expect(html).not.toContain(">stuck<");
        const at = (h: string) => html.indexOf(`<h2>${h}</h2>`);
        expect(at("Free kernel_map against RAM size")).toBeGreaterThan(0);
        expect(at("Free kernel_map against RAM size")).toBeLessThan(at("slabinfo"));
        const slab = html.slice(at("slabinfo"));
        const [shown, folded] = slab.split("<details>");
        const zeroRow =
            /<tr><td>[^<]+<\/td>(?:<td class="num">[^<]*<\/td>){3}<td class="num">0<\/td><td class="num">0<\/td><td class="num">0k<\/td>/;
        expect(shown).not.toMatch(zeroRow);
        expect(folded).toMatch(zeroRow);
        expect(shown).toMatch(/<td>vm_page<\/td>/);
    });

    it("never cuts a block's label: too narrow a block gets its whole label under the rows", () => {
        const svg = layout_svg(layout!);
        expect(svg).not.toContain("…");
        const labels = [...svg.matchAll(/<text class="label[^"]*"[^>]*>([^<]*)<\/text>/g)].map(
            (m) => m[1],
        );
        // ipc_kernel_map is far narrower than its name in both drawings: a callout with a leader line.
        expect(labels).toContain("ipc_kernel_map");
        expect(svg).toMatch(/<line class="leader"/);
        expect(svg).toMatch(/<text class="label callout"[^>]*>ipc_kernel_map<\/text>/);
    });

    it("draws free and largest free range so both stay visible where they coincide", () => {
        const plot = sweep_svg(points);
        const free = /\.free \{[^}]*stroke-width: (\d+)/.exec(plot);
        const largest = /\.largest \{[^}]*stroke-width: (\d+)[^}]*stroke-dasharray/.exec(plot);
        expect(Number(free![1])).toBeGreaterThan(Number(largest![1]) * 2);
        // The wide free line is drawn first, the dashed largest-range line on top of it.
        expect(plot.indexOf('<path class="free"')).toBeLessThan(
            plot.indexOf('<path class="largest"'),
        );
    });

    const browser = existsSync(CHROMIUM) ? it : it.skip;
    if (!existsSync(CHROMIUM)) console.log("chromium not installed: skipping browser check");
    browser(
        "headless Chromium loads the page: the SVG and every block survive, no console errors",
        () => {
            const profile = mkdtempSync(join(tmpdir(), "mach86-chromium-"));
            const c = spawnSync(
                CHROMIUM,
                [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    `--user-data-dir=${profile}`,
                    "--enable-logging=stderr",
                    "--v=0",
                    "--dump-dom",
                    `file://${file}`,
                ],
                { encoding: "utf8", timeout: 90_000 },
            );
            expect(c.status).toBe(0);
            const dom = c.stdout;
            expect(dom).toMatch(/<svg[^>]*class="layout"/);
            expect(dom).toMatch(/<svg[^>]*class="plot"/);
            expect([...dom.matchAll(/class="(entry|submap|hole)(?: wired)?"/g)]).toHaveLength(
                layout!.kernel_map.entries.length,
            );
            // Chromium logs every console message (errors included) as "INFO:CONSOLE:<line>] ..."; the page has no scripts, so none is expected.
            expect(c.stderr).not.toMatch(/Uncaught|console error|:CONSOLE[:(]/i);
        },
    );

    it("CLI: writes the page, exit 1 when the boot fails, 2 on bad input", () => {
        const out = join(dir, "cli.html");
        const bad = cli([
            "report",
            DI,
            "--engine",
            "none",
            "--preset",
            "debian-2014",
            "--memory",
            "1856M",
            "--html",
            out,
        ]);
        expect(bad.code).toBe(1);
        expect(bad.stderr).toMatch(/boot failed/);
        expect(readFileSync(out, "utf8")).toContain('class="layout"');
        const good = cli([
            "report",
            DI,
            "--engine",
            "none",
            "--preset",
            "debian-2014",
            "--memory",
            "1024M",
            "--at",
            "end",
            "--html",
            out,
        ]);
        expect(good.code).toBe(0);
        expect(readFileSync(out, "utf8")).toContain("boot point “end”");
        const missing = ["--html", join(dir, "no/such/dir.html")];
        for (const args of [
            ["--at", "nowhere", "--html", out],
            ["--sweep", "1G", "--html", out],
            ["--memory", "lots", "--html", out],
            missing,
            [...missing, "--html", out],
        ]) {
            const u = cli(["report", DI, "--engine", "none", ...args]);
            expect(u.code).toBe(2);
            expect(u.stderr.trim().split("\n")).toHaveLength(1);
        }
        expect(cli(["report", DI, "--engine", "none"]).code).toBe(2);
    });
});
