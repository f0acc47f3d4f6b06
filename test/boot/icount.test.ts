/*
 * Boot tier: --icount N, the virtual CPU speed (2^N ns of virtual time per
 * instruction, as QEMU's -icount shift=N).
 *
 * A run with --icount is as deterministic as one without: two runs give the
 * same document, bit for bit. On the real GNU Mach kernel (env
 * MACH86_GNUMACH_DIR; skipped with the reason printed when absent) a larger
 * N makes its calibrated delays and timer waits cost fewer instructions:
 * with --icount 4 it prints its kernel_map->size line within 3 G
 * instructions, and the line is the one it prints at the default speed.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, ROOT } from "./helpers.ts";

const IMG = join(ROOT, "build/images");
const GNUMACH = process.env["MACH86_GNUMACH_DIR"] || undefined;
const KERNEL = GNUMACH && join(GNUMACH, "gnumach-8d03c760-debian");
const missing = !KERNEL
    ? "MACH86_GNUMACH_DIR is not set"
    : !existsSync(KERNEL)
      ? `${KERNEL} does not exist`
      : undefined;
if (missing) console.log(`icount: real-kernel case skipped: ${missing}`);

function boot(args: string[]) {
    const r = spawnSync(process.execPath, [CLI, "boot", ...args, "--json"], { encoding: "utf8" });
    return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("--icount", () => {
    it("two runs with the same N are bit-identical; a different N is the same guest result", () => {
        const args = ["--kernel", join(IMG, "spin.elf"), "--cmdline", "iters=1000000"];
        const a = boot([...args, "--icount", "3"]);
        const b = boot([...args, "--icount", "3"]);
        expect(a.code).toBe(0);
        expect(a).toEqual(b);
        const base = JSON.parse(boot(args).out) as { console: string };
        expect((JSON.parse(a.out) as { console: string }).console).toBe(base.console);
    });

    it("bad values are bad input", () => {
        for (const v of ["11", "-1", "1.5"]) {
            const r = boot(["--kernel", join(IMG, "hello.elf"), "--icount", v]);
            expect(r.code, v).toBe(2);
            expect(r.err).toMatch(/^mach86: --icount: /);
        }
        const r = boot(["--kernel", join(IMG, "hello.elf"), "--icount", "2", "--no-deterministic"]);
        expect(r.code).toBe(2);
        expect(r.err).toMatch(/needs the virtual clock/);
    });
});

/** The real kernel with d-i's modules at 1856M; resolves with its JSON document. */
function real(extra: string[]): Promise<{ console: string; instructions: number }> {
    const f = join(IMG, "debian-installer");
    const args = [
        CLI,
        "boot",
        "--kernel",
        KERNEL!,
        "--module-nounzip",
        `${join(f, "initrd.gz")} initrd $(ramdisk-create)`,
        "--module-nounzip",
        `${join(f, "ext2fs.static")} ext2fs --multiboot-command-line=\${kernel-command-line} ` +
            "--host-priv-port=${host-port} --device-master-port=${device-port} " +
            "--exec-server-task=${exec-task} -T typed gunzip:device:rd0 $(task-create) $(task-resume)",
        "--module-nounzip",
        `${join(f, "ld.so.1")} exec /hurd/exec $(exec-task=task-create)`,
        "--cmdline",
        "console=com0 root=gunzip:device:rd0",
        "--memory",
        "1856M",
        "--json",
        "--quiet",
        ...extra,
    ];
    return new Promise((resolve, reject) => {
        const p = spawn(process.execPath, args);
        let out = "";
        p.stdout.on("data", (d: Buffer) => (out += d.toString()));
        p.on("error", reject);
        p.on("close", () => {
            try {
                resolve(JSON.parse(out) as { console: string; instructions: number });
            } catch (e) {
                reject(new Error(`no JSON document (${String(e)}): ${out.slice(0, 300)}`));
            }
        });
    });
}

const LINE = /^kernel_map->size = .*$/m;

describe.skipIf(Boolean(missing))("--icount on the real GNU Mach kernel", () => {
    it("--icount 4 reaches the kernel_map->size line within 3 G instructions, the same line, bit-identically", async () => {
        const [slow, fast1, fast2] = await Promise.all([
            real(["--max-instructions", "7500000000"]),
            real(["--icount", "4", "--max-instructions", "3000000000"]),
            real(["--icount", "4", "--max-instructions", "3000000000"]),
        ]);
        expect(fast1).toEqual(fast2);
        const line = LINE.exec(slow.console)?.[0];
        expect(line, "the default run prints the line").toBeDefined();
        expect(LINE.exec(fast1.console)?.[0]).toBe(line);
    }, 300_000);
});
