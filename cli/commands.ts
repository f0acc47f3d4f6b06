/*
 * cli/commands.ts — each command: call the library, print its result as
 * text or as one JSON document, and choose the exit code. Nothing here
 * computes a result; lib/ does.
 */
import {
    bisect,
    bisect_document,
    diagnosis,
    document_text,
    EXIT,
    exit_code,
    format_size,
    layout,
    layout_document,
    layout_lines,
    preset_lines,
    presets,
    presets_document,
    pt,
    pt_document,
    report,
    report_document,
    slabinfo,
    slabinfo_document,
    stop_ok,
    UsageError,
    whatis,
    whatis_document,
    workload,
    workload_document,
    workload_lines,
    zoneinfo,
    zoneinfo_document,
    type ImageBootResult,
} from "../lib/index.ts";
import { report_failure, type ImageArgs } from "./boot_image.ts";
import { lines, type Io } from "./boot_kernel.ts";

export {
    cmd_boot_kernel,
    CONSOLE_TARGETS,
    processIo,
    type BootKernelArgs,
    type ConsoleArgs,
    type ConsoleTarget,
    type Io,
} from "./boot_kernel.ts";

export { cmd_boot_image, type ImageArgs } from "./boot_image.ts";
export { cmd_test, type TestArgs } from "./test_cmd.ts";

/** The exit code of a command that needed the boot to get somewhere, and did or did not. */
function reached(boot: ImageBootResult, got: boolean, what: string, io: Io): number {
    if (got) return exit_code(boot.stop);
    report_failure(boot, io);
    if (stop_ok(boot.stop)) {
        io.err(`mach86: the boot ended before ${what}\n`);
        return EXIT.FAILURE;
    }
    return exit_code(boot.stop);
}

/** `mach86 layout IMAGE`. */
export async function cmd_layout(a: ImageArgs & { at?: string }, io: Io): Promise<number> {
    const r = await layout({ ...a });
    if (a.json) io.out(document_text(layout_document(r)));
    else if (r.layout) lines(io.out, layout_lines(r.layout));
    if (r.layout && !a.json) report_failure(r.boot, io);
    return reached(r.boot, r.layout !== null, `the boot point '${r.at}'`, io);
}

/** `mach86 pt IMAGE`. */
export async function cmd_pt(a: ImageArgs & { va?: string }, io: Io): Promise<number> {
    const r = await pt({ ...a });
    if (a.json) io.out(document_text(pt_document(r)));
    else lines(io.out, r.text);
    return reached(r.boot, r.cr3 !== null, "the kernel page tables existed", io);
}

/** `mach86 workload IMAGE FILE`. */
export async function cmd_workload(a: ImageArgs & { workload: string }, io: Io): Promise<number> {
    const r = await workload({ ...a });
    if (a.json) io.out(document_text(workload_document(r)));
    const w = r.workload;
    if (!w) return reached(r.boot, false, "the workload could run", io);
    if (!a.json) {
        lines(io.out, workload_lines(w));
        if (w.status !== "ok") {
            const title =
                w.status === "panic"
                    ? `kernel panic during the workload: ${w.reason}`
                    : `workload request failed: ${w.reason}`;
            lines(io.err, diagnosis(r.boot, title));
        }
    }
    return w.status === "ok" ? EXIT.OK : w.status === "panic" ? EXIT.PANIC : EXIT.FAILURE;
}

/** `mach86 slabinfo IMAGE` / `mach86 zoneinfo IMAGE`. */
export async function cmd_allocinfo(
    a: ImageArgs & { workload?: string },
    which: "slab" | "zone",
    io: Io,
): Promise<number> {
    if (which === "slab") {
        const r = await slabinfo({ ...a });
        if (a.json) io.out(document_text(slabinfo_document(r)));
        else lines(io.out, r.text);
        return reached(r.boot, r.caches !== null, "the slab allocator existed", io);
    }
    const r = await zoneinfo({ ...a });
    if (a.json) io.out(document_text(zoneinfo_document(r)));
    else lines(io.out, r.text);
    return reached(r.boot, r.zones !== null, "the zone allocator existed", io);
}

/** `mach86 whatis IMAGE ADDR`. */
export async function cmd_whatis(
    a: ImageArgs & { workload?: string; addr: string },
    io: Io,
): Promise<number> {
    const r = await whatis({ ...a });
    if (a.json) io.out(document_text(whatis_document(r)));
    else lines(io.out, r.text);
    return reached(r.boot, r.found !== null, "kernel_map existed", io);
}

/** `mach86 bisect IMAGE`. */
export async function cmd_bisect(
    a: ImageArgs & { param: string; range: string },
    io: Io,
): Promise<number> {
    const isMemory = a.param === "memory";
    const show = (v: number) =>
        isMemory
            ? `${v / 1048576}M`
            : a.param.endsWith("_size") || a.param === "kernel_bss"
              ? format_size(v)
              : String(v);
    const r = await bisect({
        ...a,
        onTry: (t) =>
            io.err(
                `mach86: bisect ${a.param}=${isMemory ? format_size(t.value) : String(t.value)}: ` +
                    `${t.boots ? "boots" : `fails (${t.status}: ${t.reason})`}\n`,
            ),
    });
    if (a.json) {
        io.out(document_text(bisect_document(r)));
        return EXIT.OK;
    }
    io.out(
        r.largest_booting === null
            ? "no value in the range boots\n"
            : `largest ${a.param} that boots: ${show(r.largest_booting)}\n`,
    );
    io.out(
        r.first_failing === null
            ? "every value in the range boots\n"
            : `first failing ${a.param}: ${show(r.first_failing)}\n`,
    );
    if (r.failure) lines(io.out, diagnosis(r.failure));
    return EXIT.OK;
}

/** `mach86 report IMAGE`. */
export async function cmd_report(
    a: ImageArgs & { at?: string; sweep?: string; html?: string },
    io: Io,
): Promise<number> {
    if (a.html === undefined && !a.json)
        throw new UsageError("report", "name an output: --html FILE, --json, or both");
    const r = await report({ ...a });
    if (a.json) io.out(document_text(report_document(r)));
    if (r.html_file !== null) io.err(`mach86: wrote ${r.html_file}\n`);
    if (!stop_ok(r.boot.stop)) {
        io.err(
            `${diagnosis(r.boot)[0]}${r.html_file !== null ? " (the page was still written)" : ""}\n`,
        );
    }
    return exit_code(r.boot.stop);
}

/** `mach86 presets`. */
export function cmd_presets(json: boolean, io: Io): number {
    if (json) io.out(document_text(presets_document(presets())));
    else lines(io.out, preset_lines(presets()));
    return EXIT.OK;
}
