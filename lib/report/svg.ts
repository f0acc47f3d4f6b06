/*
 * lib/report/svg.ts — the kernel virtual address space of a Layout as SVG:
 * kernel_map [min, max) as a bar to scale (one <rect> per entry or hole,
 * submaps with their own entries in a second row), then a zoomed strip of
 * everything above the direct map (kernel_virtual_start .. max), also to
 * scale, and hex axes. Pure functions: a Layout in, a string out.
 */
import type { Layout, LayoutEntry } from "../../kernel/layout.ts";
import { hex32 } from "../../util/hex.ts";
import { xml_escape } from "../../util/xml.ts";

/** "1.5 MiB", "4 KiB", "2 GiB". */
export function size_text(bytes: number): string {
    for (const [unit, n] of [
        ["GiB", 1024 ** 3],
        ["MiB", 1024 ** 2],
        ["KiB", 1024],
    ] as const) {
        if (bytes >= n) return `${+(bytes / n).toFixed(2)} ${unit}`;
    }
    return `${bytes} B`;
}

/** The label an entry is drawn with (its tag; "free" for a hole). */
export function entry_label(e: LayoutEntry): string {
    if (e.kind === "hole") return "free";
    return e.tag + (e.wired ? " [wired]" : "") + (e.kind === "submap" ? " [submap]" : "");
}

const WIDTH = 1300;
const LEFT = 20;
const BAR = WIDTH - 2 * LEFT;
/** Average width of one character of the 11px label font. */
const CHAR = 6.2;

interface Scale {
    lo: number;
    hi: number;
    x: (va: number) => number;
}

function scale(lo: number, hi: number): Scale {
    return { lo, hi, x: (va) => LEFT + ((Math.min(Math.max(va, lo), hi) - lo) / (hi - lo)) * BAR };
}

const f = (n: number): string => String(Math.round(n * 100) / 100);

function title(e: LayoutEntry): string {
    return `<title>${xml_escape(`${entry_label(e)}\n${hex32(e.start)}-${hex32(e.end)}\n${size_text(e.size)} (${e.size} bytes)`)}</title>`;
}

/** A label inside [x0, x1), truncated to fit, or nothing when it cannot fit. */
function label_in(text: string, x0: number, x1: number, y: number, cls: string): string {
    const room = Math.floor((x1 - x0 - 6) / CHAR);
    if (room < 3) return "";
    const t = text.length <= room ? text : text.slice(0, room - 1) + "…";
    return `<text class="${cls}" x="${f(x0 + 3)}" y="${f(y)}">${xml_escape(t)}</text>`;
}

function rect(e: LayoutEntry, s: Scale, y: number, h: number, cls: string, attrs: boolean): string {
    const x0 = s.x(e.start);
    const x1 = s.x(e.end);
    const w = Math.max(x1 - x0, 1);
    const data = attrs
        ? ` data-start="${hex32(e.start)}" data-end="${hex32(e.end)}" data-label="${xml_escape(entry_label(e))}"`
        : "";
    const wired = e.kind === "entry" && e.wired ? " wired" : "";
    return (
        `<g><rect class="${cls}${wired}"${data} x="${f(x0)}" y="${f(y)}" width="${f(w)}" height="${f(h)}">${title(e)}</rect>` +
        `${label_in(e.kind === "hole" ? "free" : e.tag, x0, x0 + w, y + h / 2 + 4, "label")}</g>`
    );
}

/**
 * One map drawn between lo and hi: row 1 the entries and holes, row 2 the
 * entries of each submap under it. Entries outside [lo, hi) are skipped.
 * `prefix` keeps the classes of the overview ("entry", "submap", "hole")
 * unique: the other drawings use "sub-", "zoom-" and "zoom-sub-".
 */
function map_rows(
    entries: LayoutEntry[],
    s: Scale,
    y: number,
    prefix: string,
    attrs: boolean,
): string {
    const out: string[] = [];
    const h1 = 40;
    const h2 = 22;
    for (const e of entries) {
        if (e.end <= s.lo || e.start >= s.hi) continue;
        out.push(rect(e, s, y, h1, prefix + e.kind, attrs));
        for (const c of e.submap?.entries ?? []) {
            if (c.end <= s.lo || c.start >= s.hi) continue;
            out.push(rect(c, s, y + h1 + 4, h2, `${prefix}sub-${c.kind}`, false));
        }
    }
    return out.join("\n");
}

/** Tick step: a power of two giving 4..16 ticks over the range. */
function tick_step(span: number): number {
    let step = 2 ** Math.floor(Math.log2(span));
    while (span / step < 6) step /= 2;
    return step;
}

