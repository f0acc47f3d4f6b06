/*
 * kernel/kern/kmem_kernel.ts — the KmemBackend of a booted kernel: slab and
 * zone pages are kmem_alloc_wired from the named submap (kmem_map,
 * zone_map, kalloc_map, or kernel_map when the era has no such submap), and
 * every byte the allocators touch is read and written in guest RAM through
 * the kernel pmap.
 *
 * Translations go through a small software TLB (direct-mapped, by VA page)
 * in front of pmap_extract, flushed whenever the pmap layer flushes
 * (PmapGlobals.tlb_flushes moves): a kernel mapping only changes or goes
 * away through pmap_update_tlbs, and unmapped addresses are never cached.
 * The allocators' free lists live in guest RAM, so this is their fast path.
 */
import type { KmemBackend } from "./kmem_backend.ts";
import { panic } from "./debug.ts";
import type { Kernel } from "./kernel.ts";
import { pmap_extract } from "../i386/pmap.ts";
import type { VmMap } from "../vm/vm_map.ts";
import { kmem_alloc_wired, kmem_free } from "../vm/vm_kern.ts";
import { kernel_write } from "../vm/vm_resident.ts";
import { hex } from "../../util/hex.ts";

function map_named(k: Kernel, name: string): VmMap {
    const m =
        name === "kmem_map"
            ? k.kmem_map
            : name === "zone_map"
              ? k.zone_map
              : name === "kalloc_map"
                ? k.kalloc_map
                : null;
    return m ?? k.kernel_map!;
}

const TLB_ENTRIES = 1024;

/** Physical address of a kernel VA through a software TLB; unmapped is a kernel bug here (Mach would fault). */
function translator(k: Kernel): (va: number) => number {
    const tags = new Int32Array(TLB_ENTRIES).fill(-1);
    const frames = new Float64Array(TLB_ENTRIES);
    let generation = -1;
    return (va) => {
        const g = k.kernel_pmap!.globals;
        if (g.tlb_flushes !== generation) {
            tags.fill(-1);
            generation = g.tlb_flushes;
        }
        const vpn = va >>> 12;
        const slot = vpn & (TLB_ENTRIES - 1);
        if (tags[slot] === vpn) return frames[slot]! + (va & 0xfff);
        const pa = pmap_extract(k.kernel_pmap!, va);
        if (pa === 0) panic(`kernel memory access at unmapped address ${hex(va >>> 0)}`);
        tags[slot] = vpn;
        frames[slot] = pa - (va & 0xfff);
        return pa;
    };
}

export function kmem_backend(k: Kernel, ticks: () => number): KmemBackend {
    const pa_of = translator(k);
    const each = (va: number, len: number, fn: (pa: number, off: number, n: number) => void) => {
        for (let off = 0; off < len;) {
            const at = va + off;
            const n = Math.min(len - off, 4096 - (at % 4096));
            fn(pa_of(at), off, n);
            off += n;
        }
    };
    return {
        pagealloc: (map, size) =>
            kmem_alloc_wired(k, map_named(k, map), size, `slab/zone pages (${map})`).addr,
        pagefree: (map, va, size) => kmem_free(k, map_named(k, map), va, size),
        read8: (va) => k.mem.read8(pa_of(va)),
        write8: (va, v) => k.mem.write8(pa_of(va), v),
        read32: (va) =>
            va % 4096 <= 4092
                ? k.mem.read32(pa_of(va))
                : (k.mem.read8(pa_of(va)) |
                      (k.mem.read8(pa_of(va + 1)) << 8) |
                      (k.mem.read8(pa_of(va + 2)) << 16) |
                      (k.mem.read8(pa_of(va + 3)) << 24)) >>>
                  0,
        write32: (va, v) => {
            if (va % 4096 <= 4092) k.mem.write32(pa_of(va), v);
            else for (let i = 0; i < 4; i++) k.mem.write8(pa_of(va + i), (v >>> (8 * i)) & 0xff);
        },
        read: (va, len) => {
            const out = new Uint8Array(len);
            each(va, len, (pa, off, n) => out.set(k.mem.read(pa, n), off));
            return out;
        },
        write: (va, bytes) => kernel_write(k, va, bytes),
        fill: (va, len, value) => each(va, len, (pa, _off, n) => k.mem.fill(pa, n, value)),
        ticks,
        printf: (s) => k.printf(s),
    };
}
