/*
 * lib/report/report.ts — report(): boot an image, take the Layout at a boot
 * point (default: "modules" if the boot gets there, else where it ended),
 * and make one self-contained HTML page; with a sweep LOW..HIGH:STEP, one
 * more boot per RAM size (engine none) for the plot of free kernel_map.
 *
 * The page's file (`html`) is checked before the first boot and written
 * whole at the end. An internal error in any boot of the sweep stops the
 * report (nothing is written): it is a bug, not a point of the plot.
 */
import type { BootPoint } from "../../kernel/kern/kernel.ts";
import { slab_info_data } from "../../kernel/kern/kmem.ts";
import { layout_snapshot, type Layout } from "../../kernel/layout.ts";
import { UsageError } from "../errors.ts";
import type { KbootResult } from "../kboot.ts";
import { boot_point } from "../layout.ts";
import {
    boot_prepared,
    prepare_image,
    release_ram,
    type ImageBootResult,
    type ImageOptions,
    type PreparedImage,
} from "../model.ts";
import { OutputFile } from "../output.ts";
import { format_size, parse_size } from "../units.ts";
import { report_html, type ReportInput, type SweepPoint } from "./html.ts";

export type { SweepPoint };

/** "1856 MiB" when a whole number of MiB, else format_size. */
const ram_text = (n: number): string => (n % 1048576 === 0 ? `${n / 1048576} MiB` : format_size(n));

export interface ReportOptions extends ImageOptions {
    /** The boot point of the layout (default: "modules" if reached, else "end"). */
    at?: string;
    /** Also boot at each RAM size LOW..HIGH:STEP (engine none), e.g. "1024M..2047M:64M". */
    sweep?: string;
    /** Write the page to this file (checked before the first boot). */
    html?: string;
    /** Called after each boot of the sweep. */
    onSweepPoint?: (p: SweepPoint) => void;
}

export interface ReportResult {
    boot: ImageBootResult;
    at: BootPoint | null;
    /** The layout the page shows (null when the boot stopped before kernel_map existed). */
    layout: Layout | null;
    sweep: SweepPoint[] | null;
    /** The page. */
    html: string;
    /** Where it was written (null when `html` was not given). */
    html_file: string | null;
}

/** LOW..HIGH:STEP as RAM sizes in bytes (at most 256 of them). */
export function parse_sweep(text: string): number[] {
    const m = /^([^.:]+)\.\.([^:]+):(.+)$/.exec(text);
    if (!m)
        throw new UsageError("--sweep", `'${text}' is not LOW..HIGH:STEP (e.g. 1024M..2047M:64M)`);
    const lo = parse_size(m[1]!, "--sweep");
    const hi = parse_size(m[2]!, "--sweep");
    const step = parse_size(m[3]!, "--sweep");
    if (step <= 0) throw new UsageError("--sweep", "STEP must be positive");
    if (lo > hi) throw new UsageError("--sweep", "LOW is above HIGH");
    if ((hi - lo) / step >= 256)
        throw new UsageError("--sweep", `'${text}' is more than 256 boots`);
    const out: number[] = [];
    for (let v = lo; v <= hi; v += step) out.push(v);
    if (out[out.length - 1] !== hi) out.push(hi);
    return out;
}

/** The Layout at `at`, or (no point asked) at "modules" if reached, else "end", else where the boot stopped. */
export function report_layout(r: KbootResult, at: BootPoint | null | undefined): Layout | null {
    const k = r.kernel;
    if (!k) return null;
    const wanted = at ? [at] : (["modules", "end"] as BootPoint[]);
    for (const p of wanted) {
        const l = k.snapshots.get(p) as Layout | undefined;
        if (l) return l;
    }
    return k.kernel_map ? layout_snapshot(k, "end") : null;
}

const points_of = (at: BootPoint | null | undefined): BootPoint[] =>
    at ? [at] : ["modules", "end"];

/** One boot per RAM size (engine none: the layout does not need the CPU). */
export async function sweep(
    p: PreparedImage,
    sizes: number[],
    at: BootPoint | null | undefined,
    onPoint?: (p: SweepPoint) => void,
): Promise<SweepPoint[]> {
    const out: SweepPoint[] = [];
    for (const memory of sizes) {
        const r = await boot_prepared(
            {
                ...p,
                engine: "none",
                workload: undefined,
                limits: {},
                load: { ...p.load, ramSize: memory },
            },
            { points: points_of(at) },
        );
        const l = report_layout(r, at);
        const point: SweepPoint = {
            memory,
            ok: r.status === "ok",
            status: r.status,
            free: l?.kernel_map.free ?? 0,
            largest: l?.kernel_map.largest_free.size ?? 0,
            ...(r.status === "ok" ? {} : { reason: r.reason }),
        };
        out.push(point);
        onPoint?.(point);
        release_ram(r); // the point is taken: the next boot reuses this RAM
    }
    return out;
}

/** Everything the page shows, from a boot (and an optional sweep). */
export function report_input(
    r: ImageBootResult,
    at: BootPoint | null | undefined,
    points?: SweepPoint[] | null,
): ReportInput {
    const k = r.kernel;
    const params: [string, string][] = [
        ["image", `${r.image.name} (${r.image.dir})`],
        ["preset", r.preset || "(parameters given whole)"],
        ["overrides", r.set.join(" ") || "none"],
        ["memory", ram_text(r.memory)],
        ["engine", r.engine],
        ["boot point", at ?? "modules if reached, else end"],
    ];
    const failed = k?.failed;
    if (failed)
        params.push([
            "failed request",
            `${failed.what} in ${failed.map}: ${format_size(failed.size)}${failed.kr === 3 ? " (KERN_NO_SPACE)" : ` (kr ${failed.kr})`}`,
        ]);
    if (points)
        params.push([
            "sweep",
            `${points.length} boots, ${ram_text(points[0]?.memory ?? 0)}..${ram_text(points[points.length - 1]?.memory ?? 0)}, engine none`,
        ]);
    return {
        title: `mach86 report: ${r.image.name} at ${ram_text(r.memory)}`,
        params,
        status: r.status,
        reason: r.status === "ok" ? undefined : r.reason,
        layout: report_layout(r, at),
        slabinfo: k?.kmem ? slab_info_data(k.kmem) : undefined,
        sweep: points ?? undefined,
    };
}

/** Boot `o.image` (and the sweep), make the page, and write it to `o.html` if given. */
export async function report(o: ReportOptions): Promise<ReportResult> {
    const at = o.at === undefined ? null : boot_point(o.at);
    const sizes = o.sweep !== undefined ? parse_sweep(o.sweep) : null;
    const p = await prepare_image(o);
    const out = o.html !== undefined ? OutputFile.open(o.html, "--html") : null;
    try {
        const boot = await boot_prepared(p, { points: points_of(at), onConsole: o.onConsole });
        const points = sizes ? await sweep(p, sizes, at, o.onSweepPoint) : null;
        const html = report_html(report_input(boot, at, points));
        out?.commit(html);
        return {
            boot,
            at,
            layout: report_layout(boot, at),
            sweep: points,
            html,
            html_file: o.html ?? null,
        };
    } catch (e) {
        out?.discard();
        throw e;
    }
}
