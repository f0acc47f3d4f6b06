/*
 * test/unit/kernel/vm/vm_map.test.ts — vm_map against GNU Mach's rules
 * (vm/vm_map.c, 8d03c760): first fit, alignment, merge from below, the first_free
 * quirk, clipping, submaps, failures, lookups and the listing.
 */
import { describe, expect, it } from "vitest";
import { KernelPanic } from "../../../../kernel/kern/debug.ts";
import {
    KERN_INVALID_ADDRESS,
    KERN_INVALID_ARGUMENT,
    KERN_NO_SPACE,
    KERN_SUCCESS,
} from "../../../../kernel/kern/kern_return.ts";
import {
    VM_INHERIT_DEFAULT,
    VM_PROT_ALL,
    VM_PROT_DEFAULT,
    VM_PROT_READ,
    vm_map_create,
    vm_map_deallocate,
    vm_map_enter,
    vm_map_find_entry,
    vm_map_holes,
    vm_map_info,
    vm_map_largest_free,
    vm_map_lookup_entry,
    vm_map_next,
    vm_map_prev,
    vm_map_remove,
    vm_map_submap,
    vm_map_verify,
    type VmMap,
    type VmMapEntry,
    type VmMapHooks,
} from "../../../../kernel/vm/vm_map.ts";
import {
    KERNEL_OBJECT_NAME,
    VM_SUBMAP_OBJECT_NAME,
    vm_object_allocate,
    type VmObject,
} from "../../../../kernel/vm/vm_object.ts";
import { CountingSource } from "./helpers.ts";

const PG = 4096;
const MIN = 0xc0000000;

interface Deleted {
    map: string;
    start: number;
    end: number;
    object: string | null;
}

function setup(pages = 64, opts: { min?: number; limit?: number; name?: string } = {}) {
    const min = opts.min ?? MIN;
    const src = new CountingSource("test_kentry", opts.limit);
    const msgs: string[] = [];
    const deleted: Deleted[] = [];
    const hooks: VmMapHooks = {
        entry_delete: (m, e, start, end) => {
            deleted.push({ map: m.name, start, end, object: e.object?.name ?? null });
        },
        printf: (s) => {
            msgs.push(s);
        },
    };
    const map = vm_map_create(
        null,
        min,
        min + pages * PG,
        false,
        src,
        hooks,
        opts.name ?? "kernel_map",
    );
    const kobj = vm_object_allocate(0x40000000, KERNEL_OBJECT_NAME);
    return { map, src, msgs, deleted, hooks, kobj, min };
}

/** vm_map_enter anywhere from min_offset, kernel defaults. */
function enter(
    map: VmMap,
    pages: number,
    object: VmObject | null,
    address = map.min_offset,
    mask = 0,
) {
    return vm_map_enter(
        map,
        address,
        pages * PG,
        mask,
        true,
        object,
        0,
        false,
        VM_PROT_DEFAULT,
        VM_PROT_ALL,
        VM_INHERIT_DEFAULT,
    );
}

function find(map: VmMap, pages: number, object: VmObject | null, mask = 0) {
    const r = vm_map_find_entry(map, pages * PG, mask, object);
    expect(r.kr).toBe(KERN_SUCCESS);
    return r;
}

function ranges(map: VmMap): [number, number][] {
    return map.entries.map((e) => [
        (e.vme_start - map.min_offset) / PG,
        (e.vme_end - map.min_offset) / PG,
    ]);
}

function ok(map: VmMap): void {
    expect(vm_map_verify(map)).toEqual([]);
}

