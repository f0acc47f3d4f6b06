/*
 * cli/test_cmd.ts — `mach86 test SUITE`: the suite's progress as it runs,
 * its summary, the JSON document with --json, and the exit code. Apart from
 * commands.ts so that the plain `mach86 test SUITE` (cli/fast.ts) loads the
 * suite runner without yargs or the other commands.
 */
import { EXIT } from "../lib/stop.ts";
import { document_text } from "../lib/json.ts";
import { progress_line, summary_lines } from "../lib/suite/report.ts";
import { runSuite, type SuiteOptions } from "../lib/suite/suite.ts";
import { lines, type Io } from "./boot_kernel.ts";

/** The command line's options: the library's (lib/suite/suite.ts) as the CLI reads them, and --json. */
export type TestArgs = Pick<
    SuiteOptions,
    "suite" | "filter" | "jobs" | "shard" | "tap" | "junit" | "reportJson" | "isolate"
> & {
    json: boolean;
    timeout?: string;
    rerunFailed: boolean;
    signal: AbortSignal;
};

/** `mach86 test SUITE`: progress on stdout (on stderr with --json, which prints the document). */
export async function cmd_test(a: TestArgs, io: Io): Promise<number> {
    const say = a.json ? io.err : io.out;
    const tty = !a.json && process.stdout.isTTY === true;
    const t0 = performance.now();
    let failures = 0;
    const r = await runSuite({
        ...a,
        onStart: (s) =>
            say(
                `mach86 test: ${s.suite}: ${s.cases} case${s.cases === 1 ? "" : "s"}` +
                    `${s.shard ? ` (shard ${s.shard})` : ""}, -j ${s.jobs}\n`,
            ),
        onResult: (c, n, total) => {
            if (c.verdict !== "pass" && c.verdict !== "skip") failures++;
            if (tty) process.stdout.write("\r\x1b[K");
            say(progress_line(c, n, total) + "\n");
            // On a terminal, a live status line (done/total, failures, ETA) stays under the case lines.
            if (tty && n < total) {
                const eta = (((performance.now() - t0) / n) * (total - n)) / 1000;
                process.stdout.write(`[${n}/${total}] ${failures} failed, ETA ${eta.toFixed(0)} s`);
            }
        },
        onRerunStart: (n) => say(`rerunning ${n} failed case${n === 1 ? "" : "s"}\n`),
        onRerun: (first, again, n, total) =>
            say(
                again.verdict === "pass"
                    ? `FLAKY ${n}/${total} ${again.name}: ${first.verdict} (${first.reason}), then passed on identical inputs\n`
                    : progress_line(again, n, total).replace(/^(\w+)/, "$1 rerun") + "\n",
            ),
    });
    lines(say, summary_lines(r.results, r.wallMs));
    if (a.json) io.out(document_text(r.document));
    return r.counts.failed === 0 ? EXIT.OK : EXIT.FAILURE;
}
