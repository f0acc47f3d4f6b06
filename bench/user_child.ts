/*
 * bench/user_child.ts — one boot of an image with user programs, in a fresh
 * process, timed line by line.
 *
 *   node build/bench/user_child.mjs IMAGE_DIR [ARGS]
 *
 * Boots IMAGE_DIR on the v86 engine through lib/kboot.ts
 * (prepare + kboot, as `mach86 boot IMAGE` does); ARGS, if given, replaces
 * the first module's arguments before the boot-script words
 * (`$(task-create) $(task-resume)` are kept). Every console line is
 * stamped with performance.now() when its newline reaches kboot's sink:
 * the kernel's printf (a user task's console_write) reaches the sink inside
 * the hypercall, so a line's stamp is the moment the program wrote it.
 * Prints one JSON object: status, the run's UserSummary, the guest
 * instruction count, the whole kboot wall time and the stamped lines.
 */
import { kboot } from "../lib/kboot.ts";
import { prepare } from "../lib/kcommands.ts";

const [image, args] = process.argv.slice(2);
const p = prepare({ image: image! });
if (args !== undefined) {
    const m = p.load.modules[0]!;
    const words = m.args.split(/\s+/).filter((w) => w.startsWith("$("));
    m.args = [args, ...words].join(" ");
}

const lines: { t: number; text: string }[] = [];
let partial = "";
const t0 = performance.now();
const r = await kboot({
    load: p.load,
    params: p.params,
    engine: "v86",
    steps: p.img.steps,
    sink: (text) => {
        const t = performance.now() - t0;
        const parts = (partial + text).split("\n");
        partial = parts.pop()!;
        for (const l of parts) lines.push({ t, text: l });
    },
});
const wallMs = performance.now() - t0;
if (partial) lines.push({ t: wallMs, text: partial });
const cpu = r.cpu as { instructions?: number } | undefined;
console.log(
    JSON.stringify({
        status: r.status,
        reason: r.reason,
        user: r.user ?? null,
        instructions: cpu?.instructions ?? null,
        wallMs,
        lines,
    }),
);
