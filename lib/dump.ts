/*
 * lib/dump.ts — `--dump DIR`: the machine after an image boot, as files:
 * phys.bin (raw physical RAM as a sparse file: the size of RAM, only the
 * non-zero pages written), machine.json (engine, stop, CPU registers, the
 * kernel's CR3) and layout.json (the kernel layout at the end).
 *
 * The files are written into the OutputDir's temporary folder and appear
 * together when it is committed. Writing RAM yields to the event loop
 * every few MiB, so Ctrl-C is handled during a long dump (and the
 * temporary folder removed), not only after it. Only the pages the memory
 * says were touched are read (PhysMem.touchedPages), checked first against
 * the low 2 MiB read whole.
 */
import { closeSync, ftruncateSync, openSync, writeFileSync, writeSync } from "node:fs";
import type { Kernel } from "../kernel/kern/kernel.ts";
import { pmap_cr3 } from "../kernel/i386/pmap.ts";
import { layout_snapshot } from "../kernel/layout.ts";
import type { KbootResult } from "./kboot.ts";
import { cpu_json, SCHEMA_VERSION } from "./json.ts";
import type { OutputDir } from "./output.ts";

const PAGE = 4096;
/** Pages read and written per step between yields to the event loop (4 MiB). */
const STEP = 1024;
/** The low RAM every boot writes (BIOS area, the kernel at 1 MiB): read whole to check touchedPages. */
const CHECKED = 512;

const tick = () => new Promise<void>((r) => setImmediate(r));

/** Progress of a dump: bytes of RAM looked at so far, of `total`. */
export type DumpProgress = (done: number, total: number) => void;

/** A dump's progress as text: "mach86: dumping RAM to DIR: 512 of 1856 MiB (27%)". */
export function dump_progress_text(dir: string, done: number, total: number): string {
    const mib = (n: number) => Math.floor(n / 1048576);
    const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
    return `mach86: dumping RAM to ${dir}: ${mib(done)} of ${mib(total)} MiB (${pct}%)`;
}

/**
 * What a person watching a dump sees, written with `write` (stderr): on a
 * terminal one line redrawn in place as the percentage grows, erased at
 * the end; elsewhere (--verbose into a file or a pipe) a line at every 10%.
 */
export function dump_progress_writer(
    write: (text: string) => void,
    dir: string,
    tty: boolean,
): { progress: DumpProgress; end(): void } {
    let shown = -1;
    let drawn = false;
    return {
        progress(done, total) {
            const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
            const step = tty ? pct : pct - (pct % 10);
            if (step === shown) return;
            shown = step;
            const text = dump_progress_text(dir, done, total);
            if (tty) {
                write(`\r${text}\x1b[K`);
                drawn = true;
            } else write(text + "\n");
        },
        end() {
            if (drawn) write("\r\x1b[K");
            drawn = false;
        },
    };
}

function is_zero(page: Uint8Array): boolean {
    const w = new Int32Array(page.buffer, page.byteOffset, PAGE / 4);
    for (let i = 0; i < w.length; i++) if (w[i] !== 0) return false;
    return true;
}

function page_bytes(k: Kernel, first: number, count: number): Uint8Array {
    const base = first * PAGE;
    const len = Math.min(count * PAGE, k.mem.size - base);
    return k.mem.view?.(base, len) ?? k.mem.read(base, len);
}

/**
 * The pages that may hold data (PhysMem.touchedPages), when the memory can
 * tell and the answer holds for the low 2 MiB, read whole here: every
 * non-zero page there must be marked. Otherwise undefined: read them all.
 */
function touched_pages(k: Kernel, pages: number): Uint8Array | undefined {
    const t = k.mem.touchedPages?.();
    if (!t || t.length < pages) return undefined;
    const n = Math.min(CHECKED, pages);
    const low = page_bytes(k, 0, n);
    for (let p = 0; p < n; p++)
        if (!t[p] && !is_zero(low.subarray(p * PAGE, (p + 1) * PAGE))) return undefined;
    return t;
}

/**
 * Raw physical RAM as a sparse file: the size of RAM, only non-zero pages
 * written, runs of them in one write. Pages nobody touched are not read
 * at all: reading them would make the host OS back them with memory (on a
 * virtual machine ~20 µs a page, and the RSS of the whole RAM).
 */
async function write_phys(path: string, k: Kernel, progress?: DumpProgress): Promise<void> {
    const pages = Math.ceil(k.mem.size / PAGE);
    const touched = touched_pages(k, pages);
    const fd = openSync(path, "w");
    try {
        ftruncateSync(fd, k.mem.size);
        for (let first = 0; first < pages; first += STEP) {
            const count = Math.min(STEP, pages - first);
            if (!touched || touched.subarray(first, first + count).includes(1))
                write_step(fd, k, first, count, touched);
            progress?.(Math.min(k.mem.size, (first + count) * PAGE), k.mem.size);
            await tick();
        }
    } finally {
        closeSync(fd);
    }
}

/** The non-zero pages of [first, first + count), runs of consecutive ones in one write each. */
function write_step(
    fd: number,
    k: Kernel,
    first: number,
    count: number,
    touched: Uint8Array | undefined,
): void {
    let run = -1;
    let bytes: Uint8Array | undefined;
    const flush = (end: number) => {
        if (run < 0) return;
        const chunk = bytes!.subarray((run - first) * PAGE, (end - first) * PAGE);
        writeSync(fd, chunk, 0, chunk.length, run * PAGE);
        run = -1;
    };
    for (let p = first; p < first + count; p++) {
        if (touched && !touched[p]) {
            flush(p);
            continue;
        }
        bytes ??= page_bytes(k, first, count);
        const page = bytes.subarray((p - first) * PAGE, (p - first + 1) * PAGE);
        if (page.length < PAGE || is_zero(page)) {
            flush(p);
            if (page.length > 0 && page.length < PAGE && !page.every((b) => b === 0))
                writeSync(fd, page, 0, page.length, p * PAGE);
            continue;
        }
        if (run < 0) run = p;
    }
    flush(first + count);
}

/** Write the dump files of `r` into `out` (not yet committed). */
export async function dump_write(
    out: OutputDir,
    r: KbootResult,
    progress?: DumpProgress,
): Promise<void> {
    const k = r.kernel;
    const json = (v: unknown) => JSON.stringify(v, null, 2) + "\n";
    if (k?.kernel_map) writeFileSync(out.file("layout.json"), json(layout_snapshot(k, "end")));
    if (k) await write_phys(out.file("phys.bin"), k, progress);
    const machine = {
        schema_version: SCHEMA_VERSION,
        engine: r.engine,
        stop: r.stop,
        status: r.status,
        cpu: r.cpu ? cpu_json(r.cpu) : null,
        kernel_cr3: k?.kernel_pmap ? pmap_cr3(k.kernel_pmap) : null,
    };
    writeFileSync(out.file("machine.json"), json(machine));
}
