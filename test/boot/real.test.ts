/*
 * Boot tier: the real GNU Mach kernels (env MACH86_GNUMACH_DIR) booted with
 * the d-i image's modules on the qemu loader, stopped at stop points and
 * read from the host; `mach86 diff` against the model.
 *
 * - diff says identical for each of the four kernels with its preset on
 *   both sides of 1856M (QEMU -m: 1856M is the largest size whose RAM is
 *   not truncated, 1857M the first truncated one: both for the 2014
 *   kernel, one side each for the others), and catches a wrong preset;
 * - layout --kernel prints the kernel_map->size the kernel printed itself
 *   under QEMU 7.2 (test/fixtures/qemu/gnumach) and on mach86 (a console
 *   stop point just after its own debug printf);
 * - a stop at a symbol is reached with EIP there and the kernel's bytes
 *   back in guest RAM; a console stop comes right after the matching byte;
 * - slabinfo, pt and whatis --kernel print documents that validate;
 * - bad input is one line and exit 2, before anything boots.
 *
 * A real boot to the modules line is ~6 G guest instructions (5-10 s).
 * Everything is skipped, with the reason printed, without the kernels.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
    check_document,
    realBoot,
    realLayout,
    type DocumentSchema,
    type RealStopped,
} from "../../lib/index.ts";
import { CLI, ROOT, cli } from "./helpers.ts";

const DI = join(ROOT, "images/debian-installer");
const DIR = process.env["MACH86_GNUMACH_DIR"] || undefined;
const KERNELS: [string, string][] = [
    ["gnumach-debian-1.4-4", "debian-2014"],
    ["gnumach-debian-1.4-6", "debian-2014-fix"],
    ["gnumach-8d03c760-debian", "gnumach-8d03c760-debian"],
    ["gnumach-8d03c760-debian-kmem128", "gnumach-8d03c760-debian-kmem128"],
];
/**
 * RAM sizes per kernel (QEMU -m): 1856M is the largest untruncated size, 1857M the first
 * truncated one. Both for the 2014 kernel, one side each for the others (a real boot is
 * 5-10 s; the whole file stays near two minutes on two cores).
 */
const SIZES = ["1856M..1857M:1M", "1857M..1857M:1M", "1856M..1856M:1M", "1857M..1857M:1M"];
const MIBS = [[1856, 1857], [1857], [1856], [1857]];
const missing = !DIR
    ? "MACH86_GNUMACH_DIR is not set"
    : KERNELS.map(([k]) => join(DIR, k)).find((f) => !existsSync(f));
const skip = missing ? `${missing} (real GNU Mach kernels unavailable)` : undefined;
if (skip) console.log(`real.test: skipped: ${skip}`);
const kernel = (name: string) => join(DIR ?? "", name);

/** Run the CLI without blocking (several real boots side by side). */
function cli_async(
    args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
        const p = spawn(process.execPath, [CLI, ...args], { cwd: ROOT });
        let stdout = "";
        let stderr = "";
        p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        p.on("error", reject);
        p.on("close", (code) => resolve({ code, stdout, stderr }));
    });
}

async function valid(doc: { command: DocumentSchema }): Promise<void> {
    expect(await check_document(doc.command, doc)).toEqual([]);
}

interface DiffDoc {
    command: DocumentSchema;
    identical: boolean;
    results: {
        memory: number;
        identical: boolean;
        problem: string | null;
        differences: string[];
        real: { ram_end: number; reached: boolean };
        entries: { same: boolean }[] | null;
        values: { what: string; real: number; model: number }[] | null;
        caches: { same: boolean }[] | null;
    }[];
}

