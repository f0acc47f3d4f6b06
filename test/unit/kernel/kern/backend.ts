/*
 * test/unit/kernel/kern/backend.ts — an in-memory KmemBackend for the slab
 * tests: kernel VAs [base, base + ram) map linearly onto an ArrayPhysMem,
 * a first-fit page allocator hands out pages per map name (with optional
 * per-map byte limits to force failures), and a tick counter the test
 * advances. Fresh pages are filled with garbage (the allocator must not
 * expect zeroes); with `strict`, touching a page that is not allocated
 * throws (catches writes into freed slabs and wild pointers). `onFail`
 * models vm_kern's "slab_collect() and retry once" on a failed pagealloc.
 *
 * Also the small helpers the slab tests share.
 */
import { ArrayPhysMem } from "../../../../emulator/physmem.ts";
import { InvariantFailure, KernelPanic } from "../../../../kernel/kern/debug.ts";
import {
    KMEM_SLAB_ADDR,
    KMEM_SLAB_FIRST_FREE,
    KMEM_SLAB_NR_REFS,
    kmem_create,
    type Kmem,
    type KmemCache,
    type KmemSlab,
} from "../../../../kernel/kern/kmem.ts";
import type { KmemBackend } from "../../../../kernel/kern/kmem_backend.ts";

const PAGE = 4096;

export interface TestBackendOptions {
    /** Kernel VA of byte 0 of RAM (default 0xc0000000). */
    base?: number;
    /** Bytes of RAM, i.e. of allocatable VA (default 16 MiB). */
    ram?: number;
    /** Byte written over fresh pages, or null to leave RAM as it is (default 0x5a). */
    garbage?: number | null;
    /** Throw on any access to a page that is not allocated (default true). */
    strict?: boolean;
}

export class TestBackend implements KmemBackend {
    readonly base: number;
    readonly mem: ArrayPhysMem;
    readonly npages: number;
    readonly garbage: number | null;
    readonly strict: boolean;
    /** Per page: 0 = free, else 1 + index in `mapNames`. */
    private readonly owner: Uint8Array;
    private readonly mapNames: string[] = [];
    private hint = 0;
    /** Live allocations: VA → map and size. */
    readonly allocs = new Map<number, { map: string; size: number }>();
    private readonly bytes = new Map<string, number>();
    /** Maximum bytes per map; pagealloc returns 0 beyond it. */
    readonly limits = new Map<string, number>();
    now = 0;
    readonly console: string[] = [];
    pageallocCalls = 0;
    pagefreeCalls = 0;
    /** Called once when a pagealloc fails, before one retry (vm_kern's slab_collect retry). */
    onFail: (() => void) | null = null;

    constructor(opts: TestBackendOptions = {}) {
        this.base = opts.base ?? 0xc0000000;
        const ram = opts.ram ?? 16 << 20;
        this.mem = new ArrayPhysMem(ram);
        this.npages = Math.floor(ram / PAGE);
        this.owner = new Uint8Array(this.npages);
        this.garbage = opts.garbage === undefined ? 0x5a : opts.garbage;
        this.strict = opts.strict ?? true;
    }

    /** Bytes currently allocated from `map`. */
    allocated(map: string): number {
        return this.bytes.get(map) ?? 0;
    }

    /** Sets (or with undefined, clears) the byte limit of `map`. */
    setLimit(map: string, bytes: number | undefined): void {
        if (bytes === undefined) this.limits.delete(map);
        else this.limits.set(map, bytes);
    }

    advance(ticks: number): void {
        this.now += ticks;
    }

    isMapped(va: number): boolean {
        const page = Math.floor((va - this.base) / PAGE);
        return page >= 0 && page < this.npages && this.owner[page] !== 0;
    }

    private pa(va: number, len: number): number {
        const pa = va - this.base;
        if (pa < 0 || pa + len > this.npages * PAGE) {
            throw new Error(`TestBackend: access to ${va.toString(16)}+${len} outside RAM`);
        }
        if (this.strict) {
            for (
                let p = Math.floor(pa / PAGE);
                p <= Math.floor((pa + Math.max(len, 1) - 1) / PAGE);
                p++
            ) {
                if (this.owner[p] === 0) {
                    throw new Error(
                        `TestBackend: access to ${va.toString(16)}+${len}: page ${(this.base + p * PAGE).toString(16)} not allocated`,
                    );
                }
            }
        }
        return pa;
    }

    pagealloc(map: string, size: number): number {
        const va = this.tryPagealloc(map, size);
        if (va !== 0 || !this.onFail) return va;
        this.onFail();
        return this.tryPagealloc(map, size);
    }

