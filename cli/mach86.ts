/*
 * cli/mach86.ts — the `mach86` command line (bundled to dist/mach86.mjs).
 *
 * Every failure of the user's input is one line on stderr and exit code 2;
 * guest outcomes map to exit codes in cli/boot.ts.
 */
import yargs, { type Argv } from "yargs";
import { hideBin } from "yargs/helpers";
import { BootError, boot_command, EXIT, processIo } from "../lib/boot.ts";
import {
    cmd_allocinfo,
    cmd_bisect,
    cmd_boot_image,
    cmd_layout,
    cmd_presets,
    cmd_pt,
    cmd_whatis,
    cmd_workload,
    type KOptions,
} from "../lib/kcommands.ts";
import { test_command } from "../lib/suite/command.ts";
import { UsageError } from "../lib/units.ts";

const EPILOG = `Exit codes:
  N   the guest wrote N to port 0xF4 (outl; mach86 exits with N & 0xFF)
  0   the guest halted with interrupts off (cli; hlt)
  1   the guest crashed (exception without IDT, triple fault, v86 panic)
  2   bad input or usage
  3   timeout (--timeout or --max-instructions)`;

/** Options shared by the commands that boot an image into the modelled kernel. */
function kernelOptions<T>(y: Argv<T>) {
    return y
        .option("preset", {
            type: "string",
            describe: "layout preset (mach86 presets lists them; default: the image's)",
        })
        .option("set", {
            type: "string",
            array: true,
            describe: "override a layout parameter: name=value (repeatable)",
        })
        .option("memory", { type: "string", describe: "guest RAM (default: the image's)" })
        .option("engine", {
            type: "string",
            default: "v86",
            describe:
                "v86 (the CPU runs on the page tables) or none (sparse RAM, no CPU, up to 4 GiB)",
        })
        .option("json", { type: "boolean", default: false, describe: "machine-readable output" })
        .option("quiet", {
            type: "boolean",
            default: false,
            describe: "do not stream the console",
        });
}

function kopts(a: {
    image?: string;
    preset?: string;
    set?: string[];
    memory?: string;
    engine?: string;
    json?: boolean;
    quiet?: boolean;
    dump?: string;
}): KOptions {
    return {
        image: a.image!,
        preset: a.preset,
        set: a.set,
        memory: a.memory,
        engine: a.engine,
        json: a.json,
        quiet: a.quiet,
        dump: a.dump,
    };
}