describe("[kernel/vm/vm_map]: create and lookup", () => {
    it("an empty map is one hole, with the header as both hints", () => {
        const { map } = setup(16);
        ok(map);
        expect(map.first_free).toBeNull();
        expect(map.hint).toBeNull();
        expect(vm_map_holes(map)).toEqual([{ start: MIN, end: MIN + 16 * PG }]);
        expect(vm_map_largest_free(map)).toEqual({ start: MIN, size: 16 * PG });
        expect(vm_map_lookup_entry(map, MIN)).toEqual({ found: false, entry: null });
    });

    it("vm_map_lookup_entry returns the containing entry or the one before, and saves the hint", () => {
        const { map } = setup(16);
        const a = find(map, 2, null).entry!;
        enter(map, 1, vm_object_allocate(PG), MIN + 4 * PG);
        const b = map.entries[1]!;
        expect(vm_map_lookup_entry(map, MIN + PG)).toEqual({ found: true, entry: a });
        expect(map.hint).toBe(a);
        expect(vm_map_lookup_entry(map, MIN + 2 * PG)).toEqual({ found: false, entry: a });
        expect(vm_map_lookup_entry(map, MIN + 4 * PG)).toEqual({ found: true, entry: b });
        expect(vm_map_lookup_entry(map, MIN + 9 * PG)).toEqual({ found: false, entry: b });
        expect(map.hint).toBe(b);
        expect(vm_map_lookup_entry(map, MIN - PG)).toEqual({ found: false, entry: null });
        expect(map.hint).toBeNull();
        expect(vm_map_next(map, null)).toBe(a);
        expect(vm_map_next(map, b)).toBeNull();
        expect(vm_map_prev(map, null)).toBe(b);
        expect(vm_map_prev(map, a)).toBeNull();
    });
});

