/*
 * test/unit/kernel/vm/vm_pageout.test.ts — the thresholds vm_pageout() sets
 * (docs/fidelity.md §9, both eras), the ones a boot really
 * ends up with, and vm_page_grab's policy for unprivileged allocations.
 *
 * Reading of the formulas: F = vm_page_free_count − reserved. The example
 * of a 1.8 GiB machine ("F = 470k pages") only comes out with 470000 as the *free count*: old
 * era 50 + 10 + ⌊469950/100⌋ = 4759 and 50 + 15 + ⌊469950/80⌋ = 5939; new
 * era 500 + 100 + ⌊469500·8/100⌋ = 38160 and 500 + 150 + ⌊469500·10/100⌋ =
 * 47600 (with F = 470000 itself, every value would be one or ten higher).
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { copyin } from "../../../../kernel/i386/copyinout.ts";
import { pmap_phys_clear_reference } from "../../../../kernel/i386/pmap.ts";
import { booted, type BootedKernel } from "../../../../kernel/kern/kernel.ts";
import { kernel_verify } from "../../../../kernel/kern/kernel_verify.ts";
import { kmem_alloc, kmem_alloc_wired } from "../../../../kernel/vm/vm_kern.ts";
import { vm_map_lookup_entry } from "../../../../kernel/vm/vm_map.ts";
import {
    VM_PAGE_TO_PHYS,
    PAGE_ACTIVE,
    PG_REFERENCE,
    vm_page_activate,
    vm_page_deactivate,
    vm_page_grab,
    vm_page_release,
} from "../../../../kernel/vm/vm_page.ts";
import {
    VM_PAGEOUT_BURST_MAX,
    vm_page_grab_user,
    vm_pageout_scan,
    vm_pageout_setup,
} from "../../../../kernel/vm/vm_pageout.ts";
import { vm_allocate } from "../../../../kernel/vm/vm_user.ts";
import { bootImage } from "../../../../lib/index.ts";

const HELLO = join(import.meta.dirname, "../../../../images/user-hello");
const PG = 4096;

describe("vm_pageout_setup (docs/fidelity.md §9)", () => {
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
            const k = booted(r.kernel!);
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
        const k = booted(r.kernel!);
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

/*
 * vm_pageout_scan and vm_page_grab as GNU Mach 8d03c760 has them
 * (vm/vm_pageout.c, vm/vm_resident.c): what counts towards a burst, when
 * vm_page_inactive_target is set, and what a reactivation leaves behind.
 */
