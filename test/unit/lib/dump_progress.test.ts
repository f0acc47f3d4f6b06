/*
 * lib/dump's progress writer: on a terminal one line redrawn in place (only
 * when the percentage moves) and erased at the end; elsewhere a line at
 * every tenth.
 */
import { describe, expect, it } from "vitest";
import { dump_progress_text, dump_progress_writer } from "../../../lib/index.ts";

const MiB = 1 << 20;

function run(tty: boolean): string[] {
    const out: string[] = [];
    const w = dump_progress_writer((t) => out.push(t), "d", tty);
    for (let done = 4 * MiB; done <= 200 * MiB; done += 4 * MiB) w.progress(done, 200 * MiB);
    w.progress(200 * MiB, 200 * MiB);
    w.end();
    return out;
}

describe("dump_progress_writer", () => {
    it("says how much of the RAM is written", () => {
        expect(dump_progress_text("out", 512 * MiB, 1856 * MiB)).toBe(
            "mach86: dumping RAM to out: 512 of 1856 MiB (27%)",
        );
    });

    it("on a terminal: one line redrawn as the percentage moves, erased at the end", () => {
        const out = run(true);
        expect(out.length).toBe(50 + 1);
        expect(out[0]).toBe("\rmach86: dumping RAM to d: 4 of 200 MiB (2%)\x1b[K");
        expect(out.slice(0, -1).every((t) => t.startsWith("\r") && !t.includes("\n"))).toBe(true);
        expect(out.at(-2)).toContain("200 of 200 MiB (100%)");
        expect(out.at(-1)).toBe("\r\x1b[K");
    });

    it("elsewhere: a whole line at each tenth, nothing to erase", () => {
        const out = run(false);
        expect(out.length).toBe(11);
        expect(out.every((t) => t.endsWith("\n") && !t.includes("\r"))).toBe(true);
        expect(out[0]).toBe("mach86: dumping RAM to d: 4 of 200 MiB (2%)\n");
        expect(out.at(-1)).toBe("mach86: dumping RAM to d: 200 of 200 MiB (100%)\n");
    });
});
