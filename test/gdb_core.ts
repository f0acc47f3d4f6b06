/*
 * test/gdb_core.ts — check lib/gnumach against gdb: record the pages a
 * reader touched, write them as an ELF32 core file (PT_LOAD segments at
 * their kernel virtual addresses), and let gdb read the same structures
 * with its own DWARF reader and C expression evaluator.
 *
 * The core holds no registers (no PT_NOTE): gdb reads memory from it and
 * the types from the kernel's ELF file, which is all `print` needs. A
 * structure gdb needs but the mach86 reader did not touch is missing from
 * the core, and gdb says "Cannot access memory": the comparison fails
 * loudly rather than silently.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import type { KernelMemory } from "../lib/gnumach/index.ts";

const PAGE = 4096;

/** A KernelMemory that remembers every page it was asked for. */
export class RecordingMemory implements KernelMemory {
    readonly pages = new Set<number>();
    private readonly inner: KernelMemory;
    constructor(inner: KernelMemory) {
        this.inner = inner;
    }
    read(va: number, len: number): Uint8Array {
        const out = this.inner.read(va, len);
        for (let p = Math.floor(va / PAGE); p * PAGE < va + len; p++) this.pages.add(p);
        return out;
    }
    /** Add whole pages [va, va + len) (e.g. the kernel's .data and .bss). */
    touch(va: number, len: number): void {
        this.read(va, len);
    }
}

/** Write the recorded pages as an ELF32 i386 core file at `path`. */
export function write_core(path: string, mem: RecordingMemory, inner: KernelMemory): void {
    const pages = [...mem.pages].sort((a, b) => a - b);
    const runs: { start: number; n: number }[] = [];
    for (const p of pages) {
        const last = runs.at(-1);
        if (last && last.start + last.n === p) last.n++;
        else runs.push({ start: p, n: 1 });
    }
    const ehsize = 52;
    const phsize = 32;
    let off = ehsize + phsize * runs.length;
    off = Math.ceil(off / PAGE) * PAGE;
    const total = off + pages.length * PAGE;
    const buf = new Uint8Array(total);
    const dv = new DataView(buf.buffer);
    buf.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]); // ELF, 32-bit, little-endian, version 1
    dv.setUint16(16, 4, true); // ET_CORE
    dv.setUint16(18, 3, true); // EM_386
    dv.setUint32(20, 1, true);
    dv.setUint32(28, ehsize, true); // e_phoff
    dv.setUint16(40, ehsize, true);
    dv.setUint16(42, phsize, true);
    dv.setUint16(44, runs.length, true);
    dv.setUint16(46, 40, true);
    runs.forEach((r, i) => {
        const ph = ehsize + i * phsize;
        dv.setUint32(ph, 1, true); // PT_LOAD
        dv.setUint32(ph + 4, off, true);
        dv.setUint32(ph + 8, r.start * PAGE, true);
        dv.setUint32(ph + 12, 0, true);
        dv.setUint32(ph + 16, r.n * PAGE, true);
        dv.setUint32(ph + 20, r.n * PAGE, true);
        dv.setUint32(ph + 24, 6, true); // R W
        dv.setUint32(ph + 28, PAGE, true);
        buf.set(inner.read(r.start * PAGE, r.n * PAGE), off);
        off += r.n * PAGE;
    });
    writeFileSync(path, buf);
}

/** Run gdb in batch mode on `kernel` + `core` with a script of `commands`; undefined if gdb is absent. */
export function gdb_batch(
    kernel: string,
    core: string,
    commands: string[],
): { out: string; err: string } | undefined {
    const script = `${core}.gdb`;
    writeFileSync(
        script,
        ["set pagination off", `file ${kernel}`, `core-file ${core}`, ...commands, ""].join("\n"),
    );
    const r = spawnSync("gdb", ["-nx", "-batch", "-x", script], {
        encoding: "utf8",
        timeout: 60_000,
    });
    if (r.error) return undefined;
    return { out: r.stdout, err: r.stderr };
}

/** gdb commands that print slab_info()'s columns for every cache on kmem_cache_list. */
export const GDB_SLAB_INFO = [
    "set $n = kmem_cache_list.next",
    "while $n != &kmem_cache_list\n" +
        "set $c = (struct kmem_cache *)((char *)$n - (unsigned long)&((struct kmem_cache *)0)->node)\n" +
        'printf "slab %s %lu %lu %lu %lu %lu %lu %lu %lu %lu %d\\n", $c->name, $c->obj_size, $c->align, $c->buf_size, $c->slab_size, $c->bufs_per_slab, $c->nr_objs, $c->nr_bufs, $c->nr_slabs, $c->nr_free_slabs, $c->flags\n' +
        "set $n = $n->next\n" +
        "end",
];

/** gdb commands that print kernel_map's entries the way the kernel's own debug printf does. */
export const GDB_KERNEL_MAP = [
    'printf "size %lu %lu %d\\n", kernel_map->size, kernel_map->hdr.links.start, kernel_map->hdr.nentries',
    "set $e = kernel_map->hdr.links.next",
    "while $e != (struct vm_map_entry *)&kernel_map->hdr.links\n" +
        'printf "kmap %lu %lu %d %lu %d\\n", $e->links.start, $e->links.end, $e->is_sub_map, (unsigned long)$e->object.vm_object, $e->wired_count\n' +
        "set $e = $e->links.next\n" +
        "end",
];

/** gdb commands that print the vm_page counters. */
export const GDB_VM_PAGE = [
    'printf "vm_page %d %d %d %d\\n", vm_page_free_count, vm_page_active_count, vm_page_inactive_count, vm_page_wire_count',
];
