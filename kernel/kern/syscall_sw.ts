/*
 * kernel/kern/syscall_sw.ts — the system calls of mach86's user tasks
 * (`int $0x80`; ABI and numbers in images/user/mach86.h), in the place of
 * kern/syscall_sw.c's trap table plus the MIG-served RPCs they stand for
 * (vm_allocate, task_create, mach_port_allocate, …). Arguments come from
 * the trap frame (EBX, ECX, EDX, ESI, EDI), the result goes back in EAX;
 * out-parameters are copied out to user memory. A bad number or argument
 * is KERN_INVALID_ARGUMENT, a bad pointer KERN_INVALID_ADDRESS — never a
 * host exception.
 *
 * The calls, by number: 0 mach_task_self, 1 console_write, 2 task_exit,
 * 3 vm_allocate, 4 vm_deallocate, 5 vm_protect, 6 task_create,
 * 7 task_terminate, 8 thread_create_running, 9 mach_port_allocate,
 * 10 mach_port_deallocate, 11 host_slab_info, 12 vm_statistics,
 * 13 thread_switch, 14 task_info.
 */
import type { BootedKernel } from "./kernel.ts";
import {
    KERN_INVALID_ADDRESS,
    KERN_INVALID_ARGUMENT,
    KERN_RESOURCE_SHORTAGE,
    KERN_SUCCESS,
    type KernReturn,
} from "./kern_return.ts";
import { kobj_alloc, kobj_free } from "./kobj.ts";
import { slab_info_data } from "./kmem.ts";
import { zone_info } from "./zalloc.ts";
import { thread_setrun, type Sched } from "./sched_prim.ts";
import { task_create, type PortRight, type Task } from "./task.ts";
import { FRAME, thread_create, type Thread } from "./thread.ts";
import { task_end } from "./task_end.ts";
import { copyin, copyin32, copyout, copyout32 } from "../i386/copyinout.ts";
import { ipc_entry_grow_table, ipc_hooks, ipc_space_capacity } from "../ipc/ipc_table.ts";
import { vm_map_fork } from "../vm/vm_map.ts";
import { vm_allocate, vm_deallocate, vm_protect } from "../vm/vm_user.ts";

export const SYS = {
    mach_task_self: 0,
    console_write: 1,
    task_exit: 2,
    vm_allocate: 3,
    vm_deallocate: 4,
    vm_protect: 5,
    task_create: 6,
    task_terminate: 7,
    thread_create_running: 8,
    mach_port_allocate: 9,
    mach_port_deallocate: 10,
    host_slab_info: 11,
    vm_statistics: 12,
    thread_switch: 13,
    task_info: 14,
} as const;

/** task_info flavors (mach/task_info.h). */
export const TASK_BASIC_INFO = 1;

const MACH_PORT_RIGHT_RECEIVE = 1;
const CONSOLE_WRITE_MAX = 64 * 1024;
const SLAB_INFO_RECORD = 64;

interface Call {
    k: BootedKernel;
    s: Sched;
    th: Thread;
    task: Task;
    a: number;
    b: number;
    c: number;
    d: number;
    e: number;
}

/** The task a port name designates in the caller's space (alive), or null. */
function task_of(call: Call, name: number): Task | null {
    const r = call.task.names.get(name);
    return r?.kind === "task" && r.task.state === "alive" ? r.task : null;
}

/** A new name in `task`'s space, growing its entry table as ipc_entry_alloc does; a KernReturn on failure. */
function ipc_name_alloc(
    k: BootedKernel,
    task: Task,
    right: PortRight,
): { kr: KernReturn; name: number } {
    if (task.names.size >= ipc_space_capacity(task.space)) {
        const kr = ipc_entry_grow_table(k, ipc_hooks(k), task.space);
        if (kr !== KERN_SUCCESS) return { kr, name: 0 };
    }
    let name = task.name_hint;
    while (task.names.has(name)) name++;
    task.names.set(name, right);
    task.name_hint = name + 1;
    return { kr: KERN_SUCCESS, name };
}

function sys_console_write(c: Call): KernReturn {
    if (c.b > CONSOLE_WRITE_MAX) return KERN_INVALID_ARGUMENT;
    const bytes = copyin(c.k, c.task, c.a, c.b);
    if (bytes === null) return KERN_INVALID_ADDRESS;
    c.k.printf(new TextDecoder("latin1").decode(bytes));
    return KERN_SUCCESS;
}

