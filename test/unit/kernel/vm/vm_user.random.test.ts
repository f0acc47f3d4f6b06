/*
 * test/unit/kernel/vm/vm_user.random.test.ts — the user side of the VM
 * driven from TypeScript on a booted kernel (images/user-hello on the none
 * engine: the task is loaded, not run), against a reference model of every
 * task's address space: which pages are mapped, with which protection, and
 * what they contain.
 *
 * A seeded random sequence of vm_allocate (anywhere and fixed),
 * vm_deallocate, vm_protect, copyout/copyin (which fault through vm_fault
 * as the CPU would), task_create + vm_map_fork (copy-on-write), task
 * termination, forced vm_pageout_scan runs and the daemon's own runs, on a
 * 5 MiB machine with a 4 MiB paging area, so pages go out to the default
 * pager and come back in, and faults wait for free pages (vm_page_wait).
 * After EVERY step: vm_map_verify and pmap_verify of each live task,
 * vm_page_verify, vm_user_verify, default_pager_verify, the paging-area
 * slots owned by the live objects, and the model's mappings against the map
 * entries. Every read compares the page with the model.
 *
 * At the end every task is terminated: no pageable page and no paging-area
 * slot may be left, and the free page count must equal that of the same
 * boot whose task was terminated at once (no leaked pages).
 *
 * The seed is printed; replay with VM_USER_SEED=<seed> npx vitest run test/unit/kernel/vm/vm_user.random.test.ts
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bootImage } from "../../../../lib/index.ts";
import type { KbootResult } from "../../../../lib/kboot.ts";
import { copyin, copyout } from "../../../../kernel/i386/copyinout.ts";
import { pmap_verify } from "../../../../kernel/i386/pmap.ts";
import { booted, type BootedKernel } from "../../../../kernel/kern/kernel.ts";
import { kernel_verify } from "../../../../kernel/kern/kernel_verify.ts";
import {
    KERN_NO_SPACE,
    KERN_PROTECTION_FAILURE,
    KERN_SUCCESS,
} from "../../../../kernel/kern/kern_return.ts";
import { kmem_cache_reap } from "../../../../kernel/kern/kmem.ts";
import { task_create, type Task } from "../../../../kernel/kern/task.ts";
import { task_end } from "../../../../kernel/kern/task_end.ts";
import { default_pager_verify } from "../../../../kernel/default_pager/default_pager.ts";
import { vm_map_fork, vm_map_verify } from "../../../../kernel/vm/vm_map.ts";
import type { VmObject } from "../../../../kernel/vm/vm_object.ts";
import { vm_page_verify } from "../../../../kernel/vm/vm_page.ts";
import { vm_pageout_scan, vm_pageout_should_run } from "../../../../kernel/vm/vm_pageout.ts";
import {
    VM_PROT_ALL,
    VM_PROT_DEFAULT,
    VM_PROT_EXECUTE,
    VM_PROT_NONE,
    VM_PROT_READ,
    VM_PROT_WRITE,
} from "../../../../kernel/vm/vm_prot.ts";
import {
    vm_allocate,
    vm_deallocate,
    vm_protect,
    vm_user_verify,
} from "../../../../kernel/vm/vm_user.ts";
import { rng, test_seed } from "./helpers.ts";

const ROOT = join(import.meta.dirname, "../../../..");
const BOOT = {
    image: join(ROOT, "images/user-hello"),
    engine: "none",
    memory: "5M",
    set: ["swap_size=4M"],
};
const PG = 4096;
const STEPS = 1500;
/** Fixed-address allocations go below this (hello's text starts at 0x08048000). */
const FIXED_LIMIT = 0x01000000;
const PROTS = [
    VM_PROT_NONE,
    VM_PROT_READ,
    VM_PROT_DEFAULT,
    VM_PROT_READ | VM_PROT_EXECUTE,
    VM_PROT_ALL,
    VM_PROT_WRITE,
    VM_PROT_EXECUTE,
];

