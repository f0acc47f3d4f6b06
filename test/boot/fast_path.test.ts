/*
 * Boot tier: `mach86 boot --kernel` read without yargs (the bundle's fast
 * path for plain option pairs, and the same for `boot IMAGE`) does exactly
 * what the yargs path does. The `--kernel=FILE` and `--memory=SIZE`
 * spellings are not taken by the fast path, so each command line below
 * runs once each way; output and exit code must be identical.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, ROOT } from "./helpers.ts";

const IMG = join(ROOT, "build/images");
const DI = join(ROOT, "images/debian-installer");

/** Wall-clock figures (--verbose prints some) differ from run to run: they are left out. */
const wall = (s: string) => s.replace(/\d+\.\d ms/g, "N ms");

function run(args: string[]) {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8" });
    return { code: r.status, stdout: wall(r.stdout), stderr: wall(r.stderr) };
}

/** The same boot in a spelling the fast path leaves to yargs: --kernel=FILE, or --memory=SIZE. */
function viaYargs(args: string[]): string[] {
    const k = args.indexOf(args.includes("--kernel") ? "--kernel" : "--memory");
    return [...args.slice(0, k), `${args[k]}=${args[k + 1]}`, ...args.slice(k + 2)];
}

const CASES: string[][] = [
    ["boot", "--kernel", join(IMG, "hello.elf")],
    ["boot", "--kernel", join(IMG, "hello.elf"), "--quiet"],
    ["boot", "--kernel", join(IMG, "exitcode.elf"), "--cmdline", "code=7", "--exit-code", "guest"],
    ["boot", "--kernel", join(IMG, "mbinfo.elf"), "--memory", "32M", "--json"],
    ["boot", "--kernel", join(IMG, "noidt.elf"), "--verbose", "--max-instructions", "5000000"],
    ["boot", "--kernel", join(IMG, "loop.elf"), "--max-instructions", "1000000", "--json"],
    ["boot", "--kernel", join(IMG, "hello.elf"), "--memory", "3.3M"],
    ["boot", "--kernel", join(IMG, "spin.elf"), "--icount", "2", "--json"],
    ["boot", "--kernel", join(IMG, "hello.elf"), "--icount", "12"],
    ["boot", DI, "--memory", "512M", "--engine", "none", "--json"],
    ["boot", DI, "--memory", "1856M", "--preset", "debian-2014", "--engine", "none"],
    ["boot", DI, "--memory", "256M", "--set", "kentry_pages=0", "--quiet"],
    ["boot", join(ROOT, "images/user-hello"), "--memory", "64M", "--verbose"],
    ["boot", "--kernel", join(IMG, "no-such.elf")],
    ["boot", "--kernel", join(IMG, "hello.elf"), "--timeout", "soon"],
];

describe("boot --kernel: fast path and yargs agree", () => {
    it.each(
        CASES.map((c) => [
            c
                .slice(1)
                .join(" ")
                .replace(IMG + "/", ""),
            c,
        ]),
    )("%s", (_name, args) => {
        const fast = run(args as string[]);
        const slow = run(viaYargs(args as string[]));
        expect(fast).toEqual(slow);
    });

    it("a form the fast path does not take still reaches yargs' checks", () => {
        const r = run(["boot", "--kernel", join(IMG, "hello.elf"), "--kernel", "x"]);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(/--kernel.*given more than once/);
    });
});

/*
 * `mach86 test SUITE`: the fast path takes `-j N` (and the other options as
 * separate pairs); `--jobs=N` is left to yargs. Case times and the suite's
 * wall time differ from run to run and are left out.
 */
const SMOKE = join(ROOT, "images/suites/smoke.json");
const times = (s: string) =>
    s
        .replace(/\(\d+\.\ds\)/g, "(T)")
        .replace(/"(wall_ms|duration_ms)": \d+/g, '"$1": T')
        .replace(/ in \d+\.\d+ s/g, " in T");
function runTest(args: string[]) {
    const r = run(args);
    return { ...r, stdout: times(r.stdout), stderr: times(r.stderr) };
}
const TEST_CASES: string[][] = [
    ["test", SMOKE, "-j", "1", "--filter", "hello"],
    ["test", SMOKE, "-j", "1", "--filter", "hello", "--json", "--rerun-failed"],
    ["test", SMOKE, "-j", "1", "--shard", "2/2", "--isolate"],
    ["test", SMOKE, "-j", "1", "--timeout", "soon"],
    ["test", join(ROOT, "images/suites/no-such.json"), "-j", "1"],
];

describe("test SUITE: fast path and yargs agree", () => {
    it.each(TEST_CASES.map((c) => [c.slice(2).join(" "), c]))("%s", (_name, args) => {
        const a = args as string[];
        const k = a.indexOf("-j");
        const yargs = [...a.slice(0, k), `--jobs=${a[k + 1]}`, ...a.slice(k + 2)];
        expect(runTest(a)).toEqual(runTest(yargs));
    });

    it("a -j the fast path does not take still reaches yargs' checks", () => {
        for (const j of ["0", "x"]) {
            const r = run(["test", SMOKE, "-j", j]);
            expect(r.code).toBe(2);
            expect(r.stderr).toMatch(/-j|jobs/);
        }
    });
});
