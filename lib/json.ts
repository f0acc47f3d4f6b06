/*
 * lib/json.ts — the JSON documents mach86 prints with --json: one per
 * command, each with "schema_version" and "command", snake_case keys only,
 * described by schemas/<command>.schema.json (draft 2020-12). The tests
 * validate real outputs of every command against them.
 *
 * schema_version changes only when a document changes incompatibly (a key
 * removed, renamed or retyped); new keys may appear within a version.
 */
import type { Placement } from "../boot/index.ts";
import type { CpuState } from "../emulator/types.ts";
import type { Preset } from "../kernel/presets.ts";
import type { SlabinfoResult, WhatisResult, WorkloadRun, ZoneinfoResult } from "./alloc.ts";
import type { BisectResult } from "./bisect.ts";
import type { BootResult } from "./boot.ts";
import type { LayoutResult } from "./layout.ts";
import type { ImageBootResult } from "./model.ts";
import type { PtResult } from "./pt.ts";
import type { ReportResult } from "./report/report.ts";
import type { Stop } from "./stop.ts";

export const SCHEMA_VERSION = 1;

/** A document: the envelope every --json output has. */
export type Document<C extends string, T> = { schema_version: 1; command: C } & T;

function document<C extends string, T extends object>(command: C, body: T): Document<C, T> {
    return { schema_version: SCHEMA_VERSION, command, ...body };
}

/** The CPU registers, snake_case. */
export function cpu_json(c: CpuState) {
    return {
        eip: c.eip,
        eflags: c.eflags,
        eax: c.eax,
        ebx: c.ebx,
        ecx: c.ecx,
        edx: c.edx,
        esp: c.esp,
        ebp: c.ebp,
        esi: c.esi,
        edi: c.edi,
        cr0: c.cr0,
        cr2: c.cr2,
        cr3: c.cr3,
        cr4: c.cr4,
        cs: c.cs,
        ds: c.ds,
        ss: c.ss,
        gdtr_base: c.gdtrBase,
        gdtr_limit: c.gdtrLimit,
        idtr_base: c.idtrBase,
        idtr_limit: c.idtrLimit,
        instructions: c.instructions,
    };
}

const placements_json = (ps: readonly Placement[]) =>
    ps.map((p) => ({ what: p.what, start: p.start, end: p.end }));

const stop_json = (s: Stop): Stop => ({ ...s });

/** What every command on an image says about its boot. */
export function image_boot_json(r: ImageBootResult) {
    return {
        image: r.image,
        preset: r.preset,
        set: r.set,
        memory: r.memory,
        engine: r.engine,
        stop: stop_json(r.stop),
        status: r.status,
        reason: r.reason,
        failed: r.kernel?.failed ?? null,
    };
}

/** `mach86 boot --kernel K` and `mach86 boot IMAGE`: one shape for the common parts. */
export function boot_document(r: BootResult | ImageBootResult, exitCode: number) {
    const common = {
        stop: stop_json(r.stop),
        exit_code: exitCode,
        console: r.console,
        debugcon: r.debugcon,
        screen: r.screen?.lines ?? null,
        instructions: r.instructions,
        cpu: r.cpu ? cpu_json(r.cpu) : null,
        placements: placements_json(r.kind === "kernel" ? r.placements : r.boot.placements),
        memory: r.memory,
        loader: r.kind === "kernel" ? r.loader : r.boot.loader,
    };
    if (r.kind === "kernel") return document("boot", { mode: "kernel" as const, ...common });
    return document("boot", {
        mode: "image" as const,
        ...common,
        ...image_boot_json(r),
        checks: r.checks,
        kernel_map_size_at_modules: r.kernel?.kernel_map_size_at_modules ?? null,
        user: r.user ?? null,
    });
}

export function layout_document(r: LayoutResult) {
    return document("layout", { boot: image_boot_json(r.boot), at: r.at, layout: r.layout });
}

export function pt_document(r: PtResult) {
    return document("pt", {
        boot: image_boot_json(r.boot),
        cr3: r.cr3,
        pae: r.pae,
        walk: r.walk,
        runs: r.runs,
    });
}

export function bisect_document(r: BisectResult) {
    const f = r.failure;
    return document("bisect", {
        param: r.param,
        step: r.step,
        largest_booting: r.largest_booting,
        first_failing: r.first_failing,
        failure: f
            ? {
                  stop: stop_json(f.stop),
                  status: f.status,
                  reason: f.reason,
                  failed: f.kernel?.failed ?? null,
              }
            : null,
        tries: r.tries,
    });
}

export function workload_document(r: WorkloadRun) {
    return document("workload", { boot: image_boot_json(r.boot), workload: r.workload });
}

export function slabinfo_document(r: SlabinfoResult) {
    return document("slabinfo", { boot: image_boot_json(r.boot), caches: r.caches });
}

export function zoneinfo_document(r: ZoneinfoResult) {
    return document("zoneinfo", { boot: image_boot_json(r.boot), zones: r.zones });
}

export function whatis_document(r: WhatisResult) {
    return document("whatis", { boot: image_boot_json(r.boot), addr: r.addr, found: r.found });
}

export function presets_document(presets: readonly Preset[]) {
    return document("presets", {
        presets: presets.map((p) => ({
            name: p.name,
            summary: p.summary,
            source: p.source,
            params: p.params,
        })),
    });
}

export function report_document(r: ReportResult) {
    return document("report", {
        boot: image_boot_json(r.boot),
        at: r.at,
        layout: r.layout,
        sweep:
            r.sweep?.map((p) => ({
                memory: p.memory,
                boots: p.ok,
                status: p.status,
                reason: p.reason ?? null,
                free: p.free,
                largest_free: p.largest,
            })) ?? null,
        html_file: r.html_file,
    });
}

/** A document as mach86 prints it: indented, one trailing newline. */
export function document_text(doc: object): string {
    return JSON.stringify(doc, null, 2) + "\n";
}