describe("[kernel/vm/vm_map]: vm_map_find_entry", () => {
    it("allocates first fit from min_offset, wired, one entry from the source each", () => {
        const { map, src } = setup(16);
        const r1 = find(map, 1, null);
        const r2 = find(map, 3, null);
        expect(r1.addr).toBe(MIN);
        expect(r2.addr).toBe(MIN + PG);
        expect(ranges(map)).toEqual([
            [0, 1],
            [1, 4],
        ]);
        expect(r2.entry).toMatchObject({
            wired_count: 1,
            user_wired_count: 0,
            object: null,
            offset: 0,
            protection: VM_PROT_DEFAULT,
            max_protection: VM_PROT_ALL,
            inheritance: VM_INHERIT_DEFAULT,
        });
        expect(map.size).toBe(4 * PG);
        expect(map.nentries).toBe(2);
        expect(src.allocs).toBe(2);
        expect(new Set(map.entries.map((e) => e.kva)).size).toBe(2);
        expect(map.first_free).toBe(r2.entry);
        expect(map.hint).toBe(r2.entry);
        ok(map);
    });

    it("aligns the start by the mask and leaves the skipped space as a hole", () => {
        const { map } = setup(64, { min: MIN + PG });
        const r = find(map, 4, null, 4 * PG - 1);
        expect(r.addr).toBe(MIN + 4 * PG);
        expect(vm_map_holes(map)[0]).toEqual({ start: MIN + PG, end: MIN + 4 * PG });
        const r2 = find(map, 1, null, 16 * PG - 1);
        expect(r2.addr).toBe(MIN + 16 * PG);
        ok(map);
    });

    it("extends the kernel_object entry below instead of making a new one", () => {
        const { map, src, kobj } = setup(16);
        const r1 = find(map, 1, kobj);
        const r2 = find(map, 2, kobj);
        expect(r2.addr).toBe(MIN + PG);
        expect(r2.entry).toBe(r1.entry);
        expect(ranges(map)).toEqual([[0, 3]]);
        expect(r1.entry).toMatchObject({ object: kobj, offset: MIN, wired_count: 1 });
        expect(kobj.ref_count).toBe(2);
        expect(src.allocs).toBe(1);
        expect(map.size).toBe(3 * PG);
        ok(map);
    });

    it("never merges with object NULL (kmem_alloc)", () => {
        const { map, src } = setup(16);
        find(map, 1, null);
        find(map, 1, null);
        expect(ranges(map)).toEqual([
            [0, 1],
            [1, 2],
        ]);
        expect(src.allocs).toBe(2);
    });

    it.each<[string, (e: VmMapEntry, kobj: VmObject) => void]>([
        [
            "another object",
            (e) => {
                e.object = vm_object_allocate(PG);
            },
        ],
        [
            "wired twice",
            (e) => {
                e.wired_count = 2;
            },
        ],
        [
            "user wired",
            (e) => {
                e.user_wired_count = 1;
            },
        ],
        [
            "read-only",
            (e) => {
                e.protection = VM_PROT_READ;
            },
        ],
        [
            "max protection not all",
            (e) => {
                e.max_protection = VM_PROT_DEFAULT;
            },
        ],
        [
            "inheritance share",
            (e) => {
                e.inheritance = 0;
            },
        ],
        [
            "needs copy",
            (e) => {
                e.needs_copy = true;
            },
        ],
        [
            "shared",
            (e) => {
                e.is_shared = true;
            },
        ],
    ])("does not extend an entry below that is %s", (_what, spoil) => {
        const { map, src, kobj } = setup(16);
        const r1 = find(map, 1, kobj);
        spoil(r1.entry!, kobj);
        const r2 = find(map, 1, kobj);
        expect(r2.entry).not.toBe(r1.entry);
        expect(ranges(map)).toEqual([
            [0, 1],
            [1, 2],
        ]);
        expect(src.allocs).toBe(2);
    });

    it("does not extend an entry that ends below the range (alignment gap)", () => {
        const { map, kobj } = setup(16);
        find(map, 1, kobj);
        const r = find(map, 2, kobj, 2 * PG - 1);
        expect(r.addr).toBe(MIN + 2 * PG);
        expect(ranges(map)).toEqual([
            [0, 1],
            [2, 4],
        ]);
    });

    it("fails with KERN_NO_SPACE and prints Mach's message once", () => {
        const { map, msgs } = setup(4);
        find(map, 3, null);
        expect(vm_map_find_entry(map, 2 * PG, 0, null)).toEqual({
            kr: KERN_NO_SPACE,
            addr: 0,
            entry: null,
        });
        expect(vm_map_find_entry(map, 8 * PG, 0, null).kr).toBe(KERN_NO_SPACE);
        expect(msgs).toEqual([`no more room for vm_map_find_entry in ${MIN.toString(16)}\n`]);
        map.kva = 0xc0123450;
        const other = vm_map_create(
            null,
            MIN,
            MIN + PG,
            false,
            new CountingSource(),
            map.hooks,
            "other",
        );
        expect(vm_map_find_entry(other, 2 * PG, 0, null).kr).toBe(KERN_NO_SPACE);
        expect(msgs).toHaveLength(1);
        ok(map);
    });

    it("fails when aligning would wrap past 4 GiB", () => {
        const { map, msgs } = setup(16, { min: 0xfffe0000 });
        find(map, 1, null);
        expect(vm_map_find_entry(map, PG, 0x3fffffff, null).kr).toBe(KERN_NO_SPACE);
        expect(msgs).toEqual(["no more room for vm_map_find_entry in fffe0000\n"]);
    });

    it("propagates a panic of the entry source and leaves the map consistent", () => {
        const { map, src } = setup(16, { limit: 2 });
        find(map, 1, null);
        find(map, 1, null);
        expect(() => vm_map_find_entry(map, PG, 0, null)).toThrow(KernelPanic);
        try {
            vm_map_find_entry(map, PG, 0, null);
        } catch (e) {
            expect(e).toBeInstanceOf(KernelPanic);
            expect((e as KernelPanic).panicMessage).toBe("vm_map: kentry memory exhausted");
        }
        expect(src.live.size).toBe(2);
        expect(ranges(map)).toEqual([
            [0, 1],
            [1, 2],
        ]);
        ok(map);
    });
});

