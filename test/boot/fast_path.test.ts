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
