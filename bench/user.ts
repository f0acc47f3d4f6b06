/*
 * bench/user.ts — the user-program benchmarks of `make bench` (called by
 * bench/run.ts; rows in its table, details in bench/results/user.json).
 *
 * Each boot runs in a fresh process (bench/user_child.ts), which stamps
 * every console line as it leaves the kernel. A measurement is the wall
 * time of a window of the user program: from the line it prints just
 * before its loop to the line it prints just after, so the boot, the
 * program's loading and the process around it are outside. Two sizes N
 * (small, large) are run BENCH_USER_RUNS times each (default 5, two more
 * for guest speed), interleaved; the result is the slope
 * (count(large) − count(small)) / (ms(large) − ms(small)) of the medians,
 * which also takes out what the window costs once whatever N is (warm-up
 * of V8's and v86's JIT tiers). user.json also has the rate over the large
 * window alone and the slope from the fastest run of each size (what other
 * load on the machine hurts least).
 *
 *  1. page faults (images/bench-fault, faultbench): zero-fill faults on
 *     fresh pages, and protection faults on resident pages (after
 *     vm_protect down and up); counts: the faults the kernel counted in the
 *     window (vm_statistics before and after, printed by the program);
 *  2. system calls (images/bench-syscall, sysbench): mach_task_self;
 *  3. paging (images/pressure-swap, memhog 2x as the image has it):
 *     pageouts and pageins (the run's UserSummary) over memhog's whole run
 *     (start line to "verified" line), median of the runs;
 *  4. guest speed of a user program (images/user-compute, compute N): 9·N
 *     million instructions in the window, against bare v86 running the
 *     spin kernel (bench/mips_child.ts, from run.ts's guest-speed row) and
 *     against bare v86 running the same 9-instruction loop
 *     (bench/native/compute_mb.S, built here, same slope method), and the
 *     same loop on mach86's Machine without the kernel (where the overhead
 *     is: the emulator driver, or the kernel's paging, ring 3 and ticks).
 */
import { spawnSync } from "node:child_process";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { median, type Row } from "./common.ts";

const RUNS = Number(process.env["BENCH_USER_RUNS"] ?? 5);
/** The guest-speed slopes span a smaller time difference (~0.6 s): more runs. */
const SPEED_RUNS = RUNS + 2;
/** The issue's target for the page-fault round trip on this machine. */
const FAULT_TARGET = 200_000;

interface UserRun {
    status: string;
    reason: string;
    user: {
        tasks: { name: string; state: string; exit_code: number }[];
        faults: number;
        pageouts: number;
        pageins: number;
        syscalls: number;
        ticks: number;
    } | null;
    instructions: number | null;
    wallMs: number;
    lines: { t: number; text: string }[];
}

function userRun(root: string, image: string, args?: string): UserRun {
    const argv = [
        join(root, "build/bench/user_child.mjs"),
        join(root, "images", image),
        ...(args === undefined ? [] : [args]),
    ];
    const r = spawnSync(process.execPath, argv, {
        encoding: "utf8",
        timeout: 180_000,
        maxBuffer: 64 << 20,
    });
    let run: UserRun;
    try {
        run = JSON.parse(r.stdout) as UserRun;
    } catch {
        throw new Error(
            `${image} ${args ?? ""}: no result (exit ${r.status}): ${r.stderr.slice(0, 2000)}`,
        );
    }
    const bad = run.user?.tasks.find((t) => t.state !== "exited" || t.exit_code !== 0);
    if (run.status !== "ok" || !run.user || bad) {
        throw new Error(
            `${image} ${args ?? ""}: ${run.status} ${run.reason} ${bad ? `${bad.name} ${bad.state} ${bad.exit_code}` : ""}`,
        );
    }
    return run;
}

/** A window of the program's run: the line that opens it, the line that closes it, and what it counts. */
interface Phase {
    name: string;
    start: RegExp;
    end: RegExp;
    count: (r: UserRun, end: RegExpExecArray) => number;
}

interface Sample {
    ms: number;
    count: number;
    wallMs: number;
}

