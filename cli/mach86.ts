/*
 * cli/mach86.ts — the `mach86` command line (bundled to dist/mach86.mjs):
 * yargs parses the arguments, cli/commands.ts calls the library and prints.
 *
 * Every failure of the user's input is one line on stderr and exit code 2;
 * a bug in mach86 is "internal error (mach86 bug)" and exit code 70; Ctrl-C
 * removes whatever was being written and exits 130. The other exit codes
 * come from how the run ended (lib/stop.ts; cli/help.ts lists them).
 */
import yargs, { type Argv } from "yargs";
import { hideBin } from "yargs/helpers";
import {
    discard_pending_outputs,
    EXIT,
    EXIT_CODE_MODES,
    loader_of,
    UsageError,
    type ExitCodeMode,
} from "../lib/index.ts";
import { ordered_modules } from "./argv.ts";
import { end_on_closed_output, exitWhenFlushed, exitWithError } from "./finish.ts";
import {
    cmd_boot_real,
    cmd_diff,
    cmd_layout_real,
    cmd_pt_real,
    cmd_slabinfo_real,
    cmd_whatis_real,
} from "./real_commands.ts";
import {
    cmd_allocinfo,
    cmd_bisect,
    cmd_boot_image,
    cmd_boot_kernel,
    cmd_layout,
    cmd_presets,
    cmd_pt,
    cmd_report,
    cmd_test,
    cmd_whatis,
    cmd_workload,
    CONSOLE_TARGETS,
    processIo,
    type ConsoleArgs,
    type ConsoleTarget,
    type ImageArgs,
} from "./commands.ts";
import {
    BISECT_EPILOG,
    boot_epilog,
    MAIN_EPILOG,
    PRESETS_EPILOG,
    TEST_EPILOG,
    WORKLOAD_EPILOG,
} from "./help.ts";

/** Options shared by the commands that boot an image into the modelled kernel. */
function imageOptions<T>(y: Argv<T>) {
    return y
        .option("preset", {
            type: "string",
            describe: "layout preset (mach86 presets lists them; default: the image's)",
        })
        .option("set", {
            type: "string",
            array: true,
            nargs: 1,
            describe: "override a layout parameter: name=value (repeatable)",
        })
        .option("memory", {
            type: "string",
            describe: "guest RAM as qemu-system-i386 -m reads it (default: the image's)",
        })
        .option("loader", {
            type: "string",
            describe:
                "loader profile: qemu (default: QEMU 7.2 -kernel on SeaBIOS; --memory N is -m N), grub (GRUB 2.06), legacy",
        })
        .option("memory-map", {
            type: "string",
            describe: "--loader grub: the firmware's e820 map from a file (dmesg BIOS-e820 lines)",
        })
        .option("engine", {
            type: "string",
            describe:
                "v86 (default: the CPU runs on the page tables) or none (sparse RAM, no CPU, up to 4 GiB)",
        })
        .option("json", {
            type: "boolean",
            default: false,
            describe: "print one JSON document (schemas/<command>.schema.json)",
        });
}

function image_args(a: {
    image?: string;
    preset?: string;
    set?: string[];
    memory?: string;
    loader?: string;
    "memory-map"?: string;
    engine?: string;
    json: boolean;
}): ImageArgs {
    return {
        image: a.image!,
        preset: a.preset,
        set: a.set,
        memory: a.memory,
        loader: a.loader,
        memoryMap: a["memory-map"],
        engine: a.engine,
        json: a.json,
    };
}

/** Options of the commands that can read a real kernel instead of the model (--kernel K). */
function realOptions<T>(y: Argv<T>) {
    return y
        .option("kernel", {
            type: "string",
            describe:
                "read this real kernel (ELF with DWARF) booted with the image's modules, instead of the model",
        })
        .option("stop-at", {
            type: "string",
            describe: "with --kernel: modules (default), console:REGEX, or a kernel symbol",
        })
        .option("timeout", { type: "string", describe: "with --kernel: wall-clock limit" })
        .option("max-instructions", {
            type: "number",
            describe: "with --kernel: stop after N guest instructions",
        })
        .option("icount", {
            type: "number",
            describe: ICOUNT_TEXT,
        });
}

