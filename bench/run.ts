/*
 * bench/run.ts — `make bench`: the speed goals of mach86, each a row timed
 * side by side with its yardstick in the same run (bench/measure.ts: whole
 * processes, A and B in turn, BENCH_RUNS runs each, default 5), printed as a Markdown table with min, median and
 * max and written to build/bench/results/speed.json and speed.md (only
 * the first row gets a warm-up run: it loads node, the bundle and v86 into
 * the page cache for the rest, and the three minutes allow no more). The
 * recorded copy in bench/results/ changes only with `make bench-record`.
 * Progress goes to stderr. `make bench-extras` runs the longer user-program
 * and allocator benchmarks (bench/extras.ts).
 *
 * Rows (a yardstick that is not installed, or the real GNU Mach kernels
 * absent, leaves its row out with the reason printed):
 *  1. cold boot of a trivial kernel, `mach86 boot --kernel hello.elf` vs
 *     `qemu-system-i386 -kernel hello.elf`;
 *  2. real GNU Mach 8d03c760 at 1856M from process start to its
 *     kernel_map->size line, and `mach86 diff` of it and its preset, both
 *     against one QEMU boot to that line a round (env MACH86_GNUMACH_DIR);
 *  3. the modelled d-i boot at 1856M, engine none and v86; bisect
 *     64M..2047M; report --sweep 1024M..2047M:64M; --dump at 1856M;
 *  4. `mach86 test` of the --kernel cases of images/suites/full.json vs
 *     the same kernels booted one after the other under QEMU;
 *  5. guest speed (MIPS of the spin kernel) vs bare v86 with the same V8
 *     flags, and bare v86 with V8's defaults.
 * Row 1 has a companion, Node.js's own start against the same QEMU runs;
 * under the table, "Where the time goes" (bench/why.ts) explains rows 1
 * and 2 from this run's figures.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { installed, sharing, stats, type Cmd, type Paired, type Stats } from "./measure.ts";
import { coldBootWhy, markedRun, realWhy, type Mark } from "./why.ts";

// Run from the repository root (make bench does).
const ROOT = process.cwd();
const CLI = join(ROOT, "dist/mach86.mjs");
const IMG = join(ROOT, "build/images");
const OUT = join(ROOT, "build/bench/results");
const DI = join(ROOT, "images/debian-installer");
const RUNS = Math.max(1, Number(process.env["BENCH_RUNS"] ?? 5));
const GNUMACH = process.env["MACH86_GNUMACH_DIR"] || undefined;
/** Set on the project's machine, and a cost of every Node start there (the cold-boot rows). */
const CA_VAR = "NODE_EXTRA_CA_CERTS";
/** `mach86 boot --icount N` for the real-kernel row (BENCH_ICOUNT= for none; the virtual CPU speed). */
const ICOUNT = process.env["BENCH_ICOUNT"] ?? "4";

interface Goal {
    /** mach86 / yardstick ratio at most this. */
    ratio?: number;
    /** mach86's median wall time at most this. */
    ms?: number;
    /** mach86's median peak RSS at most this. */
    mib?: number;
}

interface Result {
    name: string;
    a: string;
    b?: string;
    unit: "ms" | "MIPS";
    aStats: Stats;
    bStats?: Stats;
    ratio?: Stats;
    rss?: Stats;
    goal?: Goal;
    met?: boolean;
    note?: string;
}

const mach86 = (...args: string[]): string[] => [process.execPath, CLI, ...args];

const QEMU_BASE = ["-display", "none", "-monitor", "none", "-no-reboot", "-m"];

/** qemu-system-i386 booting a test kernel: isa-debug-exit turns its exit-port write into status (v << 1) | 1. */
function qemuKernel(kernel: string, cmdline?: string): string[] {
    return [
        "qemu-system-i386",
        "-kernel",
        kernel,
        ...(cmdline ? ["-append", cmdline] : []),
        "-serial",
        "null",
        "-device",
        "isa-debug-exit,iobase=0xf4,iosize=4",
        ...QEMU_BASE,
        "64",
    ];
}

const results: Result[] = [];
/** The lines under the table (bench/why.ts), added by the rows they explain. */
const why: string[] = [];
const total = { rows: 0, done: 0 };
const t0 = performance.now();

function say(s: string): void {
    const el = ((performance.now() - t0) / 1000).toFixed(0).padStart(3);
    process.stderr.write(`[${el}s] ${s}\n`);
}

