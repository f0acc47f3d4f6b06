/*
 * bench/why.ts — where the time goes in the two rows whose goal is a ratio
 * to QEMU's own time (the cold boot and the real GNU Mach boot), measured
 * in the same bench run and printed under the table, so that a missed goal
 * comes with the figures that explain it:
 *
 *  - cold boot: Node.js's own start (`node -e 0`) is a row of its own,
 *    timed against the same QEMU runs; the text splits mach86's median into
 *    Node's start and the rest, and sets the rest against what the goal
 *    leaves after Node's start.
 *  - real GNU Mach: the guest's instruction count at three console lines,
 *    each from its own `mach86 boot IMAGE --kernel K --stop-at console:RE
 *    --verbose` (the count is deterministic), and the time each line
 *    appears in the longest of those runs: the guest speed of each phase
 *    and the speed the goal would need.
 */
import { spawn } from "node:child_process";
import type { Stats } from "./measure.ts";

/** A console line of the real kernel's boot, and what the text calls it. */
export interface Mark {
    label: string;
    re: RegExp;
}

/** One `--stop-at` run: when each mark's line appeared (ms from spawn) and the instruction count at the stop. */
export interface MarkedRun {
    at: (number | undefined)[];
    instructions: number;
}

/**
 * Run `argv` (a boot with --stop-at and --verbose) to its end, noting when
 * each mark first shows on stdout; its count is the one --verbose prints.
 */
export function markedRun(argv: string[], marks: Mark[]): Promise<MarkedRun> {
    const t0 = performance.now();
    const at: (number | undefined)[] = marks.map(() => undefined);
    return new Promise((resolve, reject) => {
        const p = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        let err = "";
        p.stdout.on("data", (b: Buffer) => {
            out += b.toString("latin1");
            const now = performance.now() - t0;
            marks.forEach((m, i) => {
                if (at[i] === undefined && m.re.test(out)) at[i] = now;
            });
        });
        p.stderr.on("data", (b: Buffer) => (err += b.toString("latin1")));
        p.on("error", reject);
        p.on("close", (code) => {
            const count = /mach86: (\d+) instructions/.exec(err);
            if (code !== 0 || !count)
                reject(
                    new Error(
                        `exit ${code} without an instruction count: ${argv.join(" ")}\n${err}`,
                    ),
                );
            else resolve({ at, instructions: Number(count[1]) });
        });
    });
}

const ms = (x: number) => `${Math.round(x)} ms`;
const mega = (x: number) => `${(x / 1e6).toFixed(0)} M`;
const mips = (instructions: number, ms: number) => `${(instructions / ms / 1000).toFixed(0)} MIPS`;

/** The cold boot's median split into Node's start and mach86's own part, against the goal's ratio. */
export function coldBootWhy(
    row: string,
    boot: Stats,
    node: Stats,
    qemu: Stats,
    ratio: number,
): string {
    const budget = qemu.median * ratio - node.median;
    return (
        `${row}: Node.js alone (\`node -e 0\`) took ${ms(node.median)}, ` +
        `${(node.median / qemu.median).toFixed(2)}× QEMU's whole run (${ms(qemu.median)}); ` +
        `mach86's own part (its median less Node's) was ${ms(boot.median - node.median)}, ` +
        `where the ≤ ${ratio.toFixed(1)}× goal leaves ${ms(budget)} after Node's start.`
    );
}

/**
 * The real kernel's phases between its marks (counts[i] at marks[i], one run's
 * line times), and the average speed its boot would need for the goal.
 */
export function realWhy(
    marks: Mark[],
    counts: number[],
    run: MarkedRun,
    boot: Stats,
    qemu: Stats,
    ratio: number,
): string {
    const phases: string[] = [];
    let fromN = 0;
    let fromT = 0;
    let from = "process start";
    marks.forEach((m, i) => {
        const t = run.at[i];
        const n = counts[i]!;
        const speed = t === undefined ? "" : ` in ${ms(t - fromT)} (${mips(n - fromN, t - fromT)})`;
        phases.push(`${from} to ${m.label}: ${mega(n - fromN)}${speed}`);
        [fromN, fromT, from] = [n, t ?? NaN, m.label];
    });
    const total = counts.at(-1)!;
    const goal = qemu.median * ratio;
    return (
        `real GNU Mach: ${mega(total)} guest instructions; ${phases.join("; ")} ` +
        `(line times from one run). mach86 averaged ${mips(total, boot.median)} over its median run ` +
        `(process start included); ≤ ${ratio.toFixed(1)}× QEMU (${ms(goal)}) needs ${mips(total, goal)}.`
    );
}
