/*
 * kernel/kern/sched_prim.ts — a round-robin scheduler in the place of
 * kern/sched_prim.c: one run queue, one CPU, a context switch at each
 * clock tick (hz = 100 from the stub's PIT, on v86's virtual clock, so a
 * run is deterministic) when another thread is runnable.
 *
 * Departure: Mach's priorities, quanta and kernel threads are not
 * modelled; the pageout daemon runs on the host when woken (vm_pageout.ts).
 */
import { sample_series_create, type SampleSeries } from "./kern_sample.ts";
import type { Task } from "./task.ts";
import type { Thread } from "./thread.ts";

export interface Sched {
    tasks: Task[];
    runq: Thread[];
    current: Thread | null;
    /** Kernel VA of the stub's TSS (esp0 is rewritten at each switch). */
    tss_kva: number;
    next_thread_id: number;
    /** Set by the clock: switch at the end of this trap if someone else can run. */
    need_resched: boolean;
    context_switches: number;
    syscalls: number;
    /** Ended tasks, in order: for the run summary. */
    ended: Task[];
    /** The kernel's allocator state at each task creation and task end (kern_sample.ts). */
    samples: SampleSeries;
}

export function sched_create(tasks: Task[]): Sched {
    return {
        tasks,
        runq: [],
        current: null,
        tss_kva: 0,
        next_thread_id: 1,
        need_resched: false,
        context_switches: 0,
        syscalls: 0,
        ended: [],
        samples: sample_series_create(),
    };
}

/** thread_setrun: to the tail of the run queue. */
export function thread_setrun(s: Sched, th: Thread): void {
    if (th.state === "run" && !s.runq.includes(th) && s.current !== th) s.runq.push(th);
}

/** Take a thread off the run queue (it died). */
export function thread_unrun(s: Sched, th: Thread): void {
    const i = s.runq.indexOf(th);
    if (i >= 0) s.runq.splice(i, 1);
    if (s.current === th) s.current = null;
}

/**
 * thread_select: keep the current thread unless it cannot run or a tick
 * asked for a switch and someone is waiting; null when nothing can run.
 */
export function thread_select(s: Sched): Thread | null {
    const cur = s.current;
    const runnable = cur !== null && cur.state === "run";
    if (runnable && (!s.need_resched || s.runq.length === 0)) {
        s.need_resched = false;
        return cur;
    }
    s.need_resched = false;
    const next = s.runq.shift() ?? null;
    if (runnable && next !== null) s.runq.push(cur);
    return next ?? (runnable ? cur : null);
}
