/*
 * cli/worker.ts — a `mach86 test` pool worker (lib/suite/pool.ts): one
 * process that boots case after case, keeping V8's compiled code (the
 * bundle, v86.wasm and its tiers) from one case to the next.
 *
 * Each message is a case's `mach86 boot` arguments; the reply is what the
 * same command run as its own process would have printed on stdout and
 * stderr, and its exit code. Arguments the fast path does not read
 * (cli/fast.ts) are answered `unsupported`: the pool then runs that case
 * in a process of its own.
 *
 * The worker keeps the machine of each `boot --kernel` for the next one
 * (keep_machines, lib/boot.ts: reset to its constructed state, which gives
 * the same run as a new machine), and builds the first one as soon as it
 * starts, while the main process is still reading the suite; then it
 * says `ready` (the pool learns from it what a worker's start costs).
 */
import { keep_machines } from "../lib/boot_kernel.ts";
import type { Io } from "./commands.ts";
import { run_fast } from "./fast_run.ts";
import { error_exit_code } from "./finish.ts";

interface Job {
    id: number;
    args: string[];
}

async function run(job: Job): Promise<void> {
    const out: string[] = [];
    const err: string[] = [];
    const io: Io = { out: (t) => out.push(t), err: (t) => err.push(t), console: () => {} };
    const started = run_fast(job.args, io);
    if (!started) {
        process.send!({ id: job.id, unsupported: true });
        return;
    }
    let code: number;
    try {
        code = await started;
    } catch (e) {
        code = error_exit_code(e, job.args, (t) => err.push(t));
    }
    process.send!({ id: job.id, code, stdout: out.join(""), stderr: err.join("") });
}

// A failed preparation only means the first boot builds its own machine.
let queue: Promise<unknown> = keep_machines(true, true)
    .catch(() => {})
    .then(() => process.send!({ ready: true }));
process.on("message", (job: Job) => {
    queue = queue.then(() => run(job));
});
process.on("disconnect", () => process.exit(0));
