/**
 * mach86 as a library: the same machine, loader, modelled GNU Mach kernel
 * and commands as the `mach86` CLI, returning structured results.
 *
 * ```ts
 * import { boot, layout } from "mach86";
 * const r = await boot({ kernel: "build/images/hello.elf" });
 * r.stop;     // { kind: "exit", value: 0 }
 * r.console;  // "Hello from mach86!\n"
 * const l = await layout({ image: "images/debian-installer", memory: "1856M", engine: "none", at: "modules" });
 * l.layout?.kernel_map.size;
 * ```
 *
 * Contracts:
 * - The guest's and the modelled kernel's outcomes are results (a `Stop`:
 *   exit, halt, reset, poweroff, crash, panic, stuck, stop_point, timeout),
 *   never exceptions. `exit_code(stop, mode)` gives the CLI's exit code.
 * - Bad input rejects with `UsageError` (or the loader's `BootError`) before
 *   anything runs or is written: one line, "<input>: <reason>".
 * - A bug in mach86 rejects with `InternalError` or `InvariantFailure` (a
 *   failed assert() of the model), never as a Mach panic.
 * - Files (dumps, pages, reports) are checked before the work and written
 *   whole at the end; `discard_pending_outputs()` removes any half-written
 *   one after an interruption.
 * - `--json` documents are built by the `*_document` functions and
 *   described by `SCHEMAS` (schemas/*.schema.json); `check_document`
 *   validates one.
 *
 * Real kernels: `realBoot` boots a real multiboot kernel (a GNU Mach with
 * DWARF) with an image's modules and stops it at a stop point ("modules",
 * "console:REGEX" or a symbol; Stop kind "stop_point"); `realLayout`,
 * `realSlabinfo`, `realPt`, `realWhatis` read it there, and `diff` compares
 * it with the model at the "multiboot modules" line.
 */

// Booting: a real multiboot kernel, or an image into the modelled kernel.
export {
    boot,
    console_tail,
    cpu_lines,
    format_placements,
    keep_machines,
    machines_reused,
    screen_text,
    type BootOptions,
    type BootResult,
    type CpuState,
    type ModuleArg,
    type Placement,
    type ScreenWatch,
    type TextScreen,
} from "./boot.ts";
export { DEFAULT_LOADER, LOADER_NAMES, loader_of, type LoaderName } from "./machine_input.ts";
export {
    bootImage,
    type Engine,
    type ImageBootOptions,
    type ImageBootResult,
    type ImageOptions,
} from "./model.ts";
export type { CheckResult, KbootResult, UserSummary } from "./kboot.ts";

// Commands on an image.
export {
    BOOT_POINTS,
    layout,
    type BootPoint,
    type Layout,
    type LayoutOptions,
    type LayoutResult,
} from "./layout.ts";
export { pt, type PtOptions, type PtResult, type PtRun, type PtWalk } from "./pt.ts";
export { bisect, type BisectOptions, type BisectResult, type BisectTry } from "./bisect.ts";
export {
    slabinfo,
    whatis,
    workload,
    zoneinfo,
    type SlabInfo,
    type SlabinfoResult,
    type WhatisOptions,
    type WhatisResult,
    type WorkloadOptions,
    type WorkloadResult,
    type WorkloadRun,
    type ZoneInfo,
    type ZoneinfoResult,
} from "./alloc.ts";
export { presets, type Preset, type LayoutParams } from "./presets.ts";
export { report, type ReportOptions, type ReportResult, type SweepPoint } from "./report/report.ts";

// A real kernel: stop points, reads from the host, the comparison with the model.
export {
    realBoot,
    type RealBootOptions,
    type RealBootResult,
    type RealStopped,
    type StopPoint,
} from "./real.ts";
export {
    realLayout,
    realPt,
    realSlabinfo,
    realWhatis,
    real_layout_lines,
    slab_info_lines,
    type RealLayout,
    type RealLayoutResult,
    type RealPtResult,
    type RealSlabinfoResult,
    type RealWhatisResult,
} from "./real_inspect.ts";
export { diff, diff_lines, sweep_sizes, type DiffOptions, type DiffResult } from "./diff.ts";
export {
    diff_document,
    real_boot_document,
    real_layout_document,
    real_pt_document,
    real_slabinfo_document,
    real_whatis_document,
} from "./real_json.ts";
export { DebugInfo } from "./debuginfo/index.ts";
export { GnuMach } from "./gnumach/index.ts";

// Boot-test suites.
export { runSuite, type SuiteOptions, type SuiteResult } from "./suite/suite.ts";
export type { CaseResult, Verdict } from "./suite/run.ts";

// How runs end, and exit codes.
export {
    EXIT,
    EXIT_CODE_MODES,
    exit_code,
    STOP_KINDS,
    stop_detail,
    stop_ok,
    stop_text,
    type ExitCodeMode,
    type Stop,
    type StopKind,
} from "./stop.ts";

// Errors.
export {
    BootError,
    InternalError,
    InterruptedError,
    InvariantFailure,
    is_bad_input,
    UsageError,
} from "./errors.ts";

// JSON documents and their schemas.
export {
    bisect_document,
    boot_document,
    document_text,
    layout_document,
    presets_document,
    pt_document,
    report_document,
    SCHEMA_VERSION,
    slabinfo_document,
    whatis_document,
    workload_document,
    zoneinfo_document,
} from "./json.ts";
export { test_document } from "./suite/report.ts";
export { check_document, SCHEMAS, type DocumentSchema, type SchemaName } from "./schema.ts";

// Text forms, as the CLI prints them.
export {
    checks_lines,
    diagnosis,
    layout_lines,
    preset_lines,
    sample_table,
    user_lines,
    workload_lines,
} from "./text.ts";
export { progress_line, summary_lines } from "./suite/report.ts";

// Files and units.
export { discard_pending_outputs } from "./output.ts";
export { prepare_engine, set_code_cache_dir } from "./engine.ts";
export { dump_progress_text, dump_progress_writer, type DumpProgress } from "./dump.ts";
export { format_size, parse_duration, parse_size } from "./units.ts";
