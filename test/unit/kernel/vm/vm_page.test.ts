/*
 * test/unit/kernel/vm/vm_page.test.ts — the host page table's compact
 * forms: pages of pmap_startup's runs take their physical address from the
 * run, and the free links are stored relative to the next page. Checked
 * against a plain model (an array of addresses, the free list as a stack).
 *
 * The random grab/release sequence prints its seed; rerun one with
 *   VM_PAGE_SEED=<seed> npx vitest run test/unit/kernel/vm/vm_page.test.ts
 */
import { describe, expect, it } from "vitest";
import {
    PAGE_FREE,
    VM_PAGE_TO_PHYS,
    free_next,
    vm_page_grab,
    vm_page_init,
    vm_page_init_run,
    vm_page_lookup_phys,
    vm_page_release,
    vm_page_release_all,
    vm_page_table_create,
    vm_page_verify,
    type VmPageTable,
} from "../../../../kernel/vm/vm_page.ts";
import { prng } from "../../../prng.ts";

const PG = 4096;
const SEED =
    process.env["VM_PAGE_SEED"] !== undefined
        ? Number(process.env["VM_PAGE_SEED"]) >>> 0
        : (Date.now() ^ Math.floor(Math.random() * 2 ** 32)) >>> 0;

/** The free list from its head, as indices. */
function free_list(t: VmPageTable): number[] {
    const out: number[] = [];
    for (let i = t.free_head; i >= 0 && out.length <= t.count; i = free_next(t, i)) out.push(i);
    return out;
}

/** Two runs and two single pages, as pmap_startup and vm_page_create make them; the addresses each page has. */
function table(): { t: VmPageTable; phys: number[] } {
    const t = vm_page_table_create(16, 256);
    const phys: number[] = [];
    vm_page_init_run(t, 0x10000, 5);
    for (let n = 0; n < 5; n++) phys.push(0x10000 + n * PG);
    vm_page_init_run(t, 0x30000, 3);
    for (let n = 0; n < 3; n++) phys.push(0x30000 + n * PG);
    return { t, phys };
}

describe("vm_page table", () => {
    it("gives each page of a run its address and finds it by frame", () => {
        const { t, phys } = table();
        expect(t.count).toBe(8);
        phys.forEach((pa, i) => {
            expect(VM_PAGE_TO_PHYS(t, i)).toBe(pa);
            expect(vm_page_lookup_phys(t, pa)).toBe(i);
        });
        expect(vm_page_lookup_phys(t, 0x20000)).toBe(-1);
    });

    it("releases a fresh table into an ascending free list", () => {
        const { t } = table();
        vm_page_release_all(t);
        expect(free_list(t)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
        expect(t.free_ascending).toBe(true);
        expect(t.vm_page_free_count).toBe(8);
        expect(vm_page_verify(t)).toEqual([]);
    });

    it("grows past its capacity, and pages made one at a time keep their own address", () => {
        const { t, phys } = table();
        vm_page_release_all(t);
        for (let n = 0; n < 20; n++) {
            const pa = 0x80000 + n * PG;
            const i = vm_page_init(t, pa);
            phys.push(pa);
            expect(t.free_ascending).toBe(false);
            vm_page_release(t, i);
        }
        phys.forEach((pa, i) => {
            expect(VM_PAGE_TO_PHYS(t, i)).toBe(pa);
            expect(vm_page_lookup_phys(t, pa)).toBe(i);
        });
        expect(free_list(t).slice(0, 3)).toEqual([27, 26, 25]);
        expect(free_list(t)).toHaveLength(28);
        expect(vm_page_verify(t)).toEqual([]);
    });

    it("keeps the free list a LIFO through random grabs and releases", () => {
        const seed = SEED;
        console.log(`vm_page free list seed: ${seed} (rerun with VM_PAGE_SEED=${seed})`);
        const next = prng(seed);
        const rand = (n: number) => next() % n;
        const { t } = table();
        vm_page_release_all(t);
        const stack = [7, 6, 5, 4, 3, 2, 1, 0]; // top at the end
        const held: number[] = [];
        for (let step = 0; step < 400; step++) {
            if (held.length > 0 && (stack.length === 0 || rand(2) === 0)) {
                const i = held.splice(rand(held.length), 1)[0]!;
                vm_page_release(t, i);
                stack.push(i);
            } else {
                const i = vm_page_grab(t);
                expect(i, `seed ${seed} step ${step}`).toBe(stack.pop());
                held.push(i);
            }
            expect(free_list(t), `seed ${seed} step ${step}`).toEqual([...stack].reverse());
        }
        expect(vm_page_grab(t) === -1).toBe(stack.length === 0);
        for (const i of free_list(t)) expect(t.state[i]).toBe(PAGE_FREE);
        expect(vm_page_verify(t)).toEqual([]);
    });
});
