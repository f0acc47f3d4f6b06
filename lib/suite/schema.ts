/*
 * lib/suite/schema.ts — the suite file of `mach86 test`: parse, validate
 * (schemas/suite-file.schema.json, then what a schema cannot say), resolve
 * paths against the suite file, expand matrices.
 *
 * Every problem is a UsageError naming the file and the field (one line,
 * exit 2). The format is documented in README.md ("mach86 test") and
 * images/suites/README.md.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { UsageError } from "../errors.ts";
import { check_input } from "../schema.ts";
import type { StopKind } from "../stop.ts";
import { parse_duration } from "../units.ts";

export interface Expect {
    /** How the run must end; undefined = a success (exit value 0, halt, power-off, stop point). */
    stop?: StopKind;
    /** The guest's exit value (with stop "exit"). */
    exit?: number;
    /** Must match the stop's own text (reason, cause, limit, point). */
    reason?: RegExp;
    console: RegExp[];
    not_console: RegExp[];
    /** Must match the debug console (port 0xE9). */
    debugcon: RegExp[];
    /** Must match the text screen at the stop (its lines joined by "\n"). */
    screen: RegExp[];
    markers: boolean;
}

/** One runnable case after defaults, path resolution and matrix expansion. */
export interface CaseSpec {
    name: string;
    kernel?: string;
    modules: string[];
    cmdline?: string;
    image?: string;
    memory?: string;
    preset?: string;
    set: string[];
    engine?: string;
    loader?: string;
    /** Milliseconds; undefined = the run's default (--timeout, else 30 s). */
    timeoutMs?: number;
    skip?: string;
    expect: Expect;
}

export interface Suite {
    name: string;
    file: string;
    cases: CaseSpec[];
}

/** The suite file as its schema describes it. */
interface CaseFile {
    name: string;
    kernel?: string;
    modules?: string[];
    cmdline?: string;
    image?: string;
    memory?: string;
    preset?: string;
    set?: string[];
    engine?: string;
    loader?: string;
    timeout?: string;
    skip?: boolean | string;
    expect?: {
        stop?: StopKind;
        exit?: number;
        reason?: string;
        console?: string[];
        not_console?: string[];
        debugcon?: string[];
        screen?: string[];
        markers?: boolean;
    };
    matrix?: { memory?: string[]; preset?: string[]; engine?: string[] };
}

interface SuiteFile {
    name?: string;
    defaults?: Omit<CaseFile, "name" | "skip" | "expect" | "matrix">;
    cases: CaseFile[];
}

const MATRIX_KEYS = ["memory", "preset", "engine"] as const;

function regex(src: string, file: string, where: string): RegExp {
    try {
        return new RegExp(src, "m");
    } catch (e) {
        throw new UsageError(file, `${where}: bad regex /${src}/: ${(e as Error).message}`);
    }
}

function parse_expect(e: CaseFile["expect"], file: string, where: string): Expect {
    const x = e ?? {};
    if (x.exit !== undefined && x.stop !== undefined && x.stop !== "exit")
        throw new UsageError(
            file,
            `${where}/exit: an exit value needs stop "exit" (not "${x.stop}")`,
        );
    return {
        stop: x.stop ?? (x.exit !== undefined ? "exit" : undefined),
        exit: x.exit,
        reason: x.reason === undefined ? undefined : regex(x.reason, file, `${where}/reason`),
        console: (x.console ?? []).map((s, i) => regex(s, file, `${where}/console/${i}`)),
        not_console: (x.not_console ?? []).map((s, i) =>
            regex(s, file, `${where}/not_console/${i}`),
        ),
        debugcon: (x.debugcon ?? []).map((s, i) => regex(s, file, `${where}/debugcon/${i}`)),
        screen: (x.screen ?? []).map((s, i) => regex(s, file, `${where}/screen/${i}`)),
        markers: x.markers ?? false,
    };
}

/**
 * Paths may name environment variables, `${MACH86_GNUMACH_DIR}/gnumach`:
 * material that lives outside the repository. Such a path is optional: when
 * the variable is unset or the file is absent, the case is skipped with that
 * reason (`missing`), never failed and never passed.
 */
class PathResolver {
    missing: string | undefined;
    readonly base: string;
    constructor(base: string) {
        this.base = base;
    }

