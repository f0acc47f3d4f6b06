/*
 * Emu tier: the real GNU Mach under the `qemu` loader prints the same
 * kernel_map as under qemu-system-i386 -m N (test/fixtures/qemu/gnumach/,
 * recorded by record-gnumach.sh with QEMU 7.2). The kernels live outside
 * the repository (MACH86_GNUMACH_DIR; the Makefile finds the team's copy):
 * without them every case is skipped and says why.
 *
 * Each run stops at the kernel's "panic:" line, right after the kernel_map
 * dump (about 6 G guest instructions; the kernel then waits and resets,
 * which takes 20 G more). `make test` runs one kernel at one size;
 * MACH86_GNUMACH_ALL=1 runs every recorded kernel and size.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { memory_size_parse } from "../../boot/memsize.ts";
import { ROOT, run_guest } from "./guest.ts";

const FIXTURES = join(ROOT, "test/fixtures/qemu/gnumach");
const DIR = process.env["MACH86_GNUMACH_DIR"];
const D = "build/images/debian-installer";
const MODULES = [
    `!${D}/initrd.gz initrd $(ramdisk-create)`,
    `${D}/ext2fs.static ext2fs --multiboot-command-line=\${kernel-command-line} --host-priv-port=\${host-port} --device-master-port=\${device-port} --exec-server-task=\${exec-task} -T typed gunzip:device:rd0 $(task-create) $(task-resume)`,
    `${D}/ld.so.1 exec /hurd/exec $(exec-task=task-create)`,
];

/** The lines that describe kernel memory: truncation, the ramdisk, kernel_map and its entries. */
function memory_lines(console: string): string[] {
    return console
        .replace(/\r/g, "\n")
        .split("\n")
        .filter(
            (l) => /^(Truncating|kernel_map->size|kmap |AT386 boot)/.test(l) || / rd0: /.test(l),
        )
        .map((l) => l.replace(/^.* (rd0: )/, "$1").trimEnd());
}

const cases = readdirSync(FIXTURES)
    .map((f) => /^(.+)-m(\d+)\.txt$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ kernel: m[1]!, memory: m[2]!, fixture: join(FIXTURES, m[0]) }));
const chosen = process.env["MACH86_GNUMACH_ALL"]
    ? cases
    : cases.filter((c) => c.kernel === "gnumach-8d03c760-debian" && c.memory === "1856");

describe("real GNU Mach on the qemu loader equals QEMU 7.2", () => {
    for (const c of chosen) {
        const path = DIR ? join(DIR, c.kernel) : undefined;
        const why = !DIR
            ? "MACH86_GNUMACH_DIR is not set"
            : !existsSync(path!)
              ? `${path} does not exist`
              : undefined;
        if (why) console.log(`skipped ${c.kernel} -m ${c.memory}: ${why}`);
        it.skipIf(why !== undefined)(
            `${c.kernel} --memory ${c.memory}: the same memory lines and kernel_map`,
            { timeout: 600_000 },
            async () => {
                const recorded = readFileSync(c.fixture, "utf8");
                expect(recorded).toMatch(/^# QEMU emulator version 7\.2/);
                const r = await run_guest({
                    kernel: path!,
                    ramSize: memory_size_parse(c.memory),
                    loader: "qemu",
                    cmdline: "console=com0 root=gunzip:device:rd0",
                    modules: MODULES,
                    limits: { maxInstructions: 20e9 },
                    before: (m) => {
                        let line = "";
                        m.console.watch((b) => {
                            line = b === 10 || b === 13 ? "" : line + String.fromCharCode(b);
                            if (line === "panic:")
                                m.stop({ kind: "stop_point", point: "console:panic" });
                        });
                    },
                });
                await r.machine.destroy();
                expect(r.result.stop).toEqual({ kind: "stop_point", point: "console:panic" });
                const ours = memory_lines(r.console);
                expect(ours.some((l) => l.startsWith("kernel_map->size = "))).toBe(true);
                expect(ours).toEqual(memory_lines(recorded));
            },
        );
    }
});
