/*
 * Boot tier: the bundled `mach86` command as a user runs it — exit codes,
 * one-line errors for bad input, never a stack trace.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
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

    it("passes the guest's exit value through", () => {
        expect(
            cli(["boot", "--kernel", image("exitcode"), "--cmdline", "code=7", "--quiet"]).code,
        ).toBe(7);
    });

    it("--json prints one JSON document with the stop reason and console", () => {
        const r = cli(["boot", "--kernel", image("hello"), "--json"]);
        expect(r.code).toBe(0);
        const doc = JSON.parse(r.stdout);
        expect(doc.stop).toEqual({ kind: "exit", value: 0 });
        expect(doc.console).toBe("Hello from mach86!\n");
        expect(doc.placements.length).toBeGreaterThan(0);
        expect(doc.cpu.cr0).toBeTypeOf("number");
    });

    it("--verbose reports where each piece was placed", () => {
        const r = cli(["boot", "--kernel", image("hello"), "--verbose", "--quiet"]);
        expect(r.code).toBe(0);
        expect(r.stderr).toMatch(/0x00100000/);
        expect(r.stderr).toMatch(/MBI/);
    });

    it("a guest crash exits 1 with a diagnosis, not a stack trace", () => {
        const r = cli(["boot", "--kernel", image("stop"), "--cmdline", "how=10"]);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/guest crashed/);
        expect(r.stderr).not.toMatch(/\n\s+at /);
    });

    it("a timeout exits 3", () => {
        expect(cli(["boot", "--kernel", image("loop"), "--timeout", "200ms", "--quiet"]).code).toBe(
            3,
        );
    });

    it("--help documents the exit codes", () => {
        const r = cli(["boot", "--help"]);
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(/Exit codes/);
        expect(r.stdout).toMatch(/3\s+timeout/);
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
        expectOneLineError(cli(["boot", "--kernel", hello(), "--module", f]), /bad\.gz: .*gzip/);
    });
    it.each([
        ["lots", /--memory: 'lots' is not a size/],
        ["1M", /--memory: .*below the 2 MiB minimum/],
        ["2G", /--memory: .*above the v86 engine's cap/],
        ["4G", /--memory: .*above the v86 engine's cap/],
        ["3000K", /--memory: .*128 KiB/],
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