describe("vm_pageout_scan's bookkeeping (8d03c760)", () => {
    async function boot_hello() {
        const r = await bootImage({ image: HELLO, engine: "none", memory: "16M" });
        expect(r.status, r.reason).toBe("ok");
        const k = booted(r.kernel!);
        return { k, task: k.sched!.tasks[0]!, t: k.vm_page!, vm: k.vm! };
    }

    /** A scan that wants `n` more free pages than there are. */
    function scan_for(k: BootedKernel, n: number): number {
        const th = k.vm!.thresholds;
        const saved = th.vm_page_free_target;
        th.vm_page_free_target = k.vm_page!.vm_page_free_count + n;
        try {
            return vm_pageout_scan(k, k.vm!);
        } finally {
            th.vm_page_free_target = saved;
        }
    }

    it("freeing clean pages is not a burst: only pageouts count, so a clean scan never pauses for flow control", async () => {
        const { k, task, vm } = await boot_hello();
        const N = 60;
        const a = vm_allocate(task, 0, N * PG, true).addr;
        for (let p = 0; p < N; p++) expect(copyin(k, task, a + p * PG, 1)).not.toBeNull();
        // Every page of ours is clean (zero fill, read only): the scan frees them without writing.
        const pauses = vm.stats.pauses;
        const freed_clean = vm.stats.freed_clean;
        const outs = k.vm_page!.stats.pageouts;
        scan_for(k, 3 * VM_PAGEOUT_BURST_MAX);
        expect(vm.stats.freed_clean - freed_clean).toBeGreaterThanOrEqual(3 * VM_PAGEOUT_BURST_MAX);
        expect(k.vm_page!.stats.pageouts).toBe(outs);
        expect(vm.stats.pauses - pauses, "no burst pause without a pageout").toBe(0);
        expect(kernel_verify(k)).toEqual([]);
    });

    it("vm_page_inactive_target is 0 until the first scan sets it: vm_page_grab wakes the daemon below free_target only after that", async () => {
        const { k, t, vm } = await boot_hello();
        expect(vm.stats.scans).toBe(0);
        expect(t.vm_page_inactive_target).toBe(0);
        const th = vm.thresholds;
        const saved = { ...th };
        // Above free_min, below free_target, and the inactive queue below 2/3 of the pageable pages.
        th.vm_page_free_min = 0;
        th.vm_page_free_target = t.vm_page_free_count + 1000;
        expect(t.vm_page_active_count).toBeGreaterThan(0);
        expect(t.vm_page_inactive_count).toBeLessThan(
            Math.floor(((t.vm_page_active_count + t.vm_page_inactive_count) * 2) / 3),
        );
        vm.pageout_wanted = false;
        const a = vm_page_grab_user(k, vm);
        expect(vm.pageout_wanted, "target 0: the inactive queue is never short").toBe(false);
        vm_page_release(t, a);
        Object.assign(th, saved);
        scan_for(k, 0);
        expect(t.vm_page_inactive_target).toBe(
            Math.floor(((t.vm_page_active_count + t.vm_page_inactive_count) * 2) / 3),
        );
        th.vm_page_free_min = 0;
        th.vm_page_free_target = t.vm_page_free_count + 1000;
        // Make the inactive queue short of the target the scan left.
        while (t.vm_page_inactive_count >= t.vm_page_inactive_target && t.inactive_head >= 0)
            vm_page_activate(t, t.inactive_head);
        vm.pageout_wanted = false;
        const b = vm_page_grab_user(k, vm);
        expect(vm.pageout_wanted).toBe(true);
        vm_page_release(t, b);
        Object.assign(th, saved);
    });

    it("a referenced inactive page is reactivated with its reference bit still set (vm_page_activate does not clear it)", async () => {
        const { k, task, t } = await boot_hello();
        const N = 8;
        const a = vm_allocate(task, 0, N * PG, true).addr;
        for (let p = 0; p < N; p++) expect(copyin(k, task, a + p * PG, 1)).not.toBeNull();
        const object = vm_map_lookup_entry(task.map!, a).entry!.object!;
        for (const i of object.pages.values()) {
            t.flags[i]! &= ~PG_REFERENCE;
            pmap_phys_clear_reference(k.kernel_pmap!.globals, VM_PAGE_TO_PHYS(t, i));
            vm_page_deactivate(t, i);
        }
        // Referenced since it went inactive: the scan must give it back to the active queue.
        const head = t.inactive_head;
        t.flags[head]! |= PG_REFERENCE;
        const reactivations = t.stats.reactivations;
        scan_for(k, 1);
        expect(t.stats.reactivations).toBe(reactivations + 1);
        expect(t.state[head]).toBe(PAGE_ACTIVE);
        expect(t.flags[head]! & PG_REFERENCE, "the reference bit survives the reactivation").toBe(
            PG_REFERENCE,
        );
        expect(kernel_verify(k)).toEqual([]);
    });
});

/*
 * printf_once (kern/printf.h) is a static flag per call site: each "no more
 * room" site speaks once per boot, whatever map or size it is about.
 */
describe("printf_once: once per call site", () => {
    it("kmem_alloc and vm_map_find_entry failing on two maps print their lines once each", async () => {
        const r = await bootImage({ image: HELLO, engine: "none", memory: "16M" });
        const k = booted(r.kernel!);
        const before = k.console.length;
        for (const map of [k.kernel_map!, k.kmem_map!, k.kernel_map!])
            expect(kmem_alloc(k, map, 0x7ff00000, "too big").kr).not.toBe(0);
        const lines = k.console.slice(before).join("").split("\n").filter(Boolean);
        expect(lines.filter((l) => l.startsWith("no more room for kmem_alloc in"))).toHaveLength(1);
        expect(
            lines.filter((l) => l.startsWith("no more room for vm_map_find_entry in")),
        ).toHaveLength(1);
        expect(lines).toHaveLength(2);
        // Another site of the same file still speaks once.
        expect(kmem_alloc_wired(k, k.kmem_map!, 0x7ff00000, "too big").kr).not.toBe(0);
        expect(k.console.slice(before).join("")).toContain("no more room for kmem_alloc_wired in");
    });
});
