// bench/why.ts: the "Where the time goes" lines under make bench's table.
// markedRun runs a stand-in for `mach86 boot … --stop-at --verbose` (Node
// printing console lines and the count line), so no kernel is needed.
import { describe, expect, it } from "vitest";
import { coldBootWhy, markedRun, realWhy, type Mark } from "../../bench/why.ts";
import type { Stats } from "../../bench/measure.ts";

const s = (median: number): Stats => ({ min: median, median, max: median, n: 1 });
const marks: Mark[] = [
    { label: "'one'", re: /one/ },
    { label: "'two'", re: /two/ },
];
const fake = (script: string) => [process.execPath, "-e", script];

describe("bench/why", () => {
    it("splits the cold boot into Node's start and mach86's own part", () => {
        const t = coldBootWhy("cold boot", s(130), s(66), s(83), 1.0);
        expect(t).toMatch(/^cold boot: /);
        expect(t).toContain("took 66 ms, 0.80× QEMU's whole run (83 ms)");
        expect(t).toContain("mach86's own part (its median less Node's) was 64 ms");
        expect(t).toContain("leaves 17 ms after Node's start");
    });

    it("gives each phase of the real boot its count, time and speed", () => {
        const run = { at: [500, 2500], instructions: 2_500_000_000 };
        const t = realWhy(marks, [400_000_000, 2_500_000_000], run, s(3000), s(5000), 0.5);
        expect(t).toContain("process start to 'one': 400 M in 500 ms (800 MIPS)");
        expect(t).toContain("'one' to 'two': 2100 M in 2000 ms (1050 MIPS)");
        expect(t).toContain("mach86 averaged 833 MIPS");
        expect(t).toContain("≤ 0.5× QEMU (2500 ms) needs 1000 MIPS");
    });

    it("notes when each line shows and reads the count --verbose prints", async () => {
        const r = await markedRun(
            fake(
                "console.log('one');setTimeout(()=>{console.log('two');" +
                    "console.error('mach86: stopped at console:two\\nmach86: 12345 instructions')},50)",
            ),
            marks,
        );
        expect(r.instructions).toBe(12345);
        expect(r.at[0]).toBeLessThan(r.at[1]!);
        expect(r.at[1]! - r.at[0]!).toBeGreaterThan(20);
    });

    it("refuses a run that fails or prints no count", async () => {
        await expect(markedRun(fake("console.log('one')"), marks)).rejects.toThrow(
            /without an instruction count/,
        );
        await expect(
            markedRun(fake("console.error('mach86: 5 instructions');process.exit(3)"), marks),
        ).rejects.toThrow(/exit 3/);
    });
});
