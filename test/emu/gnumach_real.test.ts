/*
 * lib/debuginfo + lib/gnumach on real GNU Mach kernels booted on mach86:
 * stop each kernel right after its own debug printfs have dumped kernel_map
 * ("kernel_map->size = …" and one "kmap" line per entry, see
 * test/gnumach_real.ts), read the same structures from the host, and compare:
 *   - kernel_map: every entry (start, end, size, submap, object, wired),
 *     map->size, the free space and the largest hole, with the printout;
 *   - slab caches, kernel_map and the vm_page counters, with gdb reading the
 *     same memory (an ELF core of the pages mach86 read) with its own DWARF
 *     reader;
 *   - vm_page_free_count with the length of the free list;
 *   - the modules with the files the loader placed;
 *   - the page walker's translations with v86's.
 * Two boots by default (~12 s each); MACH86_GNUMACH_FULL=1 runs all four
 * kernels at 1024M and 1856M. Skipped, with the reason printed, when
 * MACH86_GNUMACH_DIR does not hold the kernels.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytes_made } from "../../boot/index.ts";
import { DebugInfo } from "../../lib/debuginfo/index.ts";
import {
    GnuMach,
    GuestMemory,
    PhysicalMemory,
    type MapEntryInfo,
    type MapInfo,
} from "../../lib/gnumach/index.ts";
import {
    GDB_KERNEL_MAP,
    GDB_SLAB_INFO,
    GDB_VM_PAGE,
    RecordingMemory,
    gdb_batch,
    write_core,
} from "../gdb_core.ts";
import {
    type KernelName,
    type RealBoot,
    boot_to_kmap,
    di_boot,
    real_kernel,
} from "../gnumach_real.ts";

const MIB = 1024 * 1024;
const FULL = process.env.MACH86_GNUMACH_FULL === "1";
const CASES: [KernelName, number][] = FULL
    ? (
          [
              "gnumach-8d03c760-debian",
              "gnumach-8d03c760-debian-kmem128",
              "gnumach-debian-1.4-6",
              "gnumach-debian-1.4-4",
          ] as const
      ).flatMap((k) => [1024, 1856].map((m) => [k, m] as [KernelName, number]))
    : [
          ["gnumach-8d03c760-debian", 1856],
          ["gnumach-debian-1.4-6", 1024],
      ];

for (const [name, mib] of CASES) {
    const k = real_kernel(name);
    if (k.skip) console.log(`skipped: ${name} at ${mib}M: ${k.skip}`);
    describe.skipIf(!k.path)(`${name} at ${mib}M`, () => {
        let b: RealBoot;
        let g: GnuMach;
        let rec: RecordingMemory;
        let guest: GuestMemory;
        let km: MapInfo;
        let dir: string;

        beforeAll(async () => {
            dir = mkdtempSync(join(tmpdir(), "mach86-gnumach-"));
            b = await boot_to_kmap(k.path!, mib * MIB);
            const s = b.machine.cpuState();
            guest = new GuestMemory(b.machine.mem, s);
            rec = new RecordingMemory(guest);
            g = new GnuMach(DebugInfo.open(k.path!), rec, new PhysicalMemory(b.machine.mem));
            km = g.kernel_map();
        }, 180_000);
        afterAll(async () => {
            await b?.machine.destroy();
            if (dir) rmSync(dir, { recursive: true, force: true });
        });

        it("stops inside the kernel's printf of the last kmap line, before the boot script runs", () => {
            expect(b.result.stop).toEqual({ kind: "stop_point", point: "modules" });
            expect(b.printed?.entries.length).toBeGreaterThan(0);
            // The console routine that wrote the newline: the kernel has not gone on to boot_script_exec.
            expect(g.symbolize(b.result.cpu.eip)).toMatch(
                /^(comcnputc|computc|cnputc|printf|_doprnt|printnum)/,
            );
        });

        it("reads kernel_map exactly as the kernel printed it", () => {
            const p = b.printed!;
            expect(km.problems).toEqual([]);
            expect({ size: km.size, min: km.min, max: km.max, free: km.free }).toEqual({
                size: p.size,
                min: p.min,
                max: p.max,
                free: p.free,
            });
            expect(km.largest_free).toEqual({ start: p.holeAt, size: p.hole });
            const read = km.entries
                .filter((e): e is MapEntryInfo => e.kind !== "hole")
                .map((e) => ({
                    start: e.start,
                    end: e.end,
                    size: e.size,
                    submap: e.kind === "submap",
                    object: e.object,
                    wired: e.wired_count,
                }));
            expect(read).toEqual(p.entries);
            expect(km.nentries).toBe(p.entries.length);
        });

        it("reads each submap whole, named after the kernel global that points to it", () => {
            const subs = km.entries.filter((e): e is MapEntryInfo => e.kind === "submap");
            expect(subs.map((e) => e.tag)).toEqual(["kmem_map", "ipc_kernel_map", "device_io_map"]);
            for (const e of subs) {
                expect(e.submap!.problems).toEqual([]);
                expect([e.submap!.min, e.submap!.max]).toEqual([e.start, e.end]);
                expect(e.submap!.free + e.submap!.size).toBe(e.size);
            }
        });

        it("agrees with gdb on kernel_map, every slab cache and the vm_page counters", () => {
            const caches = g.slab_info()!;
            const counts = g.vm_page_counts();
            const core = join(dir, "core");
            write_core(core, rec, guest);
            const r = gdb_batch(k.path!, core, [
                ...GDB_KERNEL_MAP,
                ...GDB_SLAB_INFO,
                ...GDB_VM_PAGE,
            ]);
            if (!r) {
                console.log("skipped: gdb comparison: gdb is not installed");
                return;
            }
            const lines = (tag: string) => r.out.split("\n").filter((l) => l.startsWith(tag + " "));
            expect(lines("slab")).toEqual(
                caches.map(
                    (c) =>
                        `slab ${c.name} ${c.obj_size} ${c.align} ${c.buf_size} ${c.slab_size} ${c.bufs_per_slab} ` +
                        `${c.nr_objs} ${c.nr_bufs} ${c.nr_slabs} ${c.nr_free_slabs} ${c.flags}`,
                ),
            );
            expect(caches.length).toBeGreaterThan(30);
            expect(lines("size")).toEqual([`size ${km.size} ${km.min} ${km.nentries}`]);
            expect(lines("kmap")).toEqual(
                km.entries
                    .filter((e): e is MapEntryInfo => e.kind !== "hole")
                    .map(
                        (e) =>
                            `kmap ${e.start} ${e.end} ${e.kind === "submap" ? 1 : 0} ${e.object} ${e.wired_count}`,
                    ),
            );
            expect(lines("vm_page")).toEqual([
                `vm_page ${counts.vm_page_free_count} ${counts.vm_page_active_count} ` +
                    `${counts.vm_page_inactive_count} ${counts.vm_page_wire_count}`,
            ]);
        });

        it("counts as many pages on the free list as vm_page_free_count says", () => {
            const counts = g.vm_page_counts();
            const q = g.vm_page_queues();
            expect(q).toEqual({ free: counts.vm_page_free_count, active: 0, inactive: 0 });
            // Before the first task nothing is pageable; most of RAM is free.
            expect(counts.vm_page_free_count! * 4096).toBeGreaterThan(mib * MIB * 0.9);
        });

        it("reads boot_info's modules: the copies the kernel made of the loader's files", () => {
            const bi = g.boot_info();
            const { modules, cmdline } = di_boot();
            expect(bi.mods_count).toBe(modules.length);
            expect(bi.modules.map((m) => m.size)).toEqual(modules.map((m) => m.bytes.length));
            // The boot script parser cut each string at its first blank (it parses in place).
            expect(bi.modules.map((m) => m.string)).toEqual(modules.map((m) => m.path));
            for (const m of bi.modules) {
                const want = bytes_made(modules[m.index]!.bytes).subarray(0, 64);
                expect(b.machine.mem.read(m.mod_start, 64)).toEqual(Uint8Array.from(want));
            }
            expect(bi.cmdline).toBe(`${k.path} ${cmdline}`);
            expect(statSync(k.path!).size).toBeGreaterThan(0);
        });

        it("translates kernel addresses as v86 does", () => {
            const vas = [g.dbg.variable("kernel_map").address, km.address];
            for (const e of km.entries)
                if (e.kind !== "hole") vas.push((e as MapEntryInfo).address);
            for (const va of vas) expect(guest.translate(va)).toBe(b.machine.translate(va));
        });
    });
}