function judge(r: Result): boolean | undefined {
    const g = r.goal;
    if (!g) return undefined;
    let ok = true;
    if (g.ratio !== undefined) ok &&= (r.ratio?.median ?? Infinity) <= g.ratio;
    if (g.ms !== undefined) ok &&= r.aStats.median <= g.ms;
    if (g.mib !== undefined) ok &&= (r.rss?.median ?? Infinity) <= g.mib;
    return ok;
}

/** Time a (and b) and keep the row; a row that fails is reported and left out. */
async function row(name: string, a: Cmd, b: Cmd | undefined, goal?: Goal): Promise<void> {
    await rows([{ name, a, goal }], b);
}

interface RowSpec {
    name: string;
    a: Cmd;
    goal?: Goal;
}

/** Rows timed against one yardstick b, run once a round for all of them (measure.ts sharing). */
async function rows(all: RowSpec[], b: Cmd | undefined): Promise<void> {
    const specs = all.filter((s) => wanted(s.name));
    if (specs.length < all.length) total.done += all.length - specs.length;
    if (specs.length === 0) return;
    const k = total.done + 1;
    total.done += specs.length;
    const name = specs.map((s) => s.name).join(" + ");
    const n = `${k}${specs.length > 1 ? `-${total.done}` : ""}/${total.rows}`;
    say(`(${n}) ${name}`);
    let ps: Paired[];
    try {
        ps = await sharing(
            specs.map((s) => s.a),
            b,
            RUNS,
            k === 1,
            (i) => say(`(${n}) ${name}: run ${i}/${RUNS}`),
        );
    } catch (e) {
        say(`(${n}) ${name}: FAILED: ${e instanceof Error ? e.message : e}`);
        for (const s of specs)
            results.push({
                name: s.name,
                a: s.a.label,
                unit: "ms",
                aStats: stats([NaN]),
                note: "failed",
            });
        return;
    }
    specs.forEach((s, i) => results.push(result(s, b, ps[i]!)));
}

function result(s: RowSpec, b: Cmd | undefined, p: Paired): Result {
    const rss = p.a.map((x) => x.rssMiB).filter((x): x is number => x !== undefined);
    const r: Result = {
        name: s.name,
        a: s.a.label,
        b: b?.label,
        unit: "ms",
        aStats: stats(p.a.map((x) => x.ms)),
        bStats: b ? stats(p.b.map((x) => x.ms)) : undefined,
        ratio: b ? stats(p.ratios) : undefined,
        rss: rss.length ? stats(rss) : undefined,
        goal: s.goal,
    };
    r.met = judge(r);
    return r;
}

/** BENCH_ONLY=REGEX runs only the rows whose name matches (while working on one goal). */
const ONLY = process.env["BENCH_ONLY"] ? new RegExp(process.env["BENCH_ONLY"], "i") : undefined;
const wanted = (name: string): boolean => !ONLY || ONLY.test(name);

function skip(name: string, why: string): void {
    ++total.done;
    say(`${name}: skipped: ${why}`);
    results.push({ name, a: "-", unit: "ms", aStats: stats([NaN]), note: `skipped: ${why}` });
}

// ---- the rows -------------------------------------------------------------

async function coldBoot(qemu: boolean): Promise<void> {
    const hello = join(IMG, "hello.elf");
    const name = "cold boot, trivial kernel (hello.elf)";
    const a = { label: "mach86 boot --kernel", argv: mach86("boot", "--kernel", hello, "--quiet") };
    const node = { label: "node -e 0", argv: [process.execPath, "-e", "0"] };
    const b = { label: "qemu-system-i386 -kernel", argv: qemuKernel(hello), ok: [1] };
    const goal = { ratio: 1.0 };
    const specs: RowSpec[] = [
        { name, a, goal },
        { name: "Node.js's own start, the floor under the cold boot", a: node },
    ];
    // Node reads the bundle NODE_EXTRA_CA_CERTS names at every start (lib/suite/pool.ts
    // child_env); where this machine sets it, both rows again without it, as Node starts by default.
    const unset = CA_VAR in process.env ? [CA_VAR] : [];
    if (unset.length)
        specs.push(
            { name: `${name}, without ${CA_VAR}`, a: { ...a, unset }, goal },
            { name: `Node.js's own start, without ${CA_VAR}`, a: { ...node, unset } },
        );
    await rows(specs, qemu ? b : undefined);
    for (const [boot, floor] of [
        [name, specs[1]!.name],
        [specs[2]?.name, specs[3]?.name],
    ]) {
        const [r, f] = [
            results.find((x) => x.name === boot),
            results.find((x) => x.name === floor),
        ];
        if (r?.bStats && f?.bStats)
            why.push(coldBootWhy(r.name, r.aStats, f.aStats, r.bStats, goal.ratio));
    }
}

