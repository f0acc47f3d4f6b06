/*
 * cli/suite/schema.ts — the suite file of `mach86 test`: parse, validate,
 * resolve paths against the suite file, expand matrices.
 *
 * Every problem is a UsageError (one line, exit 2). The schema is documented
 * in README.md ("mach86 test") and images/suites/README.md.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parse_duration, UsageError } from "../units.ts";

export interface Expect {
    exit?: number;
    panic?: RegExp;
    console: RegExp[];
    not_console: RegExp[];
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

type Json = Record<string, unknown>;

const CASE_KEYS = [
    "name",
    "kernel",
    "modules",
    "cmdline",
    "image",
    "memory",
    "preset",
    "set",
    "engine",
    "timeout",
    "skip",
    "expect",
    "matrix",
];
const DEFAULT_KEYS = [
    "kernel",
    "modules",
    "cmdline",
    "image",
    "memory",
    "preset",
    "set",
    "engine",
    "timeout",
];
const EXPECT_KEYS = ["exit", "panic", "console", "not_console", "markers"];
const MATRIX_KEYS = ["memory", "preset", "engine"] as const;

function isObject(v: unknown): v is Json {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

function checkKeys(o: Json, allowed: string[], where: string): void {
    for (const k of Object.keys(o)) {
        if (!allowed.includes(k))
            throw new UsageError(where, `unknown key '${k}' (known: ${allowed.join(", ")})`);
    }
}

function str(o: Json, k: string, where: string): string | undefined {
    const v = o[k];
    if (v === undefined) return undefined;
    if (typeof v !== "string") throw new UsageError(where, `'${k}' must be a string`);
    return v;
}

function strList(o: Json, k: string, where: string): string[] | undefined {
    const v = o[k];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) {
        throw new UsageError(where, `'${k}' must be an array of strings`);
    }
    return v as string[];
}

function regex(src: string, where: string): RegExp {
    try {
        return new RegExp(src, "m");
    } catch (e) {
        throw new UsageError(
            where,
            `bad regex /${src}/: ${e instanceof Error ? e.message : String(e)}`,
        );
    }
}

function parseExpect(v: unknown, where: string): Expect {
    if (v === undefined) return { console: [], not_console: [], markers: false };
    if (!isObject(v)) throw new UsageError(where, "'expect' must be an object");
    checkKeys(v, EXPECT_KEYS, `${where}.expect`);
    const exit = v["exit"];
    if (
        exit !== undefined &&
        (typeof exit !== "number" || !Number.isInteger(exit) || exit < 0 || exit > 255)
    ) {
        throw new UsageError(`${where}.expect`, "'exit' must be an integer 0..255");
    }
    const markers = v["markers"];
    if (markers !== undefined && typeof markers !== "boolean")
        throw new UsageError(`${where}.expect`, "'markers' must be true or false");
    const panic = str(v, "panic", `${where}.expect`);
    return {
        exit: exit as number | undefined,
        panic: panic === undefined ? undefined : regex(panic, `${where}.expect.panic`),
        console: (strList(v, "console", `${where}.expect`) ?? []).map((s) =>
            regex(s, `${where}.expect.console`),
        ),
        not_console: (strList(v, "not_console", `${where}.expect`) ?? []).map((s) =>
            regex(s, `${where}.expect.not_console`),
        ),
        markers: markers ?? false,
    };
}

/** "PATH ARGS…" with PATH made absolute against the suite's folder. */
function resolveModule(line: string, base: string): string {
    const t = line.trim();
    const sp = t.search(/\s/);
    const path = sp < 0 ? t : t.slice(0, sp);
    return sp < 0 ? resolve(base, path) : `${resolve(base, path)} ${t.slice(sp + 1).trim()}`;
}

