/*
 * kernel/ipc/ipc_table.ts — models ipc/ipc_table.c and the table growth of
 * ipc/ipc_entry.c (GNU Mach 2012-07 .. 2015-03): the table size series of
 * ipc_table_fill, and ipc_entry_grow_table, which reallocates a space's
 * entry table in kmem_map with kmem_realloc once it is a page or more.
 *
 * This is the fakeroot port-leak mechanism: each growth needs a fresh
 * contiguous hole 32 KiB larger than the last, found while the old table is
 * still mapped.
 *
 * Departure: the "no more room for ipc_entry_grow_table in space %p" line
 * (printf_once, as in Mach) prints the table's address where Mach prints
 * the struct ipc_space's, which the model does not lay out.
 */
import {
    KERN_NO_SPACE,
    KERN_RESOURCE_SHORTAGE,
    KERN_SUCCESS,
    type KernReturn,
} from "../kern/kern_return.ts";
import { printf_once, type Kernel } from "../kern/kernel.ts";
import { kmem_alloc, kmem_free, kmem_realloc } from "../vm/vm_kern.ts";

import { printf_x } from "../../util/hex.ts";

/** sizeof(struct ipc_entry) on i386. */
const IPC_ENTRY_SIZE = 16;
const PAGE_SIZE = 4096;
const IPC_TABLE_ENTRIES_SIZE = 512;

/**
 * ipc_table_fill for entry tables: powers of two up to a page, then growth
 * by one page for a while, doubling the increment every 15 steps until it
 * reaches 32 KiB, where it stays; 512 slots, the last two equal.
 */
export function ipc_table_entries(): number[] {
    const sizes: number[] = [];
    for (
        let n = 4;
        n * IPC_ENTRY_SIZE < PAGE_SIZE && sizes.length < IPC_TABLE_ENTRIES_SIZE - 1;
        n *= 2
    )
        sizes.push(n);
    let incr = PAGE_SIZE;
    let bytes = PAGE_SIZE;
    while (sizes.length < IPC_TABLE_ENTRIES_SIZE - 1) {
        for (let i = 0; i < 15 && sizes.length < IPC_TABLE_ENTRIES_SIZE - 1; i++) {
            sizes.push(bytes / IPC_ENTRY_SIZE);
            bytes += incr;
        }
        if (incr < 8 * PAGE_SIZE) incr *= 2;
    }
    sizes.push(sizes[sizes.length - 1]!);
    return sizes;
}

export interface IpcSpace {
    name: string;
    /** Index into ipc_table_entries() of the current size. */
    its: number;
    /** Kernel VA of the table (0 before the first allocation). */
    table: number;
    size: number;
    /** Where a small table came from. */
    kalloced: boolean;
}

export interface IpcHooks {
    kalloc(size: number): number;
    kfree(va: number, size: number): void;
}

const SIZES = ipc_table_entries();

export function ipc_space_create(name: string): IpcSpace {
    return { name, its: 0, table: 0, size: 0, kalloced: false };
}

/** Allocate a table of `bytes`: kalloc below a page, kmem_alloc(kmem_map) from a page on. */
function ipc_table_alloc(
    k: Kernel,
    hooks: IpcHooks,
    bytes: number,
): { va: number; kalloced: boolean } {
    if (bytes < PAGE_SIZE) return { va: hooks.kalloc(bytes), kalloced: true };
    const r = kmem_alloc(k, k.kmem_map ?? k.kernel_map!, bytes, "ipc_table");
    return { va: r.kr === KERN_SUCCESS ? r.addr : 0, kalloced: false };
}

/** ipc_entry_grow_table: the next size of the series, reallocated in place when it can be. */
export function ipc_entry_grow_table(k: Kernel, hooks: IpcHooks, space: IpcSpace): KernReturn {
    if (space.table !== 0 && space.its + 1 >= SIZES.length - 1) {
        printf_once(
            k,
            "ipc/ipc_entry.c:580",
            `no more room for ipc_entry_grow_table in space ${printf_x(space.table)}\n`,
        );
        return KERN_NO_SPACE;
    }
    const next = space.table === 0 ? 0 : space.its + 1;
    const nbytes = SIZES[next]! * IPC_ENTRY_SIZE;
    const map = k.kmem_map ?? k.kernel_map!;
    let va: number;
    let kalloced = false;
    if (space.table !== 0 && !space.kalloced && space.size >= PAGE_SIZE) {
        const r = kmem_realloc(k, map, space.table, space.size, nbytes);
        if (r.kr !== KERN_SUCCESS) return KERN_RESOURCE_SHORTAGE;
        kmem_free(k, map, space.table, space.size);
        va = r.addr;
    } else {
        const r = ipc_table_alloc(k, hooks, nbytes);
        if (r.va === 0) return KERN_RESOURCE_SHORTAGE;
        if (space.table !== 0) {
            if (space.kalloced) hooks.kfree(space.table, space.size);
            else kmem_free(k, map, space.table, space.size);
        }
        va = r.va;
        kalloced = r.kalloced;
    }
    space.table = va;
    space.size = nbytes;
    space.its = next;
    space.kalloced = kalloced;
    return KERN_SUCCESS;
}

/** Entries the space's table holds now. */
export function ipc_space_capacity(space: IpcSpace): number {
    return space.table === 0 ? 0 : SIZES[space.its]!;
}

/** kalloc/kfree of the kernel's era (slab kalloc caches, or the kalloc zones). */
export function ipc_hooks(k: Kernel): IpcHooks {
    return {
        kalloc: (size) => k.allocator.kalloc(size),
        kfree: (va, size) => k.allocator.kfree(va, size),
    };
}

/** ipc_space_destroy's table part: the entry table goes back where it came from. */
export function ipc_space_destroy(k: Kernel, space: IpcSpace): void {
    if (space.table === 0) return;
    if (space.kalloced) ipc_hooks(k).kfree(space.table, space.size);
    else kmem_free(k, k.kmem_map ?? k.kernel_map!, space.table, space.size);
    space.table = 0;
    space.size = 0;
    space.its = 0;
}