describe("[kernel/vm/vm_map]: first_free", () => {
    /* A B C D at pages 0..3, then B freed: a one-page hole at page 1. */
    function holey() {
        const s = setup(32);
        for (let i = 0; i < 4; i++) find(s.map, 1, null);
        expect(vm_map_remove(s.map, MIN + PG, MIN + 2 * PG)).toBe(KERN_SUCCESS);
        expect(s.map.first_free).toBe(s.map.entries[0]);
        return s;
    }

    it("vm_map_find_entry skips a small hole and keeps skipping it until a delete at or below", () => {
        const { map } = holey();
        const big = find(map, 2, null);
        expect(big.addr).toBe(MIN + 4 * PG);
        expect(map.first_free).toBe(big.entry);
        // The one-page hole at page 1 is behind first_free now: a one-page request misses it.
        expect(find(map, 1, null).addr).toBe(MIN + 6 * PG);
        // Freeing above the hole only brings first_free back to the entry before that range.
        vm_map_remove(map, MIN + 6 * PG, MIN + 7 * PG);
        expect(map.first_free).toBe(big.entry);
        expect(find(map, 1, null).addr).toBe(MIN + 6 * PG);
        // A delete starting at page 2 resets first_free to A, below the hole.
        vm_map_remove(map, MIN + 2 * PG, MIN + 3 * PG);
        expect(map.first_free).toBe(map.entries[0]);
        expect(find(map, 1, null).addr).toBe(MIN + PG);
        ok(map);
    });

    it("a delete above first_free leaves it alone", () => {
        const { map } = holey();
        const a = map.entries[0];
        vm_map_remove(map, MIN + 3 * PG, MIN + 4 * PG);
        expect(map.first_free).toBe(a);
    });

    it("a delete of the whole map from min_offset resets it to the header", () => {
        const { map } = holey();
        vm_map_remove(map, MIN, map.max_offset);
        expect(map.first_free).toBeNull();
        expect(map.entries).toEqual([]);
        ok(map);
    });

    it("vm_map_enter advances first_free only over an entry that directly follows it", () => {
        const { map } = holey();
        const a = map.entries[0];
        const far = enter(map, 2, vm_object_allocate(2 * PG));
        expect(far.addr).toBe(MIN + 4 * PG);
        expect(map.first_free).toBe(a);
        const near = enter(map, 1, vm_object_allocate(PG));
        expect(near.addr).toBe(MIN + PG);
        expect(map.first_free).toBe(near.entry);
        ok(map);
    });

    it("vm_map_enter at min_offset of an empty map makes the new entry first_free", () => {
        const { map } = setup(8);
        const r = enter(map, 2, vm_object_allocate(2 * PG));
        expect(map.first_free).toBe(r.entry);
        const fixed = vm_map_enter(
            map,
            MIN + 4 * PG,
            PG,
            0,
            false,
            vm_object_allocate(PG),
            0,
            false,
            VM_PROT_DEFAULT,
            VM_PROT_ALL,
            VM_INHERIT_DEFAULT,
        );
        expect(fixed.kr).toBe(KERN_SUCCESS);
        expect(map.first_free).toBe(r.entry);
    });
});

