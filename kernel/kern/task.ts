/*
 * kernel/kern/task.ts — the kernel-VA cost of task creation in GNU Mach
 * 2014: task_create → vm_map_create → pmap_create, whose page directory is
 * kmem_alloc_wired(kernel_map, PDPNUM * PAGE_SIZE) (until 3ff86d79, 2016),
 * with the kernel PDEs copied in so kernel space is shared.
 *
 * Departure: no threads, no IPC space yet (user tasks run in a later piece
 * of work); the task's user map is created empty.
 */
import { panic } from "./debug.ts";
import type { Kernel } from "./kernel.ts";
import { pmap_create, pmap_destroy, pmap_extract, type Pmap } from "../i386/pmap.ts";
import { kmem_alloc_wired, kmem_free } from "../vm/vm_kern.ts";
import { vm_page_grab, vm_page_lookup_phys, vm_page_release } from "../vm/vm_page.ts";

export interface Task {
    id: number;
    name: string;
    pmap: Pmap;
    /** Kernel VA of the page directory. */
    dir_kva: number;
}

export function task_create(k: Kernel, tasks: Task[], name: string): Task {
    const pdpnum = k.params.pae ? 4 : 1;
    const pages = pdpnum + (k.params.pae ? 1 : 0);
    const r = kmem_alloc_wired(k, k.kernel_map!, pages * 4096, `pmap_create page directory (${name})`);
    if (r.kr) panic("pmap_create");
    const pas: number[] = [];
    for (let i = 0; i < pages; i++) pas.push(pmap_extract(k.kernel_pmap!, r.addr + i * 4096));
    const ptp_alloc = () => {
        const i = vm_page_grab(k.vm_page!);
        if (i < 0) panic("pmap_page_table_page_alloc");
        return k.vm_page!.phys[i]!;
    };
    const task = { id: tasks.length + 1, name, pmap: pmap_create(k.kernel_pmap!, pas, ptp_alloc, name), dir_kva: r.addr };
    tasks.push(task);
    return task;
}

/** task_terminate → pmap_destroy: user page tables back to the VM, the directory back to kernel_map. */
export function task_terminate(k: Kernel, task: Task): void {
    pmap_destroy(task.pmap, (pa) => {
        const i = vm_page_lookup_phys(k.vm_page!, pa);
        if (i >= 0) vm_page_release(k.vm_page!, i);
    });
    const pages = (k.params.pae ? 4 : 1) + (k.params.pae ? 1 : 0);
    kmem_free(k, k.kernel_map!, task.dir_kva, pages * 4096);
}
