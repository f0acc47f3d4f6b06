/*
 * Boot tier: `mach86 test` in warm workers (the default) judges every case
 * exactly as with --isolate (a process per case): the same verdicts,
 * reasons, stops, exit codes and console tails, for passes, failures, a
 * guest that runs into its timeout, a reset, bad input and image cases.
 * The worker `mach86 test` forks as its first act goes away with it,
 * whether the run gets to its cases or stops at bad input.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, ROOT } from "./helpers.ts";

const IMG = join(ROOT, "build/images");

const CASES = [
    { name: "pass", kernel: join(IMG, "hello.elf"), expect: { exit: 0 } },
    {
        name: "fail",
        kernel: join(IMG, "exitcode.elf"),
        cmdline: "code=7",
        expect: { exit: 0, console: ["never printed"] },
    },
    { name: "timeout", kernel: join(IMG, "loop.elf"), timeout: "1s", expect: { exit: 0 } },
    {
        name: "reset",
        kernel: join(IMG, "noidt.elf"),
        expect: { stop: "reset", reason: "triple fault" },
    },
    { name: "bad-input", kernel: join(IMG, "hello.elf"), memory: "64.5", expect: { exit: 0 } },
    { name: "missing", kernel: join(IMG, "no-such.elf"), expect: { exit: 0 } },
    {
        name: "image",
        image: join(ROOT, "images/debian-installer"),
        memory: "512M",
        engine: "none",
        expect: { stop: "halt", console: ["3 multiboot modules"] },
    },
    { name: "user", image: join(ROOT, "images/user-hello"), expect: { exit: 0 } },
];

interface Doc {
    summary: Record<string, number>;
    cases: Record<string, unknown>[];
}

const file = join(mkdtempSync(join(tmpdir(), "mach86-pool-")), "suite.json");
writeFileSync(file, JSON.stringify({ name: "pool", cases: CASES }));

function run(extra: string[]): Doc {
    const r = spawnSync(process.execPath, [CLI, "test", file, "--json", "-j", "2", ...extra], {
        encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(1);
    const doc = JSON.parse(r.stdout) as Doc;
    // Wall-clock figures differ from run to run.
    delete doc.summary["wall_ms"];
    for (const c of doc.cases) delete c["duration_ms"];
    return doc;
}

describe("mach86 test: warm workers and --isolate agree", () => {
    it("every case's verdict, reason, stop, exit code and tail", () => {
        const warm = run([]);
        const isolated = run(["--isolate"]);
        expect(warm).toEqual(isolated);
        const verdicts = Object.fromEntries(warm.cases.map((c) => [c["name"], c["verdict"]]));
        expect(verdicts).toEqual({
            pass: "pass",
            fail: "fail",
            timeout: "timeout",
            reset: "pass",
            "bad-input": "error",
            missing: "error",
            image: "pass",
            user: "pass",
        });
    });
});

/** Run the CLI as a process group leader; resolve with its exit code and its group's pid. */
function run_group(args: string[]): Promise<{ code: number | null; pgid: number }> {
    const p = spawn(process.execPath, [CLI, ...args], { detached: true, stdio: "ignore" });
    return new Promise((resolve) => p.on("exit", (code) => resolve({ code, pgid: p.pid! })));
}

/** The processes of group `pgid` (from /proc: pid and command line). */
function group_members(pgid: number): string[] {
    const found: string[] = [];
    for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
        try {
            // Field 5 of stat is the group; the command name before it may hold spaces.
            const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
            const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
            if (Number(fields[2]) !== pgid) continue;
            found.push(
                `${pid} ${readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ")}`,
            );
        } catch {
            // The process ended while we looked.
        }
    }
    return found;
}

/** The processes left in group `pgid` after `ms` (its workers, had they outlived the main process). */
async function left_in_group(pgid: number, ms: number): Promise<string[]> {
    const until = Date.now() + ms;
    let left: string[];
    do {
        await new Promise((r) => setTimeout(r, 100));
        left = group_members(pgid);
    } while (left.length > 0 && Date.now() < until);
    return left;
}

describe("mach86 test: the preforked worker", () => {
    it("exits with a run that finishes, and with one that stops at bad input", async () => {
        const ok = await run_group(["test", file, "--filter", "pass"]);
        expect(ok.code).toBe(0);
        expect(await left_in_group(ok.pgid, 10_000)).toEqual([]);
        const bad = await run_group(["test", join(IMG, "no-such-suite.json")]);
        expect(bad.code).toBe(2);
        expect(await left_in_group(bad.pgid, 10_000)).toEqual([]);
    });
});

/*
 * A case's Node process, warm worker or --isolate child, starts without
 * NODE_EXTRA_CA_CERTS (lib/suite/pool.ts child_env): Node would read the
 * bundle at each start, and warn on the case's stderr when it cannot.
 */
describe("mach86 test: a case's process starts without NODE_EXTRA_CA_CERTS", () => {
    const bogus = { ...process.env, NODE_EXTRA_CA_CERTS: join(IMG, "no-such-bundle.pem") };
    const environ = (pid: string) => readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");

    it.each([
        ["warm", "__suite-worker"],
        ["isolate", " boot "],
    ])("%s: not in the case process's environment", async (mode, marker) => {
        const loop = join(mkdtempSync(join(tmpdir(), "mach86-env-")), "loop.json");
        const c = { name: "loop", kernel: join(IMG, "loop.elf"), timeout: "20s" };
        writeFileSync(
            loop,
            JSON.stringify({ name: "env", cases: [{ ...c, expect: { exit: 0 } }] }),
        );
        const extra = mode === "isolate" ? ["--isolate"] : [];
        const p = spawn(process.execPath, [CLI, "test", loop, ...extra], {
            detached: true,
            stdio: "ignore",
            env: bogus,
        });
        try {
            let child: string | undefined;
            for (let i = 0; i < 100 && !child; i++) {
                await new Promise((r) => setTimeout(r, 100));
                child = group_members(p.pid!).find((m) => m.includes(marker));
            }
            expect(child, "the case's process never showed").toBeDefined();
            expect(environ(String(p.pid))).toContain(
                `NODE_EXTRA_CA_CERTS=${bogus.NODE_EXTRA_CA_CERTS}`,
            );
            const env = environ(child!.split(" ")[0]!);
            expect(env.some((e) => e.startsWith("NODE_EXTRA_CA_CERTS="))).toBe(false);
            expect(env).toContain(`PATH=${process.env["PATH"]}`);
        } finally {
            process.kill(-p.pid!, "SIGKILL");
        }
    });

    it("a failing case's reason is mach86's, not Node's certificate warning", () => {
        for (const extra of [[], ["--isolate"]]) {
            const r = spawnSync(
                process.execPath,
                [CLI, "test", file, "--json", "--filter", "missing", ...extra],
                { encoding: "utf8", env: bogus },
            );
            const doc = JSON.parse(r.stdout) as Doc;
            expect(doc.cases[0]!["reason"]).toMatch(/no-such\.elf: no such file/);
        }
    });
});