/** The d-i image's modules with their boot-script lines, in its order (images/debian-installer). */
const DI_MODULES = [
    `${join(IMG, "debian-installer/initrd.gz")} initrd $(ramdisk-create)`,
    `${join(IMG, "debian-installer/ext2fs.static")} ext2fs --multiboot-command-line=\${kernel-command-line} ` +
        "--host-priv-port=${host-port} --device-master-port=${device-port} " +
        "--exec-server-task=${exec-task} -T typed gunzip:device:rd0 $(task-create) $(task-resume)",
    `${join(IMG, "debian-installer/ld.so.1")} exec /hurd/exec $(exec-task=task-create)`,
];
const GNUMACH_CMDLINE = "console=com0 root=gunzip:device:rd0";

/**
 * The real kernel 8d03c760 with d-i's modules, as test/fixtures/qemu/gnumach/
 * records them: booted to its kernel_map->size line, and `mach86 diff`
 * against its preset (the real boot, the model's, the comparison). Both rows
 * share one QEMU yardstick a round, the same boot to the same line: it is
 * the slowest command of the bench.
 */
async function realGnuMach(qemu: boolean): Promise<void> {
    const name = "real GNU Mach 8d03c760 at 1856M, start to kernel_map->size line";
    const diffName = "mach86 diff, real GNU Mach 8d03c760 vs its preset at 1856M";
    if (!GNUMACH) {
        skip(name, "MACH86_GNUMACH_DIR is not set");
        return skip(diffName, "MACH86_GNUMACH_DIR is not set");
    }
    const kernel = join(GNUMACH, "gnumach-8d03c760-debian");
    const mods = DI_MODULES;
    const cmdline = GNUMACH_CMDLINE;
    const until = /kernel_map->size = \d+/;
    const icount = ICOUNT ? ["--icount", ICOUNT] : [];
    const boot: Cmd = {
        label: `mach86 boot --kernel${ICOUNT ? ` --icount ${ICOUNT}` : ""}`,
        // The initrd stays compressed, as QEMU loads it: --module-nounzip.
        argv: mach86(
            "boot",
            "--kernel",
            kernel,
            ...mods.flatMap((m) => ["--module-nounzip", m]),
            "--cmdline",
            cmdline,
            "--memory",
            "1856M",
            ...icount,
        ),
        until,
    };
    const diff: Cmd = {
        label: `mach86 diff${ICOUNT ? ` --icount ${ICOUNT}` : ""}`,
        argv: mach86(
            "diff",
            DI,
            "--kernel",
            kernel,
            "--preset",
            "gnumach-8d03c760-debian",
            "--memory",
            "1856M",
            ...icount,
        ),
    };
    const goal = { ratio: 0.5 };
    await rows(
        [
            { name, a: boot, goal },
            { name: diffName, a: diff },
        ],
        qemu ? qemuGnuMach(kernel, mods, cmdline) : undefined,
    );
    const r = results.find((x) => x.name === name);
    if (r?.bStats) await realGnuMachWhy(kernel, icount, r.aStats, r.bStats, goal.ratio);
}

/**
 * The phases of the real kernel's boot (bench/why.ts): its instruction count
 * at three console lines, each from `boot IMAGE --kernel K --stop-at`, the
 * d-i image's boot of the same kernel, modules, command line and memory.
 */
async function realGnuMachWhy(
    kernel: string,
    icount: string[],
    boot: Stats,
    qemu: Stats,
    ratio: number,
): Promise<void> {
    const marks: Mark[] = [
        { label: "'GNU Mach'", re: /GNU Mach/ },
        { label: "'pci_init'", re: /pci_init/ },
        { label: "the kernel_map line", re: /kernel_map->size = \d+/ },
    ];
    say("real GNU Mach: instruction counts at its console lines (where the time goes)");
    try {
        const runs = [];
        for (const m of marks) {
            const stop = `console:${m.re.source}`;
            const argv = mach86("boot", DI, "--kernel", kernel, "--memory", "1856M", ...icount);
            runs.push(await markedRun([...argv, "--stop-at", stop, "--verbose"], marks));
        }
        const counts = runs.map((x) => x.instructions);
        why.push(realWhy(marks, counts, runs.at(-1)!, boot, qemu, ratio));
    } catch (e) {
        say(`real GNU Mach: instruction counts FAILED: ${e instanceof Error ? e.message : e}`);
    }
}

