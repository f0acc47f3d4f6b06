/*
 * cli/help.ts — the exit codes, as each command's --help shows them.
 */

const BAD_INPUT = "  2    bad input or usage (one line on stderr; nothing is written)";
const INTERNAL = "  70   internal error: a bug in mach86 (report it with the command line)";
const INTERRUPTED = [
    "  130  interrupted (Ctrl-C); nothing half-written is left",
    "  141  stdout was closed by its reader (mach86 ... | head); likewise",
].join("\n");

/** Exit codes of a command that boots (boot, layout, pt, slabinfo, zoneinfo, whatis, report). */
export function boot_epilog(exitCodeOption: boolean): string {
    return [
        "Exit codes:",
        "  0    success: the guest exited with value 0, halted (cli; hlt) or powered",
        "       off; the modelled boot completed",
        "  1    failure: the guest exited with a value other than 0 (printed, and in",
        "       --json); the modelled boot got stuck; a user task was killed or exited",
        "       non-zero",
        BAD_INPUT,
        "  3    timeout (--timeout, --max-instructions)",
        "  4    guest crash (the CPU cannot go on)",
        "  5    panic of the modelled GNU Mach kernel",
        "  6    machine reset (keyboard controller, port 0xCF9, triple fault)",
        INTERNAL,
        INTERRUPTED,
        ...(exitCodeOption
            ? [
                  "--exit-code guest: exit with the guest's exit value & 0xFF, not 0/1;",
                  "--exit-code qemu: ((value << 1) | 1) & 0xFF, as QEMU's isa-debug-exit.",
                  "The other outcomes keep their codes above in every mode.",
              ]
            : []),
    ].join("\n");
}

export const WORKLOAD_EPILOG = [
    "Exit codes:",
    "  0    the workload ran to its end",
    "  1    a request of the workload failed (KERN_NO_SPACE, an allocation",
    "       returned 0), or the boot got stuck before it",
    BAD_INPUT,
    "       (a workload naming a cache or map this kernel lacks is bad input)",
    "  3-6  the boot timed out, crashed, panicked or reset before the workload;",
    "       5 also for a kernel panic during the workload",
    INTERNAL,
    INTERRUPTED,
].join("\n");

export const BISECT_EPILOG = [
    "Exit codes:",
    "  0    the search ended (a panic, a stuck boot or a crash counts as fails)",
    BAD_INPUT,
    "  70   internal error: a bug in mach86; the search stops there (please",
    "       report it with the command line)",
    INTERRUPTED,
].join("\n");

export const TEST_EPILOG = [
    "Exit codes:",
    "  0    every case passed (or was skipped)",
    "  1    a case failed, timed out, was flaky or could not run (verdict error)",
    BAD_INPUT,
    "       (a bad suite file, --filter matching no case, an unwritable --tap,",
    "       --junit or --report-json file)",
    INTERNAL,
    INTERRUPTED,
    "       (the running cases are killed; no report file is written)",
    "Each case is judged from its run's JSON document (how it stopped, the",
    "guest's exit value, the console), never from its child's exit code.",
].join("\n");

export const PRESETS_EPILOG = ["Exit codes:", "  0    listed", BAD_INPUT].join("\n");

export const MAIN_EPILOG = [
    boot_epilog(false),
    "Each command's --help says which codes it uses.",
].join("\n");
