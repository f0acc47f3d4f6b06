/*
 * Boot tier: every preset named after a real GNU Mach kernel reproduces
 * that kernel's kernel_map, entry by entry, at the "multiboot modules" line.
 *
 * The real kernels (env MACH86_GNUMACH_DIR) print kernel_map->size and one
 * "kmap" line per kernel_map entry right after "N multiboot modules" (two
 * debug printfs added to their builds; they only read the map). Each one is
 * booted on mach86 with the d-i image's three modules in the image's order
 * and the same --memory, and compared with the model's layout at the same
 * point. Both run on the default loader, QEMU's: modules are passed raw
 * (the initrd stays compressed, as d-i loads it), and RAM ends 128 KiB
 * below --memory, as SeaBIOS reports it.
 *
 * The same comparison against QEMU: test/fixtures/qemu/gnumach/ holds the
 * real kernels' console under QEMU 7.2 (-initrd with the same modules in
 * the same order). The model is booted with the recording's -m as its
 * --memory. These cases need no real kernel at test time.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bootImage } from "../../lib/index.ts";
import type { Layout, LayoutEntry } from "../../kernel/layout.ts";
import { PRESETS } from "../../kernel/presets.ts";
import { CLI, ROOT } from "./helpers.ts";

const DI = join(ROOT, "images/debian-installer");
const FILES = join(ROOT, "build/images/debian-installer");
const GNUMACH = process.env["MACH86_GNUMACH_DIR"] || undefined;
/** Past the kmap lines (6.0-6.5 G instructions at 1856M), well before the panic's reboot. */
const MAX_INSTRUCTIONS = 7_500_000_000;

/** The bug's kernel by default (a real boot is ~7 G instructions); all four with MACH86_GNUMACH_ALL=1. */
const REAL = PRESETS.filter(
    (p) =>
        p.kernel !== undefined &&
        (process.env["MACH86_GNUMACH_ALL"] === "1" || p.name === "debian-2014"),
);
const missing =
    GNUMACH === undefined
        ? "MACH86_GNUMACH_DIR is not set"
        : REAL.map((p) => join(GNUMACH, p.kernel!)).find((f) => !existsSync(f));
if (missing) console.log(`presets_real: skipped, real GNU Mach kernels unavailable: ${missing}`);

