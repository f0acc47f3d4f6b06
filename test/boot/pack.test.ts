/*
 * Boot tier: the package as a user gets it. `npm pack`, install the tarball
 * into an empty project, and call boot() and layout() through
 * `import … from "mach86"` (types checked by tsc too); the installed bin runs.
 *
 * The install takes mach86's dependencies (v86, ajv) from the npm cache when
 * it has them, else from the registry.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, cli, image } from "./helpers.ts";

const DI = join(ROOT, "images/debian-installer");
const work = mkdtempSync(join(tmpdir(), "mach86-pack-"));
const proj = join(work, "project");

function run(cmd: string, args: string[], cwd: string) {
    const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: 240_000 });
    expect(r.status, `${cmd} ${args.join(" ")}:\n${r.stdout}\n${r.stderr}`).toBe(0);
    return r.stdout;
}

beforeAll(() => {
    expect(existsSync(join(ROOT, "dist/lib.mjs")), "dist/lib.mjs (make build)").toBe(true);
    const packed = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", work], ROOT)) as {
        filename: string;
    }[];
    mkdirSync(proj);
    writeFileSync(
        join(proj, "package.json"),
        JSON.stringify({ name: "user", private: true, type: "module" }),
    );
    run(
        "npm",
        ["install", join(work, packed[0]!.filename), "--prefer-offline", "--no-audit", "--no-fund"],
        proj,
    );
}, 300_000);

describe("the packed package", () => {
    it('import { boot, layout } from "mach86" works in an empty project', () => {
        writeFileSync(
            join(proj, "check.mjs"),
            `import { boot, layout, exit_code } from "mach86";
const r = await boot({ kernel: ${JSON.stringify(image("hello"))} });
const l = await layout({ image: ${JSON.stringify(DI)}, engine: "none", memory: "1856M", at: "modules" });
console.log(JSON.stringify({ stop: r.stop, code: exit_code(r.stop), console: r.console, at: l.at, size: l.layout.kernel_map.size }));
`,
        );
        const out = JSON.parse(run(process.execPath, ["check.mjs"], proj));
        expect(out.stop).toEqual({ kind: "exit", value: 0 });
        expect(out.code).toBe(0);
        expect(out.console).toBe("Hello from mach86!\n");
        expect(out.at).toBe("modules");
        // The same number the repository's own CLI derives.
        const doc = JSON.parse(
            cli([
                "layout",
                DI,
                "--engine",
                "none",
                "--memory",
                "1856M",
                "--at",
                "modules",
                "--json",
            ]).stdout,
        );
        expect(out.size).toBe(doc.layout.kernel_map.size);
    });

    it("its declarations type-check a user's TypeScript", () => {
        writeFileSync(
            join(proj, "check.ts"),
            `import { boot, layout, type BootResult, type Stop } from "mach86";
const r: BootResult = await boot({ kernel: "k.elf", memory: "64M", modules: ["m.gz arg", { line: "n.gz", nounzip: true }] });
const s: Stop = r.stop;
const l = await layout({ image: "images/x", engine: "none", at: "modules" });
const size: number | undefined = l.layout?.kernel_map.size;
console.log(s.kind, size);
`,
        );
        writeFileSync(
            join(proj, "tsconfig.json"),
            JSON.stringify({
                compilerOptions: {
                    module: "NodeNext",
                    moduleResolution: "NodeNext",
                    target: "ES2022",
                    strict: true,
                    noEmit: true,
                    skipLibCheck: true,
                    types: [],
                },
                files: ["check.ts"],
            }),
        );
        run(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "."], proj);
    });

    it("the installed mach86 bin runs", () => {
        const bin = join(proj, "node_modules/.bin/mach86");
        expect(run(bin, ["boot", "--kernel", image("hello")], proj)).toBe("Hello from mach86!\n");
    });
});
