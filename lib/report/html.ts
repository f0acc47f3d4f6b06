/*
 * lib/report/html.ts — one self-contained HTML page (inline CSS, no
 * scripts, no external resources) from a Layout: parameters, the SVG of
 * kernel_map, the terms of kernel_map->size, the physical memory map, the
 * slabinfo table, and a plot of free space against RAM size.
 */
import type { SlabInfo } from "../../kernel/kern/kmem.ts";
import type { Layout } from "../../kernel/layout.ts";
import { layout_svg, size_text } from "./svg.ts";
import { xml_escape } from "../../util/xml.ts";
import { hex32 } from "../../util/hex.ts";

/** One boot of a --sweep: kernel_map free and largest free range at one RAM size. */
export interface SweepPoint {
    memory: number;
    free: number;
    largest: number;
    /** The boot completed (status "ok"). */
    ok: boolean;
    /** The modelled kernel's status ("ok", "panic", "stuck", "crash"). */
    status: string;
    reason?: string;
}

export interface ReportInput {
    title: string;
    /** Name/value pairs shown at the top (image, preset, memory, ...). */
    params: [string, string][];
    status: string;
    reason?: string;
    layout: Layout | null;
    slabinfo?: SlabInfo[];
    sweep?: SweepPoint[];
}

const esc = xml_escape;
const mib = (n: number): string => `${+(n / 1048576).toFixed(2)} MiB`;

