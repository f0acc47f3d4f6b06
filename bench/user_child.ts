/*
 * bench/user_child.ts — one boot of an image with user programs, in a fresh
 * process, timed line by line.
 *
 *   node build/bench/user_child.mjs IMAGE_DIR [ARGS]
 *
 * Boots IMAGE_DIR on the v86 engine through lib/model.ts
 * (prepare_image + boot_prepared, as `mach86 boot IMAGE` does); ARGS, if given, replaces
 * the first module's arguments before the boot-script words
 * (`$(task-create) $(task-resume)` are kept). Every console line is
 * stamped with performance.now() when its newline reaches the console sink:
 * the kernel's printf (a user task's console_write) reaches the sink inside
 * the hypercall, so a line's stamp is the moment the program wrote it.
 * Prints one JSON object: status, the run's UserSummary, the guest
 * instruction count, the whole kboot wall time and the stamped lines.
 */
import { boot_prepared, prepare_image } from "../lib/model.ts";

const [image, args] = process.argv.slice(2);
const p = await prepare_image({ image: image!, engine: "v86" });
if (args !== undefined) {
    const m = p.load.modules[0]!;
    const words = m.args.split(/\s+/).filter((w) => w.startsWith("$("));
    m.args = [args, ...words].join(" ");
}

const lines: { t: number; text: string }[] = [];
let partial = "";
const t0 = performance.now();
const decoder = new TextDecoder();
const r = await boot_prepared(p, {
    onConsole: (chunk) => {
        const text = decoder.decode(chunk, { stream: true });
        const t = performance.now() - t0;
        const parts = (partial + text).split("\n");
        partial = parts.pop()!;
        for (const l of parts) lines.push({ t, text: l });
    },
});
const wallMs = performance.now() - t0;
if (partial) lines.push({ t: wallMs, text: partial });
console.log(
    JSON.stringify({
        status: r.status,
        reason: r.reason,
        user: r.user ?? null,
        instructions: r.instructions,
        wallMs,
        lines,
    }),
);
