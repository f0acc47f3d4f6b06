/*
 * Boot tier: the patches to v86's source (emulator/v86_internals.ts,
 * V86_PATCHES) only make its construction cheaper. Each applies to the
 * installed v86 or, when its pattern is not there as expected (another
 * v86 build), none does and the source is loaded exactly as shipped. This
 * process loads it unpatched (set_v86_patches(false)): every --kernel case
 * of full.json must then give, on a new machine and on reused ones, what
 * the CLI (patched) gives — stop, consoles, instruction count, registers.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { patch_v86_source, set_v86_patches, V86_PATCHES } from "../../emulator/v86_internals.ts";
import { boot, keep_machines, machines_reused } from "../../lib/index.ts";
import { CLI, ROOT } from "./helpers.ts";

set_v86_patches(false);

const require = createRequire(import.meta.url);
const SOURCE = readFileSync(join(dirname(require.resolve("v86")), "libv86.js"), "utf8");
const HEAD = "(function () {\n";
const TAIL = "\n})";

/** The first place `p` matches in `source` (its text without what a lookahead saw). */
function site(source: string, p: (typeof V86_PATCHES)[number]): { at: number; text: string } {
    const re = new RegExp(p.find.source);
    const m = re.exec(source)!;
    return { at: m.index, text: m[0] };
}

describe("patch_v86_source", () => {
    it("applies every patch to the installed v86", () => {
        const out = patch_v86_source(SOURCE, HEAD, TAIL);
        expect(out.startsWith(HEAD) && out.endsWith(TAIL)).toBe(true);
        expect(out).not.toBe(HEAD + SOURCE + TAIL);
        for (const p of V86_PATCHES) {
            const re = new RegExp(p.find.source, "g");
            expect(SOURCE.match(re)?.length, p.find.source).toBe(p.count);
            expect(out.match(re), p.find.source).toBeNull();
        }
        expect(out).toContain("this.ports=new Array(65536).fill(this.empty_entry)");
        // The script still compiles.
        expect(() => new Function(`return ${out}`)).not.toThrow();
    });

    it("leaves the source as it is when any pattern is missing or found too often", () => {
        for (const p of V86_PATCHES) {
            const { at, text } = site(SOURCE, p);
            const mid = at + (text.length >> 1);
            const missing = SOURCE.slice(0, mid) + " " + SOURCE.slice(mid);
            expect(patch_v86_source(missing, HEAD, TAIL)).toBe(HEAD + missing + TAIL);
            const twice = SOURCE + ";" + SOURCE.slice(at, at + text.length + 200);
            expect(patch_v86_source(twice, HEAD, TAIL)).toBe(HEAD + twice + TAIL);
        }
        expect(patch_v86_source(SOURCE, HEAD, TAIL, [])).toBe(HEAD + SOURCE + TAIL);
    });
});

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

/** The case in the CLI, a process of its own: v86 patched. */
function patched(c: KernelCase): Outcome {
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

/** The case through boot() in this process: v86 as shipped. */
async function unpatched(c: KernelCase): Promise<Outcome> {
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

describe("v86 as shipped (no patches)", () => {
    it("gives every --kernel case of full.json what patched v86 gives, new and reused", async () => {
        expect(CASES.length).toBeGreaterThanOrEqual(9);
        const expected = new Map(CASES.map((c) => [c.name, patched(c)]));
        for (const c of CASES) expect(await unpatched(c), c.name).toEqual(expected.get(c.name));
        await keep_machines(true);
        const before = machines_reused();
        const order = [...CASES, ...[...CASES].reverse()];
        for (const c of order) expect(await unpatched(c), c.name).toEqual(expected.get(c.name));
        expect(machines_reused() - before).toBe(order.length - 1);
        await keep_machines(false);
    });
});