function table(head: string[], rows: string[][], numeric: Set<number> = new Set()): string {
    const th = head.map((h) => `<th>${esc(h)}</th>`).join("");
    const body = rows
        .map(
            (r) =>
                `<tr>${r.map((c, i) => `<td${numeric.has(i) ? ' class="num"' : ""}>${c}</td>`).join("")}</tr>`,
        )
        .join("\n");
    return `<table>\n<thead><tr>${th}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

function terms_table(l: Layout): string {
    let sum = 0;
    const rows = l.terms.map((t) => {
        sum += t.size;
        return [esc(t.name), String(t.size), esc(size_text(t.size)), esc(t.how)];
    });
    rows.push([
        `<b>sum</b>`,
        `<b>${sum}</b>`,
        `<b>${esc(size_text(sum))}</b>`,
        `kernel_map-&gt;size = ${l.kernel_map.size}${sum === l.kernel_map.size ? " (matches)" : " (<b>differs</b>)"}`,
    ]);
    return table(["term", "bytes", "size", "how"], rows, new Set([1, 2]));
}

function physical_table(l: Layout): string {
    return table(
        ["start", "end", "size", "what"],
        l.physical.map((r) => [
            hex32(r.start),
            hex32(r.end),
            esc(size_text(r.end - r.start)),
            esc(r.what),
        ]),
        new Set([2]),
    );
}

/** The page's words for a status: the CLI's ("boot failed" for a stuck boot, as lib/stop.ts says it). */
const STATUS_WORDS: Record<string, string> = {
    ok: "boot completed",
    panic: "kernel panic",
    stuck: "boot failed",
    crash: "guest crashed",
    timeout: "timeout",
};

function status_words(status: string): string {
    return STATUS_WORDS[status] ?? status;
}

/** Caches holding memory in a table; the empty ones (most, right after boot) folded away under it. */
function slab_section(d: SlabInfo[]): string {
    const used = d.filter((c) => c.mem_usage > 0 || c.nr_objs > 0);
    const empty = d.filter((c) => !(c.mem_usage > 0 || c.nr_objs > 0));
    const total = d.reduce((s, c) => s + c.mem_usage, 0);
    const out = [
        slab_table(used),
        `<p>${d.length} caches, ${total}k memory; ${used.length} hold memory.</p>`,
    ];
    if (empty.length)
        out.push(
            `<details><summary>${empty.length} empty caches (no objects, no slabs)</summary>`,
            slab_table(empty),
            "</details>",
        );
    return out.join("\n");
}

function slab_table(d: SlabInfo[]): string {
    return table(
        ["cache", "obj size", "slab size", "bufs/slab", "objs", "bufs", "memory", "reclaimable"],
        d.map((c) => [
            esc(c.name),
            String(c.obj_size),
            `${c.slab_size >> 10}k`,
            String(c.bufs_per_slab),
            String(c.nr_objs),
            String(c.nr_bufs),
            `${c.mem_usage}k`,
            `${c.mem_reclaimable}k`,
        ]),
        new Set([1, 2, 3, 4, 5, 6, 7]),
    );
}

/** SVG line chart: free kernel_map and its largest free range against RAM, the boot/fail boundary marked. */
export function sweep_svg(points: SweepPoint[]): string {
    const pts = [...points].sort((a, b) => a.memory - b.memory);
    const W = 900;
    const H = 380;
    const L = 70;
    const R = 170;
    const T = 20;
    const B = 50;
    if (pts.length === 0)
        return `<svg xmlns="http://www.w3.org/2000/svg" class="plot" width="${W}" height="40"><text x="10" y="25">no sweep points</text></svg>`;
    const xs = pts.map((p) => p.memory / 1048576);
    const ys = pts.flatMap((p) => [p.free, p.largest]).map((v) => v / 1048576);
    const x0 = Math.min(...xs);
    const x1 = Math.max(...xs) === x0 ? x0 + 1 : Math.max(...xs);
    const y1 = Math.max(1, ...ys) * 1.08;
    const px = (m: number): number => L + ((m - x0) / (x1 - x0)) * (W - L - R);
    const py = (v: number): number => T + (1 - v / y1) * (H - T - B);
    const f = (n: number): string => n.toFixed(1);
    const out = [
        `<svg xmlns="http://www.w3.org/2000/svg" class="plot" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="free kernel_map against RAM size">`,
    ];
    out.push(`<style>
  .grid { stroke: #e3e3e3; } .ax { stroke: #444; } .tl { font: 11px sans-serif; fill: #333; }
  .free { fill: none; stroke: #4a7ebb; stroke-opacity: 0.45; stroke-width: 8; stroke-linejoin: round; stroke-linecap: round; }
  .largest { fill: none; stroke: #b35900; stroke-width: 2; stroke-dasharray: 6 3; }
  .ok { fill: #2e8b3d; } .fail { fill: #c0392b; } .boundary { stroke: #c0392b; stroke-width: 1.5; stroke-dasharray: 4 3; }
  .bl { font: bold 11px sans-serif; fill: #c0392b; } .lg { font: 12px sans-serif; fill: #222; }
</style>`);
    // Horizontal grid in MiB.
    const ystep = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000].find((s) => y1 / s <= 8) ?? 1000;
    for (let v = 0; v <= y1; v += ystep) {
        out.push(
            `<line class="grid" x1="${L}" y1="${f(py(v))}" x2="${W - R}" y2="${f(py(v))}"/>` +
                `<text class="tl" x="${L - 6}" y="${f(py(v) + 4)}" text-anchor="end">${v}</text>`,
        );
    }
    const xstep = [16, 32, 64, 128, 256, 512, 1024].find((s) => (x1 - x0) / s <= 10) ?? 1024;
    for (let m = Math.ceil(x0 / xstep) * xstep; m <= x1; m += xstep) {
        out.push(
            `<line class="ax" x1="${f(px(m))}" y1="${H - B}" x2="${f(px(m))}" y2="${H - B + 5}"/>` +
                `<text class="tl" x="${f(px(m))}" y="${H - B + 18}" text-anchor="middle">${m}</text>`,
        );
    }
    out.push(
        `<line class="ax" x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}"/><line class="ax" x1="${L}" y1="${T}" x2="${L}" y2="${H - B}"/>`,
    );
    out.push(
        `<text class="tl" x="${(L + W - R) / 2}" y="${H - 10}" text-anchor="middle">guest RAM (MiB)</text>`,
    );
    out.push(
        `<text class="tl" transform="translate(16 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">kernel_map (MiB)</text>`,
    );
    const line = (k: "free" | "largest") =>
        pts
            .map((p, i) => `${i ? "L" : "M"}${f(px(p.memory / 1048576))} ${f(py(p[k] / 1048576))}`)
            .join(" ");
    out.push(
        `<path class="free" d="${line("free")}"/><path class="largest" d="${line("largest")}"/>`,
    );
    for (const p of pts) {
        const tip = `${mib(p.memory)}: ${p.ok ? "boots" : "fails"}; free ${mib(p.free)}, largest free range ${mib(p.largest)}${p.reason ? ` — ${p.reason}` : ""}`;
        out.push(
            `<circle class="${p.ok ? "ok" : "fail"}" cx="${f(px(p.memory / 1048576))}" cy="${f(py(p.free / 1048576))}" r="3.5"><title>${esc(tip)}</title></circle>`,
        );
    }
    // Each change between booting and failing: a line halfway between the two RAM sizes.
    for (let i = 1; i < pts.length; i++) {
        const a = pts[i - 1]!;
        const b = pts[i]!;
        if (a.ok === b.ok) continue;
        const x = px((a.memory + b.memory) / 2 / 1048576);
        out.push(
            `<line class="boundary" x1="${f(x)}" y1="${T}" x2="${f(x)}" y2="${H - B}"/>` +
                `<text class="bl" x="${f(x - 4)}" y="${T + 12}" text-anchor="end">${a.ok ? "boots" : "fails"} ≤ ${mib(a.memory)}</text>` +
                `<text class="bl" x="${f(x + 4)}" y="${T + 12}">${mib(b.memory)} ≥ ${b.ok ? "boots" : "fails"}</text>`,
        );
    }
    const lx = W - R + 14;
    out.push(
        `<line class="free" x1="${lx}" y1="40" x2="${lx + 24}" y2="40"/><text class="lg" x="${lx + 30}" y="44">free</text>`,
    );
    out.push(
        `<line class="largest" x1="${lx}" y1="62" x2="${lx + 24}" y2="62"/><text class="lg" x="${lx + 30}" y="66">largest free range</text>`,
    );
    out.push(
        `<circle class="ok" cx="${lx + 12}" cy="84" r="4"/><text class="lg" x="${lx + 30}" y="88">boots</text>`,
    );
    out.push(
        `<circle class="fail" cx="${lx + 12}" cy="106" r="4"/><text class="lg" x="${lx + 30}" y="110">fails</text>`,
    );
    out.push("</svg>");
    return out.join("\n");
}

const CSS = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #1b1b1b; background: #fff; }
h1 { font-size: 22px; margin: 0 0 8px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 3px; }
table { border-collapse: collapse; margin: 6px 0; }
th, td { border: 1px solid #d4d4d4; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f0f3f7; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td { font-family: ui-monospace, monospace; font-size: 12.5px; }
dl.params { display: grid; grid-template-columns: max-content auto; gap: 2px 14px; margin: 8px 0; }
dl.params dt { font-weight: 600; } dl.params dd { margin: 0; font-family: ui-monospace, monospace; }
.status { display: inline-block; padding: 2px 10px; border-radius: 4px; font-weight: 600; }
.status.ok { background: #dff3e2; color: #1d6b2a; } .status.bad { background: #fbe3e0; color: #9b2417; }
.svgbox { overflow-x: auto; }
p.note { color: #555; max-width: 70em; }
`;

/** The whole page. */
export function report_html(r: ReportInput): string {
    const ok = r.status === "ok";
    const out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        `<title>${esc(r.title)}</title>`,
        `<style>${CSS}</style>`,
        "</head>",
        "<body>",
    ];
    out.push(`<h1>${esc(r.title)}</h1>`);
    out.push(
        `<p>Boot: <span class="status ${ok ? "ok" : "bad"}">${esc(status_words(r.status))}</span>${r.reason ? ` ${esc(r.reason)}` : ""}</p>`,
    );
    out.push(
        `<dl class="params">${r.params.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("")}</dl>`,
    );
    const l = r.layout;
    if (l) {
        const km = l.kernel_map;
        out.push(`<h2>Kernel virtual address space at boot point “${esc(l.at)}”</h2>`);
        out.push(
            `<p>kernel_map ${hex32(km.min)}-${hex32(km.max)}: size ${km.size} (${esc(size_text(km.size))}), ${km.nentries} entries, ` +
                `free ${esc(size_text(km.free))}, largest free range ${esc(size_text(km.largest_free.size))} at ${hex32(km.largest_free.start)}. ` +
                `Direct map of physical ${hex32(l.phys_first_addr)}-${hex32(l.phys_last_addr)}; kernel virtual space starts at ${hex32(l.kernel_virtual_start)}.</p>`,
        );
        out.push(`<div class="svgbox">${layout_svg(l)}</div>`);
        out.push("<h2>kernel_map-&gt;size, term by term</h2>", terms_table(l));
        if (l.kernel_map_size_at_modules)
            out.push(
                `<p>kernel_map-&gt;size at “multiboot modules”: ${l.kernel_map_size_at_modules}</p>`,
            );
        out.push("<h2>Physical memory</h2>", physical_table(l));
    } else {
        out.push("<p><b>No layout:</b> the boot stopped before kernel_map existed.</p>");
    }
    if (r.sweep) {
        out.push("<h2>Free kernel_map against RAM size</h2>");
        out.push(
            `<p class="note">One boot per RAM size with the same parameters; free space and the largest free range of kernel_map ` +
                `at the report's boot point (or where the boot stopped). The wide pale line is the free space, the dashed line on it ` +
                `the largest free range: where they coincide, all free space is one range. The dashed red line marks where booting turns into failing.</p>`,
        );
        out.push(`<div class="svgbox">${sweep_svg(r.sweep)}</div>`);
        out.push(
            table(
                ["RAM", "boots", "free", "largest free range", "why not"],
                [...r.sweep]
                    .sort((a, b) => a.memory - b.memory)
                    .map((p) => [
                        esc(mib(p.memory)),
                        p.ok ? "yes" : "<b>no</b>",
                        esc(mib(p.free)),
                        esc(mib(p.largest)),
                        esc(p.reason ?? ""),
                    ]),
                new Set([0, 2, 3]),
            ),
        );
    }
    if (r.slabinfo) out.push("<h2>slabinfo</h2>", slab_section(r.slabinfo));
    out.push("</body>", "</html>", "");
    return out.join("\n");
}
