/*
 * Boot tier: the kernel's samples over a user run (kern_sample.ts) —
 * pressure-churn's 214 tasks on the v86 engine, one sample at the start of
 * the run, at each task creation and end, and at the end. The expected
 * counts come from the run's own task list; the invariants (every kernel
 * map entry is a kentry, the peaks are the series' maxima) hold for any
 * run. Also the series' thinning on a long run, and the CLI's summary.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bootImage } from "../../lib/index.ts";
import {
    kernel_sample,
    sample_record,
    sample_series_create,
    SAMPLES_MAX,
} from "../../kernel/kern/kern_sample.ts";
import { ROOT, cli } from "./helpers.ts";

const img = (name: string) => join(ROOT, "images", name);

describe("kernel samples of a user run (pressure-churn)", () => {
    it("one sample per task creation and end, bracketed by start and end; entries = kentries; exact peaks", async () => {
        const r = await bootImage({ image: img("pressure-churn") });
        expect(r.status).toBe("ok");
        const u = r.user!;
        const k = r.kernel!;
        const s = u.kernel.samples;
        const boot_tasks = k.boot_info.mods?.length ?? 0;
        expect(s[0]!.label).toBe("start");
        expect(s[s.length - 1]!.label).toBe("end");
        const created = s
            .filter((x) => x.label.startsWith("task_create "))
            .map((x) => x.label.slice(12));
        const ended = s.filter((x) => x.label.startsWith("task_end ")).map((x) => x.label.slice(9));
        // Tasks the boot script made exist before the run starts; every other one is sampled when created.
        expect(created).toEqual(k.sched!.tasks.slice(boot_tasks).map((t) => t.name));
        expect(ended).toEqual(k.sched!.ended.map((t) => t.name));
        expect(s.length).toBe(2 + created.length + ended.length);
        // pools off: every entry of the kentry-backed maps is one kentry, and no kentry is held elsewhere.
        for (const x of s) expect(x.kentries_allocated, x.label).toBe(x.kernel_map_entries);
        expect(u.kernel.peak_entries!.kernel_map_entries).toBe(
            Math.max(...s.map((x) => x.kernel_map_entries)),
        );
        expect(u.kernel.peak_kentries!.kentries_allocated).toBeLessThanOrEqual(
            u.kernel.kentry_capacity!,
        );
        // The end sample is the kernel as it is now.
        expect({ ...s[s.length - 1]!, label: "now" }).toEqual(kernel_sample(k, "now"));
    }, 120_000);

    it("the CLI counts tasks by outcome, prints the entry line, and --samples prints the series", () => {
        const r = cli(["boot", img("pressure-churn"), "--quiet", "--samples"]);
        expect(r.code, r.stderr).toBe(0);
        const n = r.stderr.match(/mach86: user tasks: (\d+) ran: (\d+) exited with code 0\n/);
        expect(n, r.stderr).not.toBeNull();
        expect(n![1]).toBe(n![2]);
        expect(r.stderr).toMatch(
            /mach86: kernel map entries \(kernel_map and its kentry-backed submaps\): \d+ at start, peak \d+ at task_\w+ \S+, \d+ at end; kentries taken: peak \d+ of \d+/,
        );
        const rows = r.stdout.trim().split("\n");
        expect(rows[0]).toMatch(/ticks +map entries +kentries/);
        expect(rows[1]).toMatch(/ start$/);
        expect(rows[rows.length - 1]).toMatch(/ end$/);
        // start + end, a task_end per task, a task_create per task but the 2 the boot script made.
        const tasks = Number(n![1]);
        expect(rows.length - 1).toBe(2 + tasks + (tasks - 2));
    }, 120_000);
});

describe("sample_record on a long run", () => {
    it("keeps fewer than SAMPLES_MAX samples, evenly spread, and the exact peaks", async () => {
        const r = await bootImage({ image: img("user-hello"), engine: "none" });
        const k = r.kernel!;
        const series = sample_series_create();
        const n = 3 * SAMPLES_MAX + 17;
        for (let i = 0; i < n; i++) {
            // A fake rise and fall of the entry count, peaking at i = 5000.
            k.kernel_map!.nentries += i < 5000 ? 1 : -1;
            sample_record(k, series, `s${i}`);
        }
        expect(series.samples.length).toBeLessThan(SAMPLES_MAX);
        expect(series.stride).toBe(4);
        series.samples.forEach((x, j) => expect(x.label).toBe(`s${j * series.stride}`));
        expect(series.peak_entries!.label).toBe("s4999");
        expect(series.seen).toBe(n);
    });
});