describe("[kernel/vm/vm_map]: vm_map_enter", () => {
    it("coalesces object NULL ranges into the unwired entry below", () => {
        const { map, src } = setup(16);
        const r1 = enter(map, 2, null);
        const r2 = enter(map, 3, null);
        expect(r2.kr).toBe(KERN_SUCCESS);
        expect(r2.addr).toBe(MIN + 2 * PG);
        expect(r2.entry).toBe(r1.entry);
        expect(ranges(map)).toEqual([[0, 5]]);
        expect(map.size).toBe(5 * PG);
        expect(src.allocs).toBe(1);
        ok(map);
    });

    it("grows the object below through vm_object_coalesce when it has one reference", () => {
        const { map } = setup(16);
        const obj = vm_object_allocate(2 * PG);
        const r1 = enter(map, 2, obj);
        enter(map, 2, null);
        expect(ranges(map)).toEqual([[0, 4]]);
        expect(r1.entry!.object).toBe(obj);
        expect(obj.size).toBe(4 * PG);
    });

    it("does not coalesce with a shared object, a wired entry, other protections or a given object", () => {
        const { map, kobj } = setup(32);
        const shared = vm_object_allocate(PG);
        shared.ref_count = 2;
        enter(map, 1, shared);
        enter(map, 1, null);
        find(map, 1, kobj);
        enter(map, 1, null);
        vm_map_enter(
            map,
            MIN,
            PG,
            0,
            true,
            null,
            0,
            false,
            VM_PROT_READ,
            VM_PROT_ALL,
            VM_INHERIT_DEFAULT,
        );
        enter(map, 1, vm_object_allocate(PG));
        expect(ranges(map)).toEqual([
            [0, 1],
            [1, 2],
            [2, 3],
            [3, 4],
            [4, 5],
            [5, 6],
        ]);
        ok(map);
    });

    it("anywhere from an address inside an entry starts after that entry", () => {
        const { map } = setup(32);
        enter(map, 4, vm_object_allocate(4 * PG));
        const r = enter(map, 1, vm_object_allocate(PG), MIN + PG);
        expect(r.addr).toBe(MIN + 4 * PG);
        const r2 = enter(map, 1, vm_object_allocate(PG), MIN + 10 * PG, 4 * PG - 1);
        expect(r2.addr).toBe(MIN + 12 * PG);
        expect(enter(map, 1, null, map.max_offset + PG).kr).toBe(KERN_NO_SPACE);
        ok(map);
    });

    it("at a fixed address checks the mask, the bounds and overlaps", () => {
        const { map, msgs } = setup(16);
        const at = (page: number, pages: number, mask = 0) =>
            vm_map_enter(
                map,
                MIN + page * PG,
                pages * PG,
                mask,
                false,
                vm_object_allocate(pages * PG),
                0,
                false,
                VM_PROT_DEFAULT,
                VM_PROT_ALL,
                VM_INHERIT_DEFAULT,
            );
        expect(at(4, 2).kr).toBe(KERN_SUCCESS);
        expect(at(3, 2).kr).toBe(KERN_NO_SPACE);
        expect(at(5, 1).kr).toBe(KERN_NO_SPACE);
        expect(at(2, 1, 2 * PG - 1).kr).toBe(KERN_SUCCESS);
        expect(at(3, 1, 2 * PG - 1).kr).toBe(KERN_NO_SPACE);
        expect(at(15, 2).kr).toBe(KERN_INVALID_ADDRESS);
        expect(at(-1, 1).kr).toBe(KERN_INVALID_ADDRESS);
        expect(vm_map_enter(map, MIN, 0, 0, false, null, 0, false, 1, 7, 1).kr).toBe(
            KERN_INVALID_ARGUMENT,
        );
        expect(ranges(map)).toEqual([
            [2, 3],
            [4, 6],
        ]);
        expect(msgs).toEqual([]);
        ok(map);
    });

    it("fails anywhere with Mach's message, or retries when a wait_for_space map gets space", () => {
        const { map, msgs, hooks } = setup(4);
        enter(map, 4, vm_object_allocate(4 * PG));
        expect(enter(map, 1, null).kr).toBe(KERN_NO_SPACE);
        expect(msgs).toEqual([`no more room for vm_map_enter in ${MIN.toString(16)}\n`]);
        map.wait_for_space = true;
        let waits = 0;
        hooks.wait_for_space = (m) => {
            waits++;
            vm_map_remove(m, m.min_offset + 2 * PG, m.max_offset);
            return true;
        };
        const r = enter(map, 1, null);
        expect(r.kr).toBe(KERN_SUCCESS);
        expect(r.addr).toBe(MIN + 2 * PG);
        expect(waits).toBe(1);
        ok(map);
    });
});

describe("[kernel/vm/vm_map]: vm_map_remove", () => {
    it("splits a merged kernel_object entry when freeing its middle (+1 entry, two clips)", () => {
        const { map, src, kobj, deleted } = setup(16);
        for (let i = 0; i < 4; i++) find(map, 1, kobj);
        expect(ranges(map)).toEqual([[0, 4]]);
        const before = { allocs: src.allocs, frees: src.frees, refs: kobj.ref_count };
        expect(vm_map_remove(map, MIN + PG, MIN + 2 * PG)).toBe(KERN_SUCCESS);
        expect(ranges(map)).toEqual([
            [0, 1],
            [2, 4],
        ]);
        expect(src.allocs - before.allocs).toBe(2);
        expect(src.frees - before.frees).toBe(1);
        expect(kobj.ref_count - before.refs).toBe(1);
        expect(map.entries[1]!.offset).toBe(MIN + 2 * PG);
        expect(map.size).toBe(3 * PG);
        expect(deleted).toEqual([
            { map: "kernel_map", start: MIN + PG, end: MIN + 2 * PG, object: KERNEL_OBJECT_NAME },
        ]);
        ok(map);
    });

    it("freeing the front of an entry needs one entry; the whole entry none", () => {
        const { map, src, kobj } = setup(16);
        find(map, 4, kobj);
        const n = src.allocs;
        vm_map_remove(map, MIN, MIN + PG);
        expect(src.allocs - n).toBe(1);
        vm_map_remove(map, MIN + PG, MIN + 4 * PG);
        expect(src.allocs - n).toBe(1);
        expect(map.entries).toEqual([]);
        expect(src.live.size).toBe(0);
        expect(kobj.ref_count).toBe(1);
        ok(map);
    });

    it("deletes across several entries and holes, clamped to the map", () => {
        const { map, deleted } = setup(16);
        find(map, 2, null);
        enter(map, 2, vm_object_allocate(2 * PG), MIN + 4 * PG);
        enter(map, 2, vm_object_allocate(2 * PG), MIN + 8 * PG);
        const t = map.timestamp;
        vm_map_remove(map, MIN - 16 * PG, MIN + 9 * PG);
        expect(ranges(map)).toEqual([[9, 10]]);
        const pages = deleted.map((d) => [(d.start - MIN) / PG, (d.end - MIN) / PG]);
        expect(pages).toEqual([
            [0, 2],
            [4, 6],
            [8, 9],
        ]);
        expect(map.timestamp).toBe(t + 1);
        vm_map_remove(map, map.max_offset, map.max_offset + 16 * PG);
        expect(ranges(map)).toEqual([[9, 10]]);
        ok(map);
    });

    it("a panic while clipping (kentry exhaustion) propagates and changes nothing", () => {
        const { map, kobj } = setup(16, { limit: 1 });
        find(map, 4, kobj);
        find(map, 1, kobj);
        expect(() => vm_map_remove(map, MIN + PG, MIN + 2 * PG)).toThrow(
            "panic: vm_map: kentry memory exhausted",
        );
        expect(ranges(map)).toEqual([[0, 5]]);
        ok(map);
    });
});

