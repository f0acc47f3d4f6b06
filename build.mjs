// Builds dist/: the CLI (dist/mach86.mjs), the library (dist/lib.mjs, the
// package's "exports") and its TypeScript declarations (dist/types/).
//
// The CLI bundles yargs and ajv (importing their many files costs ~100 ms of
// a cold boot); v86 stays external because it loads v86.wasm from
// node_modules. The library bundle keeps every package external: they are
// the package's dependencies.
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

const node = {
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    logLevel: "warning",
};

// Split into chunks (dist/mach86-*.mjs) loaded on demand: a plain `boot
// --kernel` (cli/fast.ts) never parses yargs or the command tree, and the
// full parser never the fast path's code.
// Old chunks go first (their names change with their hashes), and V8's code cache of
// v86 that runs wrote there (emulator/v86_internals.ts); a fresh clone has no dist/ yet.
if (existsSync("dist"))
    for (const f of readdirSync("dist"))
        if (/^mach86-.*\.mjs$|^v86-.*\.cache$/.test(f)) rmSync(join("dist", f));
await build({
    ...node,
    entryPoints: [{ in: "cli/entry.ts", out: "mach86" }],
    outdir: "dist",
    outExtension: { ".js": ".mjs" },
    splitting: true,
    chunkNames: "mach86-[name]-[hash]",
    external: ["v86"],
    // yargs' and ajv's CommonJS helpers call require(); give each ESM chunk one.
    banner: {
        js: "#!/usr/bin/env node\nimport { createRequire as __mach86_cr } from 'node:module';\nconst require = __mach86_cr(import.meta.url);",
    },
});
chmodSync("dist/mach86.mjs", 0o755);

await build({
    ...node,
    entryPoints: ["lib/index.ts"],
    outfile: "dist/lib.mjs",
    packages: "external",
});

// Declarations of the library and of the types it exposes (kernel/, boot/, emulator/).
rmSync("dist/types", { recursive: true, force: true });
execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.types.json"], {
    stdio: "inherit",
});

// Benchmarks are bundled the same way (make bench).
await build({
    ...node,
    entryPoints: [
        "bench/run.ts",
        "bench/extras.ts",
        "bench/mips_child.ts",
        "bench/alloc_child.ts",
        "bench/user_child.ts",
    ],
    outdir: "build/bench",
    outExtension: { ".js": ".mjs" },
    packages: "external",
});
