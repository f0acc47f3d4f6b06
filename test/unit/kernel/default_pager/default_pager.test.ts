/*
 * test/unit/kernel/default_pager/default_pager.test.ts — the default
 * pager's paging area: whole slots, handed out lowest-first (so runs are
 * deterministic), freed and reused, refused when full, pages kept as
 * written; default_pager_verify catches a corrupted area.
 */
import { describe, expect, it } from "vitest";
import { InvariantFailure } from "../../../../kernel/kern/debug.ts";
import {
    default_pager_create,
    default_pager_info,
    default_pager_read,
    default_pager_slot_alloc,
    default_pager_slot_free,
    default_pager_verify,
    default_pager_write,
    type DefaultPager,
} from "../../../../kernel/default_pager/default_pager.ts";
import { prng } from "../../../prng.ts";
import { test_seed } from "../vm/helpers.ts";

const PG = 4096;

function page(fill: number): Uint8Array {
    const b = new Uint8Array(PG);
    for (let i = 0; i < PG; i++) b[i] = (fill + i) & 0xff;
    return b;
}

function lowest_free(dp: DefaultPager): number {
    for (let s = 0; s < dp.nslots; s++) if (!dp.inuse[s]) return s;
    return -1;
}

describe("default pager: slots", () => {
    it("sizes the area in whole 4 KiB slots; no area means every allocation is refused", () => {
        expect(default_pager_create(96 * 1024 * 1024).nslots).toBe(24576);
        expect(default_pager_create(3 * PG + 4095).nslots).toBe(3);
        const none = default_pager_create(0);
        expect(none.nslots).toBe(0);
        expect(default_pager_slot_alloc(none)).toBe(-1);
        expect(none.full).toBe(1);
        const lines: string[] = [];
        default_pager_info(none, (l) => lines.push(l));
        expect(lines).toEqual(["default pager: no paging area"]);
    });

    it("hands out the lowest free slot, reuses freed ones lowest first, and refuses when full", () => {
        const dp = default_pager_create(8 * PG);
        expect([0, 1, 2, 3, 4].map(() => default_pager_slot_alloc(dp))).toEqual([0, 1, 2, 3, 4]);
        default_pager_slot_free(dp, 3);
        default_pager_slot_free(dp, 1);
        expect(dp.used).toBe(3);
        expect(default_pager_slot_alloc(dp)).toBe(1);
        expect(default_pager_slot_alloc(dp)).toBe(3);
        expect(default_pager_slot_alloc(dp)).toBe(5);
        expect(default_pager_slot_alloc(dp)).toBe(6);
        expect(default_pager_slot_alloc(dp)).toBe(7);
        expect(dp.used).toBe(8);
        expect(default_pager_slot_alloc(dp)).toBe(-1);
        expect(dp.full).toBe(1);
        expect(dp.used).toBe(8);
        default_pager_slot_free(dp, 7);
        expect(default_pager_slot_alloc(dp)).toBe(7);
        expect(default_pager_verify(dp)).toEqual([]);
    });

    it("random alloc/free: always the lowest free slot, verify clean after every step", () => {
        const seed = test_seed("DEFAULT_PAGER_SEED", "default pager random slots");
        const next = prng(seed);
        const dp = default_pager_create(64 * PG);
        const held: number[] = [];
        for (let step = 0; step < 3000; step++) {
            if (held.length > 0 && next() % 100 < 45) {
                const slot = held.splice(next() % held.length, 1)[0]!;
                default_pager_slot_free(dp, slot);
            } else {
                const want = lowest_free(dp);
                const got = default_pager_slot_alloc(dp);
                expect(got, `step ${step} (seed ${seed})`).toBe(want);
                if (got >= 0) held.push(got);
            }
            expect(dp.used).toBe(held.length);
            expect(default_pager_verify(dp), `step ${step} (seed ${seed})`).toEqual([]);
        }
    });

    it("keeps a copy of each page as written; freeing a slot drops its page", () => {
        const dp = default_pager_create(4 * PG);
        const s = default_pager_slot_alloc(dp);
        const src = page(7);
        default_pager_write(dp, s, src);
        src.fill(0); // the caller's page is reused at once: the pager must not share it
        expect(default_pager_read(dp, s)).toEqual(page(7));
        default_pager_write(dp, s, page(9)); // a second page-out of the same page reuses its slot
        expect(default_pager_read(dp, s)).toEqual(page(9));
        expect(dp.writes).toBe(2);
        expect(dp.reads).toBe(2);
        default_pager_slot_free(dp, s);
        expect(dp.data.size).toBe(0);
        expect(default_pager_verify(dp)).toEqual([]);
    });

    it("refuses a double free, a write to a free slot, a short page, and a read of a slot never written", () => {
        const dp = default_pager_create(4 * PG);
        const s = default_pager_slot_alloc(dp);
        // The model's own invariants: a failure is a bug in mach86, not a Mach panic.
        expect(() => default_pager_read(dp, s)).toThrow(InvariantFailure);
        expect(() => default_pager_write(dp, s, new Uint8Array(100))).toThrow(InvariantFailure);
        expect(() => default_pager_write(dp, 2, page(1))).toThrow(InvariantFailure);
        default_pager_slot_free(dp, s);
        expect(() => default_pager_slot_free(dp, s)).toThrow(/freed twice/);
    });
});

describe("default_pager_verify catches corruption", () => {
    function area(): DefaultPager {
        const dp = default_pager_create(8 * PG);
        for (let i = 0; i < 4; i++) default_pager_write(dp, default_pager_slot_alloc(dp), page(i));
        expect(default_pager_verify(dp)).toEqual([]);
        return dp;
    }

    it("a used count that does not match the slots in use", () => {
        const dp = area();
        dp.used++;
        expect(default_pager_verify(dp).join("\n")).toMatch(/used 5 != 4 slots in use/);
    });

    it("a slot marked free behind the allocator's back (its page still held, below the hint)", () => {
        const dp = area();
        dp.inuse[1] = 0;
        const p = default_pager_verify(dp).join("\n");
        expect(p).toMatch(/slot 1 is free below the hint 4/);
        expect(p).toMatch(/slot 1 holds data but is free/);
        expect(p).toMatch(/used 4 != 3 slots in use/);
    });

    it("a hint above a free slot (the allocator would skip it)", () => {
        const dp = area();
        default_pager_slot_free(dp, 2);
        expect(default_pager_verify(dp)).toEqual([]);
        dp.hint = 3;
        expect(default_pager_verify(dp)).toEqual(["slot 2 is free below the hint 3"]);
    });

    it("data kept for a slot that is not in use", () => {
        const dp = area();
        dp.data.set(6, page(6));
        expect(default_pager_verify(dp)).toEqual(["slot 6 holds data but is free"]);
    });
});
