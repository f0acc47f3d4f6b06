/*
 * test/unit/kernel/vm/vm_map.random.test.ts — random vm_map_find_entry /
 * vm_map_enter / vm_map_remove sequences against a reference model (a
 * sorted list of allocated ranges).
 *
 * After every step: vm_map_verify is clean; the mapped addresses, map->size,
 * object references and live entry storage match the model; the address
 * chosen is the first fit from where Mach starts looking (first_free, or the
 * hint address); first_free moved as Mach moves it; entry_delete saw exactly
 * the bytes that were mapped in the removed range.
 *
 * The seed is printed; replay with VM_MAP_SEED=<seed> npx vitest run test/unit/kernel/vm.
 */
import { describe, expect, it } from "vitest";
import { KernelPanic } from "../../../../kernel/kern/debug.ts";
import {
    KERN_INVALID_ADDRESS,
    KERN_NO_SPACE,
    KERN_SUCCESS,
} from "../../../../kernel/kern/kern_return.ts";
import {
    VM_INHERIT_DEFAULT,
    VM_PROT_ALL,
    VM_PROT_DEFAULT,
    vm_map_create,
    vm_map_enter,
    vm_map_find_entry,
    vm_map_holes,
    vm_map_remove,
    vm_map_verify,
    type VmMap,
    type VmMapEntry,
} from "../../../../kernel/vm/vm_map.ts";
import {
    KERNEL_OBJECT_NAME,
    vm_object_allocate,
    vm_object_deallocate,
    type VmObject,
} from "../../../../kernel/vm/vm_object.ts";
import { CountingSource, rng, test_seed } from "./helpers.ts";

const PG = 4096;
const MIN = 0xc0000000;
const PAGES = 1024;
const STEPS = 6000;
const NO_ROOM_FIND_ENTRY = `no more room for vm_map_find_entry in ${MIN.toString(16)}\n`;
const NO_ROOM_ENTER = `no more room for vm_map_enter in ${MIN.toString(16)}\n`;

type Range = [number, number];

/** The allocated addresses as sorted, disjoint, coalesced ranges. */
class RefMap {
    r: Range[] = [];

    add(s: number, e: number): void {
        this.r.push([s, e]);
        this.normalize();
    }

    sub(s: number, e: number): void {
        const out: Range[] = [];
        for (const [a, b] of this.r) {
            if (b <= s || a >= e) out.push([a, b]);
            else {
                if (a < s) out.push([a, s]);
                if (b > e) out.push([e, b]);
            }
        }
        this.r = out;
    }

    covered(s: number, e: number): number {
        let n = 0;
        for (const [a, b] of this.r) n += Math.max(0, Math.min(b, e) - Math.max(a, s));
        return n;
    }

    total(): number {
        return this.r.reduce((n, [a, b]) => n + b - a, 0);
    }

    holes(min: number, max: number): Range[] {
        const h: Range[] = [];
        let at = min;
        for (const [a, b] of this.r) {
            if (a > at) h.push([at, a]);
            at = Math.max(at, b);
        }
        if (max > at) h.push([at, max]);
        return h;
    }

    /** First aligned fit at or after `from`, scanning holes as Mach scans entries; null = no space. */
    first_fit(from: number, size: number, mask: number, min: number, max: number): number | null {
        for (const [g0, g1] of this.holes(min, max)) {
            if (g1 <= from) continue;
            const t = Math.max(g0, from) + mask;
            if (t > 0xffffffff) return null;
            const s = (t & ~mask) >>> 0;
            if (s + size > max) return null;
            if (s + size <= g1) return s;
        }
        return null;
    }

    private normalize(): void {
        this.r.sort((x, y) => x[0] - y[0]);
        const out: Range[] = [];
        for (const [a, b] of this.r) {
            const last = out[out.length - 1];
            if (last !== undefined && a <= last[1]) last[1] = Math.max(last[1], b);
            else out.push([a, b]);
        }
        this.r = out;
    }
}

