/*
 * lib/workload_file.ts — reading a workload file (workloads/*.json): the
 * format is schemas/workload-file.schema.json; whether its caches and maps
 * exist is checked against the booted kernel (kernel/kern/workload.ts,
 * workload_check) before it runs.
 */
import { readFileSync } from "node:fs";
import type { Workload, WorkloadStep } from "../kernel/kern/workload.ts";
import { UsageError } from "./errors.ts";
import { check_input } from "./schema.ts";

/** The first `jobs` step inside another one, as a JSON pointer, or null. */
function nested_jobs(steps: readonly WorkloadStep[], where: string, inJob: boolean): string | null {
    for (const [i, s] of steps.entries()) {
        const at = `${where}/${i}`;
        if (s.op === "jobs") {
            if (inJob) return at;
            const inner =
                nested_jobs(s.steps, `${at}/steps`, true) ??
                nested_jobs(s.after ?? [], `${at}/after`, false);
            if (inner) return inner;
        } else if (s.op === "repeat") {
            const inner = nested_jobs(s.steps, `${at}/steps`, inJob);
            if (inner) return inner;
        }
    }
    return null;
}

/** Read and check a workload file (one-line errors naming the file and the field). */
export async function workload_load(path: string): Promise<Workload> {
    let text: string;
    try {
        text = readFileSync(path, "utf8");
    } catch {
        throw new UsageError(path, "no such file");
    }
    let doc: unknown;
    try {
        doc = JSON.parse(text);
    } catch (e) {
        throw new UsageError(path, `not valid JSON: ${(e as Error).message}`);
    }
    await check_input("workload-file", doc, path);
    const w = doc as { name: string; description?: string; seed?: number; steps: WorkloadStep[] };
    const nested = nested_jobs(w.steps, "/steps", false);
    if (nested) throw new UsageError(path, `${nested}: jobs cannot nest`);
    return { name: w.name, description: w.description ?? "", seed: w.seed ?? 1, steps: w.steps };
}
