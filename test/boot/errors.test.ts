/*
 * Boot tier: the error contract of the bundled CLI. Every bad input is one
 * line "mach86: <input>: <reason>", exit code 2, and nothing written; a bug
 * in mach86 (an injected failed assert of the model) is "internal error
 * (mach86 bug)", exit code 70, and bisect and report --sweep stop on it.
 */
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { CLI, IMAGES, ROOT, cli, image } from "./helpers.ts";

const DI = join(ROOT, "images/debian-installer");
const tmp = mkdtempSync(join(tmpdir(), "mach86-errors-"));

function expectOneLineError(r: ReturnType<typeof cli>, pattern: RegExp): void {
    expect(r.code, r.stderr).toBe(2);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^mach86: /);
    expect(lines[0]).toMatch(pattern);
    expect(r.stdout).toBe("");
}

/** A folder that stays empty when nothing may be written into it. */
function emptyDir(name: string): string {
    const d = join(tmp, name);
    mkdirSync(d);
    return d;
}

/** An image directory with this image.json. */
function badImage(name: string, manifest: string): string {
    const d = emptyDir(name);
    writeFileSync(join(d, "image.json"), manifest);
    return d;
}

describe("bad input: one line, exit 2, nothing written", () => {
    const hello = () => image("hello");
    it.each([
        [["--preset", "no-such-preset"], /--preset: applies to image boots only/],
        [["--set", "kmem_map_size=64M"], /--set: applies to image boots only/],
        [["--engine", "none"], /--engine: applies to image boots only/],
        [["--dump", "/tmp/x"], /--dump: applies to image boots only/],
        [["--samples"], /--samples: applies to image boots only/],
        [["--max-instructions", "-3"], /--max-instructions: '-3' is not a positive whole number/],
        [["--max-instructions", "1.5"], /--max-instructions: '1.5' is not a positive whole number/],
        [["--exit-code", "maybe"], /--exit-code: 'maybe' is not one of status, guest, qemu/],
        [["--memory", "64M", "--memory", "128M"], /--memory: given more than once/],
    ])("boot --kernel with %j", (args, pattern) => {
        expectOneLineError(cli(["boot", "--kernel", hello(), ...args]), pattern);
    });

    it.each([
        [["--cmdline", "x"], /--cmdline: applies to --kernel boots only/],
        [["--module", "a.gz"], /--module: applies to --kernel boots only/],
        [["--no-deterministic"], /--deterministic: applies to --kernel boots only/],
        [
            ["--set", "kentry_pages=0"],
            /--set: kentry_pages: 0 \(no kentry area, as in HEAD\) needs kmem_map_size=0/,
        ],
        [["--set", "vm_min_kernel_address=0"], /--set: vm_min_kernel_address: must be above 0/],
        [["--engine", "none", "--timeout", "5s"], /--timeout: applies to the v86 engine only/],
        [["--engine", "gpu"], /--engine: 'gpu' is not an engine/],
    ])("boot IMAGE with %j", (args, pattern) => {
        expectOneLineError(cli(["boot", DI, "--quiet", ...args]), pattern);
    });

    it("a malformed image.json names the file and the field", () => {
        const cases: [string, RegExp][] = [
            ["{ not json", /image\.json: not valid JSON/],
            ['{"name": "x"}', /image\.json: \/: missing 'kernel'/],
            [
                '{"name": "x", "kernel": "k", "modules": {}}',
                /image\.json: \/modules: must be array/,
            ],
            [
                '{"name": "x", "kernel": "k", "modules": [{"file": 3}]}',
                /\/modules\/0\/file: must be string/,
            ],
            ['{"name": "x", "kernel": "k", "colour": "red"}', /\/: unknown key 'colour'/],
        ];
        cases.forEach(([text, pattern], i) => {
            const dir = badImage(`img${i}`, text);
            expectOneLineError(cli(["boot", dir, "--engine", "none"]), pattern);
        });
    });

    it("a workload naming a map or cache this kernel lacks is bad input, not a kernel panic", () => {
        const w = (name: string, steps: unknown[]) => {
            const f = join(tmp, `${name}.json`);
            writeFileSync(f, JSON.stringify({ name, steps }));
            return f;
        };
        const noCache = w("no-cache", [{ op: "alloc", cache: "typo_cache", count: 1, as: "x" }]);
        expectOneLineError(
            cli(["workload", DI, noCache, "--engine", "none", "--memory", "256M"]),
            /no-cache: steps\[0\]: no cache or zone named 'typo_cache' in this kernel \(slab era\)/,
        );
        const noZoneMap = w("no-zone-map", [
            { op: "kmem_alloc", map: "zone_map", size: 4096, count: 1, as: "x" },
        ]);
        expectOneLineError(
            cli(["workload", DI, noZoneMap, "--engine", "none", "--memory", "256M"]),
            /this kernel has no zone_map/,
        );
        const badMap = w("bad-map", [
            { op: "kmem_alloc", map: "my_map", size: 4096, count: 1, as: "x" },
        ]);
        expectOneLineError(
            cli(["workload", DI, badMap, "--engine", "none"]),
            /bad-map\.json: \/steps\/0\/map: must be one of "kernel_map", "kmem_map", "zone_map", "kalloc_map"/,
        );
        const nested = w("nested", [
            {
                op: "jobs",
                slots: 1,
                count: 1,
                steps: [{ op: "jobs", slots: 1, count: 1, steps: [] }],
            },
        ]);
        expectOneLineError(
            cli(["workload", DI, nested, "--engine", "none"]),
            /\/steps\/0\/steps\/0: jobs cannot nest/,
        );
    });

    it("output targets are checked before any work: a folder under /proc, a missing folder, a file in the way", () => {
        const file = join(tmp, "a-file");
        writeFileSync(file, "keep me\n");
        const started = Date.now();
        const boot = ["boot", DI, "--engine", "none", "--quiet"];
        const report = ["report", DI, "--engine", "none"];
        for (const [args, pattern] of [
            [
                [...boot, "--dump", "/proc/mach86-dump"],
                /--dump \/proc\/mach86-dump: cannot write in \/proc/,
            ],
            [[...boot, "--dump", file], /--dump .*a-file: exists and is not a folder/],
            [[...boot, "--dump", join(tmp, "no/such/dump")], /no such folder/],
            [
                [...report, "--html", "/proc/report.html"],
                /--html \/proc\/report\.html: cannot write in \/proc/,
            ],
            [[...report, "--html", tmp], /is a folder/],
            [report, /report: name an output: --html FILE, --json, or both/],
        ] as [string[], RegExp][]) {
            expectOneLineError(cli(args), pattern);
        }
        // Each was refused up front: well under the time of one boot each.
        expect(Date.now() - started).toBeLessThan(60_000);
        expect(readdirSync(tmp).filter((n) => n.includes(".mach86-"))).toEqual([]);
    });

    it("test: --filter matching nothing, an unwritable report file: exit 2 before any case runs", () => {
        const suite = join(tmp, "s.json");
        writeFileSync(
            suite,
            JSON.stringify({
                name: "s",
                cases: [{ name: "hello", kernel: join(IMAGES, "hello.elf") }],
            }),
        );
        expectOneLineError(
            cli(["test", suite, "--filter", "typo"]),
            /--filter: 'typo' matches none of the 1 cases/,
        );
        for (const opt of ["--tap", "--junit", "--report-json"])
            expectOneLineError(
                cli(["test", suite, opt, "/proc/report"]),
                new RegExp(`${opt} /proc/report: cannot write`),
            );
        expectOneLineError(
            cli(["test", suite, "-j", "0"]),
            /-j: '0' is not a positive number of jobs/,
        );
    });

    it("a bad suite file names the file and the field", () => {
        const bad = (name: string, doc: unknown) => {
            const f = join(tmp, `${name}.json`);
            writeFileSync(f, JSON.stringify(doc));
            return f;
        };
        const k = join(IMAGES, "hello.elf");
        for (const [doc, pattern] of [
            [
                { cases: [{ name: "x", kernel: k, expect: { exit: "0" } }] },
                /\/cases\/0\/expect\/exit: must be integer/,
            ],
            [
                { cases: [{ name: "x", kernel: k, expect: { panic: "x" } }] },
                /\/cases\/0\/expect: unknown key 'panic'/,
            ],
            [
                { cases: [{ name: "x", kernel: k, expect: { stop: "explode" } }] },
                /\/cases\/0\/expect\/stop: must be one of "exit", "halt"/,
            ],
            [
                { cases: [{ name: "x", kernel: k, expect: { reason: "x" } }] },
                /\/cases\/0\/expect: 'reason' needs 'stop'/,
            ],
            [
                { cases: [{ name: "x", kernel: k, expect: { stop: "halt", exit: 1 } }] },
                /\/cases\/0\/expect\/exit: an exit value needs stop "exit"/,
            ],
            [{ cases: [{ name: "x", expect: {} }] }, /\/cases\/0: give exactly one of 'kernel'/],
            [{ cases: [] }, /\/cases: must NOT have fewer than 1 items/],
        ] as [unknown, RegExp][]) {
            expectOneLineError(cli(["test", bad("suite", doc)]), pattern);
        }
    });
});

