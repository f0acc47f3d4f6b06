/*
 * `mach86 test`: the suite runner through the bundled CLI (make test builds
 * dist/ first): verdicts, TAP/JUnit/JSON reports, exit codes, shards, --filter.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { CLI, IMAGES, ROOT } from "./helpers.ts";

interface Run {
    code: number | null;
    stdout: string;
    stderr: string;
}

function mach86(args: string[]): Promise<Run> {
    return new Promise((done) => {
        const p = spawn(process.execPath, [CLI, ...args], { cwd: ROOT });
        let stdout = "";
        let stderr = "";
        p.stdout.on("data", (b: Buffer) => {
            stdout += b.toString();
        });
        p.stderr.on("data", (b: Buffer) => {
            stderr += b.toString();
        });
        p.on("close", (code) => done({ code, stdout, stderr }));
    });
}

interface JsonReport {
    summary: { passed: number; failed: number };
    cases: {
        name: string;
        verdict: string;
        reason: string;
        stop: unknown;
        console_tail: string[];
    }[];
}

const MARKERS = `markers <&"'>`;
let dir = "";
let suite = "";

beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "mach86-suite-"));
    suite = join(dir, "t.json");
    writeFileSync(
        suite,
        JSON.stringify({
            name: "t",
            defaults: { timeout: "20s" },
            cases: [
                {
                    name: "hello",
                    kernel: join(IMAGES, "hello.elf"),
                    expect: { exit: 0, console: ["Hello from mach86!"] },
                },
                {
                    name: "crash",
                    kernel: join(IMAGES, "stop.elf"),
                    cmdline: "how=10",
                    expect: {
                        stop: "crash",
                        reason: "double-fault handler",
                        console: ["stop 10"],
                    },
                },
                {
                    name: "hang",
                    kernel: join(IMAGES, "loop.elf"),
                    timeout: "1s",
                    expect: { exit: 0 },
                },
                { name: MARKERS, kernel: join(IMAGES, "hello.elf"), expect: { markers: true } },
                { name: "missing", kernel: "no/such/kernel.elf", expect: { exit: 0 } },
            ],
        }),
    );
});

describe("mach86 test", () => {
    it("judges each case and writes TAP, JUnit and JSON", async () => {
        const [tapF, junitF, jsonF] = ["t.tap", "t.xml", "t.json.out"].map((f) => join(dir, f)) as [
            string,
            string,
            string,
        ];
        const r = await mach86([
            "test",
            suite,
            "-j",
            "4",
            "--tap",
            tapF,
            "--junit",
            junitF,
            "--report-json",
            jsonF,
        ]);
        expect(r.code).toBe(1);
        expect(r.stdout.split("\n")).toContain("2 passed, 3 failed");
        expect(r.stdout).toMatch(/^ok \d\/5 hello \(\d+\.\ds\)$/m);
        expect(r.stdout).toMatch(/^FAIL \d\/5 missing: error: .*no such file$/m);

        const j = JSON.parse(readFileSync(jsonF, "utf8")) as JsonReport;
        const v = Object.fromEntries(j.cases.map((c) => [c.name, c]));
        expect(v["hello"]!.verdict).toBe("pass");
        expect(v["crash"]!.verdict).toBe("pass");
        expect(v["hang"]!.verdict).toBe("timeout");
        expect(v["hang"]!.console_tail).toContain("looping forever");
        expect(v[MARKERS]!.verdict).toBe("fail");
        expect(v[MARKERS]!.reason).toBe("no success marker");
        expect(v["missing"]!.verdict).toBe("error");
        expect(v["missing"]!.reason).toMatch(/kernel\.elf: no such file/);

        const tap = readFileSync(tapF, "utf8");
        expect(tap.startsWith("TAP version 13\n1..5\n")).toBe(true);
        expect(tap).toContain("ok 1 - hello\n");
        expect(tap).toContain("ok 2 - crash\n");
        expect(tap).toMatch(/^not ok 3 - hang\n {2}---\n {2}verdict: timeout\n/m);
        expect(tap).toContain('  reason: "no success marker"');
        expect(tap).toMatch(/console_tail: \|-\n {4}Hello from mach86!/);
        expect(tap.match(/^not ok /gm)).toHaveLength(3);

        const xml = readFileSync(junitF, "utf8");
        expect(xml.match(/<testcase /g)).toHaveLength(5);
        expect(xml.match(/<failure /g)).toHaveLength(2);
        expect(xml.match(/<error /g)).toHaveLength(1);
        expect(xml).toMatch(/<testsuite name="t" tests="5" failures="2" errors="1" skipped="0"/);
        expect(xml).toContain('name="markers &lt;&amp;&quot;&apos;&gt;"');
        expect(xml).not.toContain(MARKERS);
        expect(xml).toMatch(/<system-out>Hello from mach86!<\/system-out>/);
        expect(xml).toMatch(/<failure message="no success marker" type="fail">/);
    });

    it("shards 1/3, 2/3, 3/3 run every case exactly once", async () => {
        const files = [1, 2, 3].map((i) => join(dir, `shard${i}.json`));
        const runs = await Promise.all(
            [1, 2, 3].map((i) =>
                mach86([
                    "test",
                    suite,
                    "-j",
                    "2",
                    "--shard",
                    `${i}/3`,
                    "--report-json",
                    files[i - 1]!,
                ]),
            ),
        );
        for (const r of runs) expect(r.code).not.toBe(2);
        const names = files.flatMap((f) =>
            (JSON.parse(readFileSync(f, "utf8")) as JsonReport).cases.map((c) => c.name),
        );
        expect(names.sort()).toEqual(["crash", "hang", "hello", MARKERS, "missing"].sort());
    });

    it("--filter keeps the matching cases", async () => {
        const r = await mach86(["test", suite, "--filter", "hel"]);
        expect(r.code).toBe(0);
        expect(r.stdout).toContain("1 case");
        expect(r.stdout.split("\n")).toContain("1 passed, 0 failed");
    });

    it("--rerun-failed reruns a failure once; a steady failure stays failed", async () => {
        const r = await mach86(["test", suite, "--filter", "markers", "--rerun-failed"]);
        expect(r.code).toBe(1);
        expect(r.stdout).toContain("rerunning 1 failed case");
        expect(r.stdout).not.toContain("FLAKY");
        expect(r.stdout.split("\n")).toContain("0 passed, 1 failed");
    });

    it("a bad suite file is one line and exit 2", async () => {
        const bad = join(dir, "bad.json");
        writeFileSync(bad, JSON.stringify({ name: "bad", cases: [{ name: "x", expect: {} }] }));
        const r = await mach86(["test", bad]);
        expect(r.code).toBe(2);
        expect(r.stderr.trim().split("\n")).toHaveLength(1);
        expect(r.stderr).toMatch(/give exactly one of 'kernel'/);
        const r2 = await mach86(["test", suite, "--shard", "4/3"]);
        expect(r2.code).toBe(2);
    });

    it("judges a guest's exit value from the case's result, never from an exit code (1, 2, 3, 258)", async () => {
        const f = join(dir, "values.json");
        const exitcode = join(IMAGES, "exitcode.elf");
        const c = (name: string, code: number, expect: unknown) => ({
            name,
            kernel: exitcode,
            cmdline: `code=${code}`,
            expect,
        });
        writeFileSync(
            f,
            JSON.stringify({
                name: "values",
                cases: [
                    ...[1, 2, 3, 258].map((v) => c(`exit-${v}`, v, { exit: v })),
                    // The wrong value fails, with the value in the reason, not "bad input" or "timeout".
                    c("exit-2-expects-3", 2, { exit: 3 }),
                    c("exit-258-expects-2", 258, { exit: 2 }),
                    // Without an expectation a non-zero value is a failure; stop "exit" alone takes any value.
                    c("exit-3-default", 3, {}),
                    c("exit-3-any", 3, { stop: "exit" }),
                    c("exit-0-expects-halt", 0, { stop: "halt" }),
                ],
            }),
        );
        const out = join(dir, "values.out.json");
        const r = await mach86(["test", f, "-j", "4", "--report-json", out]);
        expect(r.code).toBe(1);
        const j = JSON.parse(readFileSync(out, "utf8")) as JsonReport;
        const v = Object.fromEntries(j.cases.map((x) => [x.name, x]));
        for (const n of [1, 2, 3, 258]) {
            expect(v[`exit-${n}`]!.verdict, v[`exit-${n}`]!.reason).toBe("pass");
            expect(v[`exit-${n}`]!.stop).toEqual({ kind: "exit", value: n });
        }
        expect(v["exit-2-expects-3"]!).toMatchObject({
            verdict: "fail",
            reason: "expected exit value 3, got 2",
        });
        expect(v["exit-258-expects-2"]!).toMatchObject({
            verdict: "fail",
            reason: "expected exit value 2, got 258",
        });
        expect(v["exit-3-default"]!).toMatchObject({
            verdict: "fail",
            reason: "expected success, got guest exited with value 3 (0x00000003)",
        });
        expect(v["exit-3-any"]!.verdict).toBe("pass");
        expect(v["exit-0-expects-halt"]!).toMatchObject({
            verdict: "fail",
            reason: "expected stop halt, got guest exited with value 0 (0x00000000)",
        });
    });

    it("judges image cases by their stop: a completed boot halts, a stuck boot, user tasks' exit value", async () => {
        const f = join(dir, "images.json");
        const di = join(ROOT, "images/debian-installer");
        writeFileSync(
            f,
            JSON.stringify({
                name: "images",
                defaults: { image: di, engine: "none" },
                cases: [
                    { name: "boots", memory: "256M", expect: { stop: "halt" } },
                    {
                        name: "stuck",
                        memory: "1856M",
                        preset: "debian-2014",
                        expect: {
                            stop: "stuck",
                            reason: "device_read\\(rd0, 6504448 bytes\\) failed",
                        },
                    },
                    {
                        name: "faulty",
                        image: join(ROOT, "images/user-faulty"),
                        engine: "v86",
                        expect: { exit: 1 },
                    },
                ],
            }),
        );
        const r = await mach86(["test", f, "-j", "3"]);
        expect(r.stdout.split("\n")).toContain("3 passed, 0 failed");
        expect(r.code).toBe(0);
    });
});