/** One mapped page of the model: its current and maximum protection, its contents (null: zeros). Arrays are never mutated. */
interface PageModel {
    prot: number;
    max: number;
    data: Uint8Array | null;
}

interface TaskModel {
    task: Task;
    pages: Map<number, PageModel>;
}

const readable = (prot: number) => (prot & VM_PROT_READ) !== 0;
/** copyout faults for READ|WRITE (trap.c's fault type for a write), so a write needs both. */
const writable = (prot: number) =>
    (prot & (VM_PROT_READ | VM_PROT_WRITE)) === (VM_PROT_READ | VM_PROT_WRITE);

/** The live objects of the live tasks (entries and their shadow chains). */
function live_objects(models: TaskModel[]): Set<VmObject> {
    const seen = new Set<VmObject>();
    for (const m of models) {
        for (const e of m.task.map!.entries) {
            for (let o = e.object; o !== null && !seen.has(o); o = o.shadow) seen.add(o);
        }
    }
    return seen;
}

/** Paging-area slots: each slot in use belongs to exactly one (live object, offset), and no live object holds a free one. */
function slot_problems(k: BootedKernel, models: TaskModel[]): string[] {
    const dp = k.vm!.pager;
    const owner = new Map<number, string>();
    const out: string[] = [];
    for (const o of live_objects(models)) {
        for (const [offset, slot] of o.pager ?? []) {
            const who = `${o.name}#${o.id}@${offset}`;
            if (!dp.inuse[slot]) out.push(`${who} holds free slot ${slot}`);
            if (owner.has(slot)) out.push(`slot ${slot} held by ${owner.get(slot)} and ${who}`);
            owner.set(slot, who);
            if (offset >= o.size) out.push(`${who}: slot beyond the object's size ${o.size}`);
        }
    }
    if (owner.size !== dp.used)
        out.push(`${dp.used} slots in use, ${owner.size} held by live objects`);
    return out;
}

/** The model's mapped pages and protections against the task's map entries. */
function map_problems(m: TaskModel): string[] {
    const out: string[] = [];
    const seen = new Set<number>();
    for (const e of m.task.map!.entries) {
        for (let va = e.vme_start; va < e.vme_end; va += PG) {
            seen.add(va);
            const p = m.pages.get(va);
            if (!p)
                out.push(
                    `${m.task.name}: ${va.toString(16)} mapped by the kernel, not in the model`,
                );
            else if (p.prot !== e.protection || p.max !== e.max_protection) {
                out.push(
                    `${m.task.name}: ${va.toString(16)} prot ${e.protection}/${e.max_protection}, model ${p.prot}/${p.max}`,
                );
            }
            if (out.length > 10) return out;
        }
    }
    for (const va of m.pages.keys())
        if (!seen.has(va)) out.push(`${m.task.name}: ${va.toString(16)} in the model, not mapped`);
    return out.slice(0, 10);
}

function check_all(k: BootedKernel, models: TaskModel[], where: string): void {
    const tasks = models.map((m) => m.task);
    const problems: string[] = [];
    const add = (what: string, p: string[]) => p.forEach((x) => problems.push(`${what}: ${x}`));
    for (const m of models) {
        add(`${m.task.name} map`, vm_map_verify(m.task.map!));
        add(`${m.task.name} pmap`, pmap_verify(m.task.pmap));
        add("model", map_problems(m));
    }
    add("vm_page", vm_page_verify(k.vm_page!));
    add("vm_user", vm_user_verify(k, tasks));
    add("default_pager", default_pager_verify(k.vm!.pager));
    add("slots", slot_problems(k, models));
    expect(problems, `after ${where}`).toEqual([]);
}

/** Throw away free slabs everywhere, so the free count only counts memory in use. */
function reap(k: BootedKernel): void {
    for (const c of k.kmem!.caches) kmem_cache_reap(k.kmem!, c);
}