const ICOUNT_TEXT =
    "with --kernel: virtual CPU speed as QEMU's -icount shift=N, 2^N ns of virtual time per instruction (default 0)";

type RealCliArgs = {
    image?: string;
    kernel?: string;
    "stop-at"?: string;
    loader?: string;
    memory?: string;
    timeout?: string;
    "max-instructions"?: number;
    icount?: number;
    preset?: string;
    set?: string[];
    engine?: string;
    json: boolean;
};

/** The real-kernel arguments of an image command given --kernel (model-only options refused). */
function real_args(a: RealCliArgs, modelOnly: Record<string, unknown> = {}) {
    refuse(
        { preset: a.preset, set: a.set, engine: a.engine, ...modelOnly },
        "applies to the model only, not to a real kernel (--kernel)",
    );
    return {
        image: a.image!,
        kernel: a.kernel!,
        stopAt: a["stop-at"],
        loader: a.loader,
        memory: a.memory,
        timeout: a.timeout,
        maxInstructions: a["max-instructions"],
        icount: a.icount,
        json: a.json,
    };
}

/** An image command without --kernel: the real-kernel options do not apply. */
function model_only(a: RealCliArgs): void {
    refuse(
        {
            "stop-at": a["stop-at"],
            timeout: a.timeout,
            "max-instructions": a["max-instructions"],
            icount: a.icount,
        },
        "applies to a real kernel only (--kernel K)",
    );
}

/** `--serial`, `--debugcon`, `--screen`, `--screen-watch`, `--quiet` of boot. */
function console_args(a: {
    quiet: boolean;
    serial?: string;
    debugcon?: string;
    screen?: boolean;
    "screen-watch"?: number;
}): ConsoleArgs {
    const target = (name: string, v: string | undefined): ConsoleTarget => {
        const t = v ?? "stdout";
        if (!CONSOLE_TARGETS.includes(t as ConsoleTarget))
            throw new UsageError(`--${name}`, `'${t}' is not one of ${CONSOLE_TARGETS.join(", ")}`);
        return t as ConsoleTarget;
    };
    const every = a["screen-watch"];
    if (every !== undefined && !(Number.isSafeInteger(every) && every > 0))
        throw new UsageError("--screen-watch", `'${every}' is not a positive instruction count`);
    return {
        quiet: a.quiet,
        serial: target("serial", a.serial),
        debugcon: target("debugcon", a.debugcon),
        screen: a.screen ?? false,
        screenEvery: every,
    };
}

/** Options given that do not apply: a UsageError naming the first. */
function refuse(given: Record<string, unknown>, why: string): void {
    for (const [name, v] of Object.entries(given))
        if (v !== undefined && v !== false) throw new UsageError(`--${name}`, why);
}

function exit_code_mode(v: string | undefined): ExitCodeMode {
    const mode = v ?? "status";
    if (!EXIT_CODE_MODES.includes(mode as ExitCodeMode))
        throw new UsageError(
            "--exit-code",
            `'${mode}' is not one of ${EXIT_CODE_MODES.join(", ")}`,
        );
    return mode as ExitCodeMode;
}

/** Options that take one value: given twice is an error, not an array. */
const SINGLE = [
    "kernel",
    "cmdline",
    "memory",
    "timeout",
    "max-instructions",
    "icount",
    "preset",
    "engine",
    "dump",
    "exit-code",
    "stop-at",
    "loader",
    "memory-map",
    "serial",
    "debugcon",
    "screen-watch",
    "at",
    "va",
    "param",
    "range",
    "workload",
    "html",
    "sweep",
    "filter",
    "shard",
    "tap",
    "junit",
    "report-json",
    "j",
];

