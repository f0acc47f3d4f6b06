/*
 * cli/report/report.ts — `mach86 report IMAGE --html FILE`: boot an image,
 * take the Layout at a boot point (default: "modules" if the boot gets
 * there, else where it ended), and write one self-contained HTML page;
 * with --sweep LOW..HIGH:STEP, one more boot per RAM size for the plot.
 */
import { existsSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { BootPoint } from "../../kernel/kern/kernel.ts";
import { slab_info_data } from "../../kernel/kern/kmem.ts";
import { layout_snapshot, type Layout } from "../../kernel/layout.ts";
import type { Io } from "../boot.ts";
import { EXIT } from "../boot.ts";
import { diagnosis, prepare, release_ram, run_image, type KOptions } from "../kcommands.ts";
import type { KbootResult } from "../kboot.ts";
import { format_size, parse_size, UsageError } from "../units.ts";

/** "1856 MiB" when a whole number of MiB, else format_size. */
const ram_text = (n: number): string => (n % 1048576 === 0 ? `${n / 1048576} MiB` : format_size(n));
import { report_html, type ReportInput, type SweepPoint } from "./html.ts";

export interface ReportOptions extends KOptions {
    html: string;
    sweep?: string;
}

const POINTS: readonly BootPoint[] = ["vm", "submaps", "modules", "end"];

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

function point_of(at: string | undefined): BootPoint | undefined {
    if (at === undefined) return undefined;
    if (!POINTS.includes(at as BootPoint))
        throw new UsageError("--at", `'${at}' is not a boot point (${POINTS.join(", ")})`);
    return at as BootPoint;
}

/** The Layout at `at`, or (no point asked) at "modules" if reached, else "end", else where the boot stopped. */
export function report_layout(r: KbootResult, at: BootPoint | undefined): Layout | null {
    const k = r.kernel;
    if (!k) return null;
    const wanted = at ? [at] : (["modules", "end"] as BootPoint[]);
    for (const p of wanted) {
        const l = k.snapshots.get(p) as Layout | undefined;
        if (l) return l;
    }
    return k.kernel_map ? layout_snapshot(k, "end") : null;
}

/** One boot per RAM size (engine none: the layout does not need the CPU). */
export async function sweep(
    o: KOptions,
    sizes: number[],
    at: BootPoint | undefined,
): Promise<SweepPoint[]> {
    const out: SweepPoint[] = [];
    const base = prepare(o);
    for (const memory of sizes) {
        const r = await run_image(
            { ...o, engine: "none", workload: undefined },
            { memory, params: base.params, points: new Set(at ? [at] : ["modules", "end"]) },
        );
        const l = report_layout(r, at);
        out.push({
            memory,
            ok: r.status === "ok",
            free: l?.kernel_map.free ?? 0,
            largest: l?.kernel_map.largest_free.size ?? 0,
            ...(r.status === "ok" ? {} : { reason: r.reason }),
        });
        release_ram(r); // the point is taken: the next boot reuses this RAM
    }
    return out;
}

/** Everything the page shows, from a boot (and an optional sweep). */
export function report_input(
    o: KOptions,
    r: KbootResult,
    at: BootPoint | undefined,
    points?: SweepPoint[],
): ReportInput {
    const p = prepare(o);
    const k = r.kernel;
    const params: [string, string][] = [
        ["image", `${p.img.name} (${o.image})`],
        ["preset", o.preset ?? `${p.img.preset} (the image's)`],
        ["overrides", (o.set ?? []).join(" ") || "none"],
        ["memory", ram_text(p.load.ramSize)],
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
        title: `mach86 report: ${p.img.name} at ${ram_text(p.load.ramSize)}`,
        params,
        status: r.status,
        reason: r.status === "ok" ? undefined : r.reason,
        layout: report_layout(r, at),
        slabinfo: k?.kmem ? slab_info_data(k.kmem) : undefined,
        sweep: points,
    };
}

export async function cmd_report(o: ReportOptions, io: Io): Promise<number> {
    if (typeof o.html !== "string" || !o.html)
        throw new UsageError("--html", "name one output file");
    const at = point_of(o.at);
    const sizes = o.sweep !== undefined ? parse_sweep(o.sweep) : undefined;
    if (!existsSync(dirname(resolve(o.html)))) throw new UsageError(o.html, "no such directory");
    prepare(o); // bad image, preset, --set or --memory: a usage error before any boot
    const r = await run_image(o, { points: new Set(at ? [at] : ["modules", "end"]) });
    const points = sizes ? await sweep(o, sizes, at) : undefined;
    const page = report_html(report_input(o, r, at, points));
    // No mkdir -p: Node's recursive mkdirSync never returns for some paths (under /proc).
    try {
        writeFileSync(o.html, page);
    } catch (e) {
        const why =
            (e as NodeJS.ErrnoException).code === "ENOENT"
                ? "no such directory"
                : `cannot write (${(e as NodeJS.ErrnoException).code ?? String(e)})`;
        throw new UsageError(o.html, why);
    }
    io.err(`mach86: wrote ${o.html}\n`);
    if (r.status !== "ok") {
        io.err(`${diagnosis(r)[0]} (the page was still written)\n`);
        return EXIT.CRASH;
    }
    return EXIT.OK;
}
