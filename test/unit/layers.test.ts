/*
 * The layer rules of DESIGN.md are enforced by eslint; this checks that the
 * rules really fire (a lint config that silently stopped matching would let
 * kernel/ grow a v86 import unnoticed).
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

describe("layer rules", () => {
    it.each([
        ["kernel/vm/x.ts", 'import { V86 } from "v86";\nexport const a = V86;\n'],
        ["boot/x.ts", 'import { V86 } from "v86";\nexport const a = V86;\n'],
        ["emulator/machine2.ts", 'import { V86 } from "v86";\nexport const a = V86;\n'],
        [
            "kernel/x.ts",
            'import { Machine } from "../emulator/machine.ts";\nexport const a = Machine;\n',
        ],
        [
            "boot/x.ts",
            'import { ArrayPhysMem } from "../emulator/physmem.ts";\nexport const a = ArrayPhysMem;\n',
        ],
        [
            "emulator/x.ts",
            'import { multiboot_load } from "../boot/index.ts";\nexport const a = multiboot_load;\n',
        ],
        [
            "boot/x.ts",
            'import { boot_command } from "../cli/boot.ts";\nexport const a = boot_command;\n',
        ],
    ])("%s: forbidden import is reported", async (file, code) => {
        expect(await problems(file, code)).not.toEqual([]);
    });

    it.each([
        [
            "emulator/v86_internals2.ts",
            'import type { PhysMem } from "./types.ts";\nexport type A = PhysMem;\n',
        ],
        [
            "kernel/x.ts",
            'import type { PhysMem } from "../emulator/types.ts";\nexport type A = PhysMem;\n',
        ],
        [
            "boot/x.ts",
            'import type { PhysMem } from "../emulator/types.ts";\nexport type A = PhysMem;\n',
        ],
        [
            "cli/x.ts",
            'import { Machine } from "../emulator/machine.ts";\nexport const a = Machine;\n',
        ],
    ])("%s: allowed import passes", async (file, code) => {
        expect(await problems(file, code)).toEqual([]);
    });
});
