/*
 * test/unit/kernel/i386/pmap_helpers.ts — fixtures for the pmap tests: a fake
 * Mmu that counts flushes, a page pool, a kernel pmap built on small RAM,
 * and the paging mode the CPU would use for a pmap.
 */
import { expect } from "vitest";
import type { Mmu, PhysMem } from "../../../../emulator/types.ts";
import { CR0_PG, page_walk, type Walk } from "../../../../emulator/pagewalk.ts";
import { KernelPanic } from "../../../../kernel/kern/debug.ts";
import {
    pmap_bootstrap,
    pmap_cr3,
    pmap_cr4_bits,
    type Pmap,
    type PmapBootstrapArgs,
} from "../../../../kernel/i386/pmap.ts";

export const MiB = 0x100000;
export const PAGE = 0x1000;
export const TWO32 = 0x100000000;

export const VM_PROT_READ = 1;
export const VM_PROT_WRITE = 2;
export const VM_PROT_EXECUTE = 4;
export const VM_PROT_RW = VM_PROT_READ | VM_PROT_WRITE;

/** An Mmu that records what pmap asked of the CPU. */
export class FakeMmu implements Mmu {
    flushes = 0;
    cr3s: number[] = [];
    set_cr3(pa: number): void {
        this.cr3s.push(pa);
    }
    flush_tlb(): void {
        this.flushes++;
    }
}

/**
 * Physical pages handed out from [start, limit), with a free list. The first
 * 4 MiB are filled with junk so that a missing zeroing shows (not more:
 * first-touching RAM is slow in some sandboxes).
 */
export class PagePool {
    readonly mem: PhysMem;
    next: number;
    readonly limit: number;
    readonly free: number[] = [];
    grabbed = 0;
    constructor(mem: PhysMem, start: number, limit: number, junk = true) {
        this.mem = mem;
        this.next = start;
        this.limit = limit;
        if (junk) mem.fill(start, Math.min(limit, start + 4 * MiB) - start, 0xa5);
    }
    grab(): number {
        this.grabbed++;
        const reused = this.free.pop();
        if (reused !== undefined) return reused;
        if (this.next + PAGE > this.limit) throw new Error("PagePool: out of pages");
        const pa = this.next;
        this.next += PAGE;
        return pa;
    }
    release(pa: number): void {
        this.free.push(pa);
    }
}

/** The CPU's paging mode with `p` loaded. */
export function mode_of(p: Pmap) {
    return { cr0: CR0_PG | 1, cr3: pmap_cr3(p), cr4: pmap_cr4_bits(p) };
}

export function walk(p: Pmap, va: number): Walk {
    return page_walk(p.mem, mode_of(p), va);
}

export interface KernelSetup {
    mem: PhysMem;
    mmu: FakeMmu;
    kernel: Pmap;
    pool: PagePool;
    args: PmapBootstrapArgs;
}

/**
 * A kernel pmap on `ram` bytes of RAM (all direct-mapped), text at
 * [1 MiB, text_end), bootstrap pages from 2 MiB up, reserve `reserve` bytes.
 */
export function boot_kernel(
    mem: PhysMem,
    opts: {
        pae: boolean;
        kernelbase: number;
        reserve: number;
        text_end?: number;
        pool_start?: number;
        mach_kdb?: boolean;
        pge?: boolean;
    },
): KernelSetup {
    const mmu = new FakeMmu();
    const pool = new PagePool(mem, opts.pool_start ?? 2 * MiB, mem.size);
    const phys_last_addr = mem.size - (mem.size % PAGE);
    const args: PmapBootstrapArgs = {
        mem,
        mmu,
        pae: opts.pae,
        vm_min_kernel_address: opts.kernelbase,
        phys_first_addr: 0,
        phys_last_addr,
        kernel_virtual_end: opts.kernelbase + phys_last_addr + opts.reserve,
        text_start: 0x100000,
        text_end: opts.text_end ?? 0x123456,
        grab_page: () => pool.grab(),
    };
    if (opts.mach_kdb !== undefined) args.mach_kdb = opts.mach_kdb;
    if (opts.pge !== undefined) args.pge = opts.pge;
    const kernel = pmap_bootstrap(args);
    return { mem, mmu, kernel, pool, args };
}

/** Run `f`, expect a KernelPanic with exactly `message`. */
export function expect_panic(f: () => void, message: string): void {
    let caught: unknown = null;
    try {
        f();
    } catch (e) {
        caught = e;
    }
    expect(caught).toBeInstanceOf(KernelPanic);
    expect((caught as KernelPanic).panicMessage).toBe(message);
}

export { prng } from "../../../prng.ts";
