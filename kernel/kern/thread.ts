/*
 * kernel/kern/thread.ts — models the parts of kern/thread.c and
 * i386/i386/pcb.c (GNU Mach 2014) a user thread needs: struct thread from
 * thread_cache and its struct pcb from pcb_cache, a kernel stack from stack_alloc — kmem_alloc_aligned(kmem_map,
 * KERNEL_STACK_SIZE) since 43d2ad0d (2012-07), panic("stack_alloc") when it
 * fails — and the user register state.
 *
 * The register state lives where the CPU puts it: the trap frame at the top
 * of the thread's kernel stack, in guest RAM. The TSS's esp0 points at the
 * running thread's stack top, so a trap from user mode saves the registers
 * there (CPU frame, then the stub's vector, error code and pushal), and
 * resuming a thread is an iret from that frame. thread_create builds the
 * first frame by hand, as Mach's pcb_init + thread_set_state do.
 *
 * Departures: no stack cache (stack_free returns the stack to kmem_map at
 * once, so stack_collect has nothing to do), no kernel-mode threads, no
 * suspend counts (thread_create_running starts the thread).
 */
import { panic } from "./debug.ts";
import type { BootedKernel } from "./kernel.ts";
import { kobj_alloc, kobj_free } from "./kobj.ts";
import type { Task } from "./task.ts";
import { kmem_alloc_aligned, kmem_free } from "../vm/vm_kern.ts";
import { kernel_write } from "../vm/vm_resident.ts";

export const KERNEL_STACK_SIZE = 4096;

/** The trap frame (images/mach86-kernel/README.md): pushal, vector, error, then the CPU's iret frame. */
export const FRAME = {
    EDI: 0,
    ESI: 1,
    EBP: 2,
    ESP_K: 3,
    EBX: 4,
    EDX: 5,
    ECX: 6,
    EAX: 7,
    VECTOR: 8,
    ERR: 9,
    EIP: 10,
    CS: 11,
    EFLAGS: 12,
    ESP: 13,
    SS: 14,
} as const;
export const FRAME_WORDS = 15;
const FRAME_SIZE = FRAME_WORDS * 4;

/** Ring-3 selectors of the stub's GDT, and the EFLAGS of a new thread (IF, reserved bit 1). */
export const USER_CS = 0x1b;
export const USER_DS = 0x23;
const USER_EFLAGS = 0x202;

export interface Thread {
    id: number;
    task: Task;
    /** Kernel VA of the kernel stack (KERNEL_STACK_SIZE bytes), of struct thread and of its struct pcb. */
    kstack: number;
    kva: number;
    pcb_kva: number;
    state: "run" | "dead";
}

/** Where the thread's user registers are while it is not running. */
export function thread_frame(th: Thread): number {
    return th.kstack + KERNEL_STACK_SIZE - FRAME_SIZE;
}

/** stack_alloc: one aligned page of kmem_map (kernel_map before 2012-07 or without kmem_map). */
function stack_alloc(k: BootedKernel, name: string): number {
    const map = k.kmem_map ?? k.kernel_map;
    const r = kmem_alloc_aligned(k, map, KERNEL_STACK_SIZE, `stack_alloc (${name})`);
    if (r.kr) panic("stack_alloc");
    return r.addr;
}

/** thread_create + thread_set_state(eip, esp, eax) : a runnable user thread of `task`. */
export function thread_create(
    k: BootedKernel,
    task: Task,
    eip: number,
    esp: number,
    eax: number,
    id: number,
): Thread {
    const kva = kobj_alloc(k, "thread");
    const pcb_kva = kobj_alloc(k, "pcb");
    const th: Thread = { id, task, kstack: stack_alloc(k, task.name), kva, pcb_kva, state: "run" };
    const f = new Uint32Array(FRAME_WORDS);
    f[FRAME.EAX] = eax >>> 0;
    f[FRAME.EIP] = eip >>> 0;
    f[FRAME.CS] = USER_CS;
    f[FRAME.EFLAGS] = USER_EFLAGS;
    f[FRAME.ESP] = esp >>> 0;
    f[FRAME.SS] = USER_DS;
    kernel_write(k, thread_frame(th), new Uint8Array(f.buffer));
    task.threads.push(th);
    return th;
}

/** thread_terminate: the stack back to kmem_map, the struct to thread_cache. */
export function thread_terminate(k: BootedKernel, th: Thread): void {
    if (th.state === "dead") return;
    th.state = "dead";
    kmem_free(k, k.kmem_map ?? k.kernel_map, th.kstack, KERNEL_STACK_SIZE);
    kobj_free(k, "pcb", th.pcb_kva);
    kobj_free(k, "thread", th.kva);
    const list = th.task.threads;
    list.splice(list.indexOf(th), 1);
}