function single_values(a: Record<string, unknown>): void {
    for (const name of SINGLE)
        if (Array.isArray(a[name]))
            throw new UsageError(
                `${name.length === 1 ? "-" : "--"}${name}`,
                "given more than once",
            );
}

const abort = new AbortController();

async function main(argv: string[]): Promise<number> {
    let code: number = EXIT.OK;
    await yargs(argv)
        .scriptName("mach86")
        .usage("$0 <command> [options]")
        .command(
            "boot [image]",
            "boot an image into the modelled GNU Mach kernel, or any multiboot v1 kernel (--kernel)",
            (y) =>
                imageOptions(y)
                    .positional("image", {
                        type: "string",
                        describe: "image directory (images/<name>, with image.json)",
                    })
                    .option("dump", {
                        type: "string",
                        describe:
                            "image boots: write phys.bin, machine.json and layout.json into folder DIR",
                    })
                    .option("kernel", {
                        type: "string",
                        describe: "i386 multiboot kernel (ELF32 or a.out kludge)",
                    })
                    .option("module", {
                        type: "string",
                        array: true,
                        nargs: 1,
                        describe:
                            'module and its command line: "PATH ARGS..." (repeatable; gzip is decompressed)',
                    })
                    .option("module-nounzip", {
                        type: "string",
                        array: true,
                        nargs: 1,
                        describe:
                            "like --module but a gzip module stays compressed (GRUB module --nounzip); modules load in command-line order",
                    })
                    .option("cmdline", {
                        type: "string",
                        describe:
                            "kernel command line (--kernel; with an image: replaces console=com0 + the image's)",
                    })
                    .option("stop-at", {
                        type: "string",
                        describe:
                            "IMAGE --kernel K: stop at modules, console:REGEX or a kernel symbol (exit 0 there)",
                    })
                    .option("memory", {
                        type: "string",
                        describe:
                            "guest RAM as qemu-system-i386 -m reads it (1856 = 1856M; 64.5M; K/M/G), 2M..2047.875M on v86 (default: the image's, or 64M)",
                    })
                    .option("timeout", {
                        type: "string",
                        describe: "wall-clock limit, e.g. 30s, 500ms (v86 engine)",
                    })
                    .option("max-instructions", {
                        type: "number",
                        describe: "stop after N guest instructions (exit 3; v86 engine)",
                    })
                    .option("deterministic", {
                        type: "boolean",
                        describe:
                            "virtual clock, seeded RNG (the default; --no-deterministic for real time, --kernel only)",
                    })
                    .option("icount", {
                        type: "number",
                        describe:
                            "virtual CPU speed as QEMU's -icount shift=N: 2^N ns of virtual time per instruction (default 0; --kernel only)",
                    })
                    .option("quiet", {
                        type: "boolean",
                        default: false,
                        describe: "do not stream the consoles (they are still in --json)",
                    })
                    .option("serial", {
                        type: "string",
                        describe: "where COM1 streams: stdout (default), stderr or none",
                    })
                    .option("debugcon", {
                        type: "string",
                        describe:
                            "where the debug console (port 0xE9, QEMU isa-debugcon) streams: stdout (default), stderr or none",
                    })
                    .option("screen", {
                        type: "boolean",
                        describe:
                            "print the VGA text screen (80x25 at 0xB8000) when the guest stops (--json always has it)",
                    })
                    .option("screen-watch", {
                        type: "number",
                        describe:
                            "print the text screen whenever it changed, looking every N guest instructions",
                    })
                    .option("verbose", {
                        type: "boolean",
                        default: false,
                        describe: "print where each piece was loaded, and how the guest stopped",
                    })
                    .option("samples", {
                        type: "boolean",
                        describe:
                            "image boots with user tasks: print the kernel's state at each task creation and end",
                    })
                    .option("exit-code", {
                        type: "string",
                        describe:
                            "what a guest exit value becomes: status (default: 0 or 1), guest (value & 0xFF), qemu ((value << 1) | 1)",
                    })
                    .epilog(boot_epilog(true))
                    .example("$0 boot --kernel build/images/hello.elf", "boot a kernel")
                    .example(
                        '$0 boot --kernel k.elf --module "initrd.gz arg" --cmdline "root=rd0" --memory 1856M',
                        "with a module",
                    )
                    .example("$0 boot images/debian-installer --memory 1856M", "boot an image"),
            async (a) => {
                const exitCode = exit_code_mode(a["exit-code"]);
                if (a.image !== undefined && a.kernel !== undefined) {
                    refuse(
                        {
                            module: a.module,
                            "module-nounzip": a["module-nounzip"],
                            preset: a.preset,
                            set: a.set,
                            engine: a.engine,
                            dump: a.dump,
                            samples: a.samples,
                            deterministic: a.deterministic === undefined ? undefined : true,
                        },
                        "does not apply to a real kernel booted with an image (IMAGE --kernel K)",
                    );
                    // Not wired into realBoot yet: refused rather than ignored.
                    refuse(
                        {
                            serial: a.serial,
                            debugcon: a.debugcon,
                            screen: a.screen,
                            "screen-watch": a["screen-watch"],
                            "memory-map": a["memory-map"],
                        },
                        "is not available with IMAGE --kernel K yet (it is with --kernel K alone)",
                    );
                    code = await cmd_boot_real(
                        {
                            image: a.image,
                            kernel: a.kernel,
                            cmdline: a.cmdline,
                            memory: a.memory,
                            loader: a.loader,
                            stopAt: a["stop-at"] ?? "none",
                            timeout: a.timeout,
                            maxInstructions: a["max-instructions"],
                            icount: a.icount,
                            quiet: a.quiet,
                            verbose: a.verbose,
                            json: a.json,
                            exitCode,
                        },
                        processIo,
                    );
                    return;
                }
                if (a["stop-at"] !== undefined)
                    throw new UsageError(
                        "--stop-at",
                        "applies to a real kernel booted with an image (IMAGE --kernel K)",
                    );
                if (a.image !== undefined) {
                    refuse(
                        {
                            module: a.module,
                            "module-nounzip": a["module-nounzip"],
                            cmdline: a.cmdline,
                            deterministic: a.deterministic === undefined ? undefined : true,
                            icount: a.icount,
                        },
                        "applies to --kernel boots only (an image has its own kernel, modules and command line)",
                    );
                    code = await cmd_boot_image(
                        {
                            ...image_args(a),
                            ...console_args(a),
                            dump: a.dump,
                            samples: a.samples ?? false,
                            verbose: a.verbose,
                            timeout: a.timeout,
                            maxInstructions: a["max-instructions"],
                            exitCode,
                        },
                        processIo,
                    );
                    return;
                }
                if (a.kernel === undefined)
                    throw new UsageError("boot", "name an image directory or --kernel FILE");
                refuse(
                    {
                        preset: a.preset,
                        set: a.set,
                        engine: a.engine,
                        dump: a.dump,
                        samples: a.samples,
                    },
                    "applies to image boots only (mach86 boot IMAGE), not to --kernel",
                );
                code = await cmd_boot_kernel(
                    {
                        kernel: a.kernel,
                        modules: ordered_modules(argv, a.module, a["module-nounzip"]),
                        cmdline: a.cmdline,
                        memory: a.memory,
                        timeout: a.timeout,
                        maxInstructions: a["max-instructions"],
                        deterministic: a.deterministic ?? true,
                        loader: loader_of(a.loader),
                        memoryMap: a["memory-map"],
                        ...console_args(a),
                        icount: a.icount,
                        verbose: a.verbose,
                        json: a.json,
                        exitCode,
                    },
                    processIo,
                );
            },
        )
        .command(
            "layout <image>",
            "kernel virtual space after boot as a tree: kernel_map entries, submaps, holes, map->size terms, physical map",
            (y) =>
                realOptions(imageOptions(y))
                    .positional("image", { type: "string", demandOption: true })
                    .option("at", {
                        type: "string",
                        describe:
                            'boot point: vm (after vm_mem_bootstrap), submaps (after device init), modules (the "multiboot modules" line), end',
                    })
                    .epilog(boot_epilog(false))
                    .example(
                        "$0 layout images/debian-installer --memory 1856M --at modules",
                        "the d-i layout when the boot script has been parsed",
                    ),
            async (a) => {
                if (a.kernel !== undefined) {
                    code = await cmd_layout_real(real_args(a, { at: a.at }), processIo);
                    return;
                }
                model_only(a);
                code = await cmd_layout({ ...image_args(a), at: a.at ?? "end" }, processIo);
            },
        )
        .command(
            "pt <image>",
            "the kernel page tables after boot (Bochs info tab style), or one VA translated step by step",
            (y) =>
                realOptions(imageOptions(y))
                    .positional("image", { type: "string", demandOption: true })
                    .option("va", {
                        type: "string",
                        describe: "translate this virtual address (e.g. 0x80009500)",
                    })
                    .epilog(boot_epilog(false))
                    .example("$0 pt images/debian-installer --va 0xf4000000", "walk one address"),
            async (a) => {
                if (a.kernel !== undefined) {
                    code = await cmd_pt_real({ ...real_args(a), va: a.va }, processIo);
                    return;
                }
                model_only(a);
                code = await cmd_pt({ ...image_args(a), va: a.va }, processIo);
            },
        )
        .command(
            "bisect <image>",
            "binary search for the largest value of a parameter that still boots",
            (y) =>
                imageOptions(y)
                    .positional("image", { type: "string", demandOption: true })
                    .option("param", {
                        type: "string",
                        default: "memory",
                        describe:
                            "memory, or any layout parameter (kmem_map_size, kentry_pages, ...)",
                    })
                    .option("range", {
                        type: "string",
                        demandOption: true,
                        describe: "LOW..HIGH, e.g. 64M..2047M",
                    })
                    .epilog(BISECT_EPILOG)
                    .example(
                        "$0 bisect images/debian-installer --preset debian-2014 --range 64M..2047M",
                        "find the d-i RAM cliff",
                    ),
            async (a) => {
                code = await cmd_bisect(
                    { ...image_args(a), param: a.param, range: a.range },
                    processIo,
                );
            },
        )
        .command(
            "workload <image> <file>",
            "boot an image, run a workload on the kernel (workloads/*.json), print the samples",
            (y) =>
                imageOptions(y)
                    .positional("image", { type: "string", demandOption: true })
                    .positional("file", { type: "string", demandOption: true })
                    .epilog(WORKLOAD_EPILOG)
                    .example(
                        "$0 workload images/debian-installer workloads/port-leak.json",
                        "the fakeroot port leak",
                    ),
            async (a) => {
                code = await cmd_workload({ ...image_args(a), workload: a.file }, processIo);
            },
        )
        .command(
            "slabinfo <image>",
            "GNU Mach's slab_info() after boot (and --workload), or of a real kernel (--kernel)",
            (y) =>
                realOptions(imageOptions(y))
                    .positional("image", { type: "string", demandOption: true })
                    .option("workload", { type: "string", describe: "run this workload first" })
                    .epilog(boot_epilog(false)),
            async (a) => {
                if (a.kernel !== undefined) {
                    code = await cmd_slabinfo_real(
                        real_args(a, { workload: a.workload }),
                        processIo,
                    );
                    return;
                }
                model_only(a);
                code = await cmd_allocinfo(
                    { ...image_args(a), workload: a.workload },
                    "slab",
                    processIo,
                );
            },
        )
        .command(
            "zoneinfo <image>",
            "the zone allocator's host_zone_info after boot (zone era: --preset zalloc-2011)",
            (y) =>
                imageOptions(y)
                    .positional("image", { type: "string", demandOption: true })
                    .option("workload", { type: "string", describe: "run this workload first" })
                    .epilog(boot_epilog(false)),
            async (a) => {
                code = await cmd_allocinfo(
                    { ...image_args(a), workload: a.workload },
                    "zone",
                    processIo,
                );
            },
        )
        .command(
            "whatis <image> <addr>",
            "which cache, zone or map a kernel address belongs to, and whether it is allocated",
            (y) =>
                realOptions(imageOptions(y))
                    .positional("image", { type: "string", demandOption: true })
                    .positional("addr", { type: "string", demandOption: true })
                    .option("workload", { type: "string", describe: "run this workload first" })
                    .epilog(boot_epilog(false)),
            async (a) => {
                if (a.kernel !== undefined) {
                    code = await cmd_whatis_real(
                        { ...real_args(a, { workload: a.workload }), addr: a.addr },
                        processIo,
                    );
                    return;
                }
                model_only(a);
                code = await cmd_whatis(
                    { ...image_args(a), workload: a.workload, addr: a.addr },
                    processIo,
                );
            },
        )
        .command(
            "diff <image>",
            'boot a real kernel (--kernel) and the model on the image\'s modules, same RAM and loader; compare kernel_map at "multiboot modules"',
            (y) =>
                imageOptions(y)
                    .positional("image", { type: "string", demandOption: true })
                    .option("kernel", {
                        type: "string",
                        demandOption: true,
                        describe: "the real kernel (ELF with DWARF)",
                    })
                    .option("sweep", {
                        type: "string",
                        describe: "compare at each RAM size LOW..HIGH:STEP (QEMU -m sizes)",
                    })
                    .option("timeout", {
                        type: "string",
                        describe: "wall-clock limit of each real boot",
                    })
                    .option("max-instructions", {
                        type: "number",
                        describe: "instruction limit of each real boot",
                    })
                    .option("icount", {
                        type: "number",
                        describe:
                            "virtual CPU speed of each real boot, as QEMU's -icount shift=N (default 0)",
                    })
                    .epilog(
                        "Exit codes: 0 identical, 1 not identical (or a side stopped before the line), 2 bad input.",
                    )
                    .example(
                        "$0 diff images/debian-installer --kernel gnumach-debian-1.4-4 --preset debian-2014 --memory 1856M",
                        "the 2014 kernel against its preset",
                    ),
            async (a) => {
                if (a.sweep !== undefined && a.memory !== undefined)
                    throw new UsageError("--sweep", "give --memory or --sweep, not both");
                code = await cmd_diff(
                    {
                        image: a.image,
                        kernel: a.kernel,
                        preset: a.preset,
                        set: a.set,
                        memory: a.memory,
                        loader: a.loader,
                        engine: a.engine,
                        sweep: a.sweep,
                        timeout: a.timeout,
                        maxInstructions: a["max-instructions"],
                        icount: a.icount,
                        json: a.json,
                    },
                    processIo,
                );
            },
        )
        .command(
            "test <suite>",
            "run a boot-test suite (SUITE.json) in warm worker processes, -j N at a time (--isolate: a process per case); TAP, JUnit, JSON reports",
            (y) =>
                y
                    .positional("suite", {
                        type: "string",
                        demandOption: true,
                        describe: "suite file (images/suites/README.md)",
                    })
                    .option("filter", {
                        type: "string",
                        describe: "run only the cases whose name contains PATTERN",
                    })
                    .option("j", {
                        alias: "jobs",
                        type: "number",
                        describe: "cases run at once (default: CPU cores)",
                    })
                    .option("shard", {
                        type: "string",
                        describe: "run shard I of N (I/N): case index % N === I-1",
                    })
                    .option("tap", { type: "string", describe: "write a TAP 13 report to FILE" })
                    .option("junit", {
                        type: "string",
                        describe: "write a JUnit XML report to FILE",
                    })
                    .option("report-json", {
                        type: "string",
                        describe: "write the JSON report (schemas/test.schema.json) to FILE",
                    })
                    .option("json", {
                        type: "boolean",
                        default: false,
                        describe: "print the JSON report on stdout (progress goes to stderr)",
                    })
                    .option("timeout", {
                        type: "string",
                        describe: "per-case timeout for cases without one (default 30s)",
                    })
                    .option("rerun-failed", {
                        type: "boolean",
                        default: false,
                        describe: "rerun failed cases once; fail-then-pass is reported FLAKY",
                    })
                    .option("isolate", {
                        type: "boolean",
                        default: false,
                        describe:
                            "every case in a process of its own (default: warm worker processes that boot case after case)",
                    })
                    .epilog(TEST_EPILOG)
                    .example(
                        "$0 test images/suites/smoke.json -j 2 --tap smoke.tap",
                        "the project's smoke suite",
                    ),
            async (a) => {
                code = await cmd_test(
                    {
                        suite: a.suite,
                        filter: a.filter,
                        jobs: a.j,
                        shard: a.shard,
                        tap: a.tap,
                        junit: a.junit,
                        reportJson: a["report-json"],
                        json: a.json,
                        timeout: a.timeout,
                        rerunFailed: a["rerun-failed"],
                        isolate: a.isolate,
                        signal: abort.signal,
                    },
                    processIo,
                );
            },
        )
        .command(
            "report <image>",
            "boot an image and make a self-contained HTML/SVG report of the kernel layout (--sweep adds free space against RAM)",
            (y) =>
                imageOptions(y)
                    .positional("image", { type: "string", demandOption: true })
                    .option("at", {
                        type: "string",
                        describe:
                            "boot point: vm, submaps, modules, end (default: modules if the boot reaches it, else end)",
                    })
                    .option("sweep", {
                        type: "string",
                        describe:
                            "also boot at each RAM size LOW..HIGH:STEP (engine none) and plot free kernel_map",
                    })
                    .option("html", { type: "string", describe: "write the page to FILE" })
                    .epilog(boot_epilog(false))
                    .example(
                        "$0 report images/debian-installer --memory 1856M --sweep 1024M..2047M:64M --html r.html",
                        "the d-i layout and its RAM cliff",
                    ),
            async (a) => {
                code = await cmd_report(
                    { ...image_args(a), at: a.at, sweep: a.sweep, html: a.html },
                    processIo,
                );
            },
        )
        .command(
            "presets",
            "list the layout presets with their values and sources",
            (y) =>
                y
                    .option("json", {
                        type: "boolean",
                        default: false,
                        describe: "print one JSON document (schemas/presets.schema.json)",
                    })
                    .epilog(PRESETS_EPILOG),
            (a) => {
                code = cmd_presets(a.json, processIo);
            },
        )
        .middleware(single_values, true)
        .demandCommand(1, "name a command (mach86 --help lists them)")
        .strict()
        .epilog(MAIN_EPILOG)
        .help()
        .version()
        .fail((msg, err) => {
            if (err) throw err;
            process.stderr.write(`mach86: ${msg.split("\n")[0]}\n`);
            process.exit(EXIT.USAGE);
        })
        .parseAsync();
    return code;
}

/** Ctrl-C: stop the children, remove every half-written file, exit 130. */
process.on("SIGINT", () => {
    abort.abort();
    discard_pending_outputs();
    process.stderr.write("mach86: interrupted\n");
    process.exit(EXIT.INTERRUPTED);
});

end_on_closed_output(() => abort.abort());

const args = hideBin(process.argv);
main(args).then(exitWhenFlushed, (e: unknown) => exitWithError(e, args));