function axis(s: Scale, y: number): string {
    const out = [
        `<line class="axis" x1="${f(s.x(s.lo))}" y1="${y}" x2="${f(s.x(s.hi))}" y2="${y}"/>`,
    ];
    const step = tick_step(s.hi - s.lo);
    const first = Math.ceil(s.lo / step) * step;
    const ticks: number[] = [];
    for (let t = first; t <= s.hi; t += step) ticks.push(t);
    if (ticks[0] !== s.lo) ticks.unshift(s.lo);
    if (ticks[ticks.length - 1] !== s.hi) ticks.push(s.hi);
    let last = -Infinity;
    for (const t of ticks) {
        const x = s.x(t);
        out.push(`<line class="tick" x1="${f(x)}" y1="${y}" x2="${f(x)}" y2="${y + 5}"/>`);
        // Labels that would overlap the previous one are left out (the ends win).
        const isEnd = t === s.hi;
        if (x - last < 80 && !isEnd) continue;
        if (isEnd && x - last < 80) out.pop();
        const anchor = t === s.lo ? "start" : isEnd ? "end" : "middle";
        out.push(
            `<text class="axis-label" x="${f(x)}" y="${y + 17}" text-anchor="${anchor}">${hex32(t)}</text>`,
        );
        last = x;
    }
    return out.join("\n");
}

/** The SVG of kernel_map: the whole map to scale, then the zoomed strip above the direct map. */
export function layout_svg(l: Layout): string {
    const km = l.kernel_map;
    const whole = scale(km.min, km.max);
    const zlo = Math.max(km.min, Math.min(l.kernel_virtual_start, km.max));
    const zoom = scale(zlo, km.max);
    const out: string[] = [];
    const height = 340;
    out.push(
        `<svg xmlns="http://www.w3.org/2000/svg" class="layout" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="kernel_map at ${xml_escape(l.at)}">`,
    );
    out.push(
        `<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">` +
            `<rect width="6" height="6" fill="#f4f4f4"/><line x1="0" y1="0" x2="0" y2="6" stroke="#c8c8c8" stroke-width="3"/></pattern></defs>`,
    );
    out.push(`<style>
  .entry, .zoom-entry { fill: #9dbbe0; stroke: #fff; stroke-width: 0.5; }
  .entry.wired, .zoom-entry.wired { fill: #4a7ebb; }
  .submap, .zoom-submap { fill: #f3c892; stroke: #b8741a; stroke-width: 1; }
  .hole, .zoom-hole, .sub-hole, .zoom-sub-hole { fill: url(#hatch); stroke: #999; stroke-width: 0.5; }
  .sub-entry, .zoom-sub-entry { fill: #d9822b; stroke: #fff; stroke-width: 0.5; }
  .sub-submap, .zoom-sub-submap { fill: #f3c892; stroke: #b8741a; }
  .label { font: 11px sans-serif; fill: #111; pointer-events: none; }
  .heading { font: bold 13px sans-serif; fill: #222; }
  .axis, .tick { stroke: #555; stroke-width: 1; }
  .axis-label { font: 10px monospace; fill: #333; }
  .zoom-guide { fill: #e8eef7; stroke: #9ab; stroke-dasharray: 3 2; }
  .legend { font: 11px sans-serif; fill: #222; }
  rect:hover { stroke: #000; stroke-width: 1.5; }
</style>`);
    out.push(
        `<text class="heading" x="${LEFT}" y="18">kernel_map ${hex32(km.min)}-${hex32(km.max)} (${size_text(km.max - km.min)}), to scale` +
            ` — size ${size_text(km.size)}, free ${size_text(km.free)}, largest free range ${size_text(km.largest_free.size)}</text>`,
    );
    out.push(map_rows(km.entries, whole, 28, "", true));
    out.push(axis(whole, 100));
    // The guide from the part of the overview that the strip enlarges.
    const gx0 = whole.x(zlo);
    const gx1 = whole.x(km.max);
    out.push(
        `<polygon class="zoom-guide" points="${f(gx0)},122 ${f(gx1)},122 ${f(zoom.x(km.max))},150 ${f(zoom.x(zlo))},150"/>`,
    );
    out.push(
        `<text class="heading" x="${LEFT}" y="168">zoom: above the direct map, ${hex32(zlo)}-${hex32(km.max)} (${size_text(km.max - zlo)}), to scale</text>`,
    );
    out.push(map_rows(km.entries, zoom, 178, "zoom-", false));
    out.push(axis(zoom, 250));
    const legend: [string, string][] = [
        ["entry wired", "wired entry"],
        ["entry", "pageable entry"],
        ["submap", "submap (its entries below it)"],
        ["sub-entry", "entry of a submap"],
        ["hole", "free (hole)"],
    ];
    let lx = LEFT;
    for (const [cls, text] of legend) {
        out.push(
            `<rect class="legend-swatch ${cls === "entry wired" ? "zoom-entry wired" : `zoom-${cls}`}" x="${lx}" y="292" width="14" height="14"/>` +
                `<text class="legend" x="${lx + 19}" y="303">${xml_escape(text)}</text>`,
        );
        lx += 30 + text.length * CHAR;
    }
    out.push(
        `<text class="legend" x="${LEFT}" y="328">Hover a block for its name, range and size. Boot point: ${xml_escape(l.at)}.</text>`,
    );
    out.push("</svg>");
    return out.join("\n");
}
