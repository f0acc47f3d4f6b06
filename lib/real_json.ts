/*
 * lib/real_json.ts — the --json documents of the commands on a real kernel
 * (`boot IMAGE --kernel K`, `layout|slabinfo|pt|whatis IMAGE --kernel K`,
 * `diff`). They carry "mode": "real" and the real boot's common part
 * (real_boot_json); schemas/real.schema.json describes them, and each
 * command's schema accepts them beside the model's documents.
 */
import { cpu_json } from "./json.ts";
import type { DiffResult } from "./diff.ts";
import type { RealBootResult } from "./real.ts";
import type {
    RealLayoutResult,
    RealPtResult,
    RealSlabinfoResult,
    RealWhatisResult,
} from "./real_inspect.ts";

const doc = <C extends string, T extends object>(command: C, body: T) => ({
    schema_version: 1 as const,
    command,
    mode: "real" as const,
    ...body,
});

/** What every command on a real kernel says about its boot. */
export function real_boot_json(r: RealBootResult) {
    return {
        kernel: r.kernel,
        image: r.image,
        loader: r.loader,
        cmdline: r.cmdline,
        memory: r.memory,
        ram_end: r.ram_end,
        stop_at: r.stop_at,
        reached: r.reached,
        stop: { ...r.stop },
        instructions: r.instructions,
    };
}

/** `mach86 boot IMAGE --kernel K`. */
export function real_boot_document(r: RealBootResult, exitCode: number) {
    return doc("boot", {
        ...real_boot_json(r),
        exit_code: exitCode,
        console: r.console,
        cpu: cpu_json(r.cpu),
        placements: r.load.placements.map((p) => ({ what: p.what, start: p.start, end: p.end })),
    });
}

export function real_layout_document(r: RealLayoutResult) {
    return doc("layout", {
        boot: real_boot_json(r.boot),
        at: r.boot.stop_at,
        layout: r.layout,
        problem: r.problem,
    });
}

export function real_slabinfo_document(r: RealSlabinfoResult) {
    return doc("slabinfo", { boot: real_boot_json(r.boot), caches: r.caches, problem: r.problem });
}

export function real_pt_document(r: RealPtResult) {
    return doc("pt", {
        boot: real_boot_json(r.boot),
        cr3: r.cr3,
        pae: r.pae,
        walk: r.walk,
        runs: r.runs,
    });
}

export function real_whatis_document(r: RealWhatisResult) {
    return doc("whatis", {
        boot: real_boot_json(r.boot),
        addr: r.addr,
        found: r.found,
        problem: r.problem,
    });
}

function diff_json(d: DiffResult) {
    return {
        memory: d.memory,
        identical: d.identical,
        problem: d.problem,
        differences: d.differences,
        real: real_boot_json(d.real),
        model: {
            preset: d.preset,
            set: d.set,
            engine: d.model.engine,
            stop: { ...d.model.stop },
            status: d.model.status,
            reason: d.model.reason,
        },
        entries: d.entries,
        values: d.values,
        caches: d.caches,
    };
}

/** `mach86 diff`: one result per RAM size (one without --sweep). */
export function diff_document(ds: readonly DiffResult[]) {
    const d0 = ds[0];
    return {
        schema_version: 1 as const,
        command: "diff" as const,
        kernel: d0?.kernel ?? "",
        image: d0?.image ?? { name: "", dir: "" },
        loader: d0?.loader ?? "",
        identical: ds.every((d) => d.identical),
        results: ds.map(diff_json),
    };
}
