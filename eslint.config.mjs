// Lint: typescript-eslint plus the layer rules of DESIGN.md, enforced mechanically:
//   cli → kernel → boot → emulator; only emulator/v86_internals.ts imports v86;
//   boot/ and kernel/ see emulator/ through type imports only; nothing imports cli/.
import tseslint from "typescript-eslint";

const noCli = { group: ["**/cli/*", "**/cli"], message: "nothing imports cli/ (top layer)" };
const noV86 = { name: "v86", message: "only emulator/v86_internals.ts may import v86" };

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
        files: ["emulator/**/*.ts"],
        ignores: ["emulator/v86_internals.ts"],
        rules: {
            "@typescript-eslint/no-restricted-imports": [
                "error",
                {
                    paths: [noV86],
                    patterns: [
                        noCli,
                        {
                            group: ["**/boot/*", "**/kernel/*"],
                            message: "emulator/ never imports upward",
                        },
                    ],
                },
            ],
        },
    },
    {
        files: ["emulator/v86_internals.ts"],
        rules: {
            "@typescript-eslint/no-restricted-imports": [
                "error",
                {
                    patterns: [
                        noCli,
                        {
                            group: ["**/boot/*", "**/kernel/*"],
                            message: "emulator/ never imports upward",
                        },
                    ],
                },
            ],
        },
    },
    {
        files: ["boot/**/*.ts"],
        rules: {
            "@typescript-eslint/no-restricted-imports": [
                "error",
                {
                    paths: [noV86],
                    patterns: [
                        noCli,
                        { group: ["**/kernel/*"], message: "boot/ never imports kernel/" },
                        {
                            group: ["**/emulator/*"],
                            allowTypeImports: true,
                            message: "boot/ may only import types from emulator/",
                        },
                    ],
                },
            ],
        },
    },
    {
        files: ["kernel/**/*.ts"],
        rules: {
            "@typescript-eslint/no-restricted-imports": [
                "error",
                {
                    paths: [noV86],
                    patterns: [
                        noCli,
                        {
                            group: ["**/emulator/*"],
                            allowTypeImports: true,
                            message: "kernel/ may only import types from emulator/",
                        },
                    ],
                },
            ],
        },
    },
    {
        files: ["test/**/*.ts", "bench/**/*.ts"],
        rules: { "@typescript-eslint/no-restricted-imports": ["error", { paths: [noV86] }] },
    },
);
