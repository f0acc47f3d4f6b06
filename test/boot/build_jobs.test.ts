/*
 * Boot tier: images/build-jobs on the v86 engine — makej, a `make -jJ` of
 * N child tasks that the parent polls with task_info. Every job exits 0,
 * task_info tells running jobs from ended ones (and gives its errors), the
 * checksum is the same in two runs, and the kernel is consistent after
 * the run. J and N are read from what makej printed, never typed in.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bootImage } from "../../lib/index.ts";
import { ROOT, expect_clean_after_tasks } from "./helpers.ts";

const IMAGE = join(ROOT, "images", "build-jobs");

/** The capture groups of `re` in the console, as numbers (fails the test when absent). */
function nums(console: string, re: RegExp): number[] {
    const m = console.match(re);
    expect(m, `console has ${re}`).not.toBeNull();
    return m!.slice(1).map((x) => Number(x));
}

describe("build-jobs: makej J N", () => {
    it("runs every job to exit 0, J at a time, tells running jobs from ended ones with task_info; deterministic", async () => {
        const a = await bootImage({ image: IMAGE, engine: "v86" });
        expect(a.status, a.reason).toBe("ok");
        const c = a.console;
        // The first line follows the kernel's "start /bin/makej:" on the same console line.
        const [j, n] = nums(c, /\bmakej: -j(\d+), (\d+) jobs, seed 0x[0-9a-f]{8}$/m) as [
            number,
            number,
        ];
        expect(n).toBeGreaterThan(j);

        // task_info on itself, then its two errors.
        const [, virt, res] = nums(
            c,
            /^makej: task_info\(self\): suspend (0), virtual (\d+) KiB, resident (\d+) KiB; flavor 2: KERN_INVALID_ARGUMENT; out pointer 0x10: KERN_INVALID_ADDRESS$/m,
        );
        expect(res).toBeGreaterThan(0);
        expect(res).toBeLessThanOrEqual(virt!);

        // The parent and N jobs, every one exited with code 0, none killed or terminated.
        const u = a.user!;
        expect(u.tasks).toHaveLength(n + 1);
        expect(
            u.tasks.filter(
                (t) => t.state !== "exited" || t.exit_code !== 0 || t.end !== "exited with code 0",
            ),
        ).toEqual([]);
        expect(c).not.toMatch(/^makej: job \d+:/m);

        // Each job was seen ended by exactly one task_info; some were seen running; never more than J at once.
        const [live, ended, most] = nums(
            c,
            /^makej: task_info: (\d+) calls saw a running job, (\d+) an ended one; at most (\d+) jobs at once$/m,
        );
        expect(ended).toBe(n);
        expect(live).toBeGreaterThan(0);
        expect(most).toBe(j);
        const [n2, j2, links] = nums(
            c,
            /^makej: (\d+) jobs \(-j(\d+)\): (\d+) link steps, \d+ receive rights, \d+ KiB of heap, checksum 0x[0-9a-f]{8}$/m,
        );
        expect([n2, j2, links]).toEqual([n, j, Math.floor(n / 16)]);
        expect_clean_after_tasks(a);

        // Determinism: the same checksum, console and counters in a second run.
        const b = await bootImage({ image: IMAGE, engine: "v86" });
        expect(b.status, b.reason).toBe("ok");
        const sum = (x: string) => x.match(/checksum (0x[0-9a-f]{8})$/m)?.[1];
        expect(sum(b.console)).toBe(sum(c));
        expect(b.console).toBe(c);
        expect(b.user).toEqual(u);
    });
});