async function boot(): Promise<KbootResult> {
    const r = await bootImage(BOOT);
    expect(r.status, r.reason).toBe("ok");
    expect(r.user?.ran).toBe(false);
    return r;
}

describe("user VM on a booted kernel: random vm_allocate/deallocate/protect, faults, fork, pageout", () => {
    it("keeps every invariant after every step, contents survive page-out/page-in and copy-on-write, nothing leaks", async () => {
        const seed = test_seed("VM_USER_SEED", "vm_user random sequence");
        const rand = rng(seed);
        const int = (n: number) => Math.floor(rand() * n);
        const pick = <T>(a: readonly T[]): T => a[int(a.length)]!;

        // The same boot with its task terminated at once: the free count a leak-free sequence must return to.
        const ref = await boot();
        const rk = booted(ref.kernel!);
        for (const t of [...rk.sched!.tasks]) task_end(rk, rk.sched!, t, "terminated by the test");
        reap(rk);
        const free_ref = rk.vm_page!.vm_page_free_count;
        expect(rk.vm_page!.vm_page_active_count + rk.vm_page!.vm_page_inactive_count).toBe(0);

        const r = await boot();
        const k = booted(r.kernel!);
        const s = k.sched!;
        const t = k.vm_page!;
        const vm = k.vm!;
        const dp = vm.pager;
        expect(dp.nslots).toBe(1024);
        const hello = s.tasks[0]!;
        const models: TaskModel[] = [{ task: hello, pages: new Map() }];
        // hello's own memory (text, data, bss, stack) as loaded, read through copyin.
        for (const e of hello.map!.entries) {
            for (let va = e.vme_start; va < e.vme_end; va += PG) {
                expect(readable(e.protection)).toBe(true);
                const data = copyin(k, hello, va, PG);
                expect(data, `hello ${va.toString(16)}`).not.toBeNull();
                models[0]!.pages.set(va, {
                    prot: e.protection,
                    max: e.max_protection,
                    data: data!.some((b) => b !== 0) ? data : null,
                });
            }
        }
        check_all(k, models, "loading hello's memory");

        // What user memory may hold (resident + paged out), with room for page tables and the reserve.
        const capacity =
            t.vm_page_free_count +
            t.vm_page_active_count +
            t.vm_page_inactive_count -
            vm.thresholds.vm_page_free_reserved -
            150 +
            dp.nslots -
            50;
        const demand = () => t.vm_page_active_count + t.vm_page_inactive_count + dp.used;
        console.log(
            `free ${t.vm_page_free_count} pages, reserve ${vm.thresholds.vm_page_free_reserved}, ` +
                `target ${vm.thresholds.vm_page_free_target}, ${dp.nslots} slots; capacity ${capacity}`,
        );

        let names = 0;
        let daemon_runs = 0;
        const counts: Record<string, number> = {};
        let reads_checked = 0;
        const check_read = (m: TaskModel, va: number, where: string) => {
            const p = m.pages.get(va)!;
            const got = copyin(k, m.task, va, PG);
            if (!readable(p.prot)) {
                expect(
                    got,
                    `${where}: read of ${va.toString(16)} (prot ${p.prot}) must fail`,
                ).toBeNull();
                return;
            }
            expect(got, `${where}: read of ${va.toString(16)} (prot ${p.prot})`).not.toBeNull();
            const want = p.data ?? new Uint8Array(PG);
            if (!Buffer.from(got!).equals(Buffer.from(want))) {
                let i = 0;
                while (got![i] === want[i]) i++;
                expect.fail(
                    `${where}: ${m.task.name} page ${va.toString(16)} differs at +${i}: ` +
                        `${got![i]} != ${want[i]} (seed ${seed})`,
                );
            }
            reads_checked++;
        };
        const mapped_page = (m: TaskModel): number | null => {
            const keys = [...m.pages.keys()];
            return keys.length ? pick(keys) : null;
        };

        for (let step = 0; step < STEPS; step++) {
            const m = pick(models);
            const task = m.task;
            const full = demand() >= capacity;
            const roll = int(100);
            let op: string;
            if (roll < 10) {
                op = "vm_allocate";
                const n = 1 + int(48);
                const a = vm_allocate(task, 0, n * PG, true);
                expect(a.kr, op).toBe(KERN_SUCCESS);
                for (let i = 0; i < n; i++) {
                    expect(
                        m.pages.has(a.addr + i * PG),
                        `${op} returned mapped ${(a.addr + i * PG).toString(16)}`,
                    ).toBe(false);
                    m.pages.set(a.addr + i * PG, {
                        prot: VM_PROT_DEFAULT,
                        max: VM_PROT_ALL,
                        data: null,
                    });
                }
            } else if (roll < 13) {
                op = "vm_allocate fixed";
                const n = 1 + int(16);
                const at = int(FIXED_LIMIT / PG - n) * PG;
                let free = true;
                for (let i = 0; i < n; i++) if (m.pages.has(at + i * PG)) free = false;
                const a = vm_allocate(task, at, n * PG, false);
                expect(a.kr, `${op} at ${at.toString(16)} x${n}`).toBe(
                    free ? KERN_SUCCESS : KERN_NO_SPACE,
                );
                if (free)
                    for (let i = 0; i < n; i++)
                        m.pages.set(at + i * PG, {
                            prot: VM_PROT_DEFAULT,
                            max: VM_PROT_ALL,
                            data: null,
                        });
            } else if (roll < 20 || (full && roll < 40)) {
                op = "vm_deallocate";
                const va = mapped_page(m);
                if (va === null) continue;
                // Around a mapped page, holes included, inside the map.
                const start = Math.max(0, va - int(4) * PG);
                const n = Math.min(1 + int(full ? 64 : 24), (task.map!.max_offset - start) / PG);
                expect(vm_deallocate(task, start, n * PG), op).toBe(KERN_SUCCESS);
                for (let i = 0; i < n; i++) m.pages.delete(start + i * PG);
            } else if (roll < 26) {
                op = "vm_protect";
                const va = mapped_page(m);
                if (va === null) continue;
                const n = 1 + int(12);
                const prot = pick(PROTS);
                // Now and then the maximum: it can only come down, and the current protection with it.
                const set_max = rand() < 0.15;
                // Mach 2014 checks only the entries present (holes are no error), before anything changes;
                // the range is clamped to the map.
                let want: number = KERN_SUCCESS;
                for (let i = 0; i < n && want === KERN_SUCCESS; i++) {
                    const p = m.pages.get(va + i * PG);
                    if (p && (prot & p.max) !== prot) want = KERN_PROTECTION_FAILURE;
                }
                expect(
                    vm_protect(task, va, n * PG, set_max, prot),
                    `${op} set_max ${set_max} prot ${prot}`,
                ).toBe(want);
                if (want === KERN_SUCCESS) {
                    for (let i = 0; i < n; i++) {
                        const p = m.pages.get(va + i * PG);
                        if (!p) continue;
                        if (set_max) {
                            p.max = prot;
                            p.prot &= prot;
                        } else {
                            p.prot = prot;
                        }
                    }
                }
            } else if (roll < 50) {
                op = "write";
                if (full) continue;
                const va = mapped_page(m);
                if (va === null) continue;
                const p = m.pages.get(va)!;
                const off = int(PG);
                const len = rand() < 0.1 ? PG - off : 1 + int(Math.min(64, PG - off));
                const bytes = new Uint8Array(len);
                for (let i = 0; i < len; i++) bytes[i] = 1 + int(255);
                const ok = copyout(k, task, va + off, bytes);
                expect(ok, `${op} ${task.name} ${(va + off).toString(16)} prot ${p.prot}`).toBe(
                    writable(p.prot),
                );
                if (ok) {
                    const d = (p.data ?? new Uint8Array(PG)).slice();
                    d.set(bytes, off);
                    p.data = d;
                }
            } else if (roll < 75) {
                op = "read";
                if (full) continue;
                const va = mapped_page(m);
                if (va === null) continue;
                check_read(m, va, `step ${step}`);
            } else if (roll < 77) {
                op = "access unmapped";
                let va = int(FIXED_LIMIT / PG) * PG;
                while (m.pages.has(va)) va += PG;
                expect(copyin(k, task, va, 4), `read ${va.toString(16)}`).toBeNull();
                expect(copyout(k, task, va, new Uint8Array([1])), `write ${va.toString(16)}`).toBe(
                    false,
                );
            } else if (roll < 80) {
                op = "fork";
                if (models.length >= 4 || full) continue;
                const child = task_create(k, s.tasks, `child${++names}`);
                expect(vm_map_fork(task.map!, child.map!), op).toBe(KERN_SUCCESS);
                const pages = new Map<number, PageModel>();
                for (const [va, p] of m.pages) pages.set(va, { ...p });
                models.push({ task: child, pages });
            } else if (roll < 82) {
                op = "terminate";
                task_end(k, s, task, "terminated by the test");
                models.splice(models.indexOf(m), 1);
                if (models.length === 0)
                    models.push({
                        task: task_create(k, s.tasks, `fresh${++names}`),
                        pages: new Map(),
                    });
            } else if (roll < 90) {
                op = "forced pageout";
                // Ask the daemon for `n` more free pages than there are: it deactivates, cleans and frees.
                const n = 1 + int(96);
                const th = vm.thresholds;
                const saved = th.vm_page_free_target;
                th.vm_page_free_target = t.vm_page_free_count + n;
                try {
                    vm_pageout_scan(k, vm);
                } finally {
                    th.vm_page_free_target = saved;
                }
            } else if (roll < 95) {
                op = "daemon";
                if (vm_pageout_should_run(k, vm)) {
                    vm_pageout_scan(k, vm);
                    daemon_runs++;
                }
            } else {
                op = "sweep";
                if (full) continue;
                for (const va of m.pages.keys()) check_read(m, va, `sweep at step ${step}`);
            }
            counts[op] = (counts[op] ?? 0) + 1;
            check_all(k, models, `step ${step} (${op} on ${task.name}, seed ${seed})`);
        }

        // Every page of every task, then the end of every task.
        for (const m of models) for (const va of m.pages.keys()) check_read(m, va, "final sweep");
        check_all(k, models, "final sweep");
        const st = t.stats;
        console.log(
            `steps: ${JSON.stringify(counts)}; ${reads_checked} page reads checked; faults ${st.faults}, ` +
                `zero fill ${st.zero_fill_count}, cow ${st.cow_faults}, pageouts ${st.pageouts}, pageins ${st.pageins}, ` +
                `reactivations ${st.reactivations}, scans ${vm.stats.scans} (daemon ${daemon_runs}, forced ${counts["forced pageout"] ?? 0}, ` +
                `the rest in vm_page_wait), not cleanable ${vm.stats.no_pager}, ` +
                `pager writes ${dp.writes}, reads ${dp.reads}, refused ${dp.full}`,
        );
        // The sequence did what it is for: pages went out and came back, copy-on-write copies were made.
        expect(st.pageouts).toBeGreaterThan(0);
        expect(st.pageins).toBeGreaterThan(0);
        expect(st.cow_faults).toBeGreaterThan(0);

        for (const m of [...models]) {
            task_end(k, s, m.task, "terminated by the test");
            models.splice(models.indexOf(m), 1);
            check_all(k, models, `terminating ${m.task.name}`);
        }
        expect(dp.used, "paging-area slots in use after every task ended").toBe(0);
        expect(dp.data.size).toBe(0);
        expect(t.vm_page_active_count + t.vm_page_inactive_count, "pageable pages left").toBe(0);
        reap(k);
        expect(t.vm_page_free_count, "free pages after every task ended (reference boot)").toBe(
            free_ref,
        );
        expect(kernel_verify(k)).toEqual([]);
    });
});
