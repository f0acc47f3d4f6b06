/*
 * test/unit/kernel/kern/zbackend.ts — a small in-memory KmemBackend for the
 * zone allocator tests: named maps (zone_map, kalloc_map, zdata …) are VA
 * ranges with a first-fit page allocator each (so a map's size is its
 * limit), their pages are backed by pages of an ArrayPhysMem, and time is
 * a tick counter the test advances.
 *
 * New pages are filled with 0xa5 so that nothing can rely on zeroed memory.
 * Accessing an unmapped VA or freeing what was not allocated throws (a test
 * failure, not a kernel panic).
 */
import type { KmemBackend } from "../../../../kernel/kern/kmem_backend.ts";
import { ArrayPhysMem } from "../../../../emulator/physmem.ts";

const PG = 4096;

export interface ZMapSpec {
    base: number;
    size: number;
}

interface ZMap {
    base: number;
    pages: number;
    used: Uint8Array;
    /** No free page below this index. */
    low: number;
    inuse: number;
}

export interface ZCall {
    op: "alloc" | "free";
    map: string;
    va: number;
    size: number;
}

export class ZTestBackend implements KmemBackend {
    readonly mem: ArrayPhysMem;
    readonly maps = new Map<string, ZMap>();
    readonly calls: ZCall[] = [];
    readonly console: string[] = [];
    tick = 0;
    private readonly pt = new Map<number, number>();
    private readonly freePhys: number[] = [];

    constructor(maps: Record<string, ZMapSpec>, physBytes = 32 * 1024 * 1024) {
        this.mem = new ArrayPhysMem(physBytes);
        for (let p = physBytes / PG - 1; p >= 0; p--) this.freePhys.push(p);
        for (const [name, spec] of Object.entries(maps)) {
            if (spec.base % PG !== 0 || spec.size % PG !== 0)
                throw new Error(`map ${name}: not page aligned`);
            this.maps.set(name, {
                base: spec.base,
                pages: spec.size / PG,
                used: new Uint8Array(spec.size / PG),
                low: 0,
                inuse: 0,
            });
        }
    }

    private map(name: string): ZMap {
        const m = this.maps.get(name);
        if (m === undefined) throw new Error(`test backend: no map ${name}`);
        return m;
    }

    /** Pages in use in a map. */
    inuse(name: string): number {
        return this.map(name).inuse;
    }

    pagealloc(name: string, size: number): number {
        if (size <= 0 || size % PG !== 0)
            throw new Error(`pagealloc(${name}, ${size}): not a page multiple`);
        const m = this.map(name);
        const n = size / PG;
        let run = 0;
        for (let i = m.low; i < m.pages; i++) {
            run = m.used[i] ? 0 : run + 1;
            if (run === n) {
                const first = i - n + 1;
                for (let j = first; j <= i; j++) {
                    const pfn = this.freePhys.pop();
                    if (pfn === undefined) throw new Error("test backend: out of physical memory");
                    m.used[j] = 1;
                    this.pt.set(m.base / PG + j, pfn);
                    this.mem.fill(pfn * PG, PG, 0xa5);
                }
                m.inuse += n;
                if (first === m.low) {
                    while (m.low < m.pages && m.used[m.low]) m.low++;
                }
                const va = m.base + first * PG;
                this.calls.push({ op: "alloc", map: name, va, size });
                return va;
            }
        }
        return 0;
    }

    pagefree(name: string, va: number, size: number): void {
        const m = this.map(name);
        if (va % PG !== 0 || size % PG !== 0)
            throw new Error(`pagefree(${name}, 0x${va.toString(16)}, ${size}): not page aligned`);
        const first = (va - m.base) / PG;
        const n = size / PG;
        if (first < 0 || first + n > m.pages)
            throw new Error(`pagefree(${name}, 0x${va.toString(16)}): outside the map`);
        for (let j = first; j < first + n; j++) {
            if (!m.used[j])
                throw new Error(
                    `pagefree(${name}, 0x${(m.base + j * PG).toString(16)}): page not allocated`,
                );
            m.used[j] = 0;
            const vpn = m.base / PG + j;
            this.freePhys.push(this.pt.get(vpn)!);
            this.pt.delete(vpn);
        }
        m.inuse -= n;
        m.low = Math.min(m.low, first);
        this.calls.push({ op: "free", map: name, va, size });
    }

    private pa(va: number): number {
        const pfn = this.pt.get(Math.floor(va / PG));
        if (pfn === undefined)
            throw new Error(`test backend: access to unmapped VA 0x${(va >>> 0).toString(16)}`);
        return pfn * PG + (va % PG);
    }

    read8(va: number): number {
        return this.mem.read8(this.pa(va));
    }
    write8(va: number, value: number): void {
        this.mem.write8(this.pa(va), value & 0xff);
    }
    read32(va: number): number {
        if (va % PG <= PG - 4) return this.mem.read32(this.pa(va));
        let v = 0;
        for (let i = 3; i >= 0; i--) v = (v << 8) | this.read8(va + i);
        return v >>> 0;
    }
    write32(va: number, value: number): void {
        if (va % PG <= PG - 4) {
            this.mem.write32(this.pa(va), value >>> 0);
            return;
        }
        for (let i = 0; i < 4; i++) this.write8(va + i, (value >>> (8 * i)) & 0xff);
    }
    read(va: number, len: number): Uint8Array {
        const out = new Uint8Array(len);
        for (let i = 0; i < len; i++) out[i] = this.read8(va + i);
        return out;
    }
    write(va: number, bytes: Uint8Array): void {
        for (let i = 0; i < bytes.length; i++) this.write8(va + i, bytes[i]!);
    }
    fill(va: number, len: number, value: number): void {
        for (let i = 0; i < len; i++) this.write8(va + i, value);
    }
    ticks(): number {
        return this.tick;
    }
    printf(s: string): void {
        this.console.push(s);
    }
}

export const ZONE_MAP_BASE = 0xc4000000;
export const KALLOC_MAP_BASE = 0xc8000000;
export const ZDATA_BASE = 0xc1000000;

/** The usual maps: zone_map of `zoneMapSize` bytes, a 64 MiB kalloc_map, a 1 MiB zdata area. */
export function zbackend(
    zoneMapSize: number,
    opts: { kallocMapSize?: number; physBytes?: number } = {},
): ZTestBackend {
    return new ZTestBackend(
        {
            zone_map: { base: ZONE_MAP_BASE, size: zoneMapSize },
            kalloc_map: { base: KALLOC_MAP_BASE, size: opts.kallocMapSize ?? 64 * 1024 * 1024 },
            zdata: { base: ZDATA_BASE, size: 1024 * 1024 },
        },
        opts.physBytes,
    );
}
