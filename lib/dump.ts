/*
 * lib/dump.ts — `--dump DIR`: the machine after an image boot, as files:
 * phys.bin (raw physical RAM as a sparse file: the size of RAM, only the
 * non-zero pages written), machine.json (engine, stop, CPU registers, the
 * kernel's CR3) and layout.json (the kernel layout at the end).
 *
 * The files are written into the OutputDir's temporary folder and appear
 * together when it is committed. Writing RAM yields to the event loop
 * every few MiB, so Ctrl-C is handled during a long dump (and the
 * temporary folder removed), not only after it.
 */
import { closeSync, ftruncateSync, openSync, writeFileSync, writeSync } from "node:fs";
import type { Kernel } from "../kernel/kern/kernel.ts";
import { pmap_cr3 } from "../kernel/i386/pmap.ts";
import { layout_snapshot } from "../kernel/layout.ts";
import type { KbootResult } from "./kboot.ts";
import { cpu_json, SCHEMA_VERSION } from "./json.ts";
import type { OutputDir } from "./output.ts";

const CHUNK = 1 << 20;
const YIELD_EVERY = 16;

const tick = () => new Promise<void>((r) => setImmediate(r));

/** Raw physical RAM as a sparse file: the size of RAM, only non-zero pages written. */
async function write_phys(path: string, k: Kernel): Promise<void> {
    const fd = openSync(path, "w");
    try {
        ftruncateSync(fd, k.mem.size);
        const zero = Buffer.alloc(4096);
        for (let base = 0, n = 0; base < k.mem.size; base += CHUNK, n++) {
            if (n % YIELD_EVERY === YIELD_EVERY - 1) await tick();
            const len = Math.min(CHUNK, k.mem.size - base);
            const bytes = k.mem.view?.(base, len) ?? k.mem.read(base, len);
            const chunk = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
            for (let off = 0; off < chunk.length; off += 4096) {
                const page = chunk.subarray(off, off + 4096);
                if (zero.compare(page) !== 0) writeSync(fd, page, 0, page.length, base + off);
            }
        }
    } finally {
        closeSync(fd);
    }
}

/** Write the dump files of `r` into `out` (not yet committed). */
export async function dump_write(out: OutputDir, r: KbootResult): Promise<void> {
    const k = r.kernel;
    const json = (v: unknown) => JSON.stringify(v, null, 2) + "\n";
    if (k?.kernel_map) writeFileSync(out.file("layout.json"), json(layout_snapshot(k, "end")));
    if (k) await write_phys(out.file("phys.bin"), k);
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
