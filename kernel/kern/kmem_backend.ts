/*
 * kernel/kern/kmem_backend.ts — what the kernel object allocators (slab,
 * zalloc) need from the VM and the hardware, as one interface, so that they
 * run inside the booted kernel (slabs from kmem_map, bytes in guest RAM
 * through the kernel pmap) and on a plain array in unit tests.
 *
 * Addresses are kernel virtual addresses. Memory returned by `pagealloc`
 * is wired and mapped; its contents are whatever RAM held (the allocator
 * writes its own patterns).
 */

export interface KmemBackend {
    /** Wired kernel memory of `size` bytes (a page multiple) from `map`; 0 when there is no VA left. */
    pagealloc(map: string, size: number): number;
    /** Give back what pagealloc returned (kmem_free). */
    pagefree(map: string, va: number, size: number): void;
    read8(va: number): number;
    write8(va: number, value: number): void;
    read32(va: number): number;
    write32(va: number, value: number): void;
    /** Bulk access (page-crossing allowed). */
    read(va: number, len: number): Uint8Array;
    write(va: number, bytes: Uint8Array): void;
    fill(va: number, len: number, value: number): void;
    /** Virtual time in clock ticks (hz = 100), for KMEM_GC_INTERVAL and zone_gc rate limits. */
    ticks(): number;
    /** Console output (Mach's printf). */
    printf(s: string): void;
}
