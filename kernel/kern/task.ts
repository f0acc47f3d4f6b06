/*
 * kernel/kern/task.ts — models kern/task.c of GNU Mach 2014: task_create →
 * vm_map_create → pmap_create, whose page directory is
 * kmem_alloc_wired(kernel_map, PDPNUM * PAGE_SIZE) (until 3ff86d79, 2016),
 * with the kernel PDEs copied in so kernel space is shared; the user map
 * [VM_MIN_ADDRESS, VM_MAX_ADDRESS) with entries from vm_map_entry_cache;
 * the IPC space (ipc_space_create) with the task's own port at name 1; and
 * task_terminate, which takes all of it apart again.
 *
 * struct task, struct pmap, struct vm_map and struct ipc_space come from their named
 * caches (kobj.ts). Departures: no task suspend counts, no task ports as
 * IPC objects (a task port name is a table entry that designates the task),
 * no memory of exited tasks beyond their exit record.
 */
import { panic } from "./debug.ts";
import type { BootedKernel } from "./kernel.ts";
import { kobj_alloc, kobj_free } from "./kobj.ts";
import { sample_record } from "./kern_sample.ts";
import { pmap_create, pmap_destroy, pmap_extract, type Pmap } from "../i386/pmap.ts";
import { kmem_alloc_wired, kmem_free } from "../vm/vm_kern.ts";
import { vm_map_create, vm_map_remove, type VmMap } from "../vm/vm_map.ts";
import {
    VM_PAGE_TO_PHYS,
    vm_page_grab,
    vm_page_lookup_phys,
    vm_page_release,
} from "../vm/vm_page.ts";
import { vm_page_oom } from "../vm/vm_pageout.ts";
import { ipc_space_create, ipc_space_destroy, type IpcSpace } from "../ipc/ipc_table.ts";
import type { Thread } from "./thread.ts";

/** What a name in a task's IPC space designates. */
export type PortRight = { kind: "task"; task: Task } | { kind: "port"; kva: number };

export interface Task {
    id: number;
    name: string;
    pmap: Pmap;
    /** Kernel VA of the page directory. */
    dir_kva: number;
    /** The user address space; null only for tasks made by the layout workloads. */
    map: VmMap | null;
    space: IpcSpace;
    /** Port names in use (1 = the task's own port). */
    names: Map<number, PortRight>;
    /** No name below this one is free (ipc_entry_alloc takes the lowest free name). */
    name_hint: number;
    threads: Thread[];
    /** Kernel VAs of struct task, struct pmap, struct vm_map and struct ipc_space (0: not allocated). */
    kva: number;
    pmap_kva: number;
    map_kva: number;
    space_kva: number;
    state: "alive" | "exited" | "killed";
    /** How it ended ("exited with code 0", "killed: page fault at …"). */
    end: string;
    exit_code: number;
}

/** The user address space of a task: [VM_MIN_ADDRESS, VM_MAX_ADDRESS), VM_MAX_ADDRESS = KERNELBASE. */
const VM_MIN_ADDRESS = 0;

export function task_create(k: BootedKernel, tasks: Task[], name: string): Task {
    const pdpnum = k.params.pae ? 4 : 1;
    const pages = pdpnum + (k.params.pae ? 1 : 0);
    const kva = kobj_alloc(k, "task");
    const r = kmem_alloc_wired(
        k,
        k.kernel_map,
        pages * 4096,
        `pmap_create page directory (${name})`,
    );
    if (r.kr) panic("pmap_create");
    const pas: number[] = [];
    for (let i = 0; i < pages; i++) pas.push(pmap_extract(k.kernel_pmap, r.addr + i * 4096));
    const ptp_alloc = () => {
        // Page-table pages are privileged allocations (they may use the reserve).
        const i = vm_page_grab(k.vm_page);
        if (i < 0) vm_page_oom(k, k.vm, `pmap_enter (page table for ${name})`);
        return VM_PAGE_TO_PHYS(k.vm_page, i);
    };
    const pmap = pmap_create(k.kernel_pmap, pas, ptp_alloc, name);
    const task: Task = {
        id: tasks.length + 1,
        name,
        pmap,
        dir_kva: r.addr,
        map: null,
        space: ipc_space_create(name),
        names: new Map(),
        name_hint: 2,
        threads: [],
        kva,
        pmap_kva: kobj_alloc(k, "pmap"),
        map_kva: 0,
        space_kva: kobj_alloc(k, "ipc_space"),
        state: "alive",
        end: "",
        exit_code: 0,
    };
    if (k.vm_map_entry_source) {
        task.map_kva = kobj_alloc(k, "vm_map");
        task.map = vm_map_create(
            pmap,
            VM_MIN_ADDRESS,
            k.params.vm_min_kernel_address,
            true,
            k.vm_map_entry_source,
            k.user_map_hooks?.(task) ?? {},
            `${name} map`,
        );
        task.map.kva = task.map_kva;
    }
    task.names.set(1, { kind: "task", task });
    tasks.push(task);
    if (k.sched) sample_record(k, k.sched.samples, `task_create ${name}`);
    return task;
}

/**
 * task_terminate → vm_map_remove of the whole user space (the objects and
 * their pages go with their last reference), pmap_destroy (user page
 * tables back to the VM, the directory back to kernel_map), the IPC space
 * and the structs back to their caches. Threads are the caller's
 * (thread_terminate) and must be gone already.
 */
export function task_terminate(k: BootedKernel, task: Task): void {
    if (task.map) {
        vm_map_remove(task.map, task.map.min_offset, task.map.max_offset);
        kobj_free(k, "vm_map", task.map_kva);
        task.map = null;
    }
    for (const right of task.names.values())
        if (right.kind === "port") kobj_free(k, "ipc_port", right.kva);
    task.names.clear();
    ipc_space_destroy(k, task.space);
    kobj_free(k, "ipc_space", task.space_kva);
    pmap_destroy(task.pmap, (pa) => {
        const i = vm_page_lookup_phys(k.vm_page, pa);
        if (i >= 0) vm_page_release(k.vm_page, i);
    });
    const pages = (k.params.pae ? 4 : 1) + (k.params.pae ? 1 : 0);
    kmem_free(k, k.kernel_map, task.dir_kva, pages * 4096);
    kobj_free(k, "pmap", task.pmap_kva);
    kobj_free(k, "task", task.kva);
    task.kva = 0;
}
