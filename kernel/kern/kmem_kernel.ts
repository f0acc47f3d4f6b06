/*
 * kernel/kern/kmem_kernel.ts — the KmemBackend of a booted kernel: slab and
 * zone pages are kmem_alloc_wired from the named submap (kmem_map,
 * zone_map, kalloc_map, or kernel_map when the era has no such submap), and
 * every byte the allocators touch is read and written in guest RAM through
 * the kernel pmap.
 */
import type { KmemBackend } from "./kmem_backend.ts";
import { panic } from "./debug.ts";
import type { Kernel } from "./kernel.ts";
import { pmap_extract } from "../i386/pmap.ts";
import type { VmMap } from "../vm/vm_map.ts";
import { kmem_alloc_wired, kmem_free } from "../vm/vm_kern.ts";
import { kernel_write } from "../vm/vm_resident.ts";

function map_named(k: Kernel, name: string): VmMap {
    const m = name === "kmem_map" ? k.kmem_map : name === "zone_map" ? k.zone_map
        : name === "kalloc_map" ? k.kalloc_map : null;
    return m ?? k.kernel_map!;
}

/** Physical address of a kernel VA; unmapped is a kernel bug here (Mach would fault). */
function pa_of(k: Kernel, va: number): number {
    const pa = pmap_extract(k.kernel_pmap!, va);
    if (pa === 0) panic(`kernel memory access at unmapped address 0x${(va >>> 0).toString(16)}`);
    return pa;
}

export function kmem_backend(k: Kernel, ticks: () => number): KmemBackend {
    const each = (va: number, len: number, fn: (pa: number, off: number, n: number) => void) => {
        for (let off = 0; off < len;) {
            const at = va + off;
            const n = Math.min(len - off, 4096 - (at % 4096));
            fn(pa_of(k, at), off, n);
            off += n;
        }
    };
    return {
        pagealloc: (map, size) => kmem_alloc_wired(k, map_named(k, map), size, `slab/zone pages (${map})`).addr,
        pagefree: (map, va, size) => kmem_free(k, map_named(k, map), va, size),
        read8: (va) => k.mem.read8(pa_of(k, va)),
        write8: (va, v) => k.mem.write8(pa_of(k, va), v),
        read32: (va) => (va % 4096 <= 4092 ? k.mem.read32(pa_of(k, va)) : (k.mem.read8(pa_of(k, va)) | (k.mem.read8(pa_of(k, va + 1)) << 8) | (k.mem.read8(pa_of(k, va + 2)) << 16) | (k.mem.read8(pa_of(k, va + 3)) << 24)) >>> 0),
        write32: (va, v) => {
            if (va % 4096 <= 4092) k.mem.write32(pa_of(k, va), v);
            else for (let i = 0; i < 4; i++) k.mem.write8(pa_of(k, va + i), (v >>> (8 * i)) & 0xff);
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
