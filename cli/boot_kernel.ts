/*
 * cli/boot_kernel.ts — `mach86 boot --kernel K`, and how every command
 * writes (Io) and shows the guest's consoles. It imports only
 * lib/boot_kernel.ts, so the fast path of a plain `boot --kernel`
 * (cli/fast_run.ts) never loads the modelled kernel, ajv or the reports.
 */
import {
    boot,
    boot_document,
    console_tail,
    cpu_lines,
    document_text,
    exit_code,
    format_placements,
    screen_text,
    stop_text,
    type BootOptions,
    type BootResult,
    type ExitCodeMode,
    type Stop,
    type TextScreen,
} from "../lib/boot_kernel.ts";

/** Where a command writes: injectable so that a test could run it in-process. */
export interface Io {
    out(text: string): void;
    err(text: string): void;
    console(chunk: Uint8Array): void;
}

export const processIo: Io = {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    console: (c) => process.stdout.write(c),
};

export const lines = (write: (t: string) => void, ls: readonly string[]) => {
    for (const l of ls) write(l + "\n");
};

/** Where a console of the guest goes: `--serial` (COM1) and `--debugcon` (port 0xE9). */
export const CONSOLE_TARGETS = ["stdout", "stderr", "none"] as const;
export type ConsoleTarget = (typeof CONSOLE_TARGETS)[number];

/** What the consoles and the screen show while and after the guest runs. */
export interface ConsoleArgs {
    quiet: boolean;
    serial: ConsoleTarget;
    debugcon: ConsoleTarget;
    /** Print the text screen when the guest stops. */
    screen: boolean;
    /** Print the text screen each time it changed, looking every this many instructions. */
    screenEvery?: number;
}

function console_sink(
    target: ConsoleTarget,
    io: Io,
    quiet: boolean,
): ((c: Uint8Array) => void) | undefined {
    if (quiet || target === "none") return undefined;
    if (target === "stdout") return io.console;
    const decoder = new TextDecoder();
    return (c) => io.err(decoder.decode(c, { stream: true }));
}

/** The screen framed so that it stands apart from the console around it. */
function screen_block(title: string, s: TextScreen): string {
    return `=== screen ${title} (80x25) ===\n${screen_text(s)}=== end of screen ===\n`;
}

/** The library options for the consoles and the screen, from the command line's. */
export function console_options(a: ConsoleArgs, io: Io) {
    return {
        onConsole: console_sink(a.serial, io, a.quiet),
        onDebugcon: console_sink(a.debugcon, io, a.quiet),
        screenWatch:
            a.screenEvery === undefined
                ? undefined
                : {
                      everyInstructions: a.screenEvery,
                      onChange: (s: TextScreen, n: number) =>
                          io.out(screen_block(`at ${n} instructions`, s)),
                  },
    };
}

/** `--screen`: the screen at the stop (or why there is none). */
export function print_screen(a: ConsoleArgs, screen: TextScreen | null, io: Io): void {
    if (!a.screen) return;
    if (screen) io.out(screen_block("at the stop", screen));
    else io.err("mach86: no text screen (the none engine has no VGA)\n");
}

/** The stop, in a line or more (a crash adds the registers and the last console lines). */
function stop_lines(stop: Stop, cpu: BootResult["cpu"] | null, console: string): string[] {
    const out = [`mach86: ${stop_text(stop)}`];
    if (stop.kind !== "crash") return out;
    if (cpu) out.push(...cpu_lines(cpu).map((l) => `  ${l}`));
    const tail = console_tail(console, 10);
    out.push(tail.length ? "  last console lines:" : "  (no console output)");
    out.push(...tail.map((l) => `  | ${l}`));
    return out;
}

export interface BootKernelArgs extends Omit<BootOptions, "screenWatch">, ConsoleArgs {
    verbose: boolean;
    json: boolean;
    exitCode: ExitCodeMode;
}

/** `mach86 boot --kernel K`. */
export async function cmd_boot_kernel(a: BootKernelArgs, io: Io): Promise<number> {
    const r = await boot({ ...a, ...console_options({ ...a, quiet: a.quiet || a.json }, io) });
    const code = exit_code(r.stop, a.exitCode);
    if (a.json) {
        io.out(document_text(boot_document(r, code)));
        return code;
    }
    print_screen(a, r.screen, io);
    if (a.verbose) {
        lines(io.err, format_placements(r.load));
        io.err(
            `mach86: machine ready in ${r.timing.machine_ms.toFixed(1)} ms, ` +
                `loaded in ${r.timing.load_ms.toFixed(1)} ms\n`,
        );
    }
    const quietOk = r.stop.kind === "halt" || (r.stop.kind === "exit" && r.stop.value === 0);
    if (a.verbose || !quietOk) lines(io.err, stop_lines(r.stop, r.cpu, r.console));
    if (a.verbose)
        io.err(`mach86: ${r.instructions} instructions in ${r.timing.run_ms.toFixed(1)} ms\n`);
    return code;
}
