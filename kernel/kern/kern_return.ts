/*
 * kernel/kern/kern_return.ts — models include/mach/kern_return.h.
 *
 * Mach-visible failures are return codes, exactly where GNU Mach returns
 * them; `panic()` (kern/debug.ts) is for the places where Mach panics.
 */

export const KERN_SUCCESS = 0;
export const KERN_INVALID_ADDRESS = 1;
export const KERN_PROTECTION_FAILURE = 2;
export const KERN_NO_SPACE = 3;
export const KERN_INVALID_ARGUMENT = 4;
const KERN_FAILURE = 5;
export const KERN_RESOURCE_SHORTAGE = 6;
/** A write to a page marked VM_PROT_NOTIFY. */
export const KERN_WRITE_PROTECTION_FAILURE = 24;

export type KernReturn = number;

const NAMES: Record<number, string> = {
    [KERN_SUCCESS]: "KERN_SUCCESS",
    [KERN_INVALID_ADDRESS]: "KERN_INVALID_ADDRESS",
    [KERN_PROTECTION_FAILURE]: "KERN_PROTECTION_FAILURE",
    [KERN_NO_SPACE]: "KERN_NO_SPACE",
    [KERN_INVALID_ARGUMENT]: "KERN_INVALID_ARGUMENT",
    [KERN_FAILURE]: "KERN_FAILURE",
    [KERN_RESOURCE_SHORTAGE]: "KERN_RESOURCE_SHORTAGE",
    [KERN_WRITE_PROTECTION_FAILURE]: "KERN_WRITE_PROTECTION_FAILURE",
};

export function kern_return_name(kr: KernReturn): string {
    return NAMES[kr] ?? `kern_return ${kr}`;
}