describe("[kernel/vm/vm_map]: submaps", () => {
    function with_submap() {
        const s = setup(64);
        const subobj = vm_object_allocate(0x40000000, VM_SUBMAP_OBJECT_NAME);
        find(s.map, 4, s.kobj);
        const r = enter(s.map, 16, subobj);
        expect(r.kr).toBe(KERN_SUCCESS);
        const sub = vm_map_create(
            null,
            r.addr,
            r.addr + 16 * PG,
            false,
            s.src,
            s.hooks,
            "kmem_map",
        );
        expect(vm_map_submap(s.map, r.addr, r.addr + 16 * PG, sub)).toBe(KERN_SUCCESS);
        return { ...s, sub, subobj, entry: r.entry! };
    }

    it("turns a vm_submap_object entry into a submap counted whole in map->size", () => {
        const { map, sub, subobj, entry, kobj } = with_submap();
        expect(entry).toMatchObject({ is_sub_map: true, sub_map: sub, object: null });
        expect(subobj.ref_count).toBe(0);
        expect(sub.ref_count).toBe(2);
        expect(map.size).toBe(20 * PG);
        find(sub, 3, kobj);
        expect(map.size).toBe(20 * PG);
        expect(sub.size).toBe(3 * PG);
        ok(map);
        ok(sub);
        expect(vm_map_verify(sub)).toEqual([]);
    });

    it("refuses a range that is not one vm_submap_object entry", () => {
        const { map, src, kobj } = setup(64);
        const plain = enter(map, 4, vm_object_allocate(4 * PG));
        const sub = vm_map_create(null, plain.addr, plain.addr + 4 * PG, false, src, {}, "x");
        expect(vm_map_submap(map, plain.addr, plain.addr + 4 * PG, sub)).toBe(
            KERN_INVALID_ARGUMENT,
        );
        expect(vm_map_submap(map, MIN + 8 * PG, MIN + 12 * PG, sub)).toBe(KERN_INVALID_ARGUMENT);
        find(map, 1, kobj);
        expect(vm_map_submap(map, MIN + 60 * PG, MIN + 62 * PG, sub)).toBe(KERN_INVALID_ARGUMENT);
        ok(map);
    });

    it("removing the submap entry drops the parent's reference", () => {
        const { map, sub, entry, deleted } = with_submap();
        vm_map_remove(map, entry.vme_start, entry.vme_end);
        expect(sub.ref_count).toBe(1);
        expect(deleted.at(-1)).toMatchObject({
            start: sub.min_offset,
            end: sub.max_offset,
            object: null,
        });
        vm_map_deallocate(sub);
        expect(sub.ref_count).toBe(0);
        ok(map);
    });

    it("verify reports a submap whose range differs from its entry", () => {
        const { map, sub } = with_submap();
        sub.max_offset -= PG;
        expect(vm_map_verify(map)).toEqual([
            `entry 1 c0004000-c0013fff: submap kmem_map covers 0xc0004000-0xc0013000`,
        ]);
    });
});