describe("internal errors: a bug in mach86 is never a result", () => {
    const injected = (args: string[]) =>
        spawnSync(process.execPath, [CLI, ...args], {
            cwd: ROOT,
            encoding: "utf8",
            timeout: 120_000,
            env: { ...process.env, MACH86_TEST_INJECT_ASSERT: "1024M" },
        });

    it("a failed assert of the model exits 70 with 'internal error (mach86 bug)' and the command line", () => {
        const r = injected(["boot", DI, "--engine", "none", "--memory", "1024M", "--quiet"]);
        expect(r.status).toBe(70);
        const lines = r.stderr.trimEnd().split("\n");
        expect(lines[0]).toBe(
            "mach86: internal error (mach86 bug): assertion failed: injected by MACH86_TEST_INJECT_ASSERT=1024M (a test of the internal-error path)",
        );
        expect(lines[1]).toBe(
            `mach86: please report it with the command line: mach86 boot ${DI} --engine none --memory 1024M --quiet`,
        );
        expect(r.stderr).not.toMatch(/panic/);
        // On the CPU too: the assert fires inside a hypercall, and is not turned into a guest crash.
        const v86 = injected(["boot", DI, "--memory", "1024M", "--quiet"]);
        expect(v86.status).toBe(70);
        expect(v86.stderr).toMatch(
            /^mach86: internal error \(mach86 bug\): assertion failed: injected/,
        );
        // Below the injected size the same boot is fine.
        expect(
            injected(["boot", DI, "--engine", "none", "--memory", "512M", "--quiet"]).status,
        ).toBe(0);
    });

    it("bisect stops on it instead of counting it as a failing boot", () => {
        const r = injected(["bisect", DI, "--engine", "none", "--range", "256M..2047M"]);
        expect(r.status).toBe(70);
        expect(r.stdout).toBe(""); // no result printed
        expect(r.stderr).toMatch(/bisect memory=256 MiB: boots\n/);
        expect(r.stderr).toMatch(/internal error \(mach86 bug\): assertion failed: injected/);
        expect(r.stderr).not.toMatch(/fails \(/);
    });

    it("report --sweep stops on it and writes no page", () => {
        const out = join(tmp, "sweep.html");
        const r = injected([
            "report",
            DI,
            "--engine",
            "none",
            "--memory",
            "512M",
            "--sweep",
            "512M..1536M:512M",
            "--html",
            out,
        ]);
        expect(r.status).toBe(70);
        expect(r.stderr).toMatch(/internal error \(mach86 bug\)/);
        expect(readdirSync(tmp).filter((n) => n.includes("sweep"))).toEqual([]);
    });
});

/**
 * Run mach86 into a pipe whose reader (`true`) is gone long before mach86
 * writes (it writes after starting Node and its bundle, over 50 ms later).
 */
function closedStdout(args: string[]): { code: number | null; stderr: string } {
    const quoted = [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(" ");
    const r = spawnSync("bash", ["-c", `${quoted} | true; exit \${PIPESTATUS[0]}`], {
        encoding: "utf8",
    });
    return { code: r.status, stderr: r.stderr };
}

describe("stdout closed by its reader: exit 141, no message, no stack trace", () => {
    it.each([
        [["boot", "--kernel", join(IMAGES, "hello.elf")]], // the fast path
        [["boot", DI, "--engine", "none", "--memory", "256M"]], // the fast path, image boot
        [["presets"]], // the yargs path
    ])("%j", (args) => {
        const r = closedStdout(args);
        expect(r.stderr).toBe("");
        expect(r.code).toBe(141);
    });
});