function mapped(map: VmMap): Range[] {
    const out: Range[] = [];
    for (const e of map.entries) {
        const last = out[out.length - 1];
        if (last !== undefined && last[1] === e.vme_start) last[1] = e.vme_end;
        else out.push([e.vme_start, e.vme_end]);
    }
    return out;
}

function containing(map: VmMap, addr: number): VmMapEntry | null {
    return map.entries.find((e) => e.vme_start <= addr && addr < e.vme_end) ?? null;
}

function before(map: VmMap, addr: number): VmMapEntry | null {
    return map.entries.filter((e) => e.vme_start < addr).at(-1) ?? null;
}

/** Differences between the map and the model (plain code: one expect per step keeps 6000 steps fast). */
function check_against(
    map: VmMap,
    ref: RefMap,
    src: CountingSource,
    kobj: VmObject,
    objects: Set<VmObject>,
): string[] {
    const bad: string[] = [];
    const got = JSON.stringify(mapped(map));
    if (got !== JSON.stringify(ref.r)) bad.push(`mapped ${got} != model ${JSON.stringify(ref.r)}`);
    if (map.size !== ref.total()) bad.push(`size ${map.size} != model ${ref.total()}`);
    if (src.live.size !== map.entries.length) {
        bad.push(`${src.live.size} live entry slots for ${map.entries.length}`);
    }
    const refs = new Map<VmObject, number>();
    const base = new Map<VmObject, number>();
    for (const e of map.entries) {
        if (e.object === null) continue;
        refs.set(e.object, (refs.get(e.object) ?? 0) + 1);
        // Clipping and merging keep each object at one address: vme_start - offset is the same everywhere.
        const b = base.get(e.object) ?? e.vme_start - e.offset;
        if (e.vme_start - e.offset !== b)
            bad.push(`entry ${e.vme_start.toString(16)}: offset ${e.offset} moved`);
        base.set(e.object, b);
    }
    if (kobj.ref_count !== 1 + (refs.get(kobj) ?? 0))
        bad.push(`kernel_object ref_count ${kobj.ref_count}`);
    for (const o of objects) {
        const n = refs.get(o) ?? 0;
        if (o.ref_count !== n) bad.push(`object ${o.id} ref_count ${o.ref_count} != ${n}`);
        if (o.ref_count === 0) objects.delete(o);
    }
    return bad;
}

interface RunOptions {
    seed: number;
    steps: number;
    find_entry: boolean;
    limit?: number;
    /** Extra check after each step. */
    after?: (map: VmMap) => void;
}