function window(r: UserRun, p: Phase): Sample {
    const i = r.lines.findIndex((l) => p.start.test(l.text));
    const j = r.lines.findIndex((l, at) => at > i && p.end.test(l.text));
    if (i < 0 || j < 0) throw new Error(`${p.name}: window lines not found in the console`);
    return {
        ms: r.lines[j]!.t - r.lines[i]!.t,
        count: p.count(r, p.end.exec(r.lines[j]!.text)!),
        wallMs: r.wallMs,
    };
}

interface SizeResult {
    arg: string;
    count: number;
    ms: number;
    rate: number;
    samples: Sample[];
}
/** slope: from the medians; slope_fastest: from the fastest run of each size (less hurt by other load on the machine). */
interface SlopeResult {
    phase: string;
    small: SizeResult;
    large: SizeResult;
    slope: number;
    slope_fastest: number;
}

function size_result(arg: string, samples: Sample[]): SizeResult {
    const count = median(samples.map((s) => s.count));
    const ms = median(samples.map((s) => s.ms));
    return { arg, count, ms, rate: count / (ms / 1000), samples };
}

function slope(phase: string, small: SizeResult, large: SizeResult): SlopeResult {
    const fastest = (r: SizeResult) => Math.min(...r.samples.map((x) => x.ms));
    return {
        phase,
        small,
        large,
        slope: (large.count - small.count) / ((large.ms - small.ms) / 1000),
        slope_fastest: (large.count - small.count) / ((fastest(large) - fastest(small)) / 1000),
    };
}

/** RUNS × (small, large) boots of `image`, interleaved; a slope per phase. */
function slopes(
    root: string,
    image: string,
    sizes: [string, string],
    phases: Phase[],
    runs = RUNS,
): SlopeResult[] {
    const got = phases.map(() => [[], []] as [Sample[], Sample[]]);
    for (let i = 0; i < runs; i++) {
        sizes.forEach((arg, s) => {
            const r = userRun(root, image, arg);
            phases.forEach((p, k) => got[k]![s]!.push(window(r, p)));
        });
    }
    return phases.map((p, k) =>
        slope(p.name, size_result(sizes[0], got[k]![0]!), size_result(sizes[1], got[k]![1]!)),
    );
}

const group1 = (_r: UserRun, m: RegExpExecArray) => Number(m[1]);

function faults(root: string): SlopeResult[] {
    return slopes(
        root,
        "bench-fault",
        ["20000", "100000"],
        [
            {
                name: "zero-fill",
                start: /faultbench: zero-fill start/,
                end: /faultbench: zero-fill done: \d+ pages, (\d+) faults/,
                count: group1,
            },
            {
                name: "refault",
                start: /faultbench: refault start/,
                end: /faultbench: refault done: \d+ pages, (\d+) faults/,
                count: group1,
            },
        ],
    );
}

function syscalls(root: string): SlopeResult {
    return slopes(
        root,
        "bench-syscall",
        ["100000", "500000"],
        [
            {
                name: "mach_task_self",
                start: /sysbench: start/,
                end: /sysbench: done: (\d+) calls, 0 bad/,
                count: group1,
            },
        ],
    )[0]!;
}

/** compute N: 9·N million instructions between its two lines. */
function computeUnderKernel(root: string): SlopeResult {
    return slopes(
        root,
        "user-compute",
        ["40", "200"],
        [
            {
                name: "compute",
                start: /compute: (\d+) million iterations, 9 instructions each/,
                end: /compute: result 0x[0-9a-f]+ after (\d+) million/,
                count: (_r, m) => 9e6 * Number(m[1]),
            },
        ],
        SPEED_RUNS,
    )[0]!;
}

/**
 * The same loop without the kernel: bench/native/compute_mb.S with
 * MILLIONS = 40 and 200, instructions and ms from mips_child, on bare v86
 * (the reference) and on mach86's Machine (v86 driven by emulator/, no
 * kernel, no paging, no timer: splits the overhead between the two).
 */
