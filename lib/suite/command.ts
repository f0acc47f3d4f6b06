/*
 * cli/suite/command.ts — `mach86 test SUITE.json`: expand, filter and shard
 * the cases, run them -j N at a time in child processes, report.
 *
 * Exit codes: 0 every case passed (or was skipped), 1 otherwise, 2 bad suite
 * file or options (UsageError, one line).
 */
import { writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import type { Io } from "../boot.ts";
import { parse_duration, UsageError } from "../units.ts";
import { counts, json_report, junit, progress_line, summary_lines, tap } from "./report.ts";
import { run_case, type CaseResult } from "./run.ts";
import { load_suite, type CaseSpec } from "./schema.ts";

export interface TestOptions {
    suite: string;
    filter?: string;
    jobs?: number;
    shard?: string;
    tap?: string;
    junit?: string;
    json?: string;
    timeout?: string;
    rerunFailed?: boolean;
    /** The bundled CLI the cases run (default: the running script). */
    cli?: string;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

/** "I/N" → [I, N] with 1 <= I <= N. */
export function parse_shard(text: string): [number, number] {
    const m = /^(\d+)\/(\d+)$/.exec(text.trim());
    const i = m ? Number(m[1]) : NaN;
    const n = m ? Number(m[2]) : NaN;
    if (!(n >= 1 && i >= 1 && i <= n))
        throw new UsageError("--shard", `'${text}' is not I/N with 1 <= I <= N`);
    return [i, n];
}

/** Cases of this shard: the index after expansion and filtering, modulo N. */
export function select_cases(cases: CaseSpec[], filter?: string, shard?: string): CaseSpec[] {
    const kept = filter === undefined ? cases : cases.filter((c) => c.name.includes(filter));
    if (shard === undefined) return kept;
    const [i, n] = parse_shard(shard);
    return kept.filter((_, k) => k % n === i - 1);
}

/** Run `jobs` at a time; results come back in case order, progress in completion order. */
async function runAll(
    cases: CaseSpec[],
    jobs: number,
    run: (c: CaseSpec) => Promise<CaseResult>,
    done: (r: CaseResult) => void,
): Promise<CaseResult[]> {
    const results: CaseResult[] = new Array<CaseResult>(cases.length);
    let next = 0;
    const worker = async () => {
        while (next < cases.length) {
            const k = next++;
            const r = await run(cases[k]!);
            results[k] = r;
            done(r);
        }
    };
    await Promise.all(Array.from({ length: Math.min(jobs, cases.length) }, worker));
    return results;
}

function write(path: string, text: string): void {
    try {
        writeFileSync(path, text);
    } catch (e) {
        throw new UsageError(path, `cannot write: ${e instanceof Error ? e.message : String(e)}`);
    }
}

export async function test_command(o: TestOptions, io: Io): Promise<number> {
    const suite = load_suite(o.suite);
    const jobs = o.jobs ?? availableParallelism();
    if (!Number.isInteger(jobs) || jobs < 1)
        throw new UsageError("-j", `'${o.jobs}' is not a positive number of jobs`);
    const defaultTimeout =
        o.timeout === undefined ? DEFAULT_TIMEOUT_MS : parse_duration(o.timeout, "--timeout");
    const cases = select_cases(suite.cases, o.filter, o.shard);
    const cli = o.cli ?? process.argv[1]!;
    const t0 = performance.now();
    let finished = 0;
    const shardNote = o.shard ? ` (shard ${o.shard})` : "";
    io.out(
        `mach86 test: ${suite.name}: ${cases.length} case${cases.length === 1 ? "" : "s"}${shardNote}, -j ${jobs}\n`,
    );
    const run = (c: CaseSpec) => run_case(c, cli, defaultTimeout);
    // On a terminal, a live status line (done/total, failures, ETA) stays under the per-case lines.
    const tty = process.stdout.isTTY === true;
    let failures = 0;
    const results = await runAll(cases, jobs, run, (r) => {
        finished++;
        if (r.verdict !== "pass" && r.verdict !== "skip") failures++;
        if (tty) process.stdout.write("\r\x1b[K");
        io.out(progress_line(r, finished, cases.length) + "\n");
        if (tty && finished < cases.length) {
            const eta = (((performance.now() - t0) / finished) * (cases.length - finished)) / 1000;
            process.stdout.write(
                `[${finished}/${cases.length}] ${failures} failed, ETA ${eta.toFixed(0)} s`,
            );
        }
    });
    if (o.rerunFailed) {
        const again = results
            .map((r, k) => ({ r, k }))
            .filter(({ r }) => r.verdict === "fail" || r.verdict === "timeout");
        if (again.length)
            io.out(`rerunning ${again.length} failed case${again.length === 1 ? "" : "s"}\n`);
        let n = 0;
        await runAll(
            again.map(({ k }) => cases[k]!),
            jobs,
            run,
            (r) => {
                const { k, r: first } = again.find(({ k }) => cases[k]!.name === r.name)!;
                if (r.verdict === "pass") {
                    results[k] = {
                        ...r,
                        flaky: { first: first.verdict, reason: first.reason },
                        tail: first.tail,
                    };
                    io.out(
                        `FLAKY ${++n}/${again.length} ${r.name}: ${first.verdict} (${first.reason}), then passed on identical inputs\n`,
                    );
                } else {
                    results[k] = { ...first, reason: `${first.reason} (again on rerun)` };
                    io.out(
                        progress_line(r, ++n, again.length).replace(/^(\w+)/, "$1 rerun") + "\n",
                    );
                }
            },
        );
    }
    const wall = performance.now() - t0;
    for (const l of summary_lines(results, wall)) io.out(l + "\n");
    if (o.tap) write(o.tap, tap(results));
    if (o.junit) write(o.junit, junit(suite.name, results, wall));
    if (o.json) write(o.json, json_report(suite.name, suite.file, results, wall, o.shard));
    return counts(results).failed === 0 ? 0 : 1;
}