/** One random run; returns how many operations of each kind ended how. */
function run(opts: RunOptions): Record<string, number> {
    const rand = rng(opts.seed);
    const int = (n: number) => Math.floor(rand() * n);
    const src = new CountingSource("test_kentry", opts.limit);
    const msgs: string[] = [];
    let deleted: Range[] = [];
    const map = vm_map_create(
        null,
        MIN,
        MIN + PAGES * PG,
        false,
        src,
        {
            entry_delete: (_m, _e, s, e) => {
                deleted.push([s, e]);
            },
            printf: (s) => {
                msgs.push(s);
            },
        },
        "random_map",
    );
    const kobj = vm_object_allocate(0x40000000, KERNEL_OBJECT_NAME);
    const objects = new Set<VmObject>();
    const ref = new RefMap();
    const stats: Record<string, number> = {};
    const count = (k: string) => {
        stats[k] = (stats[k] ?? 0) + 1;
    };

    const pages = () => (rand() < 0.85 ? 1 + int(8) : 1 + int(96));
    const mask = () => [0, 0, 0, 0, 2 * PG - 1, 4 * PG - 1, 16 * PG - 1][int(7)]!;
    const ff_end = () => (map.first_free === null ? map.min_offset : map.first_free.vme_end);
    const fresh = (size: number) => {
        const o = vm_object_allocate(size, "random object");
        objects.add(o);
        return o;
    };

    for (let step = 0; step < opts.steps; step++) {
        const ctx = `seed ${opts.seed} step ${step}`;
        const r = rand();
        const old_ff = map.first_free;
        const snapshot = ref.r.map((x): Range => [x[0], x[1]]);
        let what = "";
        /* An object whose reference the caller still holds if vm_map_enter panics. */
        let pending: VmObject | null = null;
        try {
            if (opts.find_entry && r < 0.35) {
                const size = pages() * PG;
                const m = mask();
                const object = rand() < 0.6 ? kobj : null;
                what = `find_entry(${size / PG}p, mask ${m.toString(16)}, ${object?.name ?? "NULL"})`;
                const expect_at = ref.first_fit(ff_end(), size, m, map.min_offset, map.max_offset);
                const res = vm_map_find_entry(map, size, m, object);
                if (expect_at === null) {
                    expect(res.kr, `${ctx} ${what}`).toBe(KERN_NO_SPACE);
                    expect(msgs, ctx).toContain(NO_ROOM_FIND_ENTRY);
                    count("find_entry no space");
                } else {
                    expect(res.kr, `${ctx} ${what}`).toBe(KERN_SUCCESS);
                    expect(res.addr, `${ctx} ${what}`).toBe(expect_at);
                    expect(map.first_free, ctx).toBe(res.entry);
                    if (object === null) {
                        expect(res.entry!.vme_start, ctx).toBe(res.addr);
                        res.entry!.object = fresh(size);
                    }
                    ref.add(res.addr, res.addr + size);
                    count(res.entry!.vme_start < res.addr ? "find_entry merged" : "find_entry new");
                }
            } else if (r < 0.6) {
                const size = pages() * PG;
                const m = mask();
                const object = rand() < 0.5 ? null : fresh(size);
                pending = object;
                const fixed = rand() < 0.3;
                const addr = fixed || rand() < 0.5 ? MIN + (int(PAGES + 32) - 16) * PG : MIN;
                what =
                    `enter(${fixed ? "at" : "from"} ${addr.toString(16)}, ${size / PG}p,` +
                    ` mask ${m.toString(16)})`;
                let expect_kr = KERN_SUCCESS;
                let expect_at: number | null = addr;
                let message = false;
                const hint = Math.max(addr, map.min_offset);
                if (fixed) {
                    if ((addr & m) >>> 0 !== 0) expect_kr = KERN_NO_SPACE;
                    else if (addr < map.min_offset || addr + size > map.max_offset) {
                        expect_kr = KERN_INVALID_ADDRESS;
                    } else if (ref.covered(addr, addr + size) > 0) expect_kr = KERN_NO_SPACE;
                } else if (hint > map.max_offset) {
                    expect_kr = KERN_NO_SPACE;
                } else {
                    const from =
                        hint === map.min_offset
                            ? ff_end()
                            : (containing(map, hint)?.vme_end ?? hint);
                    expect_at = ref.first_fit(from, size, m, map.min_offset, map.max_offset);
                    if (expect_at === null) expect_kr = KERN_NO_SPACE;
                    message = expect_at === null;
                }
                const res = vm_map_enter(
                    map,
                    addr,
                    size,
                    m,
                    !fixed,
                    object,
                    0,
                    false,
                    VM_PROT_DEFAULT,
                    VM_PROT_ALL,
                    VM_INHERIT_DEFAULT,
                );
                expect(res.kr, `${ctx} ${what}`).toBe(expect_kr);
                if (res.kr !== KERN_SUCCESS) {
                    if (message) {
                        expect(msgs, ctx).toContain(NO_ROOM_ENTER);
                    }
                    vm_object_deallocate(object);
                    expect(map.first_free, ctx).toBe(old_ff);
                    count(`enter ${fixed ? "fixed" : "anywhere"} failed`);
                } else {
                    expect(res.addr, `${ctx} ${what}`).toBe(expect_at);
                    const e = res.entry!;
                    if (e.vme_start < res.addr) {
                        expect(object, ctx).toBeNull();
                        expect(map.first_free, ctx).toBe(old_ff);
                        count("enter coalesced");
                    } else {
                        const prev = before(map, res.addr);
                        const follows =
                            old_ff === prev &&
                            (prev === null ? map.min_offset : prev.vme_end) === res.addr;
                        expect(map.first_free, ctx).toBe(follows ? e : old_ff);
                        count(`enter ${fixed ? "fixed" : "anywhere"} new`);
                    }
                    ref.add(res.addr, res.addr + size);
                }
            } else {
                let s: number;
                let e: number;
                const pick = map.entries[int(map.entries.length)];
                if (pick !== undefined && rand() < 0.5) {
                    const n = (pick.vme_end - pick.vme_start) / PG;
                    s = pick.vme_start + int(n) * PG;
                    e = Math.min(pick.vme_end + int(3) * PG, s + (1 + int(n)) * PG);
                } else {
                    s = MIN + (int(PAGES + 64) - 32) * PG;
                    e = s + (1 + int(rand() < 0.9 ? 16 : 256)) * PG;
                }
                what = `remove(${s.toString(16)}, ${e.toString(16)})`;
                const cs = Math.min(Math.max(s, map.min_offset), map.max_offset);
                const ce = Math.min(e, map.max_offset);
                const gone = ref.covered(cs, ce);
                // Mach tests first_free's start after clipping at cs: an entry across cs starts at cs then.
                const ff_start =
                    old_ff === null
                        ? map.min_offset
                        : old_ff.vme_end > cs
                          ? Math.max(old_ff.vme_start, cs)
                          : old_ff.vme_start;
                deleted = [];
                expect(vm_map_remove(map, s, e), ctx).toBe(KERN_SUCCESS);
                ref.sub(cs, ce);
                expect(
                    deleted.reduce((n, [a, b]) => n + b - a, 0),
                    `${ctx} ${what}`,
                ).toBe(gone);
                for (const [a, b] of deleted)
                    expect(a >= cs && b <= ce, `${ctx} ${what}`).toBe(true);
                expect(map.first_free, `${ctx} ${what}`).toBe(
                    ff_start >= cs ? before(map, cs) : old_ff,
                );
                count("remove");
            }
        } catch (err) {
            if (!(err instanceof KernelPanic) || opts.limit === undefined) throw err;
            expect(err.panicMessage, ctx).toBe("vm_map: kentry memory exhausted");
            vm_object_deallocate(pending);
            expect(ref.r, `${ctx} ${what}: addresses changed by a panicking operation`).toEqual(
                snapshot,
            );
            count("panic");
        }

        expect(vm_map_verify(map), `${ctx} ${what}`).toEqual([]);
        expect(check_against(map, ref, src, kobj, objects), `${ctx} ${what}`).toEqual([]);
        opts.after?.(map);
    }
    return stats;
}

