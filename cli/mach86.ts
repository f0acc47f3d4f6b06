/*
 * cli/mach86.ts — the `mach86` command line (bundled to dist/mach86.mjs).
 *
 * Every failure of the user's input is one line on stderr and exit code 2;
 * guest outcomes map to exit codes in cli/boot.ts.
 */
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { boot_command, EXIT } from "./boot.ts";

const EPILOG = `Exit codes:
  N   the guest wrote N to port 0xF4 (outl; mach86 exits with N & 0xFF)
  0   the guest halted with interrupts off (cli; hlt)
  1   the guest crashed (exception without IDT, triple fault, v86 panic)
  2   bad input or usage
  3   timeout (--timeout or --max-instructions)`;

async function main(argv: string[]): Promise<number> {
    let code: number = EXIT.OK;
    await yargs(argv)
        .scriptName("mach86")
        .usage("$0 <command> [options]")
        .command(
            "boot",
            "boot a multiboot v1 kernel with its modules",
            (y) => y
                .option("kernel", { type: "string", demandOption: true, describe: "i386 multiboot kernel (ELF32 or a.out kludge)" })
                .option("module", { type: "string", array: true, describe: 'module and its command line: "PATH ARGS..." (repeatable; gzip is decompressed)' })
                .option("module-nounzip", { type: "string", array: true, describe: 'like --module but a gzip module stays compressed (GRUB module --nounzip)' })
                .option("cmdline", { type: "string", default: "", describe: "kernel command line" })
                .option("memory", { type: "string", default: "64M", describe: "guest RAM (K/M/G suffixes), 2M..2047.875M" })
                .option("timeout", { type: "string", describe: "wall-clock limit, e.g. 30s, 500ms" })
                .option("max-instructions", { type: "number", describe: "stop after N guest instructions (exit 3)" })
                .option("deterministic", { type: "boolean", default: true, describe: "virtual clock, seeded RNG (--no-deterministic for real time)" })
                .option("quiet", { type: "boolean", default: false, describe: "do not stream the guest console" })
                .option("verbose", { type: "boolean", default: false, describe: "print where each piece was loaded, and how the guest stopped" })
                .option("json", { type: "boolean", default: false, describe: "print a JSON result document instead of the console" })
                .epilog(EPILOG)
                .example("$0 boot --kernel build/images/hello.elf", "boot a kernel")
                .example('$0 boot --kernel k.elf --module "initrd.gz arg" --cmdline "root=rd0" --memory 1856M', "with a module"),
            async (a) => {
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
        // A bug in mach86 itself: say so in one line, keep the trace for --debug users.
        process.stderr.write(`mach86: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
        if (process.env["MACH86_DEBUG"]) console.error(e);
        exitWhenFlushed(70);
    },
);
