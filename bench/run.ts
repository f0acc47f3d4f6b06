/*
 * bench/run.ts — `make bench`: measured numbers, printed as a table and
 * written to bench/results/<name>.json. Nothing here is asserted by tests.
 *
 *  1. cold boot of `hello`: whole `mach86 boot` process, median of N runs,
 *     beside `qemu-system-i386 -kernel` (isa-debug-exit) when installed;
 *  2. guest speed: MIPS of the `spin` kernel under mach86 vs bare v86 (its
 *     own multiboot option and scheduler), each in a fresh process;
 *  3. host memory: peak RSS of `mach86 boot hello --memory 1856M`;
 *  4. user programs under the kernel (bench/user.ts): page-fault and
 *     system-call round trips, paging throughput, guest speed of a user
 *     program against bare v86; written to bench/results/user.json.
 *
 * BENCH_ONLY=user runs only 4 (with its bare-v86 spin reference).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { median, type Row } from "./common.ts";
import { userBenchmarks, type BareSpin } from "./user.ts";

// Run from the repository root (make bench does).
const ROOT = process.cwd();
const CLI = join(ROOT, "dist/mach86.mjs");
const IMG = join(ROOT, "build/images");
const RESULTS = join(ROOT, "bench/results");
const RUNS = Number(process.env["BENCH_RUNS"] ?? 11);

function timeMs(cmd: string, args: string[], okCodes: number[]): number {
    const t = performance.now();
    const r = spawnSync(cmd, args, { stdio: "ignore", timeout: 60_000 });
    const dt = performance.now() - t;
    if (r.status === null || !okCodes.includes(r.status)) {
        throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}`);
    }
    return dt;
}

function hasQemu(): boolean {
    return spawnSync("qemu-system-i386", ["--version"], { stdio: "ignore" }).status === 0;
}

function coldBoot(): Row {
    const hello = join(IMG, "hello.elf");
    const ours: number[] = [];
    const qemu: number[] = [];
    const withQemu = hasQemu();
    for (let i = 0; i < RUNS; i++) {
        ours.push(timeMs(process.execPath, [CLI, "boot", "--kernel", hello, "--quiet"], [0]));
        if (withQemu) {
            // isa-debug-exit turns the guest's outl 0 into exit status (0 << 1) | 1 = 1.
            qemu.push(
                timeMs(
                    "qemu-system-i386",
                    [
                        "-kernel",
                        hello,
                        "-display",
                        "none",
                        "-serial",
                        "null",
                        "-monitor",
                        "none",
                        "-no-reboot",
                        "-device",
                        "isa-debug-exit,iobase=0xf4,iosize=4",
                        "-m",
                        "64",
                    ],
                    [1],
                ),
            );
        }
    }
    return {
        name: "cold boot hello (process, median)",
        value: median(ours),
        unit: "ms",
        reference: withQemu ? median(qemu) : undefined,
        refName: "qemu-system-i386 -kernel",
        note: withQemu ? undefined : "qemu-system-i386 not installed: no reference",
    };
}

/** MIPS reported by a child process running bench/mips_child.ts in `mode`. */
function mips(mode: "mach86" | "v86"): number {
    const r = spawnSync(
        process.execPath,
        [join(ROOT, "build/bench/mips_child.mjs"), mode, join(IMG, "spin.elf")],
        {
            encoding: "utf8",
            timeout: 120_000,
        },
    );
    const m = /MIPS=([\d.]+)/.exec(r.stdout);
    if (!m) throw new Error(`mips ${mode} failed: ${r.stdout}${r.stderr}`);
    return Number(m[1]);
}

/** The spin kernel under mach86 and on bare v86; the bare samples are also user.ts's reference. */
function guestSpeed(): { row: Row; bare: BareSpin } {
    const ours: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < 3; i++) {
        ours.push(mips("mach86"));
        bare.push(mips("v86"));
    }
    return {
        row: {
            name: "guest speed, spin loop (median of 3)",
            value: median(ours),
            unit: "MIPS",
            reference: median(bare),
            refName: "bare v86",
        },
        bare: { mips: median(bare), samples: bare },
    };
}

function bareSpin(): BareSpin {
    const samples = [0, 1, 2].map(() => mips("v86"));
    return { mips: median(samples), samples };
}