/** The yardstick of the real-kernel rows: the same boot under QEMU, to its kernel_map line. */
function qemuGnuMach(kernel: string, mods: string[], cmdline: string): Cmd {
    return {
        label: "qemu-system-i386 -kernel -initrd",
        argv: [
            "qemu-system-i386",
            "-kernel",
            kernel,
            "-append",
            cmdline,
            "-initrd",
            mods.join(","),
            "-serial",
            "stdio",
            ...QEMU_BASE,
            "1856",
        ],
        until: /kernel_map->size = \d+/,
    };
}

async function modelled(): Promise<void> {
    const di = (engine: string) =>
        mach86("boot", DI, "--memory", "1856M", "--engine", engine, "--quiet");
    await row(
        "modelled d-i boot at 1856M, engine none",
        { label: "mach86 boot d-i --engine none", argv: di("none") },
        undefined,
        { ms: 300 },
    );
    await row(
        "modelled d-i boot at 1856M, engine v86",
        { label: "mach86 boot d-i --engine v86", argv: di("v86") },
        undefined,
        { ms: 500 },
    );
    const bisect = ["--preset", "debian-2014", "--range", "64M..2047M", "--engine", "none"];
    await row(
        "bisect d-i 64M..2047M, engine none",
        { label: "mach86 bisect", argv: mach86("bisect", DI, ...bisect, "--json") },
        undefined,
        { ms: 2000 },
    );
    // Exit 1: d-i does not boot at 1856M with debian-2014 (the page is still written).
    const html = join(OUT, "sweep.html");
    const sweep = ["--preset", "debian-2014", "--memory", "1856M", "--engine", "none"];
    await row(
        "report --sweep 1024M..2047M:64M",
        {
            label: "mach86 report --sweep",
            argv: mach86("report", DI, ...sweep, "--sweep", "1024M..2047M:64M", "--html", html),
            ok: [1],
        },
        undefined,
        { ms: 3000 },
    );
    await row(
        "--dump at 1856M (engine v86)",
        {
            label: "mach86 boot d-i --dump",
            argv: mach86("boot", DI, "--memory", "1856M", "--quiet", "--dump", join(OUT, "dump")),
        },
        undefined,
        { ms: 2000, mib: 300 },
    );
}

/** A suite of full.json's --kernel cases that stop by themselves under QEMU (not `halt`). */
function kernelSuite(): { file: string; cases: { kernel: string; cmdline?: string }[] } {
    const full = JSON.parse(readFileSync(join(ROOT, "images/suites/full.json"), "utf8")) as {
        cases: { name: string; kernel?: string; cmdline?: string; expect: { stop?: string } }[];
    };
    const dir = join(ROOT, "images/suites");
    const cases = full.cases
        .filter((c) => c.kernel !== undefined && c.expect.stop !== "halt")
        .map((c) => ({ ...c, kernel: join(dir, c.kernel!) }));
    const file = join(OUT, "kernels.json");
    writeFileSync(file, JSON.stringify({ name: "kernels", cases }, null, 1) + "\n");
    return { file, cases };
}

async function suite(qemu: boolean): Promise<void> {
    const s = kernelSuite();
    const name = `mach86 test, ${s.cases.length} --kernel cases of full.json vs one by one under QEMU`;
    // B: one shell running each kernel's qemu in turn (exit statuses are the guests').
    const q = s.cases.map((c) =>
        qemuKernel(c.kernel, c.cmdline)
            .map((w) => `'${w}'`)
            .join(" "),
    );
    await row(
        name,
        { label: "mach86 test", argv: mach86("test", s.file) },
        qemu
            ? {
                  label: "qemu-system-i386, each kernel",
                  argv: ["sh", "-c", q.join("; ") + "; true"],
              }
            : undefined,
        { ratio: 0.5 },
    );
}

/** MIPS of the spin kernel in a fresh process (bench/mips_child.ts). */
function mips(mode: string): number {
    const r = spawnSync(
        process.execPath,
        [join(ROOT, "build/bench/mips_child.mjs"), mode, join(IMG, "spin.elf")],
        { encoding: "utf8", timeout: 120_000 },
    );
    const m = /MIPS=([\d.]+)/.exec(r.stdout);
    if (!m) throw new Error(`mips ${mode} failed: ${r.stdout}${r.stderr}`);
    return Number(m[1]);
}

