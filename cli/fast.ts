/*
 * cli/fast.ts — the command lines that skip yargs: `mach86 boot --kernel
 * FILE` and `mach86 boot IMAGE` with nothing but plain options (the ones
 * `mach86 test` gives its cases, and a user's everyday boot), and `mach86
 * test SUITE`. Loading yargs and having it lay out the help text of every
 * command (it does so before each command's handler) costs ~100 ms of a
 * core: a third of a cold boot of a trivial kernel before this path
 * existed, and for `test` time taken from its first worker's start on a
 * 2-core machine. This path reads the arguments itself and hands them to
 * the same command functions as the yargs path does.
 *
 * It accepts only what it is sure yargs reads the same way: each option
 * below as a separate `--name value` pair whose value does not start with
 * "-", the boolean flags bare. Anything else (an option it does not know,
 * `--name=value`, a repeated single option, --help) returns undefined and
 * the run goes through yargs, which decides, or refuses, as always.
 */
import type { ExitCodeMode, ModuleArg } from "../lib/index.ts";
import type { TestArgs } from "./test_cmd.ts";

export interface FastBoot {
    kernel: string;
    modules: ModuleArg[];
    cmdline?: string;
    memory?: string;
    timeout?: string;
    maxInstructions?: number;
    icount?: number;
    quiet: boolean;
    verbose: boolean;
    json: boolean;
    exitCode: ExitCodeMode;
}

const SINGLE = new Set([
    "--kernel",
    "--cmdline",
    "--memory",
    "--timeout",
    "--max-instructions",
    "--icount",
]);
const FLAGS = new Set(["--quiet", "--json", "--verbose"]);
const EXIT_MODES = new Set(["status", "guest", "qemu"]);

/**
 * Walk argv from `from`: each flag of FLAGS at most once, every other word an
 * option with a value that `take` accepts. The flags seen, or undefined when
 * anything is not that simple (yargs then reads the whole command line).
 */
function read_words(
    argv: readonly string[],
    from: number,
    take: (option: string, value: string) => boolean,
): Set<string> | undefined {
    const flags = new Set<string>();
    for (let i = from; i < argv.length; i++) {
        const t = argv[i]!;
        if (FLAGS.has(t)) {
            if (flags.has(t)) return undefined;
            flags.add(t);
            continue;
        }
        const v = argv[i + 1];
        if (v === undefined || v === "" || v.startsWith("-")) return undefined;
        i++;
        if (!take(t, v)) return undefined;
    }
    return flags;
}

/** The boot the arguments ask for, or undefined when yargs must read them. */
export function fast_boot_kernel(argv: readonly string[]): FastBoot | undefined {
    if (argv[0] !== "boot") return undefined;
    const one = new Map<string, string>();
    const modules: ModuleArg[] = [];
    let exitCode: string | undefined;
    const flags = read_words(argv, 1, (t, v) => {
        if (t === "--module" || t === "--module-nounzip")
            modules.push({ line: v, nounzip: t === "--module-nounzip" });
        else if (t === "--exit-code" && exitCode === undefined && EXIT_MODES.has(v)) exitCode = v;
        else if (SINGLE.has(t) && !one.has(t)) one.set(t, v);
        else return false;
        return true;
    });
    if (!flags) return undefined;
    const kernel = one.get("--kernel");
    if (kernel === undefined) return undefined;
    const max = one.get("--max-instructions");
    if (max !== undefined && !/^[1-9]\d*$/.test(max)) return undefined;
    const icount = one.get("--icount");
    if (icount !== undefined && !/^(0|[1-9]\d?)$/.test(icount)) return undefined;
    return {
        kernel,
        modules,
        cmdline: one.get("--cmdline"),
        memory: one.get("--memory"),
        timeout: one.get("--timeout"),
        maxInstructions: max === undefined ? undefined : Number(max),
        icount: icount === undefined ? undefined : Number(icount),
        quiet: flags.has("--quiet"),
        verbose: flags.has("--verbose"),
        json: flags.has("--json"),
        exitCode: (exitCode ?? "status") as ExitCodeMode,
    };
}

export interface FastImageBoot {
    image: string;
    preset?: string;
    set?: string[];
    memory?: string;
    engine?: string;
    timeout?: string;
    quiet: boolean;
    verbose: boolean;
    json: boolean;
    samples: boolean;
    exitCode: ExitCodeMode;
}

const IMAGE_SINGLE = new Set(["--preset", "--memory", "--engine", "--timeout"]);

/** `boot IMAGE` with --preset/--memory/--engine/--timeout/--set pairs and --quiet/--json/--verbose, or undefined. */
export function fast_boot_image(argv: readonly string[]): FastImageBoot | undefined {
    const image = argv[1];
    if (argv[0] !== "boot" || image === undefined || image === "" || image.startsWith("-"))
        return undefined;
    const one = new Map<string, string>();
    const set: string[] = [];
    const flags = read_words(argv, 2, (t, v) => {
        if (t === "--set") set.push(v);
        else if (IMAGE_SINGLE.has(t) && !one.has(t)) one.set(t, v);
        else return false;
        return true;
    });
    if (!flags) return undefined;
    return {
        image,
        preset: one.get("--preset"),
        set: set.length ? set : undefined,
        memory: one.get("--memory"),
        engine: one.get("--engine"),
        timeout: one.get("--timeout"),
        quiet: flags.has("--quiet"),
        verbose: flags.has("--verbose"),
        json: flags.has("--json"),
        samples: false,
        exitCode: "status",
    };
}

const TEST_SINGLE = new Set([
    "--filter",
    "-j",
    "--jobs",
    "--shard",
    "--tap",
    "--junit",
    "--report-json",
    "--timeout",
]);
const TEST_FLAGS = new Set(["--json", "--rerun-failed", "--isolate"]);

/**
 * `test SUITE` with single `--name value` options and bare flags, or undefined.
 * -j takes only a positive integer here (yargs reads anything else as a number its own way).
 */
export function fast_test(argv: readonly string[]): Omit<TestArgs, "signal"> | undefined {
    const suite = argv[1];
    if (argv[0] !== "test" || suite === undefined || suite === "" || suite.startsWith("-"))
        return undefined;
    const one = new Map<string, string>();
    const flags = new Set<string>();
    for (let i = 2; i < argv.length; i++) {
        const t = argv[i]!;
        if (TEST_FLAGS.has(t) && !flags.has(t)) {
            flags.add(t);
            continue;
        }
        const v = argv[++i];
        const name = t === "--jobs" ? "-j" : t;
        if (
            !TEST_SINGLE.has(t) ||
            one.has(name) ||
            v === undefined ||
            v === "" ||
            v.startsWith("-")
        )
            return undefined;
        one.set(name, v);
    }
    const jobs = one.get("-j");
    if (jobs !== undefined && !/^[1-9]\d*$/.test(jobs)) return undefined;
    return {
        suite,
        filter: one.get("--filter"),
        jobs: jobs === undefined ? undefined : Number(jobs),
        shard: one.get("--shard"),
        tap: one.get("--tap"),
        junit: one.get("--junit"),
        reportJson: one.get("--report-json"),
        json: flags.has("--json"),
        timeout: one.get("--timeout"),
        rerunFailed: flags.has("--rerun-failed"),
        isolate: flags.has("--isolate"),
    };
}
