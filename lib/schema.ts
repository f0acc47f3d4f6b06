/*
 * lib/schema.ts — the JSON Schemas (draft 2020-12) of everything mach86
 * reads and writes, and their validation with ajv.
 *
 * Input files (suite files, image.json, workload files) are checked before
 * anything runs; the first problem becomes one UsageError naming the file,
 * the JSON pointer of the bad field and the reason. The output documents'
 * schemas are here too, so a library user (and the tests) can check what
 * mach86 printed against the contract.
 *
 * The input files are checked by validators generated at build time
 * (lib/schema_input_*.generated.mjs, ajv standalone code made by
 * lib/schema_input_gen.mjs): reading an image compiles no schema. ajv
 * itself is loaded only to check output documents (tests, library users).
 */
import type { Ajv2020 } from "ajv/dist/2020.js";
import type { ErrorObject, ValidateFunction } from "ajv";
import { UsageError } from "./errors.ts";
import bisect from "../schemas/bisect.schema.json" with { type: "json" };
import boot from "../schemas/boot.schema.json" with { type: "json" };
import common from "../schemas/common.schema.json" with { type: "json" };
import diff from "../schemas/diff.schema.json" with { type: "json" };
import imageFile from "../schemas/image-file.schema.json" with { type: "json" };
import layout from "../schemas/layout.schema.json" with { type: "json" };
import presets from "../schemas/presets.schema.json" with { type: "json" };
import pt from "../schemas/pt.schema.json" with { type: "json" };
import real from "../schemas/real.schema.json" with { type: "json" };
import report from "../schemas/report.schema.json" with { type: "json" };
import slabinfo from "../schemas/slabinfo.schema.json" with { type: "json" };
import suiteFile from "../schemas/suite-file.schema.json" with { type: "json" };
import test from "../schemas/test.schema.json" with { type: "json" };
import whatis from "../schemas/whatis.schema.json" with { type: "json" };
import workload from "../schemas/workload.schema.json" with { type: "json" };
import workloadFile from "../schemas/workload-file.schema.json" with { type: "json" };
import zoneinfo from "../schemas/zoneinfo.schema.json" with { type: "json" };

const FILES = {
    common,
    real,
    boot,
    layout,
    pt,
    bisect,
    workload,
    slabinfo,
    zoneinfo,
    whatis,
    presets,
    report,
    diff,
    test,
    "suite-file": suiteFile,
    "image-file": imageFile,
    "workload-file": workloadFile,
} as const;

export type SchemaName = keyof typeof FILES;

/** A JSON Schema (draft 2020-12) as an object; `$id` names it for $ref. */
export interface JsonSchema {
    $id: string;
    [key: string]: unknown;
}

/** Every schema by its name: `schemas/<name>.schema.json`. */
export const SCHEMAS: Readonly<Record<SchemaName, JsonSchema>> = FILES;
/** The documents `--json` prints, one per command. */
export type DocumentSchema = Exclude<SchemaName, "common" | "real" | `${string}-file`>;

let instance: Promise<Ajv2020> | null = null;

async function ajv(): Promise<Ajv2020> {
    // ajv is CommonJS: a split bundle's chunk gives its exports as `default`.
    type Mod = { Ajv2020?: typeof Ajv2020; default?: { Ajv2020: typeof Ajv2020 } };
    instance ??= import("ajv/dist/2020.js").then((m: Mod) => {
        const Ajv = (m.Ajv2020 ?? m.default?.Ajv2020)!;
        const a = new Ajv({
            strict: true,
            allowUnionTypes: true,
            verbose: true,
            allErrors: false,
        });
        for (const s of Object.values(SCHEMAS)) a.addSchema(s);
        return a;
    });
    return instance;
}

/** The compiled validator of a schema. */
async function schema_validator(name: SchemaName): Promise<ValidateFunction> {
    const a = await ajv();
    const v = a.getSchema(SCHEMAS[name].$id);
    if (!v) throw new Error(`schema ${name} is not loaded`);
    return v;
}

/** One ajv error as a person reads it. */
function schema_error_text(e: ErrorObject): string {
    const p = e.params as Record<string, unknown>;
    switch (e.keyword) {
        case "additionalProperties": {
            const known = Object.keys(
                (e.parentSchema as { properties?: object } | undefined)?.properties ?? {},
            );
            return `unknown key '${String(p["additionalProperty"])}'${known.length ? ` (known: ${known.join(", ")})` : ""}`;
        }
        case "required":
            return `missing '${String(p["missingProperty"])}'`;
        case "enum":
            return `must be one of ${(p["allowedValues"] as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
        case "const":
            return `must be ${JSON.stringify(p["allowedValue"])}`;
        case "dependentRequired":
            return `'${String(p["property"])}' needs '${String(p["missingProperty"])}'`;
        default:
            return e.message ?? e.keyword;
    }
}

/** Where in the document: the JSON pointer of the bad field ("/" for the document itself). */
function schema_error_where(e: ErrorObject): string {
    return e.instancePath || "/";
}

/** The input files' schemas, validated by generated code. */
export type InputSchema = "suite-file" | "image-file" | "workload-file";

/** The generated validator of an input schema (its own module, loaded on first use). */
async function input_validator(name: InputSchema): Promise<ValidateFunction> {
    switch (name) {
        case "image-file":
            return (await import("./schema_input_image_file.generated.mjs")).image_file;
        case "suite-file":
            return (await import("./schema_input_suite_file.generated.mjs")).suite_file;
        case "workload-file":
            return (await import("./schema_input_workload_file.generated.mjs")).workload_file;
    }
}

/** Check an input document; a problem is a UsageError "<file>: <pointer>: <reason>". */
export async function check_input(name: InputSchema, doc: unknown, file: string): Promise<void> {
    const v = await input_validator(name);
    if (v(doc)) return;
    const e = v.errors![0]!;
    throw new UsageError(file, `${schema_error_where(e)}: ${schema_error_text(e)}`);
}

/** Problems of an output document against its schema ([] when it conforms). */
export async function check_document(name: DocumentSchema, doc: unknown): Promise<string[]> {
    const v = await schema_validator(name);
    if (v(doc)) return [];
    return (v.errors ?? []).map((e) => `${schema_error_where(e)}: ${schema_error_text(e)}`);
}