function guestSpeed(): void {
    const name = "guest speed, spin kernel (MIPS; ratio = mach86 / bare v86)";
    if (!wanted(name)) return;
    say(`(${++total.done}/${total.rows}) ${name}`);
    const ours: number[] = [];
    const same: number[] = [];
    const dflt: number[] = [];
    for (let i = 0; i < RUNS; i++) {
        say(`(${total.done}/${total.rows}) ${name}: run ${i + 1}/${RUNS}`);
        ours.push(mips("mach86"));
        same.push(mips("v86"));
        dflt.push(mips("v86-default-flags"));
    }
    const ratios = (ref: number[]) => stats(ours.map((x, i) => x / ref[i]!));
    const base = { a: "mach86 Machine", unit: "MIPS" as const, aStats: stats(ours) };
    results.push({
        ...base,
        name,
        b: "bare v86, same V8 flags",
        bStats: stats(same),
        ratio: ratios(same),
    });
    results.push({
        ...base,
        name: "guest speed against bare v86 with V8's default flags (the old baseline)",
        b: "bare v86, V8 defaults",
        bStats: stats(dflt),
        ratio: ratios(dflt),
    });
}

// ---- output ---------------------------------------------------------------

const fmt = (s: Stats | undefined, unit: string, digits = 0) =>
    !s || Number.isNaN(s.median)
        ? "-"
        : `${s.median.toFixed(digits)} ${unit} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;

function goalText(g: Goal | undefined): string {
    if (!g) return "-";
    const parts = [];
    if (g.ratio !== undefined) parts.push(`≤ ${g.ratio.toFixed(1)}×`);
    if (g.ms !== undefined) parts.push(`≤ ${g.ms} ms`);
    if (g.mib !== undefined) parts.push(`≤ ${g.mib} MiB`);
    return parts.join(", ");
}

function table(): string {
    const lines = [
        `| work | mach86, median (min–max) | yardstick, median (min–max) | ratio, median of pairs (min–max) | peak RSS | goal | met |`,
        `|---|---|---|---|---|---|---|`,
    ];
    for (const r of results) {
        const a = r.note?.startsWith("skipped") ? r.note : `${r.a}: ${fmt(r.aStats, r.unit)}`;
        const b = r.b ? `${r.b}: ${fmt(r.bStats, r.unit)}` : "-";
        const ratio = r.ratio ? fmt(r.ratio, "×", 2).replace(" ×", "×") : "-";
        const met = r.met === undefined ? "-" : r.met ? "yes" : "**no**";
        lines.push(
            `| ${r.name} | ${a} | ${b} | ${ratio} | ${fmt(r.rss, "MiB")} | ${goalText(r.goal)} | ${met} |`,
        );
    }
    return lines.join("\n");
}

/** "Where the time goes" under the table: bench/why.ts's lines, when the rows made any. */
function explanation(): string {
    if (why.length === 0) return "";
    return ["", "", "Where the time goes (this run):", "", ...why.map((w) => `- ${w}`)].join("\n");
}

async function main(): Promise<void> {
    mkdirSync(OUT, { recursive: true });
    const qemu = installed("qemu-system-i386");
    if (!qemu) say("qemu-system-i386 not installed: rows without their QEMU yardstick");
    total.rows = CA_VAR in process.env ? 13 : 11;
    say(`make bench: ${total.rows} rows, ${RUNS} runs each (BENCH_RUNS), results in ${OUT}`);
    await coldBoot(qemu);
    await realGnuMach(qemu);
    await modelled();
    await suite(qemu);
    guestSpeed();
    const md = table() + explanation();
    console.log(md);
    const doc = {
        date: new Date().toISOString(),
        node: process.version,
        runs: RUNS,
        commit: spawnSync("git", ["rev-parse", "--short", "HEAD"], {
            encoding: "utf8",
        }).stdout.trim(),
        wall_s: Math.round((performance.now() - t0) / 100) / 10,
        rows: results,
        why,
    };
    writeFileSync(join(OUT, "speed.json"), JSON.stringify(doc, null, 2) + "\n");
    writeFileSync(join(OUT, "speed.md"), md + "\n");
    say(`written ${join(OUT, "speed.json")} and speed.md (${doc.wall_s} s)`);
}

await main();
