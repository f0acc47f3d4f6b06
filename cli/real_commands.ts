/*
 * cli/real_commands.ts — the commands on a real kernel (--kernel K with an
 * image): boot, layout, slabinfo, pt, whatis, and diff against the model.
 * As in commands.ts: call the library, print text or one JSON document,
 * choose the exit code.
 */
import {
    diff,
    diff_document,
    diff_lines,
    document_text,
    EXIT,
    exit_code,
    realBoot,
    realLayout,
    realPt,
    realSlabinfo,
    realWhatis,
    real_boot_document,
    real_layout_document,
    real_layout_lines,
    real_pt_document,
    real_slabinfo_document,
    real_whatis_document,
    stop_text,
    sweep_sizes,
    type DiffResult,
    type ExitCodeMode,
    type RealBootOptions,
    type RealBootResult,
} from "../lib/index.ts";
import type { Io } from "./commands.ts";

const lines = (write: (t: string) => void, ls: readonly string[]) => {
    for (const l of ls) write(l + "\n");
};

export interface RealArgs extends RealBootOptions {
    json: boolean;
}

/** `mach86 boot IMAGE --kernel K`. */
export async function cmd_boot_real(
    a: RealArgs & { quiet: boolean; verbose: boolean; exitCode: ExitCodeMode },
    io: Io,
): Promise<number> {
    const stream = !a.quiet && !a.json;
    const r = await realBoot({ ...a, onConsole: stream ? io.console : undefined });
    const code = exit_code(r.stop, a.exitCode);
    if (a.json) {
        io.out(document_text(real_boot_document(r, code)));
        return code;
    }
    const quietOk = r.stop.kind === "halt" || (r.stop.kind === "exit" && r.stop.value === 0);
    if (a.verbose || !quietOk) io.err(`mach86: ${stop_text(r.stop)}\n`);
    if (a.verbose) io.err(`mach86: ${r.instructions} instructions\n`);
    return code;
}

/** The exit code of a command that needed the stop point: the stop's, or 1 when it was not reached. */
function reached(boot: RealBootResult, got: boolean, problem: string | null, io: Io): number {
    if (problem) {
        io.err(`mach86: cannot read the kernel at ${boot.stop_at}: ${problem}\n`);
        return EXIT.FAILURE;
    }
    if (got) return EXIT.OK;
    io.err(
        `mach86: the kernel did not reach the stop point '${boot.stop_at}': ${stop_text(boot.stop)}\n`,
    );
    const code = exit_code(boot.stop);
    return code === EXIT.OK ? EXIT.FAILURE : code;
}

export async function cmd_layout_real(a: RealArgs, io: Io): Promise<number> {
    const r = await realLayout(a);
    if (a.json) io.out(document_text(real_layout_document(r)));
    else if (r.layout) lines(io.out, real_layout_lines(r.layout));
    return reached(r.boot, r.layout !== null, r.problem, io);
}

export async function cmd_slabinfo_real(a: RealArgs, io: Io): Promise<number> {
    const r = await realSlabinfo(a);
    if (a.json) io.out(document_text(real_slabinfo_document(r)));
    else lines(io.out, r.text);
    return reached(r.boot, r.caches !== null, r.problem, io);
}

export async function cmd_pt_real(a: RealArgs & { va?: string }, io: Io): Promise<number> {
    const r = await realPt(a);
    if (a.json) io.out(document_text(real_pt_document(r)));
    else lines(io.out, r.text);
    return reached(r.boot, r.cr3 !== null, null, io);
}

export async function cmd_whatis_real(a: RealArgs & { addr: string }, io: Io): Promise<number> {
    const r = await realWhatis(a);
    if (a.json) io.out(document_text(real_whatis_document(r)));
    else lines(io.out, r.text);
    return reached(r.boot, r.found !== null, r.problem, io);
}

export interface DiffArgs {
    image: string;
    kernel: string;
    preset?: string;
    set?: string[];
    memory?: string;
    loader?: string;
    engine?: string;
    sweep?: string;
    timeout?: string;
    maxInstructions?: number;
    icount?: number;
    json: boolean;
}

/** `mach86 diff IMAGE --kernel K`: 0 identical, 1 not (or not compared), 2 bad input. */
export async function cmd_diff(a: DiffArgs, io: Io): Promise<number> {
    const sizes: (string | number | undefined)[] = a.sweep ? sweep_sizes(a.sweep) : [a.memory];
    const results: DiffResult[] = [];
    for (const memory of sizes) {
        const d = await diff({ ...a, memory });
        results.push(d);
        if (!a.json) {
            if (a.sweep) {
                const mib = `${d.memory / 1048576}M`;
                io.out(
                    `${mib.padStart(8)}  ${d.problem ? `not compared: ${d.problem}` : d.identical ? "identical" : `not identical: ${d.differences[0]}`}\n`,
                );
            } else lines(io.out, diff_lines(d));
        }
    }
    if (a.json) io.out(document_text(diff_document(results)));
    return results.every((d) => d.identical) ? EXIT.OK : EXIT.FAILURE;
}
