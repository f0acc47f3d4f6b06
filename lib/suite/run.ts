/*
 * lib/suite/run.ts — run one case of `mach86 test` in a child process
 * (`node mach86.mjs boot … --json --quiet`: one v86 per process, so a hung
 * or crashed guest or emulator costs one case, never the run) and judge it.
 * With a WorkerPool (the default of runSuite; --isolate turns it off) the
 * same command runs in a warm worker (lib/suite/pool.ts), which gives the
 * same stdout, stderr and exit code, and dies and is killed the same way.
 *
 * A case is judged from the child's JSON document (how the run stopped, the
 * guest's exit value, the console), never from its process exit code. The
 * exit code only explains a child that printed no document: 2 is bad input
 * (verdict "error" with its one-line message), 70 an internal error of
 * mach86 (verdict "error"), a kill at the case's timeout "timeout".
 */
import { spawn } from "node:child_process";
import type { Stop } from "../stop.ts";
import { stop_detail, stop_ok, stop_text } from "../stop.ts";
import { child_env, type ChildRun, type WorkerPool } from "./pool.ts";
import type { CaseSpec, Expect } from "./schema.ts";

export type Verdict = "pass" | "fail" | "timeout" | "error" | "skip";

export interface CaseResult {
    name: string;
    verdict: Verdict;
    reason: string;
    durationMs: number;
    /** How the case's run stopped (null when the child printed no document). */
    stop: Stop | null;
    /** The child's process exit code (null when it was killed or died of a signal). */
    exitCode: number | null;
    /** Last console lines the case produced (empty when none were captured). */
    tail: string[];
    /** Set when a failed case passed on its --rerun-failed rerun. */
    flaky?: { first: Verdict; reason: string };
}

export const TAIL_LINES = 20;
/**
 * Extra time a child gets past its own --timeout before it is killed: its
 * timeout counts from the start of the guest, after the process has started
 * and built its machine, which takes seconds on a loaded machine.
 */
const KILL_GRACE_MS = 10_000;

/** Whether the child stops itself at the timeout (a CPU to count on) or is killed there. */
function own_timeout(c: CaseSpec): boolean {
    return c.kernel !== undefined || (c.engine ?? "v86") === "v86";
}

/** The `mach86 boot` arguments of a case (identical inputs give identical arguments). */
export function boot_args(c: CaseSpec, timeoutMs: number): string[] {
    const a = ["boot"];
    if (c.kernel !== undefined) {
        a.push("--kernel", c.kernel);
        for (const m of c.modules) a.push("--module", m);
        if (c.cmdline !== undefined) a.push("--cmdline", c.cmdline);
        if (c.memory !== undefined) a.push("--memory", c.memory);
    } else {
        a.push(c.image!);
        if (c.memory !== undefined) a.push("--memory", c.memory);
        if (c.preset !== undefined) a.push("--preset", c.preset);
        for (const s of c.set) a.push("--set", s);
        if (c.engine !== undefined) a.push("--engine", c.engine);
    }
    if (c.loader !== undefined) a.push("--loader", c.loader);
    if (own_timeout(c)) a.push("--timeout", `${timeoutMs}ms`);
    a.push("--json", "--quiet");
    return a;
}

/** What a case's child printed and how it ended (the same shape as a warm worker's run). */
type Child = ChildRun;

function runChild(
    cli: string,
    args: string[],
    killAfterMs: number,
    signal?: AbortSignal,
): Promise<Child> {
    const t0 = performance.now();
    return new Promise((done) => {
        const p = spawn(process.execPath, [cli, ...args], {
            env: child_env(),
            stdio: ["ignore", "pipe", "pipe"],
            signal,
            killSignal: "SIGKILL",
        });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        let killed = false;
        const timer = setTimeout(() => {
            killed = true;
            p.kill("SIGKILL");
        }, killAfterMs);
        p.stdout.on("data", (b: Buffer) => out.push(b));
        p.stderr.on("data", (b: Buffer) => err.push(b));
        const finish = (code: number | null, signal: string | null) => {
            clearTimeout(timer);
            done({
                code,
                signal,
                killed,
                stdout: Buffer.concat(out).toString("utf8"),
                stderr: Buffer.concat(err).toString("utf8"),
                ms: performance.now() - t0,
            });
        };
        p.on("error", (e) => {
            err.push(Buffer.from(String(e.message)));
            finish(null, null);
        });
        p.on("close", (code, signal) => finish(code, signal));
    });
}

export function tail_of(text: string, n = TAIL_LINES): string[] {
    const lines = text.replace(/\r/g, "").split("\n");
    if (lines.at(-1) === "") lines.pop();
    return lines.slice(-n);
}

const firstLine = (s: string) =>
    s
        .split("\n")
        .map((l) => l.trim())
        .find((l) => l !== "") ?? "";
const fmtS = (ms: number) => `${+(ms / 1000).toFixed(3)}s`;

const SUCCESS_MARKER = "gnumach-test-success-and-reboot";
const FAILURE_MARKER = "gnumach-test-failure";
const START_MARKER = "booting-start-of-test";