async function main(argv: string[]): Promise<number> {
    let code: number = EXIT.OK;
    await yargs(argv)
        .scriptName("mach86")
        .usage("$0 <command> [options]")
        .command(
            "boot [image]",
            "boot an image into the modelled GNU Mach kernel, or any multiboot v1 kernel (--kernel)",
            (y) =>
                kernelOptions(y)
                    .positional("image", {
                        type: "string",
                        describe: "image directory (images/<name>, with image.json)",
                    })
                    .option("dump", {
                        type: "string",
                        describe:
                            "write phys.bin, machine.json and layout.json to DIR (image boots)",
                    })
                    .option("kernel", {
                        type: "string",
                        describe: "i386 multiboot kernel (ELF32 or a.out kludge)",
                    })
                    .option("module", {
                        type: "string",
                        array: true,
                        describe:
                            'module and its command line: "PATH ARGS..." (repeatable; gzip is decompressed)',
                    })
                    .option("module-nounzip", {
                        type: "string",
                        array: true,
                        describe:
                            "like --module but a gzip module stays compressed (GRUB module --nounzip)",
                    })
                    .option("cmdline", {
                        type: "string",
                        default: "",
                        describe: "kernel command line",
                    })
                    .option("memory", {
                        type: "string",
                        describe:
                            "guest RAM (K/M/G suffixes), 2M..2047.875M on v86 (default: the image's, or 64M)",
                    })
                    .option("timeout", {
                        type: "string",
                        describe: "wall-clock limit, e.g. 30s, 500ms",
                    })
                    .option("max-instructions", {
                        type: "number",
                        describe: "stop after N guest instructions (exit 3)",
                    })
                    .option("deterministic", {
                        type: "boolean",
                        default: true,
                        describe: "virtual clock, seeded RNG (--no-deterministic for real time)",
                    })
                    .option("quiet", {
                        type: "boolean",
                        default: false,
                        describe: "do not stream the guest console",
                    })
                    .option("verbose", {
                        type: "boolean",
                        default: false,
                        describe: "print where each piece was loaded, and how the guest stopped",
                    })
                    .option("json", {
                        type: "boolean",
                        default: false,
                        describe: "print a JSON result document instead of the console",
                    })
                    .option("samples", {
                        type: "boolean",
                        default: false,
                        describe:
                            "after a run of user tasks, print the kernel's state at each task creation and end (map entries, kentries, allocator memory)",
                    })
                    .epilog(EPILOG)
                    .example("$0 boot --kernel build/images/hello.elf", "boot a kernel")
                    .example(
                        '$0 boot --kernel k.elf --module "initrd.gz arg" --cmdline "root=rd0" --memory 1856M',
                        "with a module",
                    ),
            async (a) => {
                if (a.image !== undefined) {
                    if (a.kernel !== undefined)
                        throw new UsageError(
                            "--kernel",
                            "give either an image or --kernel, not both",
                        );
                    code = await cmd_boot_image({ ...kopts(a), samples: a.samples }, processIo);
                    return;
                }
                if (a.kernel === undefined)
                    throw new UsageError("boot", "name an image directory or --kernel FILE");
                const rep = await boot_command({
                    kernel: a.kernel,
                    module: a.module,
                    moduleNounzip: a["module-nounzip"],
                    cmdline: a.cmdline,
                    memory: a.memory,
                    timeout: a.timeout,
                    maxInstructions: a["max-instructions"],
                    deterministic: a.deterministic,
                    quiet: a.quiet,
                    verbose: a.verbose,
                    json: a.json,
                });
                code = rep.exitCode;
            },
        )
        .command(
            "layout <image>",
            "kernel virtual space after boot as a tree: kernel_map entries, submaps, holes, map->size terms, physical map",
            (y) =>
                kernelOptions(y)
                    .positional("image", { type: "string", demandOption: true })
                    .option("at", {
                        type: "string",
                        default: "end",
                        describe:
                            'boot point: vm (after vm_mem_bootstrap), submaps (after device init), modules (the "multiboot modules" line), end',
                    })
                    .example(
                        "$0 layout images/debian-installer --memory 1856M --at modules",
                        "the d-i layout when the boot script has been parsed",
                    ),
            async (a) => {
                code = await cmd_layout({ ...kopts(a), at: a.at }, processIo);
            },
        )
        .command(
            "pt <image>",
            "the kernel page tables after boot (Bochs info tab style), or one VA translated step by step",
            (y) =>
                kernelOptions(y)
                    .positional("image", { type: "string", demandOption: true })
                    .option("va", {
                        type: "string",
                        describe: "translate this virtual address (e.g. 0x80009500)",
                    })
                    .example("$0 pt images/debian-installer --va 0xf4000000", "walk one address"),
            async (a) => {
                code = await cmd_pt({ ...kopts(a), va: a.va }, processIo);
            },
        )
        .command(
            "bisect <image>",
            "binary search for the largest value of a parameter that still boots",
            (y) =>
                kernelOptions(y)
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
                    .example(
                        "$0 bisect images/debian-installer --preset debian-2014 --range 64M..2047M",
                        "find the d-i RAM cliff",
                    ),
            async (a) => {
                code = await cmd_bisect({ ...kopts(a), param: a.param, range: a.range }, processIo);
            },
        )
        .command(
            "workload <image> <file>",
            "boot an image, run a workload on the kernel (workloads/*.json), print the samples",
            (y) =>
                kernelOptions(y)
                    .positional("image", { type: "string", demandOption: true })
                    .positional("file", { type: "string", demandOption: true })
                    .example(
                        "$0 workload images/debian-installer workloads/port-leak.json",
                        "the fakeroot port leak",
                    ),
            async (a) => {
                code = await cmd_workload({ ...kopts(a), workload: a.file }, processIo);
            },
        )
        .command(
            "slabinfo <image>",
            "GNU Mach's slab_info() after boot (and --workload)",
            (y) =>
                kernelOptions(y)
                    .positional("image", { type: "string", demandOption: true })
                    .option("workload", { type: "string", describe: "run this workload first" }),
            async (a) => {
                code = await cmd_allocinfo(
                    { ...kopts(a), workload: a.workload },
                    "slab",
                    processIo,
                );
            },
        )
        .command(
            "zoneinfo <image>",
            "the zone allocator's host_zone_info after boot (zone era: --preset zalloc-2011)",
            (y) =>
                kernelOptions(y)
                    .positional("image", { type: "string", demandOption: true })
                    .option("workload", { type: "string", describe: "run this workload first" }),
            async (a) => {
                code = await cmd_allocinfo(
                    { ...kopts(a), workload: a.workload },
                    "zone",
                    processIo,
                );
            },
        )
        .command(
            "whatis <image> <addr>",
            "which cache, zone or map a kernel address belongs to, and whether it is allocated",
            (y) =>
                kernelOptions(y)
                    .positional("image", { type: "string", demandOption: true })
                    .positional("addr", { type: "string", demandOption: true })
                    .option("workload", { type: "string", describe: "run this workload first" }),
            async (a) => {
                code = await cmd_whatis(
                    { ...kopts(a), workload: a.workload, addr: a.addr },
                    processIo,
                );
            },
        )
        .command(
            "test <suite>",
            "run a boot-test suite (SUITE.json): every case in its own child process, -j N at a time; TAP, JUnit, JSON reports",
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
                    .option("json", { type: "string", describe: "write a JSON report to FILE" })
                    .option("timeout", {
                        type: "string",
                        describe: "per-case timeout for cases without one (default 30s)",
                    })
                    .option("rerun-failed", {
                        type: "boolean",
                        default: false,
                        describe: "rerun failed cases once; fail-then-pass is reported FLAKY",
                    })
                    .example(
                        "$0 test images/suites/smoke.json -j 2 --tap smoke.tap",
                        "the project's smoke suite",
                    ),
            async (a) => {
                code = await test_command(
                    {
                        suite: a.suite,
                        filter: a.filter,
                        jobs: a.j,
                        shard: a.shard,
                        tap: a.tap,
                        junit: a.junit,
                        json: a.json,
                        timeout: a.timeout,
                        rerunFailed: a["rerun-failed"],
                    },
                    processIo,
                );
            },
        )
        .command(
            "report <image>",
            "boot an image and write a self-contained HTML/SVG report of the kernel layout (--sweep adds free space against RAM)",
            (y) =>
                kernelOptions(y)
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
                    .option("html", {
                        type: "string",
                        demandOption: true,
                        describe: "write the page to FILE",
                    })
                    .example(
                        "$0 report images/debian-installer --memory 1856M --sweep 1024M..2047M:64M --html r.html",
                        "the d-i layout and its RAM cliff",
                    ),
            async (a) => {
                const { cmd_report } = await import("../lib/report/report.ts");
                code = await cmd_report(
                    { ...kopts(a), at: a.at, sweep: a.sweep, html: a.html },
                    processIo,
                );
            },
        )
        .command(
            "presets",
            "list the layout presets with their values and sources",
            (y) => y.option("json", { type: "boolean", default: false }),
            (a) => {
                code = cmd_presets(a.json, processIo);
            },
        )
        .demandCommand(1, "name a command (mach86 --help lists them)")
        .strict()
        .epilog(EPILOG)
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

/**
 * Exit as soon as output is flushed: V8 keeps tiering v86.wasm up with
 * TurboFan in the background, and a natural exit waits ~200 ms for it.
 */
function exitWhenFlushed(code: number): void {
    process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}

main(hideBin(process.argv)).then(
    (code) => exitWhenFlushed(code),
    (e: unknown) => {
        if (e instanceof UsageError || e instanceof BootError) {
            process.stderr.write(`mach86: ${e.message}\n`);
            exitWhenFlushed(EXIT.USAGE);
            return;
        }
        // A bug in mach86 itself: say so in one line, keep the trace for --debug users.
        process.stderr.write(
            `mach86: internal error: ${e instanceof Error ? e.message : String(e)}\n`,
        );
        if (process.env["MACH86_DEBUG"]) console.error(e);
        exitWhenFlushed(70);
    },
);
