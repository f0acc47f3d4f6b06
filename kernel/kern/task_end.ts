/*
 * kernel/kern/task_end.ts — how a user task ends: it exits, terminates, or
 * is killed by an exception it cannot handle (GNU Mach sends the exception
 * to the task's exception port; with no server listening, as for the boot
 * tasks here, the Hurd would see the task die). Its threads leave the run
 * queue, then task_terminate takes its memory, page tables, ports and
 * structs apart. mach86 prints one line per ended task.
 */
import type { BootedKernel } from "./kernel.ts";
import { sample_record } from "./kern_sample.ts";
import { thread_unrun, type Sched } from "./sched_prim.ts";
import { task_terminate, type Task } from "./task.ts";
import { thread_terminate } from "./thread.ts";
import { pmap_activate } from "../i386/pmap.ts";

export function task_end(k: BootedKernel, s: Sched, task: Task, how: string, code = 0): void {
    if (task.state !== "alive") return;
    for (const th of [...task.threads]) {
        thread_unrun(s, th);
        thread_terminate(k, th);
    }
    // Its page directory is about to go: run on the kernel's until the next dispatch.
    if (task.pmap.active) pmap_activate(k.kernel_pmap);
    task.state = how.startsWith("killed") ? "killed" : "exited";
    task.end = how;
    task.exit_code = code;
    k.printf(`mach86: task ${task.name} (${task.id}) ${how}\n`);
    task_terminate(k, task);
    s.ended.push(task);
    sample_record(k, s.samples, `task_end ${task.name}`);
}
