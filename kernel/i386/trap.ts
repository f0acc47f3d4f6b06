/*
 * kernel/i386/trap.ts — models i386/i386/trap.c (user_trap) and the
 * context switch of GNU Mach's locore for user threads: the stub hands
 * every trap from ring 3 to the host with the address of the trap frame
 * (on the current thread's kernel stack); the kernel handles it —
 * system call, page fault (vm_fault), clock tick, or an exception that
 * kills the task — and answers with the frame to return from: the same
 * thread's, or another thread's after a switch (CR3 loaded with its
 * task's page directory, TSS.esp0 pointed at its kernel stack).
 */
import { assert, panic } from "../kern/debug.ts";
import type { BootedKernel } from "../kern/kernel.ts";
import { kern_return_name } from "../kern/kern_return.ts";
import { syscall } from "../kern/syscall_sw.ts";
import { thread_select, type Sched } from "../kern/sched_prim.ts";
import { task_end } from "../kern/task_end.ts";
import {
    FRAME,
    FRAME_WORDS,
    KERNEL_STACK_SIZE,
    thread_frame,
    type Thread,
} from "../kern/thread.ts";
import { pmap_activate, pmap_extract } from "./pmap.ts";
import { vm_fault } from "../vm/vm_fault.ts";
import { vm_pageout_scan, vm_pageout_should_run } from "../vm/vm_pageout.ts";
import { VM_PROT_READ, VM_PROT_WRITE } from "../vm/vm_prot.ts";
import { sample_record } from "../kern/kern_sample.ts";
import { hex32 } from "../../util/hex.ts";

const T_PAGE_FAULT = 14;
const T_SYSCALL = 0x80;
const T_CLOCK = 0x20;
/** Offset of esp0 in the i386 TSS. */
const TSS_ESP0 = 4;

const EXCEPTION_NAMES: Readonly<Record<number, string>> = {
    0: "divide error (#DE)",
    1: "debug (#DB)",
    3: "breakpoint (#BP)",
    4: "overflow (#OF)",
    5: "bound range (#BR)",
    6: "invalid opcode (#UD)",
    7: "device not available (#NM)",
    8: "double fault (#DF)",
    10: "invalid TSS (#TS)",
    11: "segment not present (#NP)",
    12: "stack fault (#SS)",
    13: "general protection (#GP)",
    16: "x87 floating point (#MF)",
    17: "alignment check (#AC)",
    19: "SIMD floating point (#XM)",
};

function frame_pa(k: BootedKernel, kva: number): number {
    const pa = pmap_extract(k.kernel_pmap, kva);
    if (pa === 0) panic(`trap: trap frame at ${hex32(kva)} is not mapped`);
    return pa;
}

/**
 * The trap frame's words, copied into one scratch array: a trap handles one
 * frame at a time, and not allocating per trap keeps typed-array creation
 * and garbage collection off the fault and system-call paths.
 */
const frame_words = new Uint32Array(FRAME_WORDS);

function frame_read(k: BootedKernel, kva: number): Uint32Array {
    const pa = frame_pa(k, kva);
    for (let i = 0; i < FRAME_WORDS; i++) frame_words[i] = k.mem.read32(pa + 4 * i);
    return frame_words;
}

/** Write back the one register a system call returns (EAX). */
function frame_write_eax(k: BootedKernel, kva: number, f: Uint32Array): void {
    k.mem.write32(frame_pa(k, kva) + 4 * FRAME.EAX, f[FRAME.EAX]!);
}

/** #PF from user mode: vm_fault, or the task is killed with the address, the access and the reason. */
function user_page_fault(k: BootedKernel, s: Sched, th: Thread, f: Uint32Array, cr2: number): void {
    const err = f[FRAME.ERR]!;
    const write = (err & 2) !== 0;
    const kr = vm_fault(k, th.task, cr2, write ? VM_PROT_READ | VM_PROT_WRITE : VM_PROT_READ);
    if (kr === 0) return;
    const what = `${write ? "write" : "read"}, ${err & 1 ? "protection violation" : "not present"}`;
    task_end(
        k,
        s,
        th.task,
        `killed: page fault at ${hex32(cr2)} (eip ${hex32(f[FRAME.EIP]!)}, ${what}): ${kern_return_name(kr)}`,
    );
}

/**
 * Give the CPU to a thread: its page directory, its kernel stack in the
 * TSS; the frame to iret from (0: none left). At a clock tick a woken
 * pageout daemon runs first: it is a thread of its own in Mach, so it gets
 * the CPU at a scheduling point, not between a fault and the faulting
 * thread's first touch of its new page.
 */
function thread_dispatch(k: BootedKernel, s: Sched, tick: boolean): number {
    if (tick && k.vm && vm_pageout_should_run(k, k.vm)) vm_pageout_scan(k, k.vm);
    const prev = s.current;
    const next = thread_select(s);
    s.current = next;
    if (next === null) {
        pmap_activate(k.kernel_pmap);
        return 0;
    }
    if (next !== prev || !next.task.pmap.active) {
        s.context_switches++;
        pmap_activate(next.task.pmap);
        k.mem.write32(frame_pa(k, s.tss_kva + TSS_ESP0), next.kstack + KERNEL_STACK_SIZE);
    }
    return thread_frame(next);
}

/** Whether the trap frame at `frame_kva` was pushed by a trap from ring 3 (CS RPL 3). */
export function frame_is_user(k: BootedKernel, frame_kva: number): boolean {
    if (pmap_extract(k.kernel_pmap, frame_kva) === 0) return false;
    return (k.mem.read32(frame_pa(k, frame_kva) + 4 * FRAME.CS) & 3) === 3;
}

/** HC_RUN: the stub enters user mode for the first time. `tss_kva` is the stub's TSS. */
export function user_start(k: BootedKernel, tss_kva: number): number {
    const s = k.sched;
    if (!s) return 0;
    s.tss_kva = tss_kva;
    sample_record(k, s.samples, "start");
    return thread_dispatch(k, s, false);
}

/** HC_TRAP from ring 3: handle the trap of the current thread; the frame to resume from (0: none left). */
export function user_trap(k: BootedKernel, frame_kva: number, cr2: number): number {
    const s = k.sched!;
    const th = s.current;
    assert(th !== null, "user_trap: no current thread");
    assert(
        frame_kva === thread_frame(th),
        () => `user_trap: frame ${hex32(frame_kva)} is not ${th.task.name}'s`,
    );
    const f = frame_read(k, frame_kva);
    const vector = f[FRAME.VECTOR]!;
    if (vector === T_SYSCALL) {
        if (syscall(k, s, th, f)) frame_write_eax(k, frame_kva, f);
    } else if (vector === T_PAGE_FAULT) {
        user_page_fault(k, s, th, f, cr2);
    } else if (vector === T_CLOCK) {
        k.ticks++;
        s.need_resched = true;
    } else if (vector > 0x20 && vector < 0x30) {
        // Other IRQs are masked in the PIC; a spurious one is ignored.
    } else {
        const name = EXCEPTION_NAMES[vector] ?? `exception ${vector}`;
        task_end(
            k,
            s,
            th.task,
            `killed: ${name} at eip ${hex32(f[FRAME.EIP]!)} (error code ${f[FRAME.ERR]})`,
        );
    }
    return thread_dispatch(k, s, vector === T_CLOCK);
}
