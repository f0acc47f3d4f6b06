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

/** A label whose block is too narrow for it: drawn under the rows, with a leader line. */
interface Callout {
    text: string;
    /** The block's horizontal middle and bottom edge. */
    x: number;
    bottom: number;
}

/** Whole labels only: one that does not fit inside its block is never cut. */
function fits(text: string, x0: number, x1: number): boolean {
    return text.length * CHAR <= x1 - x0 - 6;
}

function label_in(text: string, x0: number, y: number, cls: string): string {
    return `<text class="${cls}" x="${f(x0 + 3)}" y="${f(y)}">${xml_escape(text)}</text>`;
}

/**
 * Draws one block; its label goes inside when it fits, else to `callouts`
 * when given (the rows of kernel_map's own entries), else only in the
 * block's hover title.
 */
function rect(
    e: LayoutEntry,
    s: Scale,
    y: number,
    h: number,
    cls: string,
    attrs: boolean,
    callouts?: Callout[],
): string {
    const x0 = s.x(e.start);
    const x1 = s.x(e.end);
    const w = Math.max(x1 - x0, 1);
    const data = attrs
        ? ` data-start="${hex32(e.start)}" data-end="${hex32(e.end)}" data-label="${xml_escape(entry_label(e))}"`
        : "";
    const wired = e.kind === "entry" && e.wired ? " wired" : "";
    const text = e.kind === "hole" ? "free" : e.tag;
    let label = "";
    if (fits(text, x0, x0 + w)) label = label_in(text, x0, y + h / 2 + 4, "label");
    else if (callouts && e.kind !== "hole") callouts.push({ text, x: x0 + w / 2, bottom: y + h });
    return (
        `<g><rect class="${cls}${wired}"${data} x="${f(x0)}" y="${f(y)}" width="${f(w)}" height="${f(h)}">${title(e)}</rect>` +
        `${label}</g>`
    );
}

const LANE = 13;
const MAX_LANES = 4;

/**
 * The callout labels in lanes from `top` down: each goes in the first lane
 * where it does not overlap the previous label, under its block when it can.
 * Returns the drawing and the height it takes (0 without callouts).
 */
function callout_lanes(callouts: Callout[], top: number): { svg: string; height: number } {
    const ends: number[] = [];
    const out: string[] = [];
    for (const c of [...callouts].sort((a, b) => a.x - b.x)) {
        const w = c.text.length * CHAR;
        const x = Math.min(Math.max(c.x - 3, LEFT), WIDTH - LEFT - w);
        let lane = ends.findIndex((end) => end + 8 <= x);
        if (lane < 0) {
            if (ends.length === MAX_LANES) continue; // still in the block's hover title
            lane = ends.push(0) - 1;
        }
        ends[lane] = x + w;
        const y = top + (lane + 1) * LANE;
        out.push(
            `<line class="leader" x1="${f(c.x)}" y1="${f(c.bottom)}" x2="${f(c.x)}" y2="${f(y - 10)}"/>` +
                `<text class="label callout" x="${f(x)}" y="${f(y)}">${xml_escape(c.text)}</text>`,
        );
    }
    return { svg: out.join("\n"), height: ends.length ? ends.length * LANE + 4 : 0 };
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
): { svg: string; height: number } {
    const out: string[] = [];
    const callouts: Callout[] = [];
    const h1 = 40;
    const h2 = 22;
    for (const e of entries) {
        if (e.end <= s.lo || e.start >= s.hi) continue;
        out.push(rect(e, s, y, h1, prefix + e.kind, attrs, callouts));
        for (const c of e.submap?.entries ?? []) {
            if (c.end <= s.lo || c.start >= s.hi) continue;
            out.push(rect(c, s, y + h1 + 4, h2, `${prefix}sub-${c.kind}`, false));
        }
    }
    const lanes = callout_lanes(callouts, y + h1 + 4 + h2);
    if (lanes.svg) out.push(lanes.svg);
    return { svg: out.join("\n"), height: h1 + 4 + h2 + lanes.height };
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
    // Drawn top to bottom; each map's rows take the height their callout labels need.
    const top = map_rows(km.entries, whole, 28, "", true);
    const axis1 = 28 + top.height + 6;
    const zoomRows = map_rows(km.entries, zoom, axis1 + 78, "zoom-", false);
    const axis2 = axis1 + 78 + zoomRows.height + 6;
    const height = axis2 + 90;
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
  .leader { stroke: #666; stroke-width: 0.75; }
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
    out.push(top.svg);
    out.push(axis(whole, axis1));
    // The guide from the part of the overview that the strip enlarges.
    const gx0 = whole.x(zlo);
    const gx1 = whole.x(km.max);
    out.push(
        `<polygon class="zoom-guide" points="${f(gx0)},${axis1 + 22} ${f(gx1)},${axis1 + 22} ${f(zoom.x(km.max))},${axis1 + 50} ${f(zoom.x(zlo))},${axis1 + 50}"/>`,
    );
    out.push(
        `<text class="heading" x="${LEFT}" y="${axis1 + 68}">zoom: above the direct map, ${hex32(zlo)}-${hex32(km.max)} (${size_text(km.max - zlo)}), to scale</text>`,
    );
    out.push(zoomRows.svg);
    out.push(axis(zoom, axis2));
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
            `<rect class="legend-swatch ${cls === "entry wired" ? "zoom-entry wired" : `zoom-${cls}`}" x="${lx}" y="${axis2 + 42}" width="14" height="14"/>` +
                `<text class="legend" x="${lx + 19}" y="${axis2 + 53}">${xml_escape(text)}</text>`,
        );
        lx += 30 + text.length * CHAR;
    }
    out.push(
        `<text class="legend" x="${LEFT}" y="${axis2 + 78}">Hover a block for its name, range and size. Boot point: ${xml_escape(l.at)}.</text>`,
    );
    out.push("</svg>");
    return out.join("\n");
}