function computeLoop(
    root: string,
): { bare: SlopeResult; machine: SlopeResult } | { error: string } {
    const sizes = ["40", "200"] as const;
    const elfs: string[] = [];
    for (const n of sizes) {
        const elf = join(root, `build/bench/compute_mb_${n}.elf`);
        const cc = spawnSync(
            "gcc",
            [
                "-m32",
                "-march=i386",
                "-ffreestanding",
                "-nostdlib",
                "-fno-pie",
                "-no-pie",
                "-static",
                `-DMILLIONS=${n}`,
                "-Wl,-m,elf_i386",
                `-Wl,-T,${join(root, "images/lib/link.ld")}`,
                "-Wl,--build-id=none",
                "-Wl,-z,noexecstack",
                "-o",
                elf,
                join(root, "bench/native/compute_mb.S"),
            ],
            { encoding: "utf8" },
        );
        if (cc.status !== 0) return { error: `gcc: ${cc.stderr.trim()}` };
        elfs.push(elf);
    }
    const modes = ["v86", "mach86"] as const;
    const got = modes.map(() => [[], []] as [Sample[], Sample[]]);
    for (let i = 0; i < SPEED_RUNS; i++) {
        elfs.forEach((elf, s) =>
            modes.forEach((mode, k) => {
                const r = spawnSync(
                    process.execPath,
                    [join(root, "build/bench/mips_child.mjs"), mode, elf],
                    { encoding: "utf8", timeout: 120_000 },
                );
                const m = /instructions=(\d+) ms=([\d.]+)/.exec(r.stdout);
                if (!m) throw new Error(`compute loop (${mode}) failed: ${r.stdout}${r.stderr}`);
                got[k]![s]!.push({ count: Number(m[1]), ms: Number(m[2]), wallMs: Number(m[2]) });
            }),
        );
    }
    const [bare, machine] = got.map((g, k) =>
        slope(
            `compute loop, ${modes[k] === "v86" ? "bare v86" : "mach86 Machine, no kernel"}`,
            size_result(sizes[0], g[0]),
            size_result(sizes[1], g[1]),
        ),
    );
    return { bare: bare!, machine: machine! };
}

interface PagingResult {
    pageouts: number;
    pageins: number;
    ms: number;
    fastest_ms: number;
    pageouts_per_s: number;
    pageins_per_s: number;
    samples: (Sample & { pageouts: number; pageins: number })[];
}

function paging(root: string): PagingResult {
    const runs = Math.max(3, Math.ceil(RUNS / 2));
    const samples: PagingResult["samples"] = [];
    for (let i = 0; i < runs; i++) {
        const r = userRun(root, "pressure-swap");
        const w = window(r, {
            name: "memhog",
            start: /memhog: start/,
            end: /memhog: verified \d+ KiB, 0 errors/,
            count: () => 0,
        });
        samples.push({ ...w, pageouts: r.user!.pageouts, pageins: r.user!.pageins });
    }
    const ms = median(samples.map((s) => s.ms));
    const pageouts = median(samples.map((s) => s.pageouts));
    const pageins = median(samples.map((s) => s.pageins));
    return {
        pageouts,
        pageins,
        ms,
        fastest_ms: Math.min(...samples.map((s) => s.ms)),
        pageouts_per_s: pageouts / (ms / 1000),
        pageins_per_s: pageins / (ms / 1000),
        samples,
    };
}

/** The commit measured, and the files that differ from it (the build measured includes them). */
function gitState(root: string): { commit: string; modified: string[] } {
    const git = (args: string[]) =>
        spawnSync("git", ["-C", root, ...args], { encoding: "utf8" }).stdout ?? "";
    return {
        commit: git(["rev-parse", "HEAD"]).trim(),
        modified: git(["status", "--porcelain", "--untracked-files=no"])
            .split("\n")
            .filter(Boolean)
            .map((l) => l.slice(3)),
    };
}

export interface BareSpin {
    mips: number;
    samples: number[];
}

