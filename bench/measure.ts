/*
 * bench/measure.ts — how `make bench` times a command: the whole process,
 * from spawn to exit (or to a console line), A and B in turn (A B A B …) so
 * a drift of the shared machine's speed hits both, and each ratio taken
 * pair by pair. Peak RSS comes from GNU time (%M) when it is installed.
 * Every figure is kept as min, median and max of the runs.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { median } from "./common.ts";

export interface Cmd {
    /** What the table calls it. */
    label: string;
    argv: string[];
    /** Exit codes that count as a good run (default [0]). */
    ok?: number[];
    /** Stop timing (and kill the process) when stdout+stderr match this. */
    until?: RegExp;
    env?: Record<string, string>;
    /** Variables of the bench's environment the command runs without. */
    unset?: string[];
    /** Kill after this long (default 120 s): the row fails, the bench goes on. */
    timeoutMs?: number;
}

export interface Stats {
    min: number;
    median: number;
    max: number;
    n: number;
}

export interface Sample {
    ms: number;
    rssMiB?: number;
}

export const stats = (xs: number[]): Stats => ({
    min: Math.min(...xs),
    median: median(xs),
    max: Math.max(...xs),
    n: xs.length,
});

const GNU_TIME = "/usr/bin/time";
const hasGnuTime = existsSync(GNU_TIME);
let seq = 0;

function environment(c: Cmd): NodeJS.ProcessEnv {
    const env = { ...process.env, ...c.env };
    for (const name of c.unset ?? []) delete env[name];
    return env;
}

/** One run of `c`; throws when it exits with a code not in c.ok or never prints c.until. */
export function runOnce(c: Cmd): Promise<Sample> {
    const rssFile = join(tmpdir(), `mach86-bench-${process.pid}-${seq++}.rss`);
    const measureRss = hasGnuTime && !c.until;
    const argv = measureRss ? [GNU_TIME, "-f", "%M", "-o", rssFile, ...c.argv] : c.argv;
    const t0 = performance.now();
    return new Promise((resolve, reject) => {
        const p = spawn(argv[0]!, argv.slice(1), {
            stdio: ["ignore", "pipe", "pipe"],
            env: environment(c),
        });
        let out = "";
        let seen = false;
        const timer = setTimeout(() => p.kill("SIGKILL"), c.timeoutMs ?? 120_000);
        const look = (b: Buffer) => {
            if (!c.until || seen) return;
            out += b.toString("latin1");
            if (c.until.test(out)) {
                seen = true;
                const ms = performance.now() - t0;
                clearTimeout(timer);
                p.kill("SIGKILL");
                resolve({ ms });
            }
        };
        p.stdout.on("data", look);
        p.stderr.on("data", look);
        p.on("error", reject);
        p.on("close", (code) => {
            const ms = performance.now() - t0;
            clearTimeout(timer);
            if (c.until) {
                if (!seen) reject(new Error(`${c.label}: ended (${code}) before ${c.until}`));
                return;
            }
            if (code === null || !(c.ok ?? [0]).includes(code)) {
                reject(new Error(`${c.label}: exit ${code}: ${c.argv.join(" ")}`));
                return;
            }
            let rssMiB: number | undefined;
            if (measureRss && existsSync(rssFile)) {
                const kib = Number(readFileSync(rssFile, "utf8").trim().split("\n").at(-1));
                if (Number.isFinite(kib)) rssMiB = kib / 1024;
                rmSync(rssFile, { force: true });
            }
            resolve({ ms, rssMiB });
        });
    });
}

export interface Paired {
    a: Sample[];
    b: Sample[];
    /** a.ms / b.ms, pair by pair. */
    ratios: number[];
}

/**
 * `runs` runs of a (and of b in turn when given), after a warm-up run of
 * each when `warmup` (the first rows: loads the files into the page cache).
 */
export async function paired(
    a: Cmd,
    b: Cmd | undefined,
    runs: number,
    warmup: boolean,
    progress: (i: number) => void,
): Promise<Paired> {
    return (await sharing([a], b, runs, warmup, progress))[0]!;
}

/**
 * Several commands against one yardstick: each round runs every A in turn,
 * then b, and each A's ratio is taken against that round's b. Rows whose
 * yardstick is the same (a real kernel under QEMU) pay for it once.
 */
export async function sharing(
    as: Cmd[],
    b: Cmd | undefined,
    runs: number,
    warmup: boolean,
    progress: (i: number) => void,
): Promise<Paired[]> {
    if (warmup) {
        for (const a of as) await runOnce(a);
        if (b) await runOnce(b);
    }
    const r: Paired[] = as.map(() => ({ a: [], b: [], ratios: [] }));
    for (let i = 0; i < runs; i++) {
        progress(i + 1);
        const sa: Sample[] = [];
        for (const a of as) sa.push(await runOnce(a));
        sa.forEach((s, k) => r[k]!.a.push(s));
        if (!b) continue;
        const sb = await runOnce(b);
        r.forEach((p, k) => {
            p.b.push(sb);
            p.ratios.push(sa[k]!.ms / sb.ms);
        });
    }
    return r;
}

/** Whether a program runs here (`prog --version` exits 0). */
export function installed(prog: string): boolean {
    return spawnSync(prog, ["--version"], { stdio: "ignore" }).status === 0;
}
