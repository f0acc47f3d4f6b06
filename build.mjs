// Bundles the CLI into dist/mach86.mjs. yargs is bundled in (importing its ~40 ESM files
// costs ~100 ms of a cold boot); v86 stays external because it loads v86.wasm from
// node_modules.
import { build } from "esbuild";
import { chmodSync } from "node:fs";

await build({
    entryPoints: ["cli/mach86.ts"],
    outfile: "dist/mach86.mjs",
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    external: ["v86"],
    // yargs' CommonJS helpers call require(); give the ESM bundle one.
    banner: {
        js: "#!/usr/bin/env node\nimport { createRequire as __mach86_cr } from 'node:module';\nconst require = __mach86_cr(import.meta.url);",
    },
    logLevel: "warning",
});
chmodSync("dist/mach86.mjs", 0o755);

// Benchmarks are bundled the same way (make bench).
await build({
    entryPoints: [
        "bench/run.ts",
        "bench/mips_child.ts",
        "bench/alloc_child.ts",
        "bench/user_child.ts",
    ],
    outdir: "build/bench",
    outExtension: { ".js": ".mjs" },
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    packages: "external",
    logLevel: "warning",
});
