/*
 * lib/schema_input_*.generated.mjs: the committed validators are what
 * lib/schema_input_gen.mjs makes from today's schemas, and they report the
 * first problem as ajv compiling the schema at run time does.
 */
import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import {
    INPUTS,
    schema_input_declarations,
    schema_input_output,
    schema_input_source,
} from "../../../lib/schema_input_gen.mjs";
import { image_file } from "../../../lib/schema_input_image_file.generated.mjs";
import { suite_file } from "../../../lib/schema_input_suite_file.generated.mjs";
import { workload_file } from "../../../lib/schema_input_workload_file.generated.mjs";
import { SCHEMAS } from "../../../lib/schema.ts";

const BAD: Record<keyof typeof INPUTS, unknown[]> = {
    image_file: [
        [],
        { name: "x" },
        { name: "", kernel: "k" },
        { name: "x", kernel: "k", colour: "red" },
        { name: "x", kernel: "k", loader: "lilo" },
        { name: "x", kernel: "k", modules: [{ file: "m", nounzip: "yes" }] },
        { name: "x", kernel: "k", steps: [{ task: "t", op: "device_read", size: 0 }] },
    ],
    suite_file: [{}, { cases: [{}] }, { name: "s", cases: [{ name: "c", expect: { panic: 1 } }] }],
    workload_file: [{}, { steps: [{ op: "nope" }] }, { name: 3, steps: [] }],
};

const generated = { image_file, suite_file, workload_file };

describe("schema_input_*.generated.mjs", () => {
    it("are up to date with the schemas (node lib/schema_input_gen.mjs remakes them)", () => {
        for (const name of Object.keys(INPUTS) as (keyof typeof INPUTS)[]) {
            const out = schema_input_output(name);
            expect(readFileSync(out.module, "utf8")).toBe(schema_input_source(name));
            expect(readFileSync(out.declarations, "utf8")).toBe(schema_input_declarations(name));
        }
    });

    it("gives the first error ajv gives when it compiles the schema at run time", () => {
        const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, verbose: true });
        for (const name of Object.keys(BAD) as (keyof typeof INPUTS)[]) {
            const compiled = ajv.compile(SCHEMAS[INPUTS[name]]);
            const standalone = generated[name];
            for (const doc of BAD[name]) {
                expect(compiled(doc), JSON.stringify(doc)).toBe(false);
                expect(standalone(doc), JSON.stringify(doc)).toBe(false);
                const [a, b] = [compiled.errors![0]!, standalone.errors![0]!];
                expect({ ...b, schema: undefined }).toEqual({ ...a, schema: undefined });
                expect(b.parentSchema).toEqual(a.parentSchema);
            }
        }
    });
});