/** How the stop must look: undefined when it is as expected, else the reason. */
function judge_stop(e: Expect, stop: Stop): string | undefined {
    if (e.stop === undefined) {
        if (e.markers) return undefined; // the markers decide
        return stop_ok(stop) ? undefined : `expected success, got ${stop_text(stop)}`;
    }
    if (stop.kind !== e.stop) return `expected stop ${e.stop}, got ${stop_text(stop)}`;
    if (e.exit !== undefined && stop.kind === "exit" && stop.value >>> 0 !== e.exit)
        return `expected exit value ${e.exit}, got ${stop.value >>> 0}`;
    if (e.reason && !e.reason.test(stop_detail(stop)))
        return `${stop.kind} did not match /${e.reason.source}/: ${stop_detail(stop) || "(no reason)"}`;
    return undefined;
}

/** What the guest showed besides its COM1 console. */
export interface OtherOutputs {
    debugcon: string;
    /** The text screen at the stop, lines joined by "\n" ("" when there is none). */
    screen: string;
}

function judge_outputs(e: Expect, o: OtherOutputs): string | undefined {
    for (const r of e.debugcon) if (!r.test(o.debugcon)) return `debug console lacks /${r.source}/`;
    for (const r of e.screen) if (!r.test(o.screen)) return `screen lacks /${r.source}/`;
    return undefined;
}

/** Compare what happened with `expect`: undefined when it passes, else the reason. */
export function judge(
    e: Expect,
    stop: Stop,
    console: string,
    other: OtherOutputs = { debugcon: "", screen: "" },
): string | undefined {
    const why = judge_stop(e, stop);
    if (why) return why;
    if (e.markers) {
        const start = console.indexOf(START_MARKER);
        const after = start < 0 ? console : console.slice(start);
        if (after.includes(FAILURE_MARKER)) return "failure marker (gnumach-test-failure)";
        if (!after.includes(SUCCESS_MARKER)) return "no success marker";
    }
    for (const r of e.console) if (!r.test(console)) return `console lacks /${r.source}/`;
    for (const r of e.not_console) {
        const m = r.exec(console);
        if (m) return `console has /${r.source}/: ${firstLine(m[0]).slice(0, 120)}`;
    }
    return judge_outputs(e, other);
}

/** The child's document, if it printed one: its stop and what the guest showed. */
function document_of(stdout: string): ({ stop: Stop; console: string } & OtherOutputs) | null {
    let d: unknown;
    try {
        d = JSON.parse(stdout);
    } catch {
        return null; // killed or crashed: no document
    }
    const doc = d as {
        command?: unknown;
        stop?: { kind?: unknown };
        console?: unknown;
        debugcon?: unknown;
        screen?: unknown;
    } | null;
    if (doc?.command !== "boot" || typeof doc.stop?.kind !== "string") return null;
    const text = (v: unknown) => (typeof v === "string" ? v : "");
    return {
        stop: doc.stop as Stop,
        console: text(doc.console),
        debugcon: text(doc.debugcon),
        screen: Array.isArray(doc.screen) ? doc.screen.join("\n") : "",
    };
}

export async function run_case(
    c: CaseSpec,
    cli: string,
    defaultTimeoutMs: number,
    signal?: AbortSignal,
    pool?: WorkerPool,
): Promise<CaseResult> {
    const timeoutMs = c.timeoutMs ?? defaultTimeoutMs;
    const none = { stop: null, exitCode: null, tail: [] };
    if (c.skip !== undefined)
        return { name: c.name, verdict: "skip", reason: c.skip, durationMs: 0, ...none };
    const args = boot_args(c, timeoutMs);
    const killAfter = own_timeout(c) ? timeoutMs + KILL_GRACE_MS : timeoutMs;
    const ch =
        (await pool?.run(args, killAfter, signal)) ??
        (await runChild(cli, args, killAfter, signal));
    const base = { name: c.name, durationMs: ch.ms, exitCode: ch.code };
    const doc = document_of(ch.stdout);
    if (!doc) {
        const tail = tail_of(ch.stdout);
        if (ch.killed)
            return {
                ...base,
                stop: null,
                verdict: "timeout",
                reason: `killed after ${fmtS(timeoutMs)}`,
                tail,
            };
        if (ch.code === 2 || ch.code === 70)
            return {
                ...base,
                stop: null,
                verdict: "error",
                reason: firstLine(ch.stderr).replace(/^mach86: /, "") || `exit ${ch.code}`,
                tail,
            };
        const how = ch.code === null ? `signal ${ch.signal ?? "?"}` : `exit ${ch.code}`;
        return {
            ...base,
            stop: null,
            verdict: "fail",
            reason: `mach86 crashed (${how}): ${firstLine(ch.stderr) || "no result document"}`,
            tail: tail_of(ch.stderr),
        };
    }
    const tail = tail_of(doc.console);
    if (doc.stop.kind === "timeout" && c.expect.stop !== "timeout")
        return {
            ...base,
            stop: doc.stop,
            verdict: "timeout",
            reason: `timed out after ${doc.stop.limit}`,
            tail,
        };
    const why = judge(c.expect, doc.stop, doc.console, doc);
    return why === undefined
        ? { ...base, stop: doc.stop, verdict: "pass", reason: "", tail: [] }
        : { ...base, stop: doc.stop, verdict: "fail", reason: why, tail };
}