    private tryPagealloc(map: string, size: number): number {
        this.pageallocCalls++;
        if (size <= 0 || size % PAGE !== 0)
            throw new Error(`TestBackend: pagealloc(${map}, ${size}) not a page multiple`);
        const limit = this.limits.get(map);
        if (limit !== undefined && this.allocated(map) + size > limit) return 0;
        const n = size / PAGE;
        let run = 0;
        let start = -1;
        for (let p = this.hint; p < this.npages; p++) {
            if (this.owner[p] !== 0) {
                run = 0;
                continue;
            }
            if (run++ === 0) start = p;
            if (run === n) break;
        }
        if (run < n) return 0;
        let id = this.mapNames.indexOf(map);
        if (id < 0) id = this.mapNames.push(map) - 1;
        this.owner.fill(id + 1, start, start + n);
        if (start === this.hint) this.hint = start + n;
        const va = this.base + start * PAGE;
        this.allocs.set(va, { map, size });
        this.bytes.set(map, this.allocated(map) + size);
        if (this.garbage !== null) this.mem.fill(start * PAGE, size, this.garbage);
        return va;
    }

    pagefree(map: string, va: number, size: number): void {
        this.pagefreeCalls++;
        const a = this.allocs.get(va);
        if (!a || a.map !== map || a.size !== size) {
            throw new Error(
                `TestBackend: pagefree(${map}, ${va.toString(16)}, ${size}) does not match an allocation`,
            );
        }
        this.allocs.delete(va);
        const start = (va - this.base) / PAGE;
        this.owner.fill(0, start, start + size / PAGE);
        if (start < this.hint) this.hint = start;
        this.bytes.set(map, this.allocated(map) - size);
        if (this.garbage !== null) this.mem.fill(start * PAGE, size, this.garbage ^ 0xff);
    }

    read8(va: number): number {
        return this.mem.read8(this.pa(va, 1));
    }
    write8(va: number, value: number): void {
        this.mem.write8(this.pa(va, 1), value);
    }
    read32(va: number): number {
        return this.mem.read32(this.pa(va, 4));
    }
    write32(va: number, value: number): void {
        this.mem.write32(this.pa(va, 4), value);
    }
    read(va: number, len: number): Uint8Array {
        return this.mem.read(this.pa(va, len), len);
    }
    write(va: number, bytes: Uint8Array): void {
        this.mem.write(this.pa(va, bytes.length), bytes);
    }
    fill(va: number, len: number, value: number): void {
        if (len > 0) this.mem.fill(this.pa(va, len), len, value);
    }
    ticks(): number {
        return this.now;
    }
    printf(s: string): void {
        this.console.push(s);
    }
}

/* ------------------------------------------------------------ helpers */

export function setup(opts: { verify?: boolean; cpu_pools?: boolean } & TestBackendOptions = {}): {
    be: TestBackend;
    kmem: Kmem;
} {
    const be = new TestBackend(opts);
    const kmem = kmem_create(be, {
        verify: opts.verify ?? false,
        cpu_pools: opts.cpu_pools ?? false,
    });
    return { be, kmem };
}

/** The panic message `fn` raises (fails the test if it returns or throws something else). */
export function panicOf(fn: () => unknown): string {
    try {
        fn();
    } catch (e) {
        if (e instanceof KernelPanic) return e.panicMessage;
        throw e;
    }
    throw new Error("expected a kernel panic");
}

/** What the failed assert() in `fn` says (fails the test if `fn` returns or throws something else). */
export function invariantOf(fn: () => unknown): string {
    try {
        fn();
    } catch (e) {
        if (e instanceof InvariantFailure) return e.what;
        throw e;
    }
    throw new Error("expected an invariant failure");
}

/** The buffers on a slab's free list, following bufctl pointers read from guest memory. */
export function guestFreeList(be: TestBackend, cache: KmemCache, slabVa: number): number[] {
    const out: number[] = [];
    for (let b = be.read32(slabVa + KMEM_SLAB_FIRST_FREE); b !== 0; b = be.read32(b)) {
        out.push(b - cache.bufctl_dist);
        if (out.length > cache.bufs_per_slab) throw new Error("free list loops");
    }
    return out;
}

/** struct kmem_slab's modelled words, from guest memory. */
export function guestSlab(
    be: TestBackend,
    slab: KmemSlab,
): { nr_refs: number; first_free: number; addr: number } {
    return {
        nr_refs: be.read32(slab.va + KMEM_SLAB_NR_REFS),
        first_free: be.read32(slab.va + KMEM_SLAB_FIRST_FREE),
        addr: be.read32(slab.va + KMEM_SLAB_ADDR),
    };
}

export const hex = (v: number): string => `0x${(v >>> 0).toString(16).padStart(8, "0")}`;

/** Seed from `env` (to replay) or the clock; printed so that a failure can be replayed. */
export function testSeed(env: string, what: string): number {
    const v = process.env[env];
    const n = v !== undefined ? Number(v) : NaN;
    const seed = Number.isInteger(n) ? n : Date.now() % 0x7fffffff;
    console.log(`${what}: seed ${seed} (replay with ${env}=${seed})`);
    return seed;
}
