/*
 * Boot tier: `--dump DIR` writes its files whole or not at all: into a
 * temporary folder next to DIR, renamed into place at the end; Ctrl-C in
 * the middle of the dump leaves nothing behind and exits 130.
 */
import { spawn } from "node:child_process";
import {
    existsSync,
    mkdirSync,
    mkdtempSync,
    readdirSync,
    readFileSync,
    statSync,
    writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, ROOT, cli } from "./helpers.ts";

const DI = join(ROOT, "images/debian-installer");

/** `boot` d-i at 64M on the none engine with `--dump dir`. */
const dump64 = (dir: string, ...more: string[]) =>
    cli(["boot", DI, "--engine", "none", "--memory", "64M", "--dump", dir, ...more]);

describe("--dump", () => {
    it("creates DIR with phys.bin, machine.json and layout.json; into an existing DIR, other files stay", () => {
        const parent = mkdtempSync(join(tmpdir(), "mach86-dump-"));
        const dir = join(parent, "di");
        const r = cli([
            "boot",
            DI,
            "--engine",
            "none",
            "--memory",
            "64M",
            "--quiet",
            "--dump",
            dir,
        ]);
        expect(r.code, r.stderr).toBe(0);
        expect(readdirSync(dir).sort()).toEqual(["layout.json", "machine.json", "phys.bin"]);
        expect(statSync(join(dir, "phys.bin")).size).toBe(64 * 1024 * 1024);
        const m = JSON.parse(readFileSync(join(dir, "machine.json"), "utf8"));
        expect(m.stop).toEqual({ kind: "halt" });
        expect(m.engine).toBe("none");
        writeFileSync(join(dir, "notes.txt"), "mine\n");
        expect(
            cli(["boot", DI, "--engine", "none", "--memory", "64M", "--quiet", "--dump", dir]).code,
        ).toBe(0);
        expect(readdirSync(dir).sort()).toEqual([
            "layout.json",
            "machine.json",
            "notes.txt",
            "phys.bin",
        ]);
        expect(readdirSync(parent)).toEqual(["di"]); // no temporary folder left
    });

    it("Ctrl-C during the dump leaves nothing half-written and exits 130", async () => {
        const parent = mkdtempSync(join(tmpdir(), "mach86-dump-int-"));
        const dir = join(parent, "big");
        const p = spawn(
            process.execPath,
            [CLI, "boot", DI, "--engine", "none", "--memory", "4G", "--quiet", "--dump", dir],
            { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
        );
        let stderr = "";
        p.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
        const exited = new Promise<number | null>((done) => p.on("close", (code) => done(code)));
        // Wait until phys.bin is being written in the temporary folder, then interrupt.
        let sent = false;
        const deadline = Date.now() + 90_000;
        while (!sent && Date.now() < deadline) {
            const temp = readdirSync(parent).find((n) => n.startsWith(".big.mach86-"));
            if (temp && existsSync(join(parent, temp, "phys.bin"))) {
                p.kill("SIGINT");
                sent = true;
            } else await new Promise((r) => setTimeout(r, 5));
        }
        expect(sent, "the dump never started").toBe(true);
        expect(await exited).toBe(130);
        expect(stderr).toMatch(/^mach86: interrupted$/m);
        expect(readdirSync(parent)).toEqual([]);
    });

    it("into an existing folder, a file of the same name is replaced whole", () => {
        const parent = mkdtempSync(join(tmpdir(), "mach86-dump-"));
        mkdirSync(join(parent, "x"));
        writeFileSync(join(parent, "x", "phys.bin"), "old\n");
        expect(dump64(join(parent, "x"), "--quiet").code).toBe(0);
        expect(statSync(join(parent, "x", "phys.bin")).size).toBe(64 * 1024 * 1024);
    });

    it("progress: by tenths on stderr with --verbose, nothing without it (not a terminal) nor with --json", () => {
        const parent = mkdtempSync(join(tmpdir(), "mach86-dump-progress-"));
        const run = (dir: string, ...more: string[]) => dump64(join(parent, dir), ...more);
        const verbose = run("v", "--quiet", "--verbose");
        expect(verbose.code, verbose.stderr).toBe(0);
        const shown = verbose.stderr.split("\n").filter((l) => l.includes("dumping RAM"));
        expect(shown[0]).toMatch(/^mach86: dumping RAM to .*\/v: \d+ of 64 MiB \(\d+%\)$/);
        expect(shown.at(-1)).toMatch(/: 64 of 64 MiB \(100%\)$/);
        expect(shown.length).toBeGreaterThanOrEqual(10);
        expect(shown.length).toBeLessThanOrEqual(11);
        expect(verbose.stdout).not.toContain("dumping");
        const plain = run("p", "--quiet");
        expect(plain.code).toBe(0);
        expect(plain.stderr + plain.stdout).not.toContain("dumping");
        const json = run("j", "--json", "--verbose");
        expect(json.code).toBe(0);
        expect(json.stderr + json.stdout).not.toContain("dumping");
        expect(JSON.parse(json.stdout).schema_version).toBeDefined();
    });
});
