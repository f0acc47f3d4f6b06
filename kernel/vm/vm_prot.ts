/*
 * kernel/vm/vm_prot.ts — models include/mach/vm_prot.h and
 * include/mach/vm_inherit.h (GNU Mach, 2014, commit 8d03c760).
 *
 * Protection is a bit set; inheritance is a small code. VM_PROT_NO_CHANGE
 * (memory_object_lock_request only) is not used.
 */

export const VM_PROT_NONE = 0x00;
export const VM_PROT_READ = 0x01;
export const VM_PROT_WRITE = 0x02;
export const VM_PROT_EXECUTE = 0x04;
export const VM_PROT_DEFAULT = VM_PROT_READ | VM_PROT_WRITE;
export const VM_PROT_ALL = VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXECUTE;
/**
 * The entry may be written only after the task is told: vm_protect accepts
 * it beside VM_PROT_ALL, vm_map_protect lets it exceed max_protection, and a
 * write fault on such an entry without VM_PROT_WRITE is
 * KERN_WRITE_PROTECTION_FAILURE.
 */
export const VM_PROT_NOTIFY = 0x10;

export const VM_INHERIT_SHARE = 0;
export const VM_INHERIT_COPY = 1;
export const VM_INHERIT_NONE = 2;
export const VM_INHERIT_DEFAULT = VM_INHERIT_COPY;

/** "rw-" style, as pmap(1) prints it. */
export function vm_prot_string(prot: number): string {
    return (
        (prot & VM_PROT_READ ? "r" : "-") +
        (prot & VM_PROT_WRITE ? "w" : "-") +
        (prot & VM_PROT_EXECUTE ? "x" : "-")
    );
}
