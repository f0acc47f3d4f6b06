/*
 * Boot tier: V8's code cache of v86's JavaScript (MACH86_CODE_CACHE, the
 * CLI's default dist/) only saves compile time. The first run writes it,
 * later runs use it, and a damaged, truncated or foreign file is rejected
 * and written again: every run prints and exits exactly as without a cache.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLI, image, ROOT } from "./helpers.ts";

const DIR = mkdtempSync(join(tmpdir(), "mach86-code-cache-"));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

const ARGS = ["boot", "--kernel", image("mbinfo"), "--memory", "32M", "--json"];

function run(cache: string) {
    const r = spawnSync(process.execPath, [CLI, ...ARGS], {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, MACH86_CODE_CACHE: cache },
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const cacheFiles = () => readdirSync(DIR).filter((f) => f.endsWith(".cache"));

describe("code cache", () => {
    const plain = run("off");

    it("off: the run writes no cache", () => {
        expect(plain.code).toBe(0);
        expect(plain.stdout).toContain('"command": "boot"');
        expect(cacheFiles()).toEqual([]);
    });

    it("the first run writes one cache file; the next uses it and leaves it as it is", () => {
        expect(run(DIR)).toEqual(plain);
        const files = cacheFiles();
        expect(files).toHaveLength(1);
        const written = readFileSync(join(DIR, files[0]!));
        expect(run(DIR)).toEqual(plain);
        expect(readFileSync(join(DIR, files[0]!)).equals(written)).toBe(true);
    });

    it("a damaged, truncated or empty cache changes nothing and is written again", () => {
        const file = join(DIR, cacheFiles()[0]!);
        const good = readFileSync(file);
        const damaged = [good.subarray(0, 100), Buffer.alloc(0), Buffer.from("not a cache")];
        for (const at of [64, good.length >> 2, good.length >> 1, good.length - 8]) {
            const d = Buffer.from(good);
            d[at] = d[at]! ^ 0x5a;
            damaged.push(d);
        }
        for (const d of damaged) {
            writeFileSync(file, d);
            expect(run(DIR)).toEqual(plain);
            const now = readFileSync(file);
            expect(now.length).toBeGreaterThan(1000);
            expect(now.equals(d), "the rejected cache was written again").toBe(false);
        }
    });
});