function parseCase(raw: unknown, index: number, defaults: Json, base: string): CaseSpec[] {
    const where0 = `cases[${index}]`;
    if (!isObject(raw)) throw new UsageError(where0, "a case must be an object");
    checkKeys(raw, CASE_KEYS, where0);
    const name = str(raw, "name", where0);
    if (!name) throw new UsageError(where0, "a case needs a 'name'");
    const where = `case '${name}'`;
    const c: Json = { ...defaults, ...raw };
    const kernel = str(c, "kernel", where);
    const image = str(c, "image", where);
    if ((kernel === undefined) === (image === undefined)) {
        throw new UsageError(
            where,
            "give exactly one of 'kernel' (multiboot kernel) or 'image' (image directory)",
        );
    }
    const timeout = str(c, "timeout", where);
    const skipRaw = c["skip"];
    if (skipRaw !== undefined && typeof skipRaw !== "boolean" && typeof skipRaw !== "string") {
        throw new UsageError(where, "'skip' must be true or a reason");
    }
    const spec: CaseSpec = {
        name,
        kernel: kernel === undefined ? undefined : resolve(base, kernel),
        image: image === undefined ? undefined : resolve(base, image),
        modules: (strList(c, "modules", where) ?? []).map((m) => resolveModule(m, base)),
        cmdline: str(c, "cmdline", where),
        memory: str(c, "memory", where),
        preset: str(c, "preset", where),
        set: strList(c, "set", where) ?? [],
        engine: str(c, "engine", where),
        timeoutMs: timeout === undefined ? undefined : parse_duration(timeout, `${where}: timeout`),
        skip: skipRaw === true ? "skipped" : typeof skipRaw === "string" ? skipRaw : undefined,
        expect: parseExpect(raw["expect"], where),
    };
    if (spec.kernel !== undefined) {
        // A native kernel runs on v86 only, without the modelled kernel's layout knobs.
        if (spec.preset !== undefined || spec.set.length > 0)
            throw new UsageError(where, "'preset' and 'set' apply to 'image' cases only");
        if (spec.engine !== undefined && spec.engine !== "v86")
            throw new UsageError(where, "a 'kernel' case runs on engine v86 only");
    } else if (spec.modules.length > 0 || spec.cmdline !== undefined) {
        throw new UsageError(
            where,
            "'modules' and 'cmdline' apply to 'kernel' cases only (an image has its own)",
        );
    }
    const matrix = raw["matrix"];
    if (matrix === undefined) return [spec];
    if (!isObject(matrix)) throw new UsageError(where, "'matrix' must be an object");
    checkKeys(matrix, [...MATRIX_KEYS], `${where}.matrix`);
    let out: CaseSpec[] = [spec];
    const labels = new Map<CaseSpec, string[]>([[spec, []]]);
    for (const key of MATRIX_KEYS) {
        const values = strList(matrix, key, `${where}.matrix`);
        if (values === undefined) continue;
        if (values.length === 0) throw new UsageError(`${where}.matrix`, `'${key}' has no values`);
        if (spec.kernel !== undefined && key !== "memory")
            throw new UsageError(`${where}.matrix`, `'${key}' applies to 'image' cases only`);
        const next: CaseSpec[] = [];
        for (const s of out) {
            for (const v of values) {
                const n: CaseSpec = { ...s, [key]: v };
                labels.set(n, [...labels.get(s)!, `${key}=${v}`]);
                next.push(n);
            }
        }
        out = next;
    }
    return out.map((s) => ({ ...s, name: `${s.name}[${labels.get(s)!.join(",")}]` }));
}

export function parse_suite(text: string, file: string): Suite {
    let doc: unknown;
    try {
        doc = JSON.parse(text);
    } catch (e) {
        throw new UsageError(file, `not JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!isObject(doc)) throw new UsageError(file, "a suite must be a JSON object");
    checkKeys(doc, ["name", "description", "defaults", "cases"], file);
    const name = str(doc, "name", file) ?? "suite";
    const defaults = doc["defaults"] ?? {};
    if (!isObject(defaults)) throw new UsageError(file, "'defaults' must be an object");
    checkKeys(defaults, DEFAULT_KEYS, `${file}: defaults`);
    const cases = doc["cases"];
    if (!Array.isArray(cases) || cases.length === 0)
        throw new UsageError(file, "'cases' must be a non-empty array");
    const base = dirname(resolve(file));
    const all = cases.flatMap((c, i) => parseCase(c, i, defaults, base));
    const seen = new Set<string>();
    for (const c of all) {
        if (seen.has(c.name)) throw new UsageError(file, `two cases are named '${c.name}'`);
        seen.add(c.name);
    }
    return { name, file, cases: all };
}

export function load_suite(file: string): Suite {
    let text: string;
    try {
        text = readFileSync(file, "utf8");
    } catch {
        throw new UsageError(file, "cannot read the suite file");
    }
    return parse_suite(text, file);
}
