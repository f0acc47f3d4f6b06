/*
 * Shared helpers for the boot tier: image paths, an in-process boot through
 * the library, and the bundled CLI run as a user runs it.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { spawnSync } from "node:child_process";
import { expect } from "vitest";
import { boot as lib_boot, exit_code, type BootOptions, type BootResult } from "../../lib/index.ts";
import type { KbootResult } from "../../lib/kboot.ts";
import { default_pager_verify } from "../../kernel/default_pager/default_pager.ts";
import { kernel_verify } from "../../kernel/kern/kernel_verify.ts";
import { vm_page_verify } from "../../kernel/vm/vm_page.ts";

export const ROOT = resolve(import.meta.dirname, "../..");
export const IMAGES = join(ROOT, "build/images");
export const CLI = join(ROOT, "dist/mach86.mjs");

export function image(name: string): string {
    const elf = join(IMAGES, `${name}.elf`);
    if (existsSync(elf)) return elf;
    const bin = join(IMAGES, `${name}.bin`);
    if (existsSync(bin)) return bin;
    throw new Error(`image ${name} not built: run make images`);
}

export interface Booted extends BootResult {
    /** The exit code `mach86 boot` gives this result (default mode). */
    exitCode: number;
}

/** Boot a multiboot kernel in-process through the library (60 s wall-clock limit). */
export async function boot(opts: BootOptions): Promise<Booted> {
    const r = await lib_boot({ timeout: "60s", ...opts });
    return { ...r, exitCode: exit_code(r.stop) };
}

/** Run the bundled CLI as a separate process (exit codes, no stack traces). */
export function cli(args: string[]) {
    const r = spawnSync(process.execPath, [CLI, ...args], {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 60_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** What the kernel still holds after every user task ended: the pager and the page table are consistent. */
export function expect_clean_after_tasks(r: KbootResult): void {
    const k = r.kernel!;
    expect(k.sched!.tasks.filter((t) => t.state === "alive" && t.threads.length > 0)).toEqual([]);
    expect(vm_page_verify(k.vm_page!)).toEqual([]);
    expect(default_pager_verify(k.vm!.pager)).toEqual([]);
    expect(k.vm!.pager.used, "pager slots still in use after every task ended").toBe(0);
    expect(kernel_verify(k)).toEqual([]);
}
