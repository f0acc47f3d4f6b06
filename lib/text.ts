/*
 * lib/text.ts — the human-readable forms of the results of image boots:
 * the diagnosis of a failed boot (reason, failing request, kernel_map
 * dump), the user-task summary, the CPU reads through the new page tables,
 * kernel samples, presets. The CLI prints these; the JSON documents carry
 * the same data (lib/json.ts).
 */
import { default_pager_info } from "../kernel/default_pager/default_pager.ts";
import { sample_fragmentation, type Sample } from "../kernel/kern/kern_sample.ts";
import type { WorkloadResult } from "../kernel/kern/workload.ts";
import { layout_format, layout_snapshot, type Layout } from "../kernel/layout.ts";
import { SIZE_PARAMS, type LayoutParams, type Preset } from "../kernel/presets.ts";
import { vm_map_info, vm_map_largest_free, type VmMap } from "../kernel/vm/vm_map.ts";
import { vm_pageout_info } from "../kernel/vm/vm_pageout.ts";
import type { KbootResult, UserSummary } from "./kboot.ts";
import { stop_text } from "./stop.ts";
import { format_size } from "./units.ts";
import { hex32 } from "../util/hex.ts";

/** Kernel samples as a table: one row per sample, the label last (task names are long). */
export function sample_table(samples: readonly Sample[]): string[] {
    const out = [
        "    ticks  map entries  kentries  kernel_map free  kmem_map size  alloc memory  live objects  frag  label",
    ];
    for (const s of samples) {
        out.push(
            `  ${String(s.ticks).padStart(7)}  ${String(s.kernel_map_entries).padStart(11)}  ${String(s.kentries_allocated).padStart(8)}  ` +
                `${format_size(s.kernel_map_free).padStart(15)}  ${format_size(s.kmem_map_size).padStart(13)}  ${format_size(s.slab_bytes).padStart(12)}  ` +
                `${format_size(s.live_bytes).padStart(12)}  ${sample_fragmentation(s).toFixed(0).padStart(3)}%  ${s.label}`,
        );
    }
    return out;
}

/** The workload's samples and outcome as text. */
export function workload_lines(w: WorkloadResult): string[] {
    return [
        `workload: ${w.status}${w.reason ? `: ${w.reason}` : ""} after ${w.steps_run} steps`,
        ...sample_table(w.samples),
    ];
}

/** One map in a line: size, free space, largest hole, and where first fit starts (first_free). */
function map_summary(m: VmMap): string {
    const free = m.max_offset - m.min_offset - m.size;
    const lf = vm_map_largest_free(m);
    const ff = m.first_free ? `after ${hex32(m.first_free.vme_end)}` : "at the start";
    return (
        `${m.name}: size ${format_size(m.size)}, ${m.nentries} entries, free ${format_size(free)}, ` +
        `largest free range ${format_size(lf.size)} at ${hex32(lf.start)}; first fit starts ${ff} (first_free)`
    );
}

/**
 * The diagnosis of a boot that did not succeed: how it stopped, the
 * failing request and its map, what the kernel said, kernel_map's free
 * space and a dump of its entries. `title` replaces the first line's
 * "how it stopped" (e.g. for a workload's failure after a good boot).
 */
export function diagnosis(r: KbootResult, title?: string): string[] {
    const out = [`mach86: ${title ?? stop_text(r.stop)}`];
    const k = r.kernel;
    if (k?.failed) {
        out.push(
            `  failed request: ${k.failed.what} in ${k.failed.map}: ${format_size(k.failed.size)} (${k.failed.kr === 3 ? "KERN_NO_SPACE" : `kr ${k.failed.kr}`})`,
        );
        const m = [k.kmem_map, k.zone_map, k.kalloc_map, k.device_io_map].find(
            (x) => x?.name === k.failed!.map,
        );
        if (m) out.push(`  ${map_summary(m)}`);
    }
    for (const line of k?.console.filter((l) => /no more room|kentry|exhausted/.test(l)) ?? [])
        out.push(`  kernel said: ${line.trim()}`);
    if (k?.kernel_map) {
        const l = layout_snapshot(k, "end");
        out.push(
            `  kernel_map: size ${l.kernel_map.size}, free ${format_size(l.kernel_map.free)}, largest free range ${format_size(l.kernel_map.largest_free.size)} at ${hex32(l.kernel_map.largest_free.start)}`,
        );
        if (r.stop.kind === "stuck")
            out.push(
                "  (GNU Mach does not panic here: device_read fails, ext2fs exits, and the boot hangs)",
            );
        out.push("  kernel_map dump:");
        vm_map_info(k.kernel_map, (line) => out.push(`    ${line}`));
    }
    return out;
}

