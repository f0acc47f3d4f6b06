/*
 * lib/gnumach's readers on the images/dwarf fixture (GNU Mach member names,
 * static instances read from the ELF file): a vm_map with entries, a hole
 * and a submap, the kmem cache list, and the zone list of the zone era
 * (struct zone as kern/zalloc.h declared it in 2011: no 2014 kernel has one).
 */
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { DebugInfo } from "../../../lib/debuginfo/index.ts";
import {
    ElfMemory,
    GnuMach,
    UnmappedError,
    type KernelMemory,
    type MapEntryInfo,
} from "../../../lib/gnumach/index.ts";

const FIXTURE = join(resolve(import.meta.dirname, "../../../build/images/dwarf"), "fixture-v5.elf");

function kernel(mem?: (inner: KernelMemory) => KernelMemory): GnuMach {
    const d = DebugInfo.open(FIXTURE);
    const elf = new ElfMemory(d.elf);
    return new GnuMach(d, mem ? mem(elf) : elf);
}

describe("lib/gnumach: vm_map", () => {
    it("walks kernel_map: entries, holes, the submap named after its global, size and largest hole", () => {
        const k = kernel();
        const km = k.kernel_map();
        expect(km.problems).toEqual([]);
        expect(km.entries.map((e) => [e.kind, e.start, e.end, e.tag, e.wired])).toEqual([
            ["entry", 0x1000, 0x3000, "null object", true],
            ["hole", 0x3000, 0x4000, "free", false],
            ["entry", 0x4000, 0x8000, "kernel_object", true],
            ["submap", 0x8000, 0x10000, "kmem_map", false],
            ["hole", 0x10000, 0x20000, "free", false],
        ]);
        expect([km.size, km.nentries, km.free, km.entries_size]).toEqual([
            0xe000, 3, 0x11000, 0xe000,
        ]);
        expect(km.largest_free).toEqual({ start: 0x10000, size: 0x10000 });
        const sub = km.entries[3]!.submap!;
        expect(sub.entries.map((e) => [e.kind, e.start, e.end])).toEqual([
            ["hole", 0x8000, 0xa000],
            ["entry", 0xa000, 0xb000],
            ["hole", 0xb000, 0x10000],
        ]);
        expect([sub.name, sub.size, sub.free]).toEqual(["kmem_map", 0x1000, 0x7000]);
    });

    it("reports a map whose size or count disagrees with its entries instead of hiding it", () => {
        // Present the submap's header with nentries 5 and size 0x2000 through a memory filter.
        const d = DebugInfo.open(FIXTURE);
        const sub = d.variable("sub_store").address;
        const km = kernel((inner) => ({
            read(va: number, len: number) {
                const b = inner.read(va, len);
                const patch = (at: number, value: number) => {
                    if (at >= va && at + 4 <= va + len)
                        new DataView(b.buffer, b.byteOffset).setUint32(at - va, value, true);
                };
                const hdr = sub + 4; // struct vm_map: lock, then hdr
                patch(hdr + 16, 5); // hdr.nentries
                patch(sub + 4 + 24 + 4, 0x2000); // size, after hdr (24 B) and pmap
                return b;
            },
        })).kernel_map();
        expect((km.entries[3] as MapEntryInfo).submap!.problems).toEqual([
            "hdr.nentries is 5, the list has 1 entries",
            "size is 8192, the entries add up to 4096",
        ]);
    });

    it("says which address is not mapped", () => {
        const k = kernel();
        expect(() => k.vm_map(0x10, "nowhere")).toThrow(UnmappedError);
        expect(() => k.vm_map(0x10, "nowhere")).toThrow(
            /^0x000000[0-9a-f]{2}: not in an allocated section of .*fixture-v5.elf$/,
        );
    });
});

describe("lib/gnumach: allocators", () => {
    it("lists the kmem caches in list order with slab_info()'s columns", () => {
        const caches = kernel().slab_info()!;
        expect(caches.map(({ address: _a, ...c }) => c)).toEqual([
            {
                name: "vm_map",
                flags: 0x10,
                cpu_pool_size: 0,
                obj_size: 68,
                align: 8,
                buf_size: 72,
                slab_size: 4096,
                bufs_per_slab: 56,
                nr_objs: 100,
                nr_bufs: 112,
                nr_slabs: 2,
                nr_free_slabs: 1,
                mem_usage: 8,
                mem_reclaimable: 4,
            },
            {
                name: "large",
                flags: 0x02,
                cpu_pool_size: 0,
                obj_size: 1024,
                align: 8,
                buf_size: 1024,
                slab_size: 8192,
                bufs_per_slab: 8,
                nr_objs: 3,
                nr_bufs: 8,
                nr_slabs: 1,
                nr_free_slabs: 0,
                mem_usage: 8,
                mem_reclaimable: 0,
            },
        ]);
    });

    it("lists zones (zone era) with host_zone_info()'s columns and the free-list length", () => {
        const zones = kernel().zone_info()!;
        expect(zones.map(({ addr: _a, ...z }) => z)).toEqual([
            {
                name: "vm objects",
                count: 0,
                cur_size: 4096,
                max_size: 16384,
                elem_size: 64,
                alloc_size: 4096,
                pageable: false,
                sleepable: false,
                exhaustible: true,
                collectable: false,
                fixed: true,
                type: 0xc,
                free: 3,
            },
            {
                name: "ipc ports",
                count: 0,
                cur_size: 8192,
                max_size: 65536,
                elem_size: 128,
                alloc_size: 4096,
                pageable: true,
                sleepable: false,
                exhaustible: false,
                collectable: true,
                fixed: false,
                type: 0x3,
                free: 0,
            },
        ]);
    });
});
