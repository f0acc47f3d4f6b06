/*
 * test/unit/kernel/vm/vm_pageout.test.ts — the thresholds vm_pageout() sets
 * (reference gnumach-memory.md §10.3, both eras), the ones a boot really
 * ends up with, and vm_page_grab's policy for unprivileged allocations.
 *
 * Reading of §10.3: F = vm_page_free_count − reserved. Its worked example
 * ("F = 470k pages") only comes out with 470000 as the *free count*: old
 * era 50 + 10 + ⌊469950/100⌋ = 4759 and 50 + 15 + ⌊469950/80⌋ = 5939; new
 * era 500 + 100 + ⌊469500·8/100⌋ = 38160 and 500 + 150 + ⌊469500·10/100⌋ =
 * 47600 (with F = 470000 itself, every value would be one or ten higher).
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bootImage } from "../../../../lib/index.ts";
import { vm_page_grab, vm_page_release } from "../../../../kernel/vm/vm_page.ts";
import { vm_page_grab_user, vm_pageout_setup } from "../../../../kernel/vm/vm_pageout.ts";

const HELLO = join(import.meta.dirname, "../../../../images/user-hello");

describe("vm_pageout_setup (§10.3)", () => {
    it("1997 – 2014-08 (reserved 50): the reference's example with 470k free pages", () => {
        expect(vm_pageout_setup(470000, 50, false)).toEqual({
            vm_page_free_reserved: 50,
            vm_page_free_min: 4759,
            vm_page_free_target: 5939,
            vm_pageout_reserved_internal: 25,
            vm_pageout_reserved_really: 10,
            era: "1997",
        });
    });

    it("2014-08-30, 91f0887c (reserved 500): the reference's example with 470k free pages", () => {
        expect(vm_pageout_setup(470000, 500, true)).toEqual({
            vm_page_free_reserved: 500,
            vm_page_free_min: 38160,
            vm_page_free_target: 47600,
            vm_pageout_reserved_internal: 250,
            vm_pageout_reserved_really: 100,
            era: "2014-08",
        });
    });

    it("both eras over a range of free counts: the formulas, target above min, monotonic in the free count", () => {
        let prev = { old: vm_pageout_setup(0, 50, false), new: vm_pageout_setup(0, 500, true) };
        // Below the reserve there is nothing above it: F = 0.
        expect(prev.old.vm_page_free_min).toBe(60);
        expect(prev.old.vm_page_free_target).toBe(65);
        expect(prev.new.vm_page_free_min).toBe(600);
        expect(prev.new.vm_page_free_target).toBe(650);
        for (let free = 1; free < 1_200_000; free += 997) {
            const o = vm_pageout_setup(free, 50, false);
            const n = vm_pageout_setup(free, 500, true);
            const Fo = Math.max(0, free - 50);
            const Fn = Math.max(0, free - 500);
            expect(o.vm_page_free_min).toBe(60 + Math.floor(Fo / 100));
            expect(o.vm_page_free_target).toBe(65 + Math.floor(Fo / 80));
            expect(n.vm_page_free_min).toBe(600 + Math.floor((Fn * 8) / 100));
            expect(n.vm_page_free_target).toBe(650 + Math.floor(Fn / 10));
            expect(o.vm_page_free_target - o.vm_page_free_min).toBeGreaterThanOrEqual(5);
            expect(n.vm_page_free_target).toBeGreaterThan(n.vm_page_free_min);
            expect(o.vm_page_free_min).toBeGreaterThanOrEqual(prev.old.vm_page_free_min);
            expect(n.vm_page_free_target).toBeGreaterThanOrEqual(prev.new.vm_page_free_target);
            prev = { old: o, new: n };
        }
    });
});

describe("the thresholds a boot sets, and vm_page_grab for user memory", () => {
    it.each([
        ["debian-2014-fix", 50, "1997"],
        ["head", 500, "2014-08"],
    ])(
        "%s: vm_pageout() sets the thresholds of the free count the boot ends with",
        async (preset, reserved, era) => {
            const r = await bootImage({ image: HELLO, engine: "none", preset });
            expect(r.status, r.reason).toBe("ok");
            const k = r.kernel!;
            expect(k.params.vm_page_free_reserved).toBe(reserved);
            // The none engine allocates nothing after the boot: the free count is the one vm_pageout() saw.
            const th = k.vm!.thresholds;
            expect(th).toEqual(
                vm_pageout_setup(k.vm_page!.vm_page_free_count, reserved, era === "2014-08"),
            );
            expect(th.era).toBe(era);
            expect(r.user!.free_reserved).toBe(reserved);
        },
    );

    it("an unprivileged allocation never takes the reserve: refused below it, and the daemon is woken", async () => {
        const r = await bootImage({ image: HELLO, engine: "none", memory: "16M" });
        const k = r.kernel!;
        const t = k.vm_page!;
        const vm = k.vm!;
        const th = vm.thresholds;
        // Privileged grabs (page tables, kernel memory) down to free_min; the next user grab goes below it.
        const held: number[] = [];
        while (t.vm_page_free_count > th.vm_page_free_min) held.push(vm_page_grab(t));
        vm.pageout_wanted = false;
        const a = vm_page_grab_user(k, vm);
        expect(a).toBeGreaterThanOrEqual(0);
        expect(t.vm_page_free_count).toBe(th.vm_page_free_min - 1);
        expect(vm.pageout_wanted, "below free_min the daemon is woken").toBe(true);
        held.push(a);
        // User grabs stop at the reserve.
        for (;;) {
            const i = vm_page_grab_user(k, vm);
            if (i < 0) break;
            held.push(i);
        }
        expect(t.vm_page_free_count).toBe(th.vm_page_free_reserved - 1);
        expect(vm.stats.user_free_min).toBe(th.vm_page_free_reserved);
        vm.pageout_wanted = false;
        expect(vm_page_grab_user(k, vm)).toBe(-1);
        expect(vm.pageout_wanted).toBe(true);
        // The reserve is still there for privileged allocations.
        const p = vm_page_grab(t);
        expect(p).toBeGreaterThanOrEqual(0);
        held.push(p);
        for (const i of held) vm_page_release(t, i);
    });
});
