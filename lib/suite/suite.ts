/*
 * lib/suite/suite.ts — runSuite(): expand, filter and shard a suite's
 * cases, run them `jobs` at a time in child processes, judge them, and
 * write the reports asked for (TAP, JUnit, JSON).
 *
 * Every input is checked before the first case starts: the suite file, the
 * options, and each report file's place (lib/output.ts); the reports are
 * written whole at the end. An AbortSignal kills the running children and
 * rejects with InterruptedError; no report is written then.
 */
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { InterruptedError, UsageError } from "../errors.ts";
import { document_text } from "../json.ts";
import { OutputFile } from "../output.ts";
import { parse_duration } from "../units.ts";
import { counts, junit, tap, test_document, type Counts } from "./report.ts";
import { WorkerPool } from "./pool.ts";
import { run_case, type CaseResult } from "./run.ts";
import { load_suite, type CaseSpec } from "./schema.ts";

export interface SuiteOptions {
    /** The suite file (JSON, schemas/suite-file.schema.json). */
    suite: string;
    /** Keep the cases whose name contains this (it must match at least one). */
    filter?: string;
    /** Cases run at once (default: the number of CPU cores). */
    jobs?: number;
    /** "I/N": run shard I of N (case index % N === I-1). */
    shard?: string;
    /** Write a TAP 13 report to this file. */
    tap?: string;
    /** Write a JUnit XML report to this file. */
    junit?: string;
    /** Write the JSON document (schemas/test.schema.json) to this file. */
    reportJson?: string;
    /** Per-case timeout for cases without one (ms or "30s"; default 30 s). */
    timeout?: number | string;
    /** Rerun failed and timed-out cases once; fail-then-pass is reported FLAKY. */
    rerunFailed?: boolean;
    /** Every case in a process of its own (default: warm workers, lib/suite/pool.ts). */
    isolate?: boolean;
    /** The bundled CLI the cases run (default: dist/mach86.mjs of this package). */
    cli?: string;
    /** After the selection, before the first case. */
    onStart?: (s: { suite: string; cases: number; jobs: number; shard?: string }) => void;
    /** As each case finishes (in completion order). */
    onResult?: (r: CaseResult, finished: number, total: number) => void;
    /** Before the reruns, with how many cases rerun. */
    onRerunStart?: (n: number) => void;
    /** As each rerun finishes: the first run's result and the rerun's. */
    onRerun?: (first: CaseResult, again: CaseResult, n: number, total: number) => void;
    /** Kills the running cases and rejects with InterruptedError. */
    signal?: AbortSignal;
}

export interface SuiteResult {
    suite: string;
    file: string;
    shard: string | null;
    /** In case order. */
    results: CaseResult[];
    counts: Counts;
    wallMs: number;
    /** The JSON document (as `--json` prints it). */
    document: ReturnType<typeof test_document>;
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
    if (filter !== undefined && kept.length === 0)
        throw new UsageError("--filter", `'${filter}' matches none of the ${cases.length} cases`);
    if (shard === undefined) return kept;
    const [i, n] = parse_shard(shard);
    return kept.filter((_, k) => k % n === i - 1);
}

/** dist/mach86.mjs: next to the bundle this code is in, or under dist/ when run from the sources. */
export function default_cli(): string {
    const here = dirname(fileURLToPath(import.meta.url));
    const beside = join(here, "mach86.mjs");
    return existsSync(beside) ? beside : join(here, "../../dist/mach86.mjs");
}

/** Run `jobs` at a time; results come back in case order, progress in completion order. */
async function run_all(
    cases: CaseSpec[],
    jobs: number,
    run: (c: CaseSpec) => Promise<CaseResult>,
    done: (r: CaseResult) => void,
    signal?: AbortSignal,
): Promise<CaseResult[]> {
    const results: CaseResult[] = new Array<CaseResult>(cases.length);
    let next = 0;
    const worker = async () => {
        while (next < cases.length && !signal?.aborted) {
            const k = next++;
            const r = await run(cases[k]!);
            results[k] = r;
            done(r);
        }
    };
    await Promise.all(Array.from({ length: Math.min(jobs, cases.length) }, worker));
    return results;
}

function jobs_of(jobs: number | undefined): number {
    const n = jobs ?? availableParallelism();
    if (!Number.isInteger(n) || n < 1)
        throw new UsageError("-j", `'${jobs}' is not a positive number of jobs`);
    return n;
}

