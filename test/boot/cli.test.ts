/*
 * Boot tier: the bundled `mach86` command as a user runs it — exit codes,
 * one-line errors for bad input, never a stack trace.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, image } from "./helpers.ts";

const tmp = mkdtempSync(join(tmpdir(), "mach86-cli-"));

function expectOneLineError(r: ReturnType<typeof cli>, pattern: RegExp): void {
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^mach86: /);
    expect(lines[0]).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

describe("cli: mach86 boot", () => {
    it("boots hello from the command line", () => {
        const r = cli(["boot", "--kernel", image("hello")]);
        expect(r.code).toBe(0);
        expect(r.stdout).toBe("Hello from mach86!\n");
    });

    it("keeps the guest's exit value out of its own exit codes unless asked", () => {
        const run = (code: number, ...more: string[]) =>
            cli([
                "boot",
                "--kernel",
                image("exitcode"),
                "--cmdline",
                `code=${code}`,
                "--quiet",
                ...more,
            ]);
        for (const v of [1, 2, 3, 258]) {
            const r = run(v);
            expect(r.code, `value ${v}`).toBe(1);
            expect(r.stderr).toBe(
                `mach86: guest exited with value ${v} (0x${v.toString(16).padStart(8, "0")})\n`,
            );
        }
        expect(run(258, "--exit-code", "guest").code).toBe(258 & 0xff);
        expect(run(3, "--exit-code", "qemu").code).toBe((3 << 1) | 1);
        expect(run(0).code).toBe(0);
        expect(run(7, "--exit-code", "sometimes").code).toBe(2);
    });

    it("--json prints one JSON document with the stop reason and console", () => {
        const r = cli(["boot", "--kernel", image("hello"), "--json"]);
        expect(r.code).toBe(0);
        const doc = JSON.parse(r.stdout);
        expect(doc.schema_version).toBe(1);
        expect(doc.command).toBe("boot");
        expect(doc.mode).toBe("kernel");
        expect(doc.stop).toEqual({ kind: "exit", value: 0 });
        expect(doc.exit_code).toBe(0);
        expect(doc.console).toBe("Hello from mach86!\n");
        expect(doc.placements.length).toBeGreaterThan(0);
        expect(doc.cpu.cr0).toBeTypeOf("number");
        expect(doc.cpu.gdtr_base).toBeTypeOf("number");
    });

    it("loads --module and --module-nounzip in command-line order, across each other", () => {
        const dir = mkdtempSync(join(tmpdir(), "mach86-order-"));
        const gz = (name: string) => {
            const f = join(dir, name);
            writeFileSync(f, gzipSync(Buffer.from(`${name} contents\n`)));
            return f;
        };
        const [a, b, c] = [gz("a.gz"), gz("b.gz"), gz("c.gz")];
        const r = cli([
            "boot",
            "--kernel",
            image("mbinfo"),
            // GRUB's loader: it decompresses --module and keeps --module-nounzip raw.
            "--loader",
            "grub",
            "--quiet",
            "--json",
            "--module-nounzip",
            `${a} first`,
            "--module",
            `${b} second`,
            `--module-nounzip=${c} third`,
        ]);
        expect(r.code, r.stderr).toBe(0);
        const mods = (JSON.parse(r.stdout) as { console: string }).console
            .split("\n")
            .filter((l) => l.startsWith("mod["));
        expect(mods).toHaveLength(3);
        // GRUB 2 passes the arguments after the file name as the module string.
        expect(mods[0]).toContain(`'first'`);
        expect(mods[1]).toContain(`'second'`);
        expect(mods[2]).toContain(`'third'`);
        // b was decompressed; a and c stayed gzip (their first bytes are not text).
        expect(mods[1]).toContain("head='b.gz con'");
        expect(mods[0]).toContain("head='........'");
        expect(mods[2]).toContain("head='........'");
    });

    it("--verbose reports where each piece was placed", () => {
        const r = cli(["boot", "--kernel", image("hello"), "--verbose", "--quiet"]);
        expect(r.code).toBe(0);
        expect(r.stderr).toMatch(/0x00100000/);
        expect(r.stderr).toMatch(/MBI/);
    });

    it("a guest crash exits 4 with a diagnosis, not a stack trace", () => {
        const r = cli(["boot", "--kernel", image("stop"), "--cmdline", "how=10"]);
        expect(r.code).toBe(4);
        expect(r.stderr).toMatch(
            /^mach86: guest crashed: CPU exception #\w+ could not be delivered/m,
        );
        expect(r.stderr).toMatch(
            /eip=0x[0-9a-f]{8} .*cr0=0x[0-9a-f]{8} cr2=0x[0-9a-f]{8} cr3=0x[0-9a-f]{8}/,
        );
        expect(r.stderr).toContain("| stop 10");
        expect(r.stderr).not.toMatch(/\n\s+at /);
    });

    it("a timeout exits 3", () => {
        expect(cli(["boot", "--kernel", image("loop"), "--timeout", "200ms", "--quiet"]).code).toBe(
            3,
        );
    });

    it("every command's --help documents its exit codes", () => {
        for (const cmd of [
            "boot",
            "layout",
            "pt",
            "bisect",
            "workload",
            "slabinfo",
            "zoneinfo",
            "whatis",
            "test",
            "report",
            "presets",
        ]) {
            const r = cli([cmd, "--help"]);
            expect(r.code, cmd).toBe(0);
            expect(r.stdout, cmd).toMatch(/Exit codes:\n {2}0 /);
            expect(r.stdout, cmd).toMatch(/\n {2}2 +bad input or usage/);
        }
        const boot = cli(["boot", "--help"]).stdout;
        for (const line of [
            /3 +timeout/,
            /4 +guest crash/,
            /5 +panic of the modelled/,
            /6 +machine reset/,
            /70 +internal error/,
            /130 +interrupted/,
            /--exit-code qemu/,
        ])
            expect(boot).toMatch(line);
    });
});

describe("cli: bad input is one line and exit 2", () => {
    const hello = () => image("hello");
    it("missing kernel file", () => {
        expectOneLineError(
            cli(["boot", "--kernel", join(tmp, "nope.elf")]),
            /nope\.elf: no such file/,
        );
    });
    it("missing module file", () => {
        expectOneLineError(
            cli(["boot", "--kernel", hello(), "--module", `${join(tmp, "gone.gz")} arg`]),
            /gone\.gz: no such file/,
        );
    });
    it("not a kernel", () => {
        const f = join(tmp, "text.bin");
        writeFileSync(f, "this is not a kernel\n".repeat(100));
        expectOneLineError(cli(["boot", "--kernel", f]), /text\.bin: /);
    });
    it("corrupt gzip module", () => {
        const f = join(tmp, "bad.gz");
        writeFileSync(f, Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5]));
        // QEMU's loader passes modules raw; GRUB's decompresses them, and reads the damage.
        expectOneLineError(
            cli(["boot", "--kernel", hello(), "--loader", "grub", "--module", f]),
            /bad\.gz: .*gzip/,
        );
    });
    it.each([
        ["lots", /--memory: "lots": expected a size/],
        ["64.5", /--memory: "64.5": a fraction needs a unit suffix/],
        ["1M", /--memory: .*below the 2 MiB minimum/],
        ["2G", /--memory: .*above the v86 engine's cap/],
        ["4G", /--memory: .*above the v86 engine's cap/],
    ])("--memory %s", (mem, pattern) => {
        expectOneLineError(cli(["boot", "--kernel", hello(), "--memory", mem]), pattern);
    });
    it("bad --timeout", () => {
        expectOneLineError(cli(["boot", "--kernel", hello(), "--timeout", "soon"]), /--timeout/);
    });
    it("unknown option and missing command", () => {
        expectOneLineError(cli(["boot", "--kernel", hello(), "--frobnicate"]), /frobnicate/);
        expectOneLineError(cli([]), /command/);
    });
});
