/*
 * test/unit/kernel/vm/helpers.ts — entry sources and a seeded generator for
 * the vm_map tests.
 */
import { panic } from "../../../../kernel/kern/debug.ts";
import type { VmMapEntrySource } from "../../../../kernel/vm/vm_map.ts";
import { prng } from "../../../prng.ts";

/** Entry size of the 2012+ struct vm_map_entry rounded to its slab buffer (64 B). */
const ENTRY_BUF = 64;

/**
 * A kentry-like source: hands out 64-byte slots from `base`, re-uses freed
 * ones, counts calls, and panics with Mach's kentry message once `limit`
 * slots are live.
 */
export class CountingSource implements VmMapEntrySource {
    readonly name: string;
    allocs = 0;
    frees = 0;
    readonly live = new Set<number>();
    private readonly freed: number[] = [];
    private next: number;
    private readonly limit: number;

    constructor(name = "test_kentry", limit = Infinity, base = 0xc0800000) {
        this.name = name;
        this.limit = limit;
        this.next = base;
    }

    alloc(): number {
        if (this.live.size >= this.limit) panic("vm_map: kentry memory exhausted");
        this.allocs++;
        let kva = this.freed.pop();
        if (kva === undefined) {
            kva = this.next;
            this.next += ENTRY_BUF;
        }
        this.live.add(kva);
        return kva;
    }

    free(kva: number): void {
        if (!this.live.delete(kva)) panic(`CountingSource.free: ${kva.toString(16)} not allocated`);
        this.frees++;
        this.freed.push(kva);
    }
}

/** A PRNG returning floats in [0, 1), from the shared seeded generator. */
export function rng(seed: number): () => number {
    const next = prng(seed);
    return () => next() / 4294967296;
}

/** Seed from `env` (to replay) or the clock; printed so a failure can be replayed. */
export function test_seed(env: string, what: string): number {
    const v = process.env[env];
    const n = v !== undefined ? Number(v) : NaN;
    const seed = Number.isInteger(n) ? n : Date.now() % 0x7fffffff;
    console.log(`${what}: seed ${seed} (replay with ${env}=${seed})`);
    return seed;
}
