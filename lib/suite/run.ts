/*
 * cli/suite/run.ts — run one case of `mach86 test` in a child process
 * (`node mach86.mjs boot … --json --quiet`: one v86 per process, so a hung
 * or crashed guest or emulator costs one case, never the run) and judge it.
 */
import { spawn } from "node:child_process";
import type { CaseSpec, Expect } from "./schema.ts";

export type Verdict = "pass" | "fail" | "timeout" | "error" | "skip";

export interface CaseResult {
    name: string;
    verdict: Verdict;
    reason: string;
    durationMs: number;
    /** The child's exit code (null when it was killed or died of a signal). */
    exitCode: number | null;
    /** Last console lines the case produced (empty when none were captured). */
    tail: string[];
    /** Set when a failed case passed on its --rerun-failed rerun. */
    flaky?: { first: Verdict; reason: string };
}

export const TAIL_LINES = 20;
/** Extra time a native case's child gets past its own --timeout before it is killed. */
const KILL_GRACE_MS = 3000;

/** The `mach86 boot` arguments of a case (identical inputs give identical arguments). */
export function boot_args(c: CaseSpec, timeoutMs: number): string[] {
    const a = ["boot"];
    if (c.kernel !== undefined) {
        a.push("--kernel", c.kernel);
        for (const m of c.modules) a.push("--module", m);
        if (c.cmdline !== undefined) a.push("--cmdline", c.cmdline);
        if (c.memory !== undefined) a.push("--memory", c.memory);
        a.push("--timeout", `${timeoutMs}ms`);
    } else {
        a.push(c.image!);
        if (c.memory !== undefined) a.push("--memory", c.memory);
        if (c.preset !== undefined) a.push("--preset", c.preset);
        for (const s of c.set) a.push("--set", s);
        if (c.engine !== undefined) a.push("--engine", c.engine);
    }
    a.push("--json", "--quiet");
    return a;
}

interface Child {
    code: number | null;
    signal: string | null;
    killed: boolean;
    stdout: string;
    stderr: string;
    ms: number;
}

function runChild(cli: string, args: string[], killAfterMs: number): Promise<Child> {
    const t0 = performance.now();
    return new Promise((done) => {
        const p = spawn(process.execPath, [cli, ...args], { stdio: ["ignore", "pipe", "pipe"] });
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

/** Compare what happened with `expect`: undefined when it passes, else the reason. */
export function judge(
    e: Expect,
    exitCode: number,
    crashReason: string,
    console: string,
): string | undefined {
    if (e.panic !== undefined) {
        if (exitCode !== (e.exit ?? 1))
            return `expected a panic matching /${e.panic.source}/, got exit ${exitCode}`;
        if (!e.panic.test(crashReason) && !e.panic.test(console)) {
            return `panic did not match /${e.panic.source}/: ${crashReason || "(no reason)"}`;
        }
    } else if (e.exit !== undefined || !e.markers) {
        const want = e.exit ?? 0;
        if (exitCode !== want)
            return `expected exit ${want}, got ${exitCode}${crashReason ? `: ${crashReason}` : ""}`;
    }
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
    return undefined;
}

export async function run_case(
    c: CaseSpec,
    cli: string,
    defaultTimeoutMs: number,
): Promise<CaseResult> {
    const timeoutMs = c.timeoutMs ?? defaultTimeoutMs;
    if (c.skip !== undefined)
        return {
            name: c.name,
            verdict: "skip",
            reason: c.skip,
            durationMs: 0,
            exitCode: null,
            tail: [],
        };
    const native = c.kernel !== undefined;
    const ch = await runChild(
        cli,
        boot_args(c, timeoutMs),
        native ? timeoutMs + KILL_GRACE_MS : timeoutMs,
    );
    const base = { name: c.name, durationMs: ch.ms, exitCode: ch.code };
    let doc: Record<string, unknown> | undefined;
    try {
        const d: unknown = JSON.parse(ch.stdout);
        if (typeof d === "object" && d !== null) doc = d as Record<string, unknown>;
    } catch {
        /* killed or crashed: no document */
    }
    const console = typeof doc?.["console"] === "string" ? doc["console"] : "";
    const tail = tail_of(console || ch.stdout);
    if (ch.killed)
        return { ...base, verdict: "timeout", reason: `killed after ${fmtS(timeoutMs)}`, tail };
    if (ch.code === 2)
        return {
            ...base,
            verdict: "error",
            reason: firstLine(ch.stderr).replace(/^mach86: /, "") || "bad input (exit 2)",
            tail,
        };
    if (doc === undefined || ch.code === null) {
        const how = ch.code === null ? `signal ${ch.signal ?? "?"}` : `exit ${ch.code}`;
        return {
            ...base,
            verdict: "fail",
            reason: `mach86 crashed (${how}): ${firstLine(ch.stderr) || "no result document"}`,
            tail: tail_of(ch.stderr),
        };
    }
    let crashReason = "";
    if (native) {
        const stop = doc["stop"] as { kind?: string; reason?: string; limit?: string } | undefined;
        if (stop?.kind === "timeout" && c.expect.exit !== 3) {
            return {
                ...base,
                verdict: "timeout",
                reason: `timed out after ${stop.limit ?? fmtS(timeoutMs)}`,
                tail,
            };
        }
        crashReason = stop?.reason ?? "";
    } else {
        crashReason =
            ch.code === 0 ? "" : `${String(doc["status"] ?? "")}: ${String(doc["reason"] ?? "")}`;
    }
    const why = judge(c.expect, ch.code, crashReason, console);
    return why === undefined
        ? { ...base, verdict: "pass", reason: "", tail: [] }
        : { ...base, verdict: "fail", reason: why, tail };
}
