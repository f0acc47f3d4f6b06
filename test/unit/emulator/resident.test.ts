/*
 * emulator/resident.ts: locate_buffer tells a wasm memory's mapping from
 * another of the same size (a machine's memory from a freed one's), and
 * resident_pages_at reads which of its pages the OS backs. Skipped, with
 * the reason, where /proc/self/pagemap cannot be read.
 */
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { locate_buffer, resident_pages_at } from "../../../emulator/resident.ts";

const PAGE = 4096;
const BYTES = 4 << 20;
const proc = existsSync("/proc/self/pagemap");
if (!proc) console.log("resident.test: skipped: no /proc/self/pagemap");

describe.skipIf(!proc)("locate_buffer / resident_pages_at", () => {
    it("finds each of two same-size wasm memories and reads their backed pages", () => {
        const a = new Uint8Array(new WebAssembly.Memory({ initial: BYTES / 65536 }).buffer);
        const b = new Uint8Array(new WebAssembly.Memory({ initial: BYTES / 65536 }).buffer);
        const at = locate_buffer(a);
        const bt = locate_buffer(b);
        expect(at).toBeDefined();
        expect(bt).toBeDefined();
        expect(at).not.toBe(bt);
        a[5 * PAGE + 7] = 1;
        const ra = resident_pages_at(at!, BYTES)!;
        const rb = resident_pages_at(bt!, BYTES)!;
        expect(ra[5]).toBe(1);
        expect(rb[5]).toBe(0);
        // The probe wrote a zero: every byte still reads as before.
        expect(a.reduce((s, x) => s + x, 0)).toBe(1);
        expect(b.every((x) => x === 0)).toBe(true);
    });
});