describe("[kernel/vm/vm_map]: vm_map_verify", () => {
    it("reports overlaps, size and count mismatches and dangling hints", () => {
        const { map, src } = setup(16);
        find(map, 2, null);
        find(map, 2, null);
        const stray = vm_map_create(null, MIN, MIN + 16 * PG, false, src);
        find(stray, 1, null);
        map.entries[1]!.vme_start -= PG;
        map.nentries++;
        map.first_free = stray.entries[0]!;
        map.hint = stray.entries[0]!;
        expect(vm_map_verify(map)).toEqual([
            "entry 1 c0001000-c0003fff: overlaps previous",
            "size 0x4000 != sum of entries 0x5000",
            "nentries 3 != 2 entries",
            "first_free is not an entry of the map",
            "hint is not an entry of the map",
        ]);
    });

    it("reports unaligned, out-of-range and shared-storage entries", () => {
        const { map } = setup(16);
        find(map, 2, null);
        find(map, 2, null);
        map.entries[0]!.vme_start -= PG;
        map.entries[1]!.vme_end = MIN + 17 * PG + 1;
        map.entries[1]!.kva = map.entries[0]!.kva;
        map.size = 0;
        expect(vm_map_verify(map)).toEqual([
            "entry 0 bffff000-c0001fff: below min_offset",
            "entry 1 c0002000-c0011000: unaligned",
            "entry 1 c0002000-c0011000: beyond max_offset 0xc0010000",
            "entry 1 c0002000-c0011000: storage 0xc0800000 shared with another entry",
            "size 0x0 != sum of entries 0x12001",
        ]);
    });
});

describe("[kernel/vm/vm_map]: vm_map_info", () => {
    it("lists entries, holes and nested submaps with totals", () => {
        const s = setup(64);
        const { map, kobj } = s;
        enter(map, 2, null);
        map.entries[0]!.tag = "direct map";
        const subobj = vm_object_allocate(0x40000000, VM_SUBMAP_OBJECT_NAME);
        const r = vm_map_enter(
            map,
            MIN,
            16 * PG,
            0,
            true,
            subobj,
            0,
            false,
            VM_PROT_DEFAULT,
            VM_PROT_ALL,
            VM_INHERIT_DEFAULT,
            "kmem_map",
        );
        const sub = vm_map_create(
            null,
            r.addr,
            r.addr + 16 * PG,
            false,
            s.src,
            s.hooks,
            "kmem_map",
        );
        vm_map_submap(map, r.addr, r.addr + 16 * PG, sub);
        vm_map_find_entry(sub, 2 * PG, 0, kobj, "slab");
        vm_map_find_entry(map, 128 * 1024, 0, kobj, "kmem_alloc_wired pmap_init");
        const lines: string[] = [];
        vm_map_info(map, (l) => lines.push(l));
        expect(lines).toEqual([
            "kernel_map c0000000-c003ffff 0x00040000     0.25 MiB, entries from test_kentry",
            "  c0000000-c0001fff 0x00002000     0.01 MiB rw-/rwx wired 0 [ anon ]             direct map",
            "  c0002000-c0011fff 0x00010000     0.06 MiB rw-/rwx wired 0 [ kmem_map ]         kmem_map",
            "      c0002000-c0003fff 0x00002000     0.01 MiB rw-/rwx wired 1 [ kernel_object ]    slab",
            "      c0004000-c0011fff 0x0000e000     0.05 MiB [ free ]",
            "      total 0x00002000     0.01 MiB in 1 entries, largest free 0x0000e000     0.05 MiB at c0004000",
            "  c0012000-c0031fff 0x00020000     0.13 MiB rw-/rwx wired 1 [ kernel_object ]    kmem_alloc_wired pmap_init",
            "  c0032000-c003ffff 0x0000e000     0.05 MiB [ free ]",
            "  total 0x00032000     0.20 MiB in 3 entries, largest free 0x0000e000     0.05 MiB at c0032000",
        ]);
    });
});
