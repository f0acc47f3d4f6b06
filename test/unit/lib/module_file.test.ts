/*
 * lib/model.ts module_file: an image's module file as lazy bytes, read
 * where the memory holding it is made. The bytes are the file's; a file
 * that got shorter before they were read is an error naming it.
 */
import { mkdtempSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../../lib/errors.ts";
import { module_file } from "../../../lib/model.ts";

const dir = mkdtempSync(join(tmpdir(), "mach86-module-file-"));

function file(name: string, size: number): { path: string; bytes: Uint8Array } {
    const bytes = Uint8Array.from({ length: size }, (_, i) => (i * 7 + (i >> 8)) & 0xff);
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return { path, bytes };
}

describe("[lib/model] module_file", () => {
    it("has the file's length and gives its bytes at any offset", () => {
        const f = file("a.bin", 200_000);
        const lazy = module_file(f.path);
        expect(lazy.length).toBe(200_000);
        for (const [off, n] of [
            [0, 16],
            [65_536, 65_536],
            [199_990, 10],
        ] as const) {
            const dst = new Uint8Array(n);
            lazy.fill(dst, off);
            expect(Buffer.compare(dst, f.bytes.subarray(off, off + n))).toBe(0);
        }
        expect(module_file(f.path)).toBe(lazy); // once per process (bisect boots it again)
    });

    it("refuses bytes a shortened file no longer has, naming it", () => {
        const f = file("b.bin", 100_000);
        const lazy = module_file(f.path);
        truncateSync(f.path, 50_000);
        const err = (() => {
            try {
                lazy.fill(new Uint8Array(4096), 60_000);
            } catch (e) {
                return e;
            }
        })();
        expect(err).toBeInstanceOf(UsageError);
        expect((err as UsageError).message).toBe(
            `${f.path}: the file got shorter while mach86 was reading it`,
        );
    });

    it("names a missing file", () => {
        expect(() => module_file(join(dir, "none.bin"))).toThrow(/none\.bin: no such file/);
    });
});
