/*
 * Boot tier: the machine as the CLI offers it. `mach86 boot --kernel K
 * --memory N` with the default loader is `qemu-system-i386 -kernel K -m N`
 * (the probe's recorded output under QEMU 7.2, with the lines that cannot
 * match masked as in the emu tier); the consoles go where --serial and
 * --debugcon say; --screen and --json show the VGA text screen; loader
 * options are checked before anything runs.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { normalise } from "../emu/probe_masks.ts";
import { ROOT, cli } from "./helpers.ts";

const PROBE = "build/images/probe.elf";
const M = "test/fixtures/qemu/mods";
const THREE = [`${M}/a.txt one`, `${M}/b.bin`, `${M}/c.gz gz arg,with comma`];

/** The fixture's QEMU command line, as recorded (its second header line). */
function recorded(name: string): { text: string; command: string } {
    const text = readFileSync(join(ROOT, "test/fixtures/qemu", `${name}.txt`), "utf8");
    expect(text).toMatch(/^# QEMU emulator version 7\.2/);
    return { text, command: text.split("\n")[1]! };
}

describe("mach86 boot --kernel with the default loader is qemu-system-i386 -kernel", () => {
    const cases = [
        { fixture: "qemu-m64", memory: "64", cmdline: undefined, modules: [] as string[] },
        { fixture: "qemu-m64.5M", memory: "64.5M", cmdline: "tiny", modules: [] },
        { fixture: "qemu-m1856-three", memory: "1856", cmdline: "foo=1 bar", modules: THREE },
        { fixture: "qemu-m2047-three", memory: "2047", cmdline: "foo=1 bar", modules: THREE },
    ];
    for (const c of cases) {
        it(`${c.fixture}: --memory ${c.memory} prints what QEMU -m ${c.memory} printed`, () => {
            const ref = recorded(c.fixture);
            expect(ref.command.split(" ")).toContain(c.memory);
            expect(ref.command).toContain(` -m ${c.memory}`);
            const args = ["boot", "--kernel", PROBE, "--memory", c.memory, "--quiet", "--json"];
            if (c.cmdline !== undefined) args.push("--cmdline", c.cmdline);
            for (const m of c.modules) args.push("--module", m);
            const r = cli(args);
            expect(r.code, r.stderr).toBe(0);
            const doc = JSON.parse(r.stdout) as { console: string; loader: string };
            expect(doc.loader).toBe("qemu");
            expect(normalise(doc.console, "qemu")).toEqual(normalise(ref.text, "qemu"));
        });
    }
});

describe("consoles and screen", () => {
    it("COM1 and the debug console both stream to stdout by default; --serial/--debugcon move them", () => {
        const both = cli(["boot", "--kernel", "build/images/debugcon.elf"]);
        expect(both.code, both.stderr).toBe(0);
        expect(both.stdout).toContain("hello from port 0xe9");
        expect(both.stdout).toContain("hello from COM1");
        const split = cli([
            "boot",
            "--kernel",
            "build/images/debugcon.elf",
            "--debugcon",
            "stderr",
        ]);
        expect(split.stdout).not.toContain("hello from port 0xe9");
        expect(split.stderr).toContain("hello from port 0xe9");
        expect(split.stdout).toContain("hello from COM1");
        const none = cli(["boot", "--kernel", "build/images/debugcon.elf", "--serial", "none"]);
        expect(none.stdout).not.toContain("hello from COM1");
        expect(none.stdout).toContain("hello from port 0xe9");
    });

    it("--json carries both consoles whatever --serial and --debugcon say", () => {
        const r = cli([
            "boot",
            "--kernel",
            "build/images/debugcon.elf",
            "--json",
            "--debugcon",
            "none",
        ]);
        expect(r.code, r.stderr).toBe(0);
        const doc = JSON.parse(r.stdout) as { console: string; debugcon: string };
        expect(doc.debugcon).toContain("hello from port 0xe9");
        expect(doc.console).toContain("hello from COM1");
    });

    it("a kernel that writes hello to 0xB8000 and halts shows it with --screen, and in --json", () => {
        const r = cli(["boot", "--kernel", "build/images/screen.elf", "--screen"]);
        expect(r.code, r.stderr).toBe(0);
        const block = r.stdout.slice(r.stdout.indexOf("=== screen at the stop"));
        expect(block.split("\n").slice(0, 2)).toEqual([
            "=== screen at the stop (80x25) ===",
            "hello",
        ]);
        const j = JSON.parse(
            cli(["boot", "--kernel", "build/images/screen.elf", "--json"]).stdout,
        ) as {
            screen: string[];
        };
        expect(j.screen).toHaveLength(25);
        expect(j.screen[0]).toBe("hello");
    });

    it("--screen-watch prints the screen when it changed, at deterministic instruction counts", () => {
        const run = () =>
            cli([
                "boot",
                "--kernel",
                "build/images/screen.elf",
                "--screen-watch",
                "1000",
                "--serial",
                "none",
            ]);
        const a = run();
        expect(a.code, a.stderr).toBe(0);
        expect(a.stdout).toMatch(/^=== screen at \d+ instructions \(80x25\) ===\nhello\n/);
        expect(run().stdout).toBe(a.stdout);
    });
});

describe("loader and machine options are checked before anything runs", () => {
    const bad: [string[], RegExp][] = [
        [
            ["--loader", "uboot"],
            /^mach86: --loader: 'uboot' is not a loader \(qemu, grub, legacy\)$/,
        ],
        [["--memory-map", "/etc/hostname"], /^mach86: --memory-map: applies to --loader grub only/],
        [
            ["--loader", "grub", "--memory-map", "/no/such/map"],
            /^mach86: \/no\/such\/map: cannot read/,
        ],
        [["--memory", "64.5"], /^mach86: --memory: "64.5": a fraction needs a unit suffix/],
        [["--memory", "1.1M"], /^mach86: --memory: 1.1M: below the 2 MiB minimum/],
        [["--serial", "tty"], /^mach86: --serial: 'tty' is not one of stdout, stderr, none$/],
        [
            ["--screen-watch", "0"],
            /^mach86: --screen-watch: '0' is not a positive instruction count$/,
        ],
    ];
    for (const [extra, message] of bad) {
        it(`${extra.join(" ")} → exit 2, one line`, () => {
            const r = cli(["boot", "--kernel", "build/images/screen.elf", ...extra]);
            expect(r.code).toBe(2);
            expect(r.stdout).toBe("");
            expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
            expect(r.stderr.trimEnd()).toMatch(message);
        });
    }

    it("console and screen options that IMAGE --kernel K does not take yet are refused, not ignored", () => {
        for (const extra of [["--screen"], ["--debugcon", "none"], ["--serial", "none"]]) {
            const r = cli(["boot", "images/debian-installer", "--kernel", PROBE, ...extra]);
            expect(r.code, extra.join(" ")).toBe(2);
            expect(r.stderr).toMatch(/is not available with IMAGE --kernel K yet/);
        }
    });

    it("IMAGE --kernel K takes --icount: the same console, checked like --kernel's", () => {
        const plain = cli(["boot", "images/debian-installer", "--kernel", PROBE]);
        const slow = cli(["boot", "images/debian-installer", "--kernel", PROBE, "--icount", "2"]);
        expect(plain.code, plain.stderr).toBe(0);
        expect(slow.code, slow.stderr).toBe(0);
        expect(slow.stdout).toBe(plain.stdout);
        const bad = cli(["boot", "images/debian-installer", "--kernel", PROBE, "--icount", "11"]);
        expect(bad.code).toBe(2);
        expect(bad.stderr).toBe("mach86: --icount: '11' is not an integer from 0 to 10\n");
    });

    it("--loader grub --memory-map takes an e820 list from real hardware", () => {
        const map = join(mkdtempSync(join(tmpdir(), "mach86-machine-")), "e820.txt");
        writeMap(map);
        const r = cli([
            "boot",
            "--kernel",
            PROBE,
            "--loader",
            "grub",
            "--memory-map",
            map,
            "--json",
            "--quiet",
        ]);
        expect(r.code, r.stderr).toBe(0);
        const doc = JSON.parse(r.stdout) as { console: string; loader: string; memory: number };
        expect(doc.loader).toBe("grub");
        // RAM ends where the map's usable RAM ends (no --memory given).
        expect(doc.memory).toBe(0x7ffe0000);
        expect(doc.console).toContain(
            "mmap size=20 base=0x0000000000100000 len=0x000000007fee0000 type=1",
        );
        expect(doc.console).toContain(
            "mmap size=20 base=0x000000007ffe0000 len=0x0000000000020000 type=2",
        );
    });
});

/** A map in the form Linux prints at boot (dmesg), as a user would paste it. */
function writeMap(path: string): void {
    writeFileSync(
        path,
        [
            "[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable",
            "[    0.000000] BIOS-e820: [mem 0x000000000009fc00-0x000000000009ffff] reserved",
            "[    0.000000] BIOS-e820: [mem 0x00000000000f0000-0x00000000000fffff] reserved",
            "[    0.000000] BIOS-e820: [mem 0x0000000000100000-0x000000007ffdffff] usable",
            "[    0.000000] BIOS-e820: [mem 0x000000007ffe0000-0x000000007fffffff] reserved",
            "",
        ].join("\n"),
    );
}
