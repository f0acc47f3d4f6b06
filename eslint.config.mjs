// Lint: typescript-eslint plus the layer rules, enforced mechanically:
//   cli → lib → kernel → boot → emulator; only emulator/v86_internals.ts imports v86;
//   boot/ and kernel/ see emulator/ through type imports only; lib/ never imports cli/
//   or v86; cli/ takes everything but types from lib/; nothing imports cli/, and the
//   lower layers never import lib/; tests and benches use lib/ (or lower), never cli/.
//   util/ (pure helpers such as hex formatting) sits below them all: every layer may
//   import it, and it imports nothing of mach86.
import tseslint from "typescript-eslint";

const noCli = { group: ["**/cli/*", "**/cli"], message: "nothing imports cli/ (top layer)" };
const noLib = {
    group: ["**/lib/*", "**/lib"],
    message: "emulator/, boot/ and kernel/ never import lib/ (the layer above them)",
};
const noV86 = { name: "v86", message: "only emulator/v86_internals.ts may import v86" };
const upward = { group: ["**/boot/*", "**/kernel/*"], message: "emulator/ never imports upward" };

const restrict = (options) => ({
    "@typescript-eslint/no-restricted-imports": ["error", options],
});

export default tseslint.config(
    { ignores: ["node_modules/", "dist/", "build/", "bench/results/", "**/*.mjs", "images/"] },
    ...tseslint.configs.recommended,
    {
        files: ["**/*.ts"],
        rules: {
            "@typescript-eslint/consistent-type-imports": "error",
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
        },
    },
    {
        files: ["util/**/*.ts"],
        rules: restrict({
            paths: [noV86],
            patterns: [
                noCli,
                noLib,
                {
                    group: ["**/emulator/*", "**/boot/*", "**/kernel/*"],
                    message: "util/ is the bottom layer: it imports nothing of mach86",
                },
            ],
        }),
    },
    {
        files: ["emulator/**/*.ts"],
        ignores: ["emulator/v86_internals.ts"],
        rules: restrict({ paths: [noV86], patterns: [noCli, noLib, upward] }),
    },
    {
        files: ["emulator/v86_internals.ts"],
        rules: restrict({ patterns: [noCli, noLib, upward] }),
    },
    {
        files: ["boot/**/*.ts"],
        rules: restrict({
            paths: [noV86],
            patterns: [
                noCli,
                noLib,
                { group: ["**/kernel/*"], message: "boot/ never imports kernel/" },
                {
                    group: ["**/emulator/*"],
                    allowTypeImports: true,
                    message: "boot/ may only import types from emulator/",
                },
            ],
        }),
    },
    {
        files: ["kernel/**/*.ts"],
        rules: restrict({
            paths: [noV86],
            patterns: [
                noCli,
                noLib,
                {
                    group: ["**/emulator/*"],
                    allowTypeImports: true,
                    message: "kernel/ may only import types from emulator/",
                },
            ],
        }),
    },
    {
        files: ["lib/**/*.ts"],
        rules: restrict({ paths: [noV86], patterns: [noCli] }),
    },
    {
        files: ["cli/**/*.ts"],
        rules: restrict({
            paths: [noV86],
            patterns: [
                noCli,
                {
                    group: ["**/kernel/*", "**/boot/*", "**/emulator/*"],
                    allowTypeImports: true,
                    message: "cli/ calls lib/ (it may import only types from the layers below)",
                },
            ],
        }),
    },
    {
        files: ["test/**/*.ts", "bench/**/*.ts"],
        rules: restrict({ paths: [noV86], patterns: [noCli] }),
    },
);