    path(p: string): string {
        let unset: string | undefined;
        const expanded = p.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
            const v = process.env[name];
            if (v === undefined || v === "") unset ??= name;
            return v ?? "";
        });
        const abs = resolve(this.base, expanded);
        if (expanded !== p && !this.missing) {
            if (unset) this.missing = `${unset} is not set (${p})`;
            else if (!existsSync(abs)) this.missing = `${abs} is missing (${p})`;
        }
        return abs;
    }

    /** "PATH ARGS…" with PATH resolved. */
    module(line: string): string {
        const t = line.trim();
        const sp = t.search(/\s/);
        const path = this.path(sp < 0 ? t : t.slice(0, sp));
        return sp < 0 ? path : `${path} ${t.slice(sp + 1).trim()}`;
    }
}

function parse_case(
    raw: CaseFile,
    index: number,
    defaults: SuiteFile["defaults"],
    base: string,
    file: string,
): CaseSpec[] {
    const where = `/cases/${index}`;
    const c = { ...defaults, ...raw };
    if ((c.kernel === undefined) === (c.image === undefined))
        throw new UsageError(
            file,
            `${where}: give exactly one of 'kernel' (multiboot kernel) or 'image' (image directory)`,
        );
    const paths = new PathResolver(base);
    const spec: CaseSpec = {
        name: raw.name,
        kernel: c.kernel === undefined ? undefined : paths.path(c.kernel),
        image: c.image === undefined ? undefined : paths.path(c.image),
        modules: (c.modules ?? []).map((m) => paths.module(m)),
        cmdline: c.cmdline,
        memory: c.memory,
        preset: c.preset,
        set: c.set ?? [],
        engine: c.engine,
        loader: c.loader,
        timeoutMs:
            c.timeout === undefined
                ? undefined
                : parse_duration(c.timeout, `${file}: ${where}/timeout`),
        skip:
            raw.skip === true ? "skipped" : typeof raw.skip === "string" ? raw.skip : paths.missing,
        expect: parse_expect(raw.expect, file, `${where}/expect`),
    };
    if (spec.kernel !== undefined) {
        // A native kernel runs on v86 only, without the modelled kernel's layout knobs.
        if (spec.preset !== undefined || spec.set.length > 0)
            throw new UsageError(file, `${where}: 'preset' and 'set' apply to 'image' cases only`);
        if (spec.engine !== undefined && spec.engine !== "v86")
            throw new UsageError(file, `${where}: a 'kernel' case runs on engine v86 only`);
    } else if (spec.modules.length > 0 || spec.cmdline !== undefined) {
        throw new UsageError(
            file,
            `${where}: 'modules' and 'cmdline' apply to 'kernel' cases only (an image has its own)`,
        );
    }
    if (raw.matrix === undefined) return [spec];
    let out: { spec: CaseSpec; labels: string[] }[] = [{ spec, labels: [] }];
    for (const key of MATRIX_KEYS) {
        const values = raw.matrix[key];
        if (values === undefined) continue;
        if (spec.kernel !== undefined && key !== "memory")
            throw new UsageError(file, `${where}/matrix/${key}: applies to 'image' cases only`);
        out = out.flatMap(({ spec: s, labels }) =>
            values.map((v) => ({ spec: { ...s, [key]: v }, labels: [...labels, `${key}=${v}`] })),
        );
    }
    return out.map(({ spec: s, labels }) => ({ ...s, name: `${s.name}[${labels.join(",")}]` }));
}

/** A suite from its text; `file` names it in messages and anchors its relative paths. */
export async function parse_suite(text: string, file: string): Promise<Suite> {
    let doc: unknown;
    try {
        doc = JSON.parse(text);
    } catch (e) {
        throw new UsageError(file, `not JSON: ${(e as Error).message}`);
    }
    await check_input("suite-file", doc, file);
    const s = doc as SuiteFile;
    const base = dirname(resolve(file));
    const all = s.cases.flatMap((c, i) => parse_case(c, i, s.defaults, base, file));
    const seen = new Set<string>();
    for (const c of all) {
        if (seen.has(c.name)) throw new UsageError(file, `two cases are named '${c.name}'`);
        seen.add(c.name);
    }
    return { name: s.name ?? "suite", file, cases: all };
}

export async function load_suite(file: string): Promise<Suite> {
    let text: string;
    try {
        text = readFileSync(file, "utf8");
    } catch {
        throw new UsageError(file, "cannot read the suite file");
    }
    return parse_suite(text, file);
}
