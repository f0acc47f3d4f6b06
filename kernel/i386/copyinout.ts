/*
 * kernel/i386/copyinout.ts — copyin / copyout (i386/i386/locore.S in GNU
 * Mach): the kernel reading and writing a user task's memory.
 *
 * Mach runs these with the user's page tables loaded and lets a page fault
 * go through vm_fault (or to the recovery address: KERN_INVALID_ADDRESS).
 * The host kernel cannot take a fault, so it does what the CPU would: walk
 * the task's page tables in guest RAM, and call vm_fault where the CPU
 * would have faulted (not present, or a write to a read-only PTE). A
 * kernel write does not set the PTE's dirty bit, so copyout marks the page
 * dirty itself.
 */
import type { BootedKernel } from "../kern/kernel.ts";
import type { Task } from "../kern/task.ts";
import { INTEL_PTE_VALID, INTEL_PTE_WRITE, pmap_entry_read, pmap_pte, pte_to_pa } from "./pmap.ts";
import { vm_fault } from "../vm/vm_fault.ts";
import { PG_DIRTY, PG_REFERENCE, vm_page_flags, vm_page_lookup_phys } from "../vm/vm_page.ts";
import { VM_PROT_READ, VM_PROT_WRITE } from "../vm/vm_prot.ts";

/** The physical address of user `va` for this access, faulting it in as needed; −1 = bad address. */
function user_pa(k: BootedKernel, task: Task, va: number, write: boolean): number {
    if (!task.map || va >= task.map.max_offset || va < task.map.min_offset) return -1;
    for (let attempt = 0; attempt < 2; attempt++) {
        const pte = pmap_pte(task.pmap, va);
        const e = pte === null ? 0 : pmap_entry_read(task.pmap.mem, task.pmap.pae, pte);
        if (e & INTEL_PTE_VALID && (!write || e & INTEL_PTE_WRITE)) {
            const pa = pte_to_pa(e, task.pmap.pae) + (va & 0xfff);
            const i = vm_page_lookup_phys(k.vm_page, pa);
            if (i >= 0) vm_page_flags(k.vm_page, i, write ? PG_DIRTY | PG_REFERENCE : PG_REFERENCE);
            return pa;
        }
        if (
            attempt === 0 &&
            vm_fault(k, task, va, write ? VM_PROT_READ | VM_PROT_WRITE : VM_PROT_READ) !== 0
        )
            return -1;
    }
    return -1;
}

/** copyin: `len` bytes of user memory, or null (KERN_INVALID_ADDRESS). */
export function copyin(k: BootedKernel, task: Task, va: number, len: number): Uint8Array | null {
    const out = new Uint8Array(len);
    let done = 0;
    while (done < len) {
        const at = (va + done) >>> 0;
        const n = Math.min(len - done, 4096 - (at & 0xfff));
        const pa = user_pa(k, task, at, false);
        if (pa < 0) return null;
        out.set(k.mem.read(pa, n), done);
        done += n;
    }
    return out;
}

/** copyout: write `bytes` to user memory; false = bad address. */
export function copyout(k: BootedKernel, task: Task, va: number, bytes: Uint8Array): boolean {
    let done = 0;
    while (done < bytes.length) {
        const at = (va + done) >>> 0;
        const n = Math.min(bytes.length - done, 4096 - (at & 0xfff));
        const pa = user_pa(k, task, at, true);
        if (pa < 0) return false;
        k.mem.write(pa, bytes.subarray(done, done + n));
        done += n;
    }
    return true;
}

/** A 32-bit word in, or null. */
export function copyin32(k: BootedKernel, task: Task, va: number): number | null {
    const b = copyin(k, task, va, 4);
    return b === null ? null : new DataView(b.buffer).getUint32(0, true);
}

export function copyout32(k: BootedKernel, task: Task, va: number, value: number): boolean {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, value >>> 0, true);
    return copyout(k, task, va, b);
}
