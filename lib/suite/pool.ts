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
 * The first worker starts before the first case is known, so that its
 * start (a Node process, the bundle, v86's wasm, a first machine: ~0.3 s
 * of a core) overlaps the main process's own: `mach86 test` forks it as
 * its first act (prefork(), from cli/entry.ts), and a pool made through
 * the library forks it before reading the suite file (prestart()). More workers, up to the suite's jobs, are forked only when
 * cases wait longer than a start costs (take()): on 2 cores a second
 * worker's start would take the core the first one and the main process
 * need, for cases that are over in milliseconds.
 */
import { fork, type ChildProcess } from "node:child_process";
import type { Socket } from "node:net";

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

/**
 * The environment of a case's Node process (a warm worker, or a case's own
 * process with --isolate): the suite's, without NODE_EXTRA_CA_CERTS. Node
 * 20 reads and parses the certificate bundle that names at every process
 * start, before any JavaScript runs (with the system bundle, ~40 ms of a
 * ~60 ms `node -e 0` on the project's machine), and prints a warning on
 * stderr when it cannot, which would then read as the case's own output.
 * A case makes no TLS connection: the certificates could never be used.
 */
export function child_env(): NodeJS.ProcessEnv {
    const env = { ...process.env };
    delete env["NODE_EXTRA_CA_CERTS"];
    return env;
}

interface Reply {
    /** A worker says it has started (loaded and built its first machine): no case's reply. */
    ready?: boolean;
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

    /** Ms from the fork to the worker's "ready" (undefined until then). */
    startMs: number | undefined;
    /** Told when the worker is ready (set by the pool that owns it). */
    onReady: ((w: Worker) => void) | undefined;

    readonly cli: string;

    constructor(cli: string) {
        this.cli = cli;
        const t0 = performance.now();
        this.proc = fork(cli, ["__suite-worker"], {
            env: child_env(),
            stdio: ["ignore", "ignore", "pipe", "ipc"],
            serialization: "json",
        });
        this.proc.stderr!.on("data", (b: Buffer) => (this.stderr += b.toString("utf8")));
        this.proc.on("message", (m: Reply) => {
            if (!m.ready) return this.settle(m);
            this.startMs = performance.now() - t0;
            this.onReady?.(this);
        });
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

    /** Whether the worker keeps the main process running (a preforked one does not until adopted). */
    hold(on: boolean): void {
        const handles = [this.proc, this.proc.channel, this.proc.stderr as unknown as Socket];
        for (const h of handles)
            if (on) h?.ref();
            else h?.unref();
    }
}

/** The worker prefork() started, until a pool for the same CLI adopts it. */
let preforked: Worker | undefined;

/**
 * Fork a worker at the very start of `mach86 test`, before the command
 * line parser is even loaded (cli/entry.ts): the worker's start (~0.3 s of
 * a core) then overlaps all of the main process's own start. Until a pool
 * adopts it the worker does not keep the main process alive; a run that
 * never gets to its cases (bad input, --help) exits, and the worker, its
 * IPC channel gone, exits too.
 */
export function prefork(cli: string): void {
    preforked = new Worker(cli);
    preforked.hold(false);
}

function adopt_preforked(cli: string): Worker | undefined {
    const w = preforked;
    preforked = undefined;
    if (!w || w.cli !== cli || !w.alive) {
        w?.kill();
        return undefined;
    }
    w.hold(true);
    return w;
}

export class WorkerPool {
    private readonly idle: Worker[] = [];
    private readonly all = new Set<Worker>();
    /** Cases waiting for a free worker, first come first served. */
    private readonly waiters: { give: (w: Worker) => void; timer?: NodeJS.Timeout }[] = [];
    /** How long the first worker took to start (fork to ready), once known. */
    private startMs: number | undefined;
    private next = 0;
    private readonly cli: string;
    private readonly max: number;

    /** At most `max` workers at once (the suite's jobs). */
    constructor(cli: string, max = Infinity) {
        this.cli = cli;
        this.max = max;
    }

    private fork(): Worker {
        return this.own(new Worker(this.cli));
    }

    private own(w: Worker): Worker {
        w.onReady = (r) => this.ready(r);
        this.all.add(w);
        if (w.startMs !== undefined) this.ready(w);
        return w;
    }

    /**
     * Have `n` workers (at most the pool's maximum) idle when the first
     * cases come: the preforked one if there is one for this CLI, the
     * others forked now.
     */
    prestart(n: number): void {
        const early = n > 0 ? adopt_preforked(this.cli) : undefined;
        if (early) this.idle.push(this.own(early));
        while (this.all.size < Math.min(n, this.max)) this.idle.push(this.fork());
    }

    /**
     * A free worker for the next case. With none free, a new one is forked
     * right away only when there is no worker at all. Otherwise the case
     * waits for a busy one; it forks a worker of its own (up to the
     * maximum) only after it has waited as long as a worker takes to start
     * (the first one's fork-to-ready time), counted from when a worker is
     * ready: a start costs a core that long, which pays only when cases
     * outlast it (image cases of seconds; not a suite of 20 ms kernels).
     */
    private take(): Promise<Worker> {
        let w = this.idle.pop();
        while (w && !w.alive) w = this.idle.pop();
        if (w) return Promise.resolve(w);
        if (this.all.size === 0) return Promise.resolve(this.fork());
        return new Promise((give) => {
            const waiter: (typeof this.waiters)[number] = { give };
            this.waiters.push(waiter);
            if (this.startMs !== undefined) this.arm(waiter);
        });
    }

    /** Fork a worker for `waiter` if it is still waiting after a worker's start time. */
    private arm(waiter: (typeof this.waiters)[number]): void {
        waiter.timer = setTimeout(() => {
            const k = this.waiters.indexOf(waiter);
            if (k < 0 || this.all.size >= this.max) return;
            this.waiters.splice(k, 1);
            waiter.give(this.fork());
        }, this.startMs);
    }

    private ready(w: Worker): void {
        if (this.startMs !== undefined) return;
        this.startMs = w.startMs;
        for (const waiter of this.waiters) this.arm(waiter);
    }

    private give(w: Worker): void {
        if (!w.alive || w.jobs >= RECYCLE_AFTER) {
            this.retire(w);
            // A waiting case gets a new worker in its place.
            const waiter = this.waiters.shift();
            if (waiter) {
                clearTimeout(waiter.timer);
                waiter.give(this.fork());
            }
            return;
        }
        const waiter = this.waiters.shift();
        if (!waiter) return void this.idle.push(w);
        clearTimeout(waiter.timer);
        waiter.give(w);
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
        const w = await this.take();
        if (signal?.aborted) {
            this.give(w);
            return { code: null, signal: "SIGINT", killed: false, stdout: "", stderr: "", ms: 0 };
        }
        const t0 = performance.now();
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
                this.give(w);
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
        for (const waiter of this.waiters.splice(0)) clearTimeout(waiter.timer);
        for (const w of [...this.all, ...this.idle]) w.kill();
        this.all.clear();
        this.idle.length = 0;
    }
}
