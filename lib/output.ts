/*
 * lib/output.ts — every file mach86 writes goes through here, so that a bad
 * target is refused before any work starts and an interrupted or failed run
 * leaves nothing half-written.
 *
 * open() checks the target at once (its folder exists and is a folder, the
 * target itself is not a folder where a file is wanted or the other way
 * round) and creates the temporary file or folder next to it: that proves
 * the place is writable (a folder under /proc or /sys, a read-only file
 * system, a missing folder: each is one UsageError, before the boot). The
 * data goes into the temporary name; commit() renames it into place. A run
 * that stops early calls discard_pending_outputs() (the CLI does on Ctrl-C
 * and on every error), which removes every temporary name not committed.
 *
 * Nothing here creates folders recursively: Node's recursive mkdir never
 * returns for some paths under /proc.
 */
import {
    closeSync,
    lstatSync,
    mkdirSync,
    openSync,
    readdirSync,
    renameSync,
    rmdirSync,
    rmSync,
    statSync,
    writeFileSync,
    type Stats,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { UsageError } from "./errors.ts";

/** Temporary names created and not yet committed or discarded. */
const pending = new Set<string>();

/** Remove every temporary output not yet committed: nothing half-written is left. */
export function discard_pending_outputs(): void {
    for (const p of pending) rmSync(p, { recursive: true, force: true });
    pending.clear();
}

function stat_or_null(path: string): Stats | null {
    try {
        return lstatSync(path);
    } catch {
        return null;
    }
}

function errno(e: unknown): string {
    return (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
}

/** The absolute target after checking its folder; `input` names it in messages. */
function check_folder(path: string, input: string): string {
    if (path === "") throw new UsageError(input, "empty path");
    const abs = resolve(path);
    const parent = dirname(abs);
    let st: Stats;
    try {
        st = statSync(parent);
    } catch (e) {
        const why = errno(e) === "ENOENT" ? "no such folder" : `cannot use it (${errno(e)})`;
        throw new UsageError(input, `${parent}: ${why}`);
    }
    if (!st.isDirectory()) throw new UsageError(input, `${parent} is not a folder`);
    return abs;
}

function temp_name(abs: string): string {
    const tag = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    return join(dirname(abs), `.${basename(abs)}.mach86-${tag}.tmp`);
}

/** A file written whole at commit(), or not at all. */
export class OutputFile {
    /** The target, as given. */
    readonly path: string;
    private readonly abs: string;
    private readonly temp: string;

    private constructor(path: string, abs: string, temp: string) {
        this.path = path;
        this.abs = abs;
        this.temp = temp;
    }

    /**
     * Check `path` and reserve its temporary file now (before the work);
     * `option` names where the path came from ("--html", "--tap"...).
     */
    static open(path: string, option: string): OutputFile {
        const input = `${option} ${path}`;
        const abs = check_folder(path, input);
        const st = stat_or_null(abs);
        if (st?.isDirectory()) throw new UsageError(input, "is a folder (name a file)");
        if (st && !st.isFile())
            throw new UsageError(input, "exists and is not a regular file (a device, a pipe?)");
        const temp = temp_name(abs);
        try {
            closeSync(openSync(temp, "wx"));
        } catch (e) {
            throw new UsageError(input, `cannot write in ${dirname(abs)} (${errno(e)})`);
        }
        pending.add(temp);
        return new OutputFile(path, abs, temp);
    }

    /** Write `data` and put the file in place. */
    commit(data: string | Uint8Array): void {
        writeFileSync(this.temp, data);
        renameSync(this.temp, this.abs);
        pending.delete(this.temp);
    }

    /** Give up: the target is left as it was. */
    discard(): void {
        rmSync(this.temp, { force: true });
        pending.delete(this.temp);
    }
}

/**
 * A folder of files written at commit(): the files are made in a temporary
 * folder next to the target; commit() renames it into place, or, when the
 * target folder exists, moves each file into it (replacing files of the
 * same name, leaving the others).
 */
export class OutputDir {
    readonly path: string;
    private readonly abs: string;
    private readonly temp: string;

    private constructor(path: string, abs: string, temp: string) {
        this.path = path;
        this.abs = abs;
        this.temp = temp;
    }

    static open(path: string, option: string): OutputDir {
        const input = `${option} ${path}`;
        const abs = check_folder(path, input);
        const st = stat_or_null(abs);
        if (st && !st.isDirectory()) throw new UsageError(input, "exists and is not a folder");
        const temp = temp_name(abs);
        try {
            mkdirSync(temp);
        } catch (e) {
            throw new UsageError(input, `cannot write in ${dirname(abs)} (${errno(e)})`);
        }
        pending.add(temp);
        return new OutputDir(path, abs, temp);
    }

    /** Where to write the file `name` until commit(). */
    file(name: string): string {
        return join(this.temp, name);
    }

    commit(): void {
        if (stat_or_null(this.abs) === null) {
            renameSync(this.temp, this.abs);
        } else {
            for (const name of readdirSync(this.temp))
                renameSync(join(this.temp, name), join(this.abs, name));
            rmdirSync(this.temp);
        }
        pending.delete(this.temp);
    }

    discard(): void {
        rmSync(this.temp, { recursive: true, force: true });
        pending.delete(this.temp);
    }
}