/** Run the user benchmarks: rows for run.ts's table and the document for bench/results/user.json. */
export function userBenchmarks(root: string, bareSpin: BareSpin): { rows: Row[]; doc: object } {
    const load_before = loadavg();
    const t0 = performance.now();
    const [zero, refault] = faults(root);
    const sys = syscalls(root);
    const pg = paging(root);
    const compute = computeUnderKernel(root);
    const loop = computeLoop(root);
    const load_after = loadavg();
    const fmt = (s: SlopeResult) => `${s.small.arg}→${s.large.arg}`;
    const fastest = (s: SlopeResult, scale = 1, unit = "/s") =>
        `fastest runs: ${(s.slope_fastest / scale).toFixed(1)}${unit}`;
    const rows: Row[] = [
        {
            name: `user page faults, zero fill (slope N=${fmt(zero!)})`,
            value: zero!.slope,
            unit: "faults/s",
            reference: FAULT_TARGET,
            refName: "issue target",
            note: fastest(zero!),
        },
        {
            name: `user page faults, refault of resident pages (slope N=${fmt(refault!)})`,
            value: refault!.slope,
            unit: "faults/s",
            reference: FAULT_TARGET,
            refName: "issue target",
            note: fastest(refault!),
        },
        {
            name: `user syscalls, mach_task_self (slope N=${fmt(sys)})`,
            value: sys.slope,
            unit: "calls/s",
            note: fastest(sys),
        },
        {
            name: "pageouts, pressure-swap memhog 2x (whole run, median)",
            value: pg.pageouts_per_s,
            unit: "pages/s",
            note: `fastest run: ${((pg.pageouts / pg.fastest_ms) * 1000).toFixed(1)}/s`,
        },
        {
            name: "pageins, pressure-swap memhog 2x (whole run, median)",
            value: pg.pageins_per_s,
            unit: "pages/s",
            note: `fastest run: ${((pg.pageins / pg.fastest_ms) * 1000).toFixed(1)}/s`,
        },
        {
            name: `guest speed, user compute under the kernel (slope N=${fmt(compute)}M)`,
            value: compute.slope / 1e6,
            unit: "MIPS",
            reference: bareSpin.mips,
            refName: "bare v86, spin: another loop",
            note: fastest(compute, 1e6, " MIPS"),
        },
    ];
    if ("bare" in loop) {
        const bare = loop.bare;
        rows.push({
            name: `guest speed, same loop: kernel vs bare v86 (slope N=${fmt(compute)}M)`,
            value: compute.slope / 1e6,
            unit: "MIPS",
            reference: bare.slope / 1e6,
            refName: "bare v86, compute loop",
            note: `fastest runs: ${(compute.slope_fastest / 1e6).toFixed(1)} vs ${(bare.slope_fastest / 1e6).toFixed(1)} MIPS`,
        });
    }
    const doc = {
        date: new Date().toISOString(),
        node: process.version,
        runs: RUNS,
        speed_runs: SPEED_RUNS,
        machine: {
            cpu: cpus()[0]?.model ?? "?",
            cores: cpus().length,
            memory_gib: +(totalmem() / 2 ** 30).toFixed(1),
            loadavg_before: load_before,
            loadavg_after: load_after,
        },
        git: gitState(root),
        seconds: +((performance.now() - t0) / 1000).toFixed(1),
        method:
            "wall time of a window of the user program (console line before its loop to the line after, stamped by kboot's sink " +
            "in a fresh process); slope = Δcount / Δms of the medians of two sizes, rate = count / ms of the large size; " +
            "slope_fastest: the same from the fastest run of each size (other load on the machine, see machine.loadavg_*, slows the medians)",
        rows,
        page_faults: {
            target_per_s: FAULT_TARGET,
            zero_fill: zero,
            refault,
            met: {
                zero_fill: zero!.slope >= FAULT_TARGET,
                refault: refault!.slope >= FAULT_TARGET,
            },
        },
        syscalls: sys,
        paging: { image: "pressure-swap", args: "memhog 2x", ...pg },
        guest_speed: {
            user_compute: { ...compute, mips: compute.slope / 1e6 },
            bare_v86_spin: bareSpin,
            bare_v86_compute_loop:
                "bare" in loop ? { ...loop.bare, mips: loop.bare.slope / 1e6 } : loop,
            machine_compute_loop:
                "machine" in loop ? { ...loop.machine, mips: loop.machine.slope / 1e6 } : loop,
            overhead_vs_spin: 1 - compute.slope / 1e6 / bareSpin.mips,
            overhead_vs_same_loop: "bare" in loop ? 1 - compute.slope / loop.bare.slope : null,
            overhead_machine_vs_bare:
                "bare" in loop ? 1 - loop.machine.slope / loop.bare.slope : null,
            overhead_kernel_vs_machine:
                "bare" in loop ? 1 - compute.slope / loop.machine.slope : null,
            target_overhead: 0.05,
        },
    };
    return { rows, doc };
}
