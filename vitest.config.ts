import { defineConfig } from "vitest/config";

// Tiers: test/unit (no v86), test/emu (v86 as an oracle), test/boot (real images),
// test/fuzz (property-based, seeded; the seed is printed).
export default defineConfig({
    test: {
        include: ["test/**/*.test.ts"],
        testTimeout: 120_000,
        hookTimeout: 60_000,
        pool: "forks",
        reporters: ["default"],
    },
});