describe("[kernel/vm/vm_map]: random operations against a reference model", () => {
    const seed = test_seed("VM_MAP_SEED", "vm_map random");

    it(`find_entry, enter and remove (${STEPS} steps)`, () => {
        const stats = run({ seed, steps: STEPS, find_entry: true });
        console.log("vm_map random:", JSON.stringify(stats));
        for (const k of [
            "find_entry merged",
            "find_entry new",
            "find_entry no space",
            "enter coalesced",
            "enter anywhere new",
            "enter anywhere failed",
            "enter fixed new",
            "enter fixed failed",
            "remove",
        ]) {
            expect(stats[k] ?? 0, k).toBeGreaterThan(0);
        }
    });

    it("without vm_map_find_entry, no hole lies below first_free", () => {
        run({
            seed: seed + 1,
            steps: 2000,
            find_entry: false,
            after: (map) => {
                const ff_end = map.first_free === null ? map.min_offset : map.first_free.vme_end;
                expect(vm_map_holes(map).filter((h) => h.start < ff_end)).toEqual([]);
            },
        });
    });

    it("an exhausted entry source panics through every operation and leaves the map intact", () => {
        const stats = run({ seed: seed + 2, steps: 3000, find_entry: true, limit: 40 });
        console.log("vm_map random (40 entries):", JSON.stringify(stats));
        expect(stats.panic ?? 0).toBeGreaterThan(0);
    });
});