/** Up to this many tasks are named one by one; beyond, they are counted by how they ended. */
const TASKS_LISTED = 8;

/** How the user tasks ended: each by name, or counts by outcome plus every task that did not exit 0. */
function task_lines(u: UserSummary): string[] {
    const how = (t: (typeof u.tasks)[number]) => (t.state === "alive" ? "still running" : t.end);
    if (u.tasks.length <= TASKS_LISTED)
        return [`mach86: user tasks: ${u.tasks.map((t) => `${t.name} ${how(t)}`).join("; ")}`];
    const counts = new Map<string, number>();
    for (const t of u.tasks) counts.set(how(t), (counts.get(how(t)) ?? 0) + 1);
    const bad = u.tasks.filter((t) => t.state !== "exited" || t.exit_code !== 0);
    const out = [
        `mach86: user tasks: ${u.tasks.length} ran: ${[...counts].map(([h, n]) => `${n} ${h}`).join("; ")}`,
    ];
    for (const t of bad.slice(0, TASKS_LISTED)) out.push(`mach86:   ${t.name} (${t.id}) ${how(t)}`);
    if (bad.length > TASKS_LISTED)
        out.push(`mach86:   … and ${bad.length - TASKS_LISTED} more that did not exit with code 0`);
    return out;
}

/** The kernel map entries and allocator memory over the run (sampled at each task creation and end). */
function kernel_sample_lines(u: UserSummary): string[] {
    const { samples, peak_entries: pe, peak_kentries: pk, kentry_capacity: cap } = u.kernel;
    const first = samples[0];
    const last = samples[samples.length - 1];
    if (!u.ran || !first || !last || !pe || !pk) return [];
    return [
        `mach86: kernel map entries (kernel_map and its kentry-backed submaps): ${first.kernel_map_entries} at start, ` +
            `peak ${pe.kernel_map_entries} at ${pe.label}, ${last.kernel_map_entries} at end; ` +
            `kentries taken: peak ${pk.kentries_allocated}${cap === null ? " (growable kentry map)" : ` of ${cap}`}; ` +
            `allocator memory: peak ${format_size(Math.max(...samples.map((s) => s.slab_bytes)))}, ` +
            `at end ${format_size(last.slab_bytes)} holding ${format_size(last.live_bytes)} of live objects (--samples for the series)`,
    ];
}

/** The pageout daemon's thresholds and counters, and the default pager's paging area. */
function pager_lines(r: KbootResult): string[] {
    const k = r.kernel;
    if (!k?.vm || !k.vm_page) return [];
    const out: string[] = [];
    vm_pageout_info(k.vm, k.vm_page, (l) => out.push(`mach86: ${l}`));
    default_pager_info(k.vm.pager, (l) => out.push(`mach86: ${l}`));
    return out;
}

/** The user-task summary printed after a run: how each task ended, and the paging counters. */
export function user_lines(r: KbootResult): string[] {
    const u = r.user;
    if (!u) return [];
    return [
        ...task_lines(u),
        `mach86: ${u.syscalls} syscalls, ${u.context_switches} context switches, ${u.ticks} ticks; ` +
            `faults ${u.faults} (zero fill ${u.zero_fill}, copy-on-write ${u.cow_faults}), pageins ${u.pageins}, ` +
            `pageouts ${u.pageouts}, reactivations ${u.reactivations}, pageout scans ${u.pageout_scans}; ` +
            `lowest free count an unprivileged allocation was granted at ${u.free_count_minimum} (reserve ${u.free_reserved})`,
        ...pager_lines(r),
        ...kernel_sample_lines(u),
    ];
}

/** The stub's reads of test words through the kernel's new page tables (v86 engine). */
export function checks_lines(r: KbootResult): string[] {
    return r.checks.map(
        (c) =>
            `mach86: CPU read ${hex32(c.value)} at ${hex32(c.va)} (${c.what}): ${c.value === c.expected ? "ok" : `MISMATCH, expected ${hex32(c.expected)}`}`,
    );
}

/** The presets with every value and its source. */
export function preset_lines(presets: readonly Preset[]): string[] {
    const out: string[] = [];
    for (const p of presets) {
        out.push(p.name, `  ${p.summary}`, `  source: ${p.source}`);
        const vals = Object.entries(p.params).map(
            ([k, v]) =>
                `${k}=${SIZE_PARAMS.has(k as keyof LayoutParams) && v ? format_size(v).replace(" ", "") : k.includes("address") ? hex32(v) : v}`,
        );
        out.push(`  ${vals.join(" ")}`, "");
    }
    return out;
}

/** The layout as `mach86 layout` prints it: the tree, the terms of map->size, the physical map. */
export function layout_lines(l: Layout): string[] {
    return layout_format(l);
}
