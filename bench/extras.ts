/*
 * bench/extras.ts — the longer benchmarks, outside `make bench`'s three
 * minutes (`make bench-extras`): user programs under the kernel
 * (bench/user.ts: page-fault and system-call round trips, paging, guest
 * speed of a user program) and the allocators (bench/alloc_child.ts beside
 * glibc malloc). Written to build/bench/results/ (user.json,
 * allocators.json); `make bench-record` copies them into bench/results/.
 *
 * BENCH_ONLY=user or BENCH_ONLY=alloc runs one of the two.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { median } from "./common.ts";
import { printRows } from "./table.ts";
import { userBenchmarks, type BareSpin } from "./user.ts";

// Run from the repository root (make does).
const ROOT = process.cwd();
const IMG = join(ROOT, "build/images");
const RESULTS = join(ROOT, "build/bench/results");

/** MIPS of bare v86 running the spin kernel (bench/mips_child.ts), user.ts's reference. */
function bareSpin(): BareSpin {
    const samples = [0, 1, 2].map(() => {
        const r = spawnSync(
            process.execPath,
            [join(ROOT, "build/bench/mips_child.mjs"), "v86", join(IMG, "spin.elf")],
            { encoding: "utf8", timeout: 120_000 },
        );
        const m = /MIPS=([\d.]+)/.exec(r.stdout);
        if (!m) throw new Error(`bare v86 spin failed: ${r.stdout}${r.stderr}`);
        return Number(m[1]);
    });
    return { mips: median(samples), samples };
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
    console.log(`written ${join(RESULTS, "allocators.json")}`);
}

function main(): void {
    mkdirSync(RESULTS, { recursive: true });
    const only = process.env["BENCH_ONLY"];
    if (only !== "alloc") {
        const user = userBenchmarks(ROOT, bareSpin());
        printRows(user.rows);
        writeFileSync(join(RESULTS, "user.json"), JSON.stringify(user.doc, null, 2) + "\n");
        console.log(`written ${join(RESULTS, "user.json")}`);
    }
    if (only !== "user") allocators();
}

main();