describe.skipIf(skip !== undefined)("real GNU Mach kernels read from the host", () => {
    it("diff: each kernel equals its preset on both sides of 1856M, entry by entry (with and without --icount); a wrong preset is caught", async () => {
        const runs = await Promise.all([
            ...KERNELS.map(([k, preset], i) =>
                cli_async([
                    "diff",
                    DI,
                    "--kernel",
                    kernel(k),
                    "--preset",
                    preset,
                    "--sweep",
                    SIZES[i]!,
                    // A virtual CPU speed changes how long delay loops run, not the layout.
                    ...(i === 0 ? [] : ["--icount", "4"]),
                    "--json",
                ]),
            ),
            cli_async([
                "diff",
                DI,
                "--kernel",
                kernel("gnumach-8d03c760-debian"),
                "--preset",
                "debian-2014",
                "--memory",
                "1856M",
                "--icount",
                "4",
            ]),
        ]);
        for (const [i, [k]] of KERNELS.entries()) {
            const r = runs[i]!;
            expect(r.code, `${k}: ${r.stderr}`).toBe(0);
            const doc = JSON.parse(r.stdout) as DiffDoc;
            await valid(doc);
            expect(doc.identical).toBe(true);
            expect(doc.results.map((x) => x.memory)).toEqual(MIBS[i]!.map((m) => m * 1048576));
            for (const x of doc.results) {
                expect(x.problem).toBeNull();
                expect(x.differences).toEqual([]);
                expect(x.entries!.length).toBe(8);
                expect(x.caches!.length).toBeGreaterThan(30);
                // The qemu loader's map ends 128 KiB below -m; the kernel's RAM ends there too.
                expect(x.real.ram_end).toBe(x.memory - 128 * 1024);
            }
            // RAM is truncated at 1857M (phys_last_addr below the end of RAM), not at 1856M.
            for (const x of doc.results) {
                const last = x.values!.find((v) => v.what === "phys_last_addr")!.real;
                if (x.memory === 1856 * 1048576) expect(last).toBe(x.real.ram_end);
                else expect(last).toBeLessThan(x.real.ram_end);
            }
        }
        const wrong = runs[KERNELS.length]!;
        expect(wrong.code, wrong.stderr).toBe(1);
        expect(wrong.stdout).toMatch(
            /^not identical: \d+ differences, first: kernel_map entry 0: /m,
        );
        expect(wrong.stdout).toMatch(/^! kernel_map->size +2108293120 +\d+$/m);
    }, 300_000);

    it("layout --kernel prints the kernel_map->size the kernel prints under QEMU 7.2", () => {
        const r = cli([
            "layout",
            DI,
            "--kernel",
            kernel("gnumach-debian-1.4-4"),
            "--memory",
            "1856M",
        ]);
        expect(r.code, r.stderr).toBe(0);
        const recorded = readFileSync(
            join(ROOT, "test/fixtures/qemu/gnumach/gnumach-debian-1.4-4-m1856.txt"),
            "utf8",
        );
        const printed = /kernel_map->size = (\d+)/.exec(recorded)![1];
        expect(r.stdout).toContain(`kernel_map->size at "multiboot modules": ${printed}\n`);
        expect(r.stdout).toMatch(/^kernel virtual space at boot point 'modules'/);
    });

    it("a console stop point: right after the matching byte; the map read there is the one just printed", async () => {
        const r = await realLayout({
            kernel: kernel("gnumach-8d03c760-debian"),
            image: DI,
            memory: "256M",
            stopAt: "console:largest hole \\d+ at 0x",
        });
        expect(r.boot.stop).toEqual({
            kind: "stop_point",
            point: "console:largest hole \\d+ at 0x",
        });
        expect(r.boot.console).toMatch(/largest hole \d+ at 0x$/);
        const size = Number(/kernel_map->size = (\d+)/.exec(r.boot.console)![1]);
        const hole = Number(/largest hole (\d+)/.exec(r.boot.console)![1]);
        expect(r.layout!.kernel_map.size).toBe(size);
        expect(r.layout!.kernel_map.largest_free.size).toBe(hole);
    }, 120_000);

    it("a symbol stop point: EIP at the symbol, the kernel's own bytes back in RAM", async () => {
        const k = kernel("gnumach-debian-1.4-6");
        let seen: { eip: string | undefined; ram: Uint8Array; file: Uint8Array } | undefined;
        const r = await realBoot(
            { kernel: k, image: DI, memory: "256M", stopAt: "kmem_cache_init" },
            (s: RealStopped) => {
                const g = s.gnumach();
                const va = s.result.cpu.eip;
                seen = {
                    eip: g.symbolize(va),
                    ram: g.view.mem.read(va, 16),
                    file: s.dbg().elf.readStatic(va, 16)!,
                };
            },
        );
        expect(r.stop).toEqual({ kind: "stop_point", point: "kmem_cache_init" });
        expect(r.reached).toBe(true);
        expect(seen!.eip).toBe("kmem_cache_init");
        expect(seen!.ram).toEqual(seen!.file);
        // The kernel had not printed its module lines yet.
        expect(r.console).not.toMatch(/multiboot modules/);
    }, 120_000);

    it("boot IMAGE --kernel, slabinfo, pt and whatis --kernel: documents that validate", async () => {
        const k = kernel("gnumach-8d03c760-debian");
        const [boot, slab, pt, whatis] = await Promise.all([
            cli_async([
                "boot",
                DI,
                "--kernel",
                k,
                "--memory",
                "128M",
                "--stop-at",
                "kmem_cache_init",
                "--json",
            ]),
            cli_async([
                "slabinfo",
                DI,
                "--kernel",
                k,
                "--memory",
                "512M",
                "--icount",
                "4",
                "--json",
            ]),
            cli_async([
                "pt",
                DI,
                "--kernel",
                k,
                "--memory",
                "128M",
                "--stop-at",
                "kmem_cache_init",
                "--va",
                "0x80100000",
                "--json",
            ]),
            cli_async([
                "whatis",
                DI,
                "--kernel",
                k,
                "--memory",
                "512M",
                "--stop-at",
                "kmem_cache_init",
                "0x90000000",
                "--json",
            ]),
        ]);
        for (const r of [boot, slab, pt, whatis]) expect(r.code, r.stderr).toBe(0);
        const docs = [boot, slab, pt, whatis].map(
            (r) => JSON.parse(r.stdout) as { command: DocumentSchema; mode: string },
        );
        for (const d of docs) {
            expect(d.mode).toBe("real");
            await valid(d);
        }
        const b = docs[0] as unknown as {
            console: string;
            stop: object;
            cmdline: string;
            loader: string;
        };
        expect(b.stop).toEqual({ kind: "stop_point", point: "kmem_cache_init" });
        expect(b.cmdline).toBe("console=com0 root=gunzip:device:rd0");
        expect(b.loader).toBe("qemu");
        type Cache = {
            name: string;
            obj_size: number;
            slab_size: number;
            nr_slabs: number;
            mem_usage: number;
        };
        const caches = (docs[1] as unknown as { caches: Cache[] }).caches;
        expect(caches.find((c) => c.name === "vm_map_entry")?.obj_size).toBe(60);
        for (const c of caches) expect(c.mem_usage).toBe((c.nr_slabs * c.slab_size) >> 10);
        const walk = (docs[2] as unknown as { walk: { pa: number } }).walk;
        expect(walk.pa).toBe(0x100000);
        const found = (
            docs[3] as unknown as { found: { maps: { map: string }[]; physical: number } }
        ).found;
        expect(found.maps.map((m) => m.map)).toEqual(["kernel_map"]);
        // In the direct map (VM_MIN_KERNEL_ADDRESS 0x80000000 + physical), through the CPU's tables.
        expect(found.physical).toBe(0x10000000);
    }, 180_000);

    it("bad input: one line, exit 2, before anything boots", () => {
        const k = kernel("gnumach-debian-1.4-4");
        const cases: [string[], RegExp][] = [
            [
                ["layout", DI, "--kernel", "/nonexistent/gnumach"],
                /^mach86: \/nonexistent\/gnumach: no such file\n$/,
            ],
            [
                ["layout", DI, "--kernel", k, "--stop-at", "no_such_symbol"],
                /^mach86: --stop-at: 'no_such_symbol' is not modules, console:REGEX or a code symbol of .*\n$/,
            ],
            [
                ["layout", DI, "--kernel", k, "--stop-at", "console:("],
                /^mach86: --stop-at: '\(' is not a regular expression .*\n$/,
            ],
            [
                ["layout", DI, "--kernel", k, "--preset", "debian-2014"],
                /^mach86: --preset: applies to the model only.*\n$/,
            ],
            [
                ["layout", DI, "--stop-at", "modules"],
                /^mach86: --stop-at: applies to a real kernel only.*\n$/,
            ],
            [
                ["diff", DI, "--kernel", k, "--sweep", "1900M..1800M:1M"],
                /^mach86: --sweep: 1900M is above 1800M\n$/,
            ],
            [
                ["diff", DI, "--kernel", k, "--loader", "lilo"],
                /^mach86: --loader: 'lilo' is not a loader .*\n$/,
            ],
            [["diff", DI, "--kernel", k, "--preset", "nope"], /^mach86: .*nope.*\n$/],
            [
                ["diff", DI, "--kernel", k, "--icount", "11"],
                /^mach86: --icount: '11' is not an integer from 0 to 10\n$/,
            ],
            [
                ["layout", DI, "--icount", "4"],
                /^mach86: --icount: applies to a real kernel only.*\n$/,
            ],
        ];
        for (const [args, err] of cases) {
            const r = cli(args);
            expect(r.code, args.join(" ")).toBe(2);
            expect(r.stderr).toMatch(err);
            expect(r.stdout).toBe("");
        }
    });
});