function sys_vm_allocate(c: Call): KernReturn {
    const target = task_of(c, c.a);
    if (!target) return KERN_INVALID_ARGUMENT;
    const addr = copyin32(c.k, c.task, c.b);
    if (addr === null) return KERN_INVALID_ADDRESS;
    const r = vm_allocate(target, addr, c.c, c.d !== 0);
    if (r.kr === KERN_SUCCESS && !copyout32(c.k, c.task, c.b, r.addr)) return KERN_INVALID_ADDRESS;
    return r.kr;
}

function sys_task_create(c: Call): KernReturn {
    const parent = task_of(c, c.a);
    if (!parent || !parent.map) return KERN_INVALID_ARGUMENT;
    const child = task_create(c.k, c.s.tasks, `${parent.name}.${c.s.tasks.length + 1}`);
    if (c.b !== 0) vm_map_fork(parent.map, child.map!);
    const r = ipc_name_alloc(c.k, c.task, { kind: "task", task: child });
    if (r.kr !== KERN_SUCCESS || !copyout32(c.k, c.task, c.c, r.name)) {
        task_end(c.k, c.s, child, "killed: its creator could not receive its name");
        return r.kr || KERN_INVALID_ADDRESS;
    }
    return KERN_SUCCESS;
}

function sys_task_terminate(c: Call): KernReturn {
    const target = task_of(c, c.a);
    if (!target) return KERN_INVALID_ARGUMENT;
    task_end(
        c.k,
        c.s,
        target,
        target === c.task ? "terminated itself" : `terminated by ${c.task.name}`,
    );
    return KERN_SUCCESS;
}

function sys_thread_create_running(c: Call): KernReturn {
    const target = task_of(c, c.a);
    if (!target) return KERN_INVALID_ARGUMENT;
    const th = thread_create(c.k, target, c.b, c.c, c.d, c.s.next_thread_id++);
    thread_setrun(c.s, th);
    return KERN_SUCCESS;
}

function sys_mach_port_allocate(c: Call): KernReturn {
    const target = task_of(c, c.a);
    if (!target || c.b !== MACH_PORT_RIGHT_RECEIVE) return KERN_INVALID_ARGUMENT;
    const kva = kobj_alloc(c.k, "ipc_port");
    if (kva === 0) return KERN_RESOURCE_SHORTAGE;
    const r = ipc_name_alloc(c.k, target, { kind: "port", kva });
    if (r.kr !== KERN_SUCCESS) {
        kobj_free(c.k, "ipc_port", kva);
        return r.kr;
    }
    return copyout32(c.k, c.task, c.c, r.name) ? KERN_SUCCESS : KERN_INVALID_ADDRESS;
}

function sys_mach_port_deallocate(c: Call): KernReturn {
    const target = task_of(c, c.a);
    const right = target?.names.get(c.b);
    if (!target || !right || c.b === 1) return KERN_INVALID_ARGUMENT;
    if (right.kind === "port") kobj_free(c.k, "ipc_port", right.kva);
    target.names.delete(c.b);
    if (c.b < target.name_hint) target.name_hint = c.b;
    return KERN_SUCCESS;
}

/** host_slab_info: one 64-byte record per cache (zone era: per zone), as many as fit. */
function sys_host_slab_info(c: Call): KernReturn {
    const k = c.k;
    const rows = k.kmem
        ? slab_info_data(k.kmem).map(
              (x) =>
                  [
                      x.name,
                      x.flags,
                      x.obj_size,
                      x.slab_size,
                      x.bufs_per_slab,
                      x.nr_objs,
                      x.nr_bufs,
                      x.nr_slabs * x.slab_size,
                      x.nr_free_slabs * x.slab_size,
                  ] as const,
          )
        : zone_info(k.zone!).map(
              (z) =>
                  [
                      z.name,
                      0,
                      z.elem_size,
                      z.alloc_size,
                      Math.floor(z.alloc_size / z.elem_size),
                      z.count,
                      Math.floor(z.cur_size / z.elem_size),
                      z.cur_size,
                      0,
                  ] as const,
          );
    const n = Math.min(rows.length, c.b);
    const out = new Uint8Array(n * SLAB_INFO_RECORD);
    const dv = new DataView(out.buffer);
    rows.slice(0, n).forEach((row, i) => {
        const at = i * SLAB_INFO_RECORD;
        out.set(new TextEncoder().encode(row[0].slice(0, 31)), at);
        for (let w = 1; w < row.length; w++)
            dv.setUint32(at + 32 + 4 * (w - 1), Number(row[w]) >>> 0, true);
    });
    if (!copyout(k, c.task, c.a, out) || !copyout32(k, c.task, c.c, n)) return KERN_INVALID_ADDRESS;
    return KERN_SUCCESS;
}

