/*
 * kernel/i386/vm_param.ts — page arithmetic, models i386/i386/vm_param.h and
 * the page macros of i386/include/mach/i386/vm_param.h and intel/pmap.h.
 *
 * A non-PAE i386 linear address:
 *
 *   31          22 21          12 11           0
 *   +-------------+--------------+-------------+
 *   |  PDE index  |  PTE index   |   offset    |
 *   +-------------+--------------+-------------+
 *
 * Under PAE the split is 2 | 9 | 9 | 12 (PDPTE, PDE, PTE, offset).
 * Every 32-bit quantity is a plain number normalized with `>>> 0`.
 */

export const PAGE_SIZE = 4096;
export const PAGE_MASK = PAGE_SIZE - 1;

export function trunc_page(x: number): number {
    return x - (x % PAGE_SIZE);
}
export function round_page(x: number): number {
    return trunc_page(x + PAGE_MASK);
}
export function page_aligned(x: number): boolean {
    return x % PAGE_SIZE === 0;
}
/** Address to page number. */
export function atop(x: number): number {
    return Math.floor(x / PAGE_SIZE);
}

export const MiB = 1024 * 1024;
export const KiB = 1024;
