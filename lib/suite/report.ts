/*
 * lib/suite/report.ts — what `mach86 test` writes: progress lines, the
 * summary, TAP 13, JUnit XML and the JSON document (schemas/test.schema.json).
 */
import { SCHEMA_VERSION } from "../json.ts";
import type { CaseResult } from "./run.ts";
import { xml_escape } from "../../util/xml.ts";

export interface Counts {
    passed: number;
    failed: number;
    skipped: number;
    flaky: number;
}

/** A flaky case counts as failed: identical inputs must give identical results. */
export function is_pass(r: CaseResult): boolean {
    return (r.verdict === "pass" && r.flaky === undefined) || r.verdict === "skip";
}

export function counts(rs: CaseResult[]): Counts {
    return {
        passed: rs.filter((r) => r.verdict === "pass" && r.flaky === undefined).length,
        failed: rs.filter((r) => !is_pass(r)).length,
        skipped: rs.filter((r) => r.verdict === "skip").length,
        flaky: rs.filter((r) => r.flaky !== undefined).length,
    };
}

const secs = (ms: number) => (ms / 1000).toFixed(1);

/** `ok 3/10 name (0.4s)` or `FAIL 3/10 name (0.4s): reason`. */
export function progress_line(r: CaseResult, n: number, total: number): string {
    const head = `${n}/${total} ${r.name}`;
    switch (r.verdict) {
        case "pass":
            return `ok ${head} (${secs(r.durationMs)}s)`;
        case "skip":
            return `skip ${head}: ${r.reason}`;
        case "fail":
            return `FAIL ${head} (${secs(r.durationMs)}s): ${r.reason}`;
        case "timeout":
            return `FAIL ${head} (${secs(r.durationMs)}s): timeout: ${r.reason}`;
        case "error":
            return `FAIL ${head}: error: ${r.reason}`;
    }
}

/** The summary block; its first line is exactly `N passed, N failed[, N skipped]`. */
export function summary_lines(rs: CaseResult[], wallMs: number): string[] {
    const c = counts(rs);
    const lines = [
        `${c.passed} passed, ${c.failed} failed${c.skipped ? `, ${c.skipped} skipped` : ""}`,
    ];
    const by = (v: string) => rs.filter((r) => r.verdict === v).length;
    const kinds = [
        ["fail", by("fail")],
        ["timeout", by("timeout")],
        ["error", by("error")],
        ["flaky", c.flaky],
    ] as const;
    const nonzero = kinds.filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`);
    if (nonzero.length) lines.push(`(${nonzero.join(", ")}) in ${secs(wallMs)}s`);
    for (const r of rs) {
        if (r.flaky) {
            lines.push(
                `FLAKY (determinism bug): ${r.name} — ${r.flaky.first} (${r.flaky.reason}), then passed on identical inputs`,
            );
        }
    }
    return lines;
}

/** Printable text for reports: no control characters but newline and tab. */
function clean(s: string): string {
    return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f\ufffe\uffff]/g, "?");
}

function reasonOf(r: CaseResult): string {
    return r.flaky
        ? `FLAKY (determinism bug): ${r.flaky.first}: ${r.flaky.reason}; passed on rerun`
        : r.reason;
}

export function tap(rs: CaseResult[]): string {
    const out = ["TAP version 13", `1..${rs.length}`];
    rs.forEach((r, i) => {
        const name = clean(r.name).replace(/#/g, "\\#");
        if (r.verdict === "skip") {
            out.push(`ok ${i + 1} - ${name} # SKIP ${clean(r.reason)}`);
            return;
        }
        if (is_pass(r)) {
            out.push(`ok ${i + 1} - ${name}`);
            return;
        }
        out.push(`not ok ${i + 1} - ${name}`, "  ---");
        out.push(`  verdict: ${r.flaky ? "flaky" : r.verdict}`);
        out.push(`  reason: ${JSON.stringify(clean(reasonOf(r)))}`);
        out.push(`  duration_ms: ${Math.round(r.durationMs)}`);
        if (r.stop) out.push(`  stop: ${JSON.stringify(r.stop)}`);
        if (r.tail.length) {
            out.push("  console_tail: |-");
            for (const l of r.tail) out.push(`    ${clean(l)}`);
        }
        out.push("  ...");
    });
    return out.join("\n") + "\n";
}

export function junit(suite: string, rs: CaseResult[], wallMs: number): string {
    const c = counts(rs);
    const errors = rs.filter((r) => r.verdict === "error").length;
    const failures = c.failed - errors;
    const attrs =
        `name="${xml_escape(suite)}" tests="${rs.length}" failures="${failures}" errors="${errors}" ` +
        `skipped="${c.skipped}" time="${(wallMs / 1000).toFixed(3)}"`;
    const out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        `<testsuites ${attrs}>`,
        `  <testsuite ${attrs}>`,
    ];
    for (const r of rs) {
        const open = `    <testcase name="${xml_escape(r.name)}" classname="${xml_escape(suite)}" time="${(r.durationMs / 1000).toFixed(3)}"`;
        if (is_pass(r) && r.verdict !== "skip") {
            out.push(`${open}/>`);
            continue;
        }
        out.push(`${open}>`);
        if (r.verdict === "skip") {
            out.push(`      <skipped message="${xml_escape(r.reason)}"/>`);
        } else {
            const tag = r.verdict === "error" ? "error" : "failure";
            const type = r.flaky ? "flaky" : r.verdict;
            out.push(
                `      <${tag} message="${xml_escape(reasonOf(r))}" type="${type}">${xml_escape(reasonOf(r))}</${tag}>`,
            );
            if (r.tail.length)
                out.push(`      <system-out>${xml_escape(r.tail.join("\n"))}</system-out>`);
        }
        out.push("    </testcase>");
    }
    out.push("  </testsuite>", "</testsuites>");
    return out.join("\n") + "\n";
}

/** The JSON document of a suite run (`--json`, and the file of `--report-json`). */
export function test_document(
    suite: string,
    file: string,
    rs: CaseResult[],
    wallMs: number,
    shard?: string,
) {
    const c = counts(rs);
    return {
        schema_version: SCHEMA_VERSION,
        command: "test" as const,
        suite,
        file,
        shard: shard ?? null,
        summary: { ...c, total: rs.length, wall_ms: Math.round(wallMs) },
        cases: rs.map((r) => ({
            name: r.name,
            verdict: r.verdict,
            reason: r.reason,
            flaky: r.flaky ?? null,
            duration_ms: Math.round(r.durationMs),
            stop: r.stop,
            exit_code: r.exitCode,
            console_tail: r.tail,
        })),
    };
}
