/*
 * lib/gnumach/vm_page.ts — GNU Mach's resident page counters
 * (vm/vm_resident.c: vm_page_free_count, vm_page_active_count,
 * vm_page_inactive_count, vm_page_wire_count, …) read from kernel memory,
 * and an independent count of the same pages by walking the queues the
 * counters describe (the free list through pageq.next, the active and
 * inactive queue_head_t rings through pageq), so that a reader can check one
 * against the other.
 *
 * Counters a kernel lacks are left out (the set changed over the years:
 * vm_page_external_count came in 2007, the free list became a
 * physical-segment allocator in 2016). Checked against GNU Mach 8d03c760
 * and v1.4 + Debian 1.4-6 (free counter = free-list length, active and
 * inactive queues empty before the first user task).
 */
import type { KernelView } from "./view.ts";

/** The counters of vm/vm_resident.c this kernel has, by their C names. */
export type VmPageCounts = Record<string, number>;

const COUNTERS = [
    "vm_page_free_count",
    "vm_page_active_count",
    "vm_page_inactive_count",
    "vm_page_wire_count",
    "vm_page_laundry_count",
    "vm_page_fictitious_count",
    "vm_page_external_count",
    "vm_page_free_count_minimum",
    "vm_page_free_target",
    "vm_page_free_min",
    "vm_page_free_reserved",
    "vm_page_inactive_target",
];

export function vm_page_counts_read(view: KernelView): VmPageCounts {
    const out: VmPageCounts = {};
    for (const name of COUNTERS) {
        const v = view.findVar(name);
        if (v) out[name] = v.num();
    }
    return out;
}

/** Queue lengths found by walking the lists, each bounded by `limit` pages. */
export interface VmPageQueues {
    free: number;
    active: number;
    inactive: number;
}

/** Walk vm_page_queue_free (singly linked, NEXT_PAGE) and the active/inactive rings. */
export function vm_page_queues_count(view: KernelView, limit = 1 << 21): VmPageQueues {
    let free = 0;
    for (let m = view.var("vm_page_queue_free").num(); m !== 0 && free < limit; free++) {
        m = view.at(m, "struct vm_page").get("pageq.next").num();
    }
    return {
        free,
        active: ring(view, "vm_page_queue_active", limit),
        inactive: ring(view, "vm_page_queue_inactive", limit),
    };
}

/** Elements of a queue_head_t ring (kern/queue.h): from head.next back to the head. */
function ring(view: KernelView, name: string, limit: number): number {
    const head = view.var(name);
    let n = 0;
    for (let e = head.get("next").num(); e !== head.addr && n < limit; n++) {
        e = view.at(e, "struct vm_page").get("pageq.next").num();
    }
    return n;
}