/** Peak RSS of one `mach86 boot …` process (GNU time's %M, KiB). */
function peakRss(name: string, bootArgs: string[]): Row {
    const r = spawnSync(
        "/usr/bin/time",
        ["-f", "%M", process.execPath, CLI, "boot", ...bootArgs, "--memory", "1856M", "--quiet"],
        {
            encoding: "utf8",
        },
    );
    const kib = Number(r.stderr.trim().split("\n").at(-1));
    return { name, value: kib / 1024, unit: "MiB" };
}

const DI = join(ROOT, "images/debian-installer");

function diBoot(engine: string): Row {
    const times: number[] = [];
    for (let i = 0; i < Math.min(RUNS, 5); i++) {
        times.push(
            timeMs(
                process.execPath,
                [CLI, "boot", DI, "--memory", "1856M", "--engine", engine, "--quiet"],
                [0],
            ),
        );
    }
    return {
        name: `boot d-i 1856M, ${engine} engine (process, median)`,
        value: median(times),
        unit: "ms",
    };
}

function diBisect(): Row {
    const ms = timeMs(
        process.execPath,
        [
            CLI,
            "bisect",
            DI,
            "--preset",
            "debian-2014",
            "--range",
            "64M..2047M",
            "--engine",
            "none",
            "--json",
        ],
        [0],
    );
    return { name: "bisect d-i memory 64M..2047M (none engine)", value: ms, unit: "ms" };
}

/** Allocator benchmark (bench/alloc_child.ts) beside glibc malloc (bench/native/malloc_bench.c). */
function allocators(): void {
    const exe = join(ROOT, "build/bench/malloc_bench");
    const cc = spawnSync("gcc", ["-O2", "-o", exe, join(ROOT, "bench/native/malloc_bench.c")], {
        encoding: "utf8",
    });
    const native = new Map<string, number>();
    if (cc.status === 0) {
        for (const line of spawnSync(exe, [], { encoding: "utf8" }).stdout.trim().split("\n")) {
            const r = JSON.parse(line) as { pattern: string; size: number; ops_per_s: number };
            native.set(`${r.pattern}/${r.size}`, r.ops_per_s);
        }
    }
    type Mem = {
        workload: string;
        status: string;
        reason: string;
        steady_fragmentation_pct: number;
        peak_kernel_map_entries: number;
        after_workload: { held: number; live: number; fragmentation_pct: number };
        after_gc: { held: number; fragmentation_pct: number };
    };
    type Config = {
        config: string;
        rows: {
            pattern: string;
            size: number;
            pairs_per_s: number;
            median_ns_per_pair: number;
            p99_ns_per_pair: number;
        }[];
        memory: Mem[];
    };
    // One child per allocator: each gets a JIT of its own (bench/alloc_child.ts).
    const doc = ["slab", "slab+pools", "zone"].flatMap(
        (c) =>
            JSON.parse(
                spawnSync(process.execPath, [join(ROOT, "build/bench/alloc_child.mjs"), c], {
                    encoding: "utf8",
                    timeout: 600_000,
                }).stdout,
            ) as Config[],
    );
    console.log(
        "\n| allocator | pattern | size | alloc+free pairs/s | median ns/pair | p99 ns/pair | glibc pairs/s | ratio |\n|---|---|---|---|---|---|---|---|",
    );
    for (const c of doc) {
        for (const r of c.rows) {
            const n = native.get(`${r.pattern}/${r.size}`);
            console.log(
                `| ${c.config} | ${r.pattern} | ${r.size} | ${r.pairs_per_s} | ${r.median_ns_per_pair} | ${r.p99_ns_per_pair} | ${n ?? "-"} | ${n ? (r.pairs_per_s / n).toFixed(3) : "-"} |`,
            );
        }
    }
    console.log(
        "\n| workload | allocator | status | peak kernel map entries | fragmentation, steady state (mean of the 2nd half of the samples) | memory held after workload | live objects | fragmentation | held after GC | fragmentation after GC |\n|---|---|---|---|---|---|---|---|---|---|",
    );
    for (const c of doc) {
        for (const m of c.memory) {
            const status = m.status === "ok" ? "ok" : `**${m.status}**: ${m.reason}`;
            console.log(
                `| ${m.workload.replace(/\.json$/, "")} | ${c.config} | ${status} | ${m.peak_kernel_map_entries} | ${m.steady_fragmentation_pct}% | ${(m.after_workload.held / 1024).toFixed(0)} KiB | ${(m.after_workload.live / 1024).toFixed(0)} KiB | ${m.after_workload.fragmentation_pct}% | ${(m.after_gc.held / 1024).toFixed(0)} KiB | ${m.after_gc.fragmentation_pct}% |`,
            );
        }
    }
    writeFileSync(
        join(RESULTS, "allocators.json"),
        JSON.stringify(
            { date: new Date().toISOString(), native: Object.fromEntries(native), configs: doc },
            null,
            2,
        ) + "\n",
    );
    console.log(`written ${join("bench/results", "allocators.json")}`);
}

