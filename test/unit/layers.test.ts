/*
 * The layer rules are enforced by eslint; this checks that the rules really
 * fire (a lint config that silently stopped matching would let kernel/ grow
 * a v86 import, or a test an import of cli/, unnoticed).
 */
import { ESLint } from "eslint";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

const eslint = new ESLint({ cwd: resolve(import.meta.dirname, "../..") });

async function problems(file: string, code: string): Promise<string[]> {
    const [res] = await eslint.lintText(code, {
        filePath: resolve(import.meta.dirname, "../..", file),
    });
    return (res?.messages ?? [])
        .filter((m) => m.ruleId?.includes("no-restricted-imports"))
        .map((m) => m.message);
}

const use = (what: string, from: string) =>
    `import { ${what} } from "${from}";\nexport const a = ${what};\n`;
const useType = (what: string, from: string) =>
    `import type { ${what} } from "${from}";\nexport type A = ${what};\n`;

describe("layer rules", () => {
    it.each([
        ["kernel/vm/x.ts", use("V86", "v86")],
        ["boot/x.ts", use("V86", "v86")],
        ["emulator/machine2.ts", use("V86", "v86")],
        ["kernel/x.ts", use("Machine", "../emulator/machine.ts")],
        ["boot/x.ts", use("ArrayPhysMem", "../emulator/physmem.ts")],
        ["emulator/x.ts", use("multiboot_load", "../boot/index.ts")],
        ["boot/x.ts", use("main", "../cli/mach86.ts")],
        // lib/: never v86, never cli/
        ["lib/x.ts", use("V86", "v86")],
        ["lib/suite/x.ts", use("main", "../../cli/mach86.ts")],
        // the layers below lib/ never import it
        ["kernel/kern/x.ts", use("boot", "../../lib/index.ts")],
        ["boot/x.ts", use("boot", "../lib/index.ts")],
        ["emulator/x.ts", use("boot", "../lib/native/boot.ts")],
        // cli/ goes through lib/ for everything but types
        ["cli/x.ts", use("Machine", "../emulator/machine.ts")],
        ["cli/x.ts", use("kernel_boot", "../kernel/kern/startup.ts")],
        ["cli/x.ts", use("multiboot_load", "../boot/index.ts")],
        ["cli/x.ts", use("V86", "v86")],
        // tests and benches never import cli/
        ["test/boot/x.test.ts", use("main", "../../cli/mach86.ts")],
        ["test/unit/kernel/vm/x.test.ts", use("main", "../../../../cli/mach86.ts")],
        ["bench/x.ts", use("main", "../cli/mach86.ts")],
        // util/ is the bottom layer
        ["util/x.ts", use("page_walk", "../emulator/pagewalk.ts")],
        ["util/x.ts", use("boot", "../lib/index.ts")],
    ])("%s: forbidden import is reported", async (file, code) => {
        expect(await problems(file, code)).not.toEqual([]);
    });

    it.each([
        ["emulator/v86_internals2.ts", useType("PhysMem", "./types.ts")],
        ["emulator/x.ts", use("hex32", "../util/hex.ts")],
        ["boot/x.ts", use("hex32", "../util/hex.ts")],
        ["kernel/vm/x.ts", use("hex32", "../../util/hex.ts")],
        ["kernel/x.ts", useType("PhysMem", "../emulator/types.ts")],
        ["boot/x.ts", useType("PhysMem", "../emulator/types.ts")],
        ["lib/x.ts", use("Machine", "../emulator/machine.ts")],
        ["lib/suite/x.ts", use("kernel_boot", "../../kernel/kern/startup.ts")],
        ["cli/x.ts", use("boot", "../lib/index.ts")],
        ["cli/x.ts", useType("Layout", "../kernel/layout.ts")],
        ["test/boot/x.test.ts", use("boot", "../../lib/index.ts")],
        ["test/unit/x.test.ts", use("Machine", "../../emulator/machine.ts")],
        ["bench/x.ts", use("bootImage", "../lib/index.ts")],
    ])("%s: allowed import passes", async (file, code) => {
        expect(await problems(file, code)).toEqual([]);
    });
});
