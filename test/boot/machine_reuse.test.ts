/*
 * Boot tier: a reused machine is invisible. `mach86 test` workers keep the
 * machine of one boot and reset it for the next (keep_machines, lib/boot.ts;
 * V86Cpu.reset). Every --kernel case of images/suites/full.json must give
 * the same result on a new machine and on a reused one — stop, exit value,
 * COM1 console, debug console, screen, instruction count and the CPU
 * registers at the stop — whatever case ran on the machine before (the
 * cases run forward, backward and forward again, so each follows two
 * different predecessors, triple faults included). The test also checks
 * that the machines really were reused.
 *
 * The new-machine results come from `mach86 boot --kernel … --json` in a
 * process of its own (each a machine nobody used before); the reused ones
 * from boot() in this process.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { boot, keep_machines, machines_reused } from "../../lib/index.ts";
import { CLI, ROOT } from "./helpers.ts";

interface KernelCase {
    name: string;
    kernel: string;
    cmdline?: string;
    memory?: string;
}

const SUITE = join(ROOT, "images/suites/full.json");
const CASES = (
    JSON.parse(readFileSync(SUITE, "utf8")) as { cases: (KernelCase & { image?: string })[] }
).cases
    .filter((c) => c.kernel !== undefined)
    .map((c) => ({ ...c, kernel: join(dirname(SUITE), c.kernel) }));

/** What both sides are compared on: the boot document's fields (cpu keys in snake_case). */
interface Outcome {
    stop: unknown;
    console: string;
    debugcon: string;
    instructions: number;
    cpu: Record<string, number>;
}

const snake = (o: object) =>
    Object.fromEntries(
        Object.entries(o).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), v]),
    ) as Record<string, number>;

/** The case on a new machine: `mach86 boot --kernel` in a process of its own. */
function fresh(c: KernelCase): Outcome {
    const args = ["boot", "--kernel", c.kernel, "--json", "--quiet"];
    if (c.cmdline !== undefined) args.push("--cmdline", c.cmdline);
    if (c.memory !== undefined) args.push("--memory", c.memory);
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8" });
    const d = JSON.parse(r.stdout) as Outcome;
    return {
        stop: d.stop,
        console: d.console,
        debugcon: d.debugcon,
        instructions: d.instructions,
        cpu: d.cpu,
    };
}

/** The case through boot() in this process (a kept machine when keep_machines is on). */
async function here(c: KernelCase): Promise<Outcome> {
    const r = await boot({
        kernel: c.kernel,
        cmdline: c.cmdline,
        memory: c.memory,
        deterministic: true,
    });
    return {
        stop: r.stop,
        console: r.console,
        debugcon: r.debugcon,
        instructions: r.instructions,
        cpu: snake(r.cpu),
    };
}

afterAll(async () => {
    await keep_machines(false);
});

describe("machine reuse (keep_machines)", () => {
    it("gives every --kernel case of full.json the same result as a new machine", async () => {
        expect(CASES.length).toBeGreaterThanOrEqual(9);
        const expected = new Map(CASES.map((c) => [c.name, fresh(c)]));
        await keep_machines(true);
        const before = machines_reused();
        const order = [...CASES, ...[...CASES].reverse(), ...CASES];
        for (const c of order) expect(await here(c), c.name).toEqual(expected.get(c.name));
        // Every boot but the first got a kept machine (all cases use 64M).
        expect(machines_reused() - before).toBe(order.length - 1);
        await keep_machines(false);
    });

    it("builds a machine for each RAM size and reuses each", async () => {
        const c = CASES.find((x) => x.name === "mbinfo")!;
        const small = { ...c, memory: "16M" };
        const mid = { ...c, memory: "32M" };
        const want = new Map([small, mid].map((x) => [x, fresh(x)]));
        await keep_machines(true);
        const before = machines_reused();
        for (const x of [small, mid, small, mid]) expect(await here(x)).toEqual(want.get(x));
        expect(machines_reused() - before).toBe(2);
        await keep_machines(false);
    });
});
