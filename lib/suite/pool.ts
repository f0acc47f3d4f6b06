/*
 * lib/suite/pool.ts — the warm workers of `mach86 test`: up to `size`
 * processes of the bundled CLI in worker mode (cli/worker.ts), each
 * booting one case at a time and keeping V8's compiled code between cases,
 * so a case costs its boot and not a process start and a compile.
 *
 * A case in a worker is judged exactly as a case in its own process
 * (lib/suite/run.ts): the worker replies with the stdout, stderr and exit
 * code the command would have had. A worker that dies in a case gives that
 * case the worker's exit code or signal and what it wrote on stderr, as a
 * crashed child process would; one past the case's kill time is killed
 * (SIGKILL) and the case is a timeout. Either way the worker is replaced.
 * A worker is also retired after RECYCLE_AFTER cases, so that one case's
 * leftovers (a grown heap) cannot pile up over a long suite.
 *
 * prestart() forks workers before the first case is known, so that their
 * start (a Node process, the bundle, v86's wasm, a first machine) overlaps
 * the main process's reading and checking of the suite file.
 */
import { fork, type ChildProcess } from "node:child_process";

/** What a case's run printed and how it ended (the shape lib/suite/run.ts judges). */
export interface ChildRun {
    code: number | null;
    signal: string | null;
    killed: boolean;
    stdout: string;
    stderr: string;
    ms: number;
}

const RECYCLE_AFTER = 32;

interface Reply {
    id: number;
    unsupported?: boolean;
    code?: number;
    stdout?: string;
    stderr?: string;
}

class Worker {
    readonly proc: ChildProcess;
    jobs = 0;
    stderr = "";
    private waiting: ((r: Reply | { died: [number | null, string | null] }) => void) | undefined;

    constructor(cli: string) {
        this.proc = fork(cli, ["__suite-worker"], {
            stdio: ["ignore", "ignore", "pipe", "ipc"],
            serialization: "json",
        });
        this.proc.stderr!.on("data", (b: Buffer) => (this.stderr += b.toString("utf8")));
        this.proc.on("message", (m: Reply) => this.settle(m));
        // "close": after the exit and the end of its stderr, so a crash's last words are in.
        this.proc.on("close", (code, signal) => this.settle({ died: [code, signal] }));
    }

    private settle(r: Reply | { died: [number | null, string | null] }): void {
        const w = this.waiting;
        this.waiting = undefined;
        w?.(r);
    }

    get alive(): boolean {
        return this.proc.exitCode === null && this.proc.signalCode === null;
    }

    send(id: number, args: string[]): Promise<Reply | { died: [number | null, string | null] }> {
        this.jobs++;
        this.stderr = "";
        return new Promise((resolve) => {
            this.waiting = resolve;
            this.proc.send({ id, args });
        });
    }

    kill(): void {
        if (this.alive) this.proc.kill("SIGKILL");
    }
}

export class WorkerPool {
    private readonly idle: Worker[] = [];
    private readonly all = new Set<Worker>();
    private next = 0;
    private readonly cli: string;

    constructor(cli: string) {
        this.cli = cli;
    }

    private take(): Worker {
        let w = this.idle.pop();
        while (w && !w.alive) w = this.idle.pop();
        w ??= new Worker(this.cli);
        this.all.add(w);
        return w;
    }

    /** Fork `n` workers now, to be idle when the first cases come. */
    prestart(n: number): void {
        for (let i = 0; i < n; i++) {
            const w = new Worker(this.cli);
            this.all.add(w);
            this.idle.push(w);
        }
    }

    private give(w: Worker): void {
        if (w.alive && w.jobs < RECYCLE_AFTER) this.idle.push(w);
        else this.retire(w);
    }

    private retire(w: Worker): void {
        this.all.delete(w);
        w.kill();
    }

    /** Run `args` in a worker; undefined when the worker cannot (run the case in its own process). */
    async run(
        args: string[],
        killAfterMs: number,
        signal?: AbortSignal,
    ): Promise<ChildRun | undefined> {
        const t0 = performance.now();
        const w = this.take();
        let killed = false;
        const timer = setTimeout(() => {
            killed = true;
            w.kill();
        }, killAfterMs);
        const abort = () => w.kill();
        signal?.addEventListener("abort", abort);
        try {
            const r = await w.send(this.next++, args);
            const ms = performance.now() - t0;
            if ("died" in r) {
                this.retire(w);
                const [code, sig] = r.died;
                return { code, signal: sig, killed, stdout: "", stderr: w.stderr, ms };
            }
            this.give(w);
            if (r.unsupported) return undefined;
            return {
                code: r.code ?? null,
                signal: null,
                killed: false,
                stdout: r.stdout ?? "",
                stderr: r.stderr ?? "",
                ms,
            };
        } finally {
            clearTimeout(timer);
            signal?.removeEventListener("abort", abort);
        }
    }

    /** Stop every worker. */
    close(): void {
        for (const w of [...this.all, ...this.idle]) w.kill();
        this.all.clear();
        this.idle.length = 0;
    }
}