const tmp = mkdtempSync(join(tmpdir(), "mach86-presets-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface RealMap {
    size: number;
    free: number;
    largest: number;
    entries: { start: number; end: number; submap: boolean; wired: boolean }[];
    ramdisk: string;
}

/** Boot the real kernel with the image's modules; resolves with its console. */
function boot_real(kernel: string, memory: string): Promise<string> {
    const initrd = join(FILES, "initrd.gz");
    const args = [
        CLI,
        "boot",
        "--kernel",
        kernel,
        "--module",
        `${initrd} initrd $(ramdisk-create)`,
        "--module",
        `${join(FILES, "ext2fs.static")} ext2fs --multiboot-command-line=\${kernel-command-line} ` +
            "--host-priv-port=${host-port} --device-master-port=${device-port} " +
            "--exec-server-task=${exec-task} -T typed gunzip:device:rd0 $(task-create) $(task-resume)",
        "--module",
        `${join(FILES, "ld.so.1")} exec /hurd/exec $(exec-task=task-create)`,
        "--cmdline",
        "console=com0 root=gunzip:device:rd0",
        "--memory",
        memory,
        "--max-instructions",
        String(MAX_INSTRUCTIONS),
        "--quiet",
        "--json",
    ];
    return new Promise((resolve, reject) => {
        const p = spawn(process.execPath, args, { cwd: ROOT });
        let out = "";
        p.stdout.on("data", (d: Buffer) => (out += d.toString()));
        p.on("error", reject);
        p.on("close", () => {
            try {
                resolve((JSON.parse(out) as { console: string }).console);
            } catch (e) {
                reject(new Error(`${kernel}: no JSON result (${String(e)}): ${out.slice(0, 300)}`));
            }
        });
    });
}

function parse_real(console: string): RealMap {
    const head =
        /kernel_map->size = (\d+) \[0x[0-9a-f]+-0x[0-9a-f]+\] free (\d+) largest hole (\d+)/.exec(
            console,
        );
    expect(head, "the kernel printed kernel_map->size").not.toBeNull();
    const entries = [
        ...console.matchAll(
            /^kmap 0x([0-9a-f]+)-0x([0-9a-f]+) +\d+ (submap )?obj \w+ wired (\d+)/gm,
        ),
    ].map((m) => ({
        start: parseInt(m[1]!, 16),
        end: parseInt(m[2]!, 16),
        submap: m[3] !== undefined,
        wired: m[4] !== "0",
    }));
    return {
        size: Number(head![1]),
        free: Number(head![2]),
        largest: Number(head![3]),
        entries,
        ramdisk: /rd0: \d+ bytes @[0-9a-f]+/.exec(console)?.[0] ?? "",
    };
}

async function model(
    preset: string,
    memory: string | number,
): Promise<{ layout: Layout; console: string }> {
    const r = await bootImage({ image: DI, preset, memory, engine: "none", points: ["modules"] });
    return { layout: r.kernel!.snapshots.get("modules") as Layout, console: r.console };
}

/** The model's kernel_map at 'multiboot modules' equals what the real kernel printed. */
function expect_same(p: string, m: { layout: Layout; console: string }, r: RealMap): void {
    const km = m.layout.kernel_map;
    const entries = km.entries.filter((e: LayoutEntry) => e.kind !== "hole");
    const holes = km.entries.filter((e: LayoutEntry) => e.kind === "hole");
    expect(km.size, `${p}: kernel_map->size`).toBe(r.size);
    expect(
        entries.map((e) => ({
            start: e.start,
            end: e.end,
            submap: e.kind === "submap",
            wired: e.wired,
        })),
        `${p}: the entries of kernel_map`,
    ).toEqual(r.entries);
    expect(holes.reduce((s, h) => s + h.size, 0)).toBe(r.free);
    expect(km.largest_free.size).toBe(r.largest);
    expect(m.console).toContain(r.ramdisk);
}

describe.skipIf(Boolean(missing))("presets true to the real kernels they name", () => {
    it(
        "the real kernel's kernel_map at 'multiboot modules' (1856M) equals its preset's, entry by entry",
        async () => {
            const memory = "1856M";
            const real = await Promise.all(
                REAL.map((p) => boot_real(join(GNUMACH!, p.kernel!), memory)),
            );
            for (const [i, p] of REAL.entries()) {
                const r = parse_real(real[i]!);
                const m = await model(p.name, memory);
                const km = m.layout.kernel_map;
                console.log(
                    `${p.name} vs ${p.kernel}: kernel_map->size ${km.size} / ${r.size}, ` +
                        `largest free ${km.largest_free.size} / ${r.largest}`,
                );
                expect_same(p.name, m, r);
            }
        },
        // Up to four real boots of ~7 G instructions each, side by side.
        300_000,
    );
});

const FIXTURES = join(ROOT, "test/fixtures/qemu/gnumach");

describe("presets against the real kernels' console under QEMU 7.2 (recorded)", () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith(".txt"));
    it.each(files)("%s", async (file) => {
        const text = readFileSync(join(FIXTURES, file), "utf8").replace(/\r/g, "");
        const kernel = /-kernel \$MACH86_GNUMACH_DIR\/(\S+)/.exec(text)![1]!;
        const preset = PRESETS.find((p) => p.kernel === kernel);
        expect(preset, `a preset named after ${kernel}`).toBeDefined();
        // The recording's -m is the model's --memory (both on QEMU's loader and map).
        const memory = / -m (\S+)/.exec(text)![1]!;
        const m = await model(preset!.name, memory);
        expect_same(`${preset!.name} at -m ${memory}`, m, parse_real(text));
    });
});