function sys_vm_statistics(c: Call): KernReturn {
    const t = c.k.vm_page;
    const vm = c.k.vm!;
    const w = [
        4096,
        t.vm_page_free_count,
        t.vm_page_active_count,
        t.vm_page_inactive_count,
        t.vm_page_wire_count,
        t.stats.zero_fill_count,
        t.stats.faults,
        t.stats.cow_faults,
        t.stats.pageins,
        t.stats.pageouts,
        t.stats.reactivations,
        vm.pager.nslots,
        vm.pager.nslots - vm.pager.used,
        vm.thresholds.vm_page_free_reserved,
    ];
    const out = new Uint8Array(w.length * 4);
    w.forEach((v, i) => new DataView(out.buffer).setUint32(4 * i, v >>> 0, true));
    return copyout(c.k, c.task, c.a, out) ? KERN_SUCCESS : KERN_INVALID_ADDRESS;
}

/**
 * task_info(task, flavor, out), kern/task.c's task_info for TASK_BASIC_INFO:
 * three words, suspend_count (task->user_stop_count: always 0, the model
 * has no task_suspend), virtual_size (map->size, the sum of the map's
 * entries in bytes) and resident_size (pmap_resident_count × PAGE_SIZE:
 * the user PTEs the pmap has entered, shared copy-on-write pages
 * included). Mach's struct goes on with base_priority and the times; this
 * one stops at the sizes. A task that ended, or any other flavor, is
 * KERN_INVALID_ARGUMENT.
 */
function sys_task_info(c: Call): KernReturn {
    const target = task_of(c, c.a);
    if (!target?.map || c.b !== TASK_BASIC_INFO) return KERN_INVALID_ARGUMENT;
    const w = [0, target.map.size, target.pmap.resident_count * 4096];
    const out = new Uint8Array(w.length * 4);
    w.forEach((v, i) => new DataView(out.buffer).setUint32(4 * i, v >>> 0, true));
    return copyout(c.k, c.task, c.c, out) ? KERN_SUCCESS : KERN_INVALID_ADDRESS;
}

type Handler = (c: Call) => KernReturn | null;

const TABLE: Readonly<Record<number, Handler>> = {
    [SYS.mach_task_self]: () => 1,
    [SYS.console_write]: sys_console_write,
    [SYS.task_exit]: (c) => {
        task_end(c.k, c.s, c.task, `exited with code ${c.a | 0}`, c.a | 0);
        return null;
    },
    [SYS.vm_allocate]: sys_vm_allocate,
    [SYS.vm_deallocate]: (c) => {
        const t = task_of(c, c.a);
        return t ? vm_deallocate(t, c.b, c.c) : KERN_INVALID_ARGUMENT;
    },
    [SYS.vm_protect]: (c) => {
        const t = task_of(c, c.a);
        return t ? vm_protect(t, c.b, c.c, c.d !== 0, c.e) : KERN_INVALID_ARGUMENT;
    },
    [SYS.task_create]: sys_task_create,
    [SYS.task_terminate]: sys_task_terminate,
    [SYS.thread_create_running]: sys_thread_create_running,
    [SYS.mach_port_allocate]: sys_mach_port_allocate,
    [SYS.mach_port_deallocate]: sys_mach_port_deallocate,
    [SYS.host_slab_info]: sys_host_slab_info,
    [SYS.vm_statistics]: sys_vm_statistics,
    [SYS.thread_switch]: (c) => {
        c.s.need_resched = true;
        return KERN_SUCCESS;
    },
    [SYS.task_info]: sys_task_info,
};

/**
 * One system call of the current thread, whose trap frame is `f`. Returns
 * true when EAX in `f` was set (the frame must be written back); false
 * when the calling thread is gone.
 */
export function syscall(k: BootedKernel, s: Sched, th: Thread, f: Uint32Array): boolean {
    s.syscalls++;
    const handler = TABLE[f[FRAME.EAX]!];
    const call: Call = {
        k,
        s,
        th,
        task: th.task,
        a: f[FRAME.EBX]!,
        b: f[FRAME.ECX]!,
        c: f[FRAME.EDX]!,
        d: f[FRAME.ESI]!,
        e: f[FRAME.EDI]!,
    };
    const r = handler ? handler(call) : KERN_INVALID_ARGUMENT;
    if (th.state !== "run" || r === null) return false;
    f[FRAME.EAX] = r >>> 0;
    return true;
}