/** Run a suite. Resolves with every case's verdict; rejects with UsageError before any case runs. */
export async function runSuite(o: SuiteOptions): Promise<SuiteResult> {
    const early = prestart_pool(o);
    try {
        return await run_suite(o, early);
    } finally {
        early?.close();
    }
}

/**
 * The warm workers' pool, its first worker forked before the suite file is
 * read and checked (that takes the main process ~150 ms, during which the
 * worker starts). None with --isolate, or when the options or the file are
 * not even plain JSON (the checks below then report the problem, before
 * any case runs, as always).
 */
function prestart_pool(o: SuiteOptions): WorkerPool | undefined {
    if (o.isolate) return undefined;
    const cli = o.cli ?? default_cli();
    let listed: number;
    let jobs: number;
    try {
        jobs = jobs_of(o.jobs);
        const doc = JSON.parse(readFileSync(o.suite, "utf8")) as { cases?: unknown };
        listed = Array.isArray(doc.cases) ? doc.cases.length : 0;
    } catch {
        return undefined;
    }
    if (!existsSync(cli) || listed === 0) return undefined;
    const pool = new WorkerPool(cli, jobs);
    pool.prestart(1);
    return pool;
}

async function run_suite(o: SuiteOptions, early: WorkerPool | undefined): Promise<SuiteResult> {
    const suite = await load_suite(o.suite);
    const jobs = jobs_of(o.jobs);
    const defaultTimeout =
        o.timeout === undefined
            ? DEFAULT_TIMEOUT_MS
            : typeof o.timeout === "number"
              ? o.timeout
              : parse_duration(o.timeout, "--timeout");
    const cases = select_cases(suite.cases, o.filter, o.shard);
    const cli = o.cli ?? default_cli();
    if (!existsSync(cli)) throw new UsageError(cli, "no such file (the bundled CLI: make build)");
    const outputs: OutputFile[] = [];
    let pool: WorkerPool | undefined;
    const open = (path: string | undefined, option: string) => {
        if (path === undefined) return null;
        const f = OutputFile.open(path, option);
        outputs.push(f);
        return f;
    };
    try {
        const files = {
            tap: open(o.tap, "--tap"),
            junit: open(o.junit, "--junit"),
            json: open(o.reportJson, "--report-json"),
        };
        const t0 = performance.now();
        o.onStart?.({ suite: suite.name, cases: cases.length, jobs, shard: o.shard });
        pool = o.isolate ? undefined : (early ?? new WorkerPool(cli, jobs));
        const run = (c: CaseSpec) => run_case(c, cli, defaultTimeout, o.signal, pool);
        let finished = 0;
        const results = await run_all(
            cases,
            jobs,
            run,
            (r) => o.onResult?.(r, ++finished, cases.length),
            o.signal,
        );
        if (o.signal?.aborted) throw new InterruptedError();
        if (o.rerunFailed) await rerun(results, cases, jobs, run, o);
        if (o.signal?.aborted) throw new InterruptedError();
        const wallMs = performance.now() - t0;
        const document = test_document(suite.name, suite.file, results, wallMs, o.shard);
        files.tap?.commit(tap(results));
        files.junit?.commit(junit(suite.name, results, wallMs));
        files.json?.commit(document_text(document));
        return {
            suite: suite.name,
            file: suite.file,
            shard: o.shard ?? null,
            results,
            counts: counts(results),
            wallMs,
            document,
        };
    } catch (e) {
        for (const f of outputs) f.discard();
        throw e;
    } finally {
        pool?.close();
    }
}

/** Rerun the failed and timed-out cases once; a pass on identical inputs marks the case flaky. */
async function rerun(
    results: CaseResult[],
    cases: CaseSpec[],
    jobs: number,
    run: (c: CaseSpec) => Promise<CaseResult>,
    o: SuiteOptions,
): Promise<void> {
    const again = results
        .map((r, k) => ({ r, k }))
        .filter(({ r }) => r.verdict === "fail" || r.verdict === "timeout");
    if (again.length) o.onRerunStart?.(again.length);
    let n = 0;
    await run_all(
        again.map(({ k }) => cases[k]!),
        jobs,
        run,
        (r) => {
            const { k, r: first } = again.find(({ k }) => cases[k]!.name === r.name)!;
            results[k] =
                r.verdict === "pass"
                    ? {
                          ...r,
                          flaky: { first: first.verdict, reason: first.reason },
                          tail: first.tail,
                      }
                    : { ...first, reason: `${first.reason} (again on rerun)` };
            o.onRerun?.(first, r, ++n, again.length);
        },
        o.signal,
    );
}