/** mach86 test: the smoke suite at -j 1 and -j 2, and the harness's per-case overhead over a bare boot. */
function suite(): Row[] {
    const smoke = join(ROOT, "images/suites/smoke.json");
    const j1 = timeMs(process.execPath, [CLI, "test", smoke, "-j", "1"], [0]);
    const j2 = timeMs(process.execPath, [CLI, "test", smoke, "-j", "2"], [0]);
    // Per-case overhead: a suite of K hello cases at -j 1 against K bare boots.
    const K = 8;
    const suiteFile = join(ROOT, "build/bench/hello-x8.json");
    const cases = Array.from({ length: K }, (_, i) => ({
        name: `hello${i}`,
        kernel: join(IMG, "hello.elf"),
        expect: { exit: 0 },
    }));
    writeFileSync(suiteFile, JSON.stringify({ name: "hello-x8", cases }));
    const bare: number[] = [];
    for (let i = 0; i < K; i++)
        bare.push(
            timeMs(
                process.execPath,
                [CLI, "boot", "--kernel", join(IMG, "hello.elf"), "--json", "--quiet"],
                [0],
            ),
        );
    const harness = timeMs(process.execPath, [CLI, "test", suiteFile, "-j", "1"], [0]);
    const perCaseBare = bare.reduce((a, b) => a + b, 0) / K;
    return [
        {
            name: "smoke suite, mach86 test -j 2",
            value: j2,
            unit: "ms",
            reference: j1,
            refName: "-j 1",
        },
        {
            name: "per case, mach86 test -j 1 (8 hello cases)",
            value: harness / K,
            unit: "ms",
            reference: perCaseBare,
            refName: "bare mach86 boot",
        },
    ];
}

function printTable(rows: Row[]): void {
    const table = rows.map((r) => {
        const ref =
            r.reference !== undefined
                ? `${r.reference.toFixed(1)} ${r.unit} (${r.refName})${r.note ? `; ${r.note}` : ""}`
                : (r.note ?? "-");
        const ratio = r.reference !== undefined ? (r.value / r.reference).toFixed(2) + "x" : "-";
        return `| ${r.name} | ${r.value.toFixed(1)} ${r.unit} | ${ref} | ${ratio} |`;
    });
    console.log(
        "| benchmark | mach86 | reference | ratio |\n|---|---|---|---|\n" + table.join("\n"),
    );
}

function writeUser(doc: object): void {
    writeFileSync(join(RESULTS, "user.json"), JSON.stringify(doc, null, 2) + "\n");
    console.log(`written ${join("bench/results", "user.json")}`);
}

function main(): void {
    mkdirSync(RESULTS, { recursive: true });
    if (process.env["BENCH_ONLY"] === "user") {
        const user = userBenchmarks(ROOT, bareSpin());
        printTable(user.rows);
        writeUser(user.doc);
        return;
    }
    const speed = guestSpeed();
    const rows = [
        coldBoot(),
        speed.row,
        peakRss("peak RSS, boot hello --memory 1856M", ["--kernel", join(IMG, "hello.elf")]),
        diBoot("v86"),
        diBoot("none"),
        diBisect(),
        peakRss("peak RSS, boot d-i 1856M (v86)", [DI]),
        ...suite(),
    ];
    const user = userBenchmarks(ROOT, speed.bare);
    printTable([...rows, ...user.rows]);
    const doc = { date: new Date().toISOString(), node: process.version, runs: RUNS, rows };
    writeFileSync(join(RESULTS, "foundation.json"), JSON.stringify(doc, null, 2) + "\n");
    console.log(`written ${join("bench/results", "foundation.json")}`);
    writeUser(user.doc);
    allocators();
}

main();
