// Bundles the CLI into dist/mach86.mjs (npm packages stay external: v86 loads its wasm from node_modules).
import { build } from "esbuild";
import { chmodSync } from "node:fs";

await build({
    entryPoints: ["cli/mach86.ts"],
    outfile: "dist/mach86.mjs",
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    packages: "external",
    banner: { js: "#!/usr/bin/env node" },
    logLevel: "warning",
});
chmodSync("dist/mach86.mjs", 0o755);

// Benchmarks are bundled the same way (make bench).
await build({
    entryPoints: ["bench/run.ts", "bench/mips_child.ts"],
    outdir: "build/bench",
    outExtension: { ".js": ".mjs" },
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    packages: "external",
    logLevel: "warning",
});
