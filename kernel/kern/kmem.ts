/*
 * kernel/kern/kmem.ts — a model of GNU Mach's slab allocator (kern/slab.c,
 * Richard Braun, as of 8d03c760, 2014-02-12).
 *
 * What lives in guest memory (through the KmemBackend):
 *   - the slabs themselves (kmem_map pages, or a cache's own page source);
 *   - struct kmem_slab (32 B): at the end of the slab when embedded, or in
 *     a buffer of the "kmem_slab" cache when off-slab (SLAB_EXTERNAL). The
 *     modelled words are nr_refs (+20), first_free (+24) and addr (+28); the
 *     list/tree linkage (+0..+19) is zeroed at creation and kept host-side;
 *   - the free lists: each free buffer's bufctl (a `next` pointer to the
 *     next bufctl, 0 at the end) at bufctl_dist inside/after the buffer;
 *   - with VERIFY: buftags, redzone words/bytes, free and uninit patterns;
 *   - with CPU pools: the pool arrays (buffers of "kmem_cpu_array_N").
 * Host side: per-cache slab lists, the active-slab lookup (sorted by slab
 * address) and a page → slab index (kmem_whatis, DIRECT lookups).
 *
 * All state is per Kmem context; mach86 boots many kernels per process.
 */
import { assert, panic } from "./debug.ts";
import type { KmemBackend } from "./kmem_backend.ts";
import { hex32, hex_digits, printf_x } from "../../util/hex.ts";

const PAGE_SIZE = 4096;
const PAGE_MASK = PAGE_SIZE - 1;
/** P2ALIGN(x, PAGE_SIZE) as an unsigned 32-bit address. */
const trunc_page = (x: number): number => (x & ~PAGE_MASK) >>> 0;

/* Geometry constants (kern/slab.c, 2011-12 .. 2016-02). */
export const KMEM_ALIGN_MIN = 8;
export const KMEM_MIN_BUFS_PER_SLAB = 8;
export const KMEM_SLAB_SIZE_THRESHOLD = 8 * PAGE_SIZE;
export const KMEM_BUF_SIZE_THRESHOLD = PAGE_SIZE / 8;
/** hz = 100: five seconds of clock ticks between two garbage collections. */
export const KMEM_GC_INTERVAL = 5 * 100;
const KMEM_CPU_POOL_TRANSFER_RATIO = 2;
const KMEM_CACHE_NAME_SIZE = 24;
/** i386 CPU_L1_SHIFT is 6. */
const CPU_L1_SIZE = 64;

/** sizeof(struct kmem_slab) on i386, and its modelled fields' offsets. */
export const KMEM_SLAB_STRUCT_SIZE = 32;
export const KMEM_SLAB_NR_REFS = 20;
export const KMEM_SLAB_FIRST_FREE = 24;
export const KMEM_SLAB_ADDR = 28;
/** sizeof(union kmem_bufctl) and sizeof(struct kmem_buftag). */
const BUFCTL_SIZE = 4;
const BUFTAG_SIZE = 4;

/* Debugging patterns (little-endian i386). */
export const KMEM_REDZONE_WORD = 0xcefaedfe;
export const KMEM_REDZONE_BYTE = 0xbb;
export const KMEM_BUFTAG_ALLOC = 0xedc810a1;
export const KMEM_BUFTAG_FREE = 0x0cb1eef4;
/** 0xefbeaddeefbeadde and 0xfecaddbafecaddba as bytes in memory. */
const KMEM_FREE_PATTERN = Uint8Array.of(0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef);
const KMEM_UNINIT_PATTERN = Uint8Array.of(0xba, 0xdd, 0xca, 0xfe, 0xba, 0xdd, 0xca, 0xfe);

/* Cache flags (KMEM_CF_*); the same values as host_slab_info's CACHE_FLAGS_*. */
export const KMEM_CF_NO_CPU_POOL = 0x01;
export const KMEM_CF_SLAB_EXTERNAL = 0x02;
export const KMEM_CF_NO_RECLAIM = 0x04;
export const KMEM_CF_VERIFY = 0x08;
export const KMEM_CF_DIRECT = 0x10;

/* kmem_cache_init flags (KMEM_CACHE_*). */
export const KMEM_CACHE_NOCPUPOOL = 0x1;
export const KMEM_CACHE_NOOFFSLAB = 0x2;
/** Never give slabs back; implies NOOFFSLAB and requires slab_free_fn == null. */
export const KMEM_CACHE_NORECLAIM = 0x4;
const KMEM_CACHE_VERIFY = 0x8;

/* kmem_cache_error() codes. */
const KMEM_ERR_INVALID = 0;
const KMEM_ERR_DOUBLEFREE = 1;
const KMEM_ERR_BUFTAG = 2;
const KMEM_ERR_MODIFIED = 3;
export const KMEM_ERR_REDZONE = 4;

export type KmemCtor = (va: number) => void;
/** A slab page source: `size` bytes (page multiple), returns the kernel VA or 0. */
export type KmemSlabAllocFn = (size: number) => number;
export type KmemSlabFreeFn = (va: number, size: number) => void;

export interface KmemOptions {
    /** SLAB_VERIFY: KMEM_CF_VERIFY on every cache. */
    verify: boolean;
    /** SLAB_USE_CPU_POOLS (one CPU). */
    cpu_pools: boolean;
}

/** Host record of one slab; its struct kmem_slab is at `va` in guest memory. */
export interface KmemSlab {
    cache: KmemCache;
    /** Guest address of the struct kmem_slab. */
    va: number;
    /** Page-aligned start of the slab's memory (slab_size bytes). */
    slab_buf: number;
    /** First buffer: slab_buf + color. */
    addr: number;
    nr_refs: number;
    /** Guest address of the first free bufctl, 0 when the slab is full. */
    first_free: number;
    /** The list the slab is on (partial_slabs, free_slabs) or null (full). */
    list: SlabList | null;
    prev: KmemSlab | null;
    next: KmemSlab | null;
}

/** A doubly linked list of slabs (Mach's struct list), head first. */
class SlabList {
    head: KmemSlab | null = null;
    tail: KmemSlab | null = null;
    length = 0;

    insert_head(s: KmemSlab): void {
        s.list = this;
        s.prev = null;
        s.next = this.head;
        if (this.head) this.head.prev = s;
        else this.tail = s;
        this.head = s;
        this.length++;
    }

    insert_tail(s: KmemSlab): void {
        s.list = this;
        s.next = null;
        s.prev = this.tail;
        if (this.tail) this.tail.next = s;
        else this.head = s;
        this.tail = s;
        this.length++;
    }

    remove(s: KmemSlab): void {
        assert(s.list === this, "SlabList.remove: slab not on this list");
        if (s.prev) s.prev.next = s.next;
        else this.head = s.next;
        if (s.next) s.next.prev = s.prev;
        else this.tail = s.prev;
        s.prev = s.next = null;
        s.list = null;
        this.length--;
    }

    *[Symbol.iterator](): IterableIterator<KmemSlab> {
        for (let s = this.head; s; s = s.next) yield s;
    }
}

/** One of kmem_cpu_pool_types[]: pools for caches whose buf_size is at most the previous entry's. */
export interface KmemCpuPoolType {
    buf_size: number;
    array_size: number;
    array_align: number;
    array_cache: KmemCache | null;
}

/** struct kmem_cpu_pool; `array` is a guest buffer of array_size 32-bit object addresses. */
export interface KmemCpuPool {
    flags: number;
    size: number;
    transfer_size: number;
    nr_objs: number;
    array: number;
}

export interface KmemCache {
    name: string;
    flags: number;
    /** Distance from a buffer to its bufctl. */
    bufctl_dist: number;
    slab_size: number;
    bufs_per_slab: number;
    /** Buffers allocated from the slab layer (including those held in CPU pools). */
    nr_objs: number;
    nr_free_slabs: number;
    ctor: KmemCtor | null;
    obj_size: number;
    align: number;
    buf_size: number;
    color: number;
    color_max: number;
    nr_bufs: number;
    nr_slabs: number;
    slab_alloc_fn: KmemSlabAllocFn | null;
    slab_free_fn: KmemSlabFreeFn | null;
    /** Distance from a buffer to its buftag (VERIFY). */
    buftag_dist: number;
    /** Bytes from the end of the object to the redzone word (VERIFY). */
    redzone_pad: number;
    partial_slabs: SlabList;
    free_slabs: SlabList;
    /** Mach's active_slabs rbtree: slabs with nr_refs ≥ 1, sorted by addr (used unless DIRECT without VERIFY). */
    active_slabs: KmemSlab[];
    /** CPU pool of the one CPU; null without SLAB_USE_CPU_POOLS. */
    cpu_pool: KmemCpuPool | null;
    cpu_pool_type: KmemCpuPoolType | null;
    /** Model bookkeeping (not in Mach): every slab of the cache, for verify and whatis. */
    slabs: Set<KmemSlab>;
    /** Host copies of the VERIFY patterns over [0, bufctl_dist), made on first use. */
    verify_patterns: { free: Uint8Array; uninit: Uint8Array } | null;
}

/** One kernel's allocator state (Mach's globals of kern/slab.c). */
export interface Kmem {
    backend: KmemBackend;
    verify: boolean;
    cpu_pools: boolean;
    /** kmem_cache_list, in creation order. */
    caches: KmemCache[];
    /** Off-slab descriptors ("kmem_slab"); null before slab_init. */
    kmem_slab_cache: KmemCache | null;
    /** kmem_cpu_pool_types[] with their "kmem_cpu_array_%d" caches (empty without CPU pools). */
    cpu_pool_types: KmemCpuPoolType[];
    kmem_gc_last_tick: number;
    /** kalloc_caches[] (kernel/kern/kalloc.ts), empty before kalloc_init. */
    kalloc_caches: KmemCache[];
    /** Page VA → slab covering it, for every slab of every cache. */
    slab_pages: Map<number, KmemSlab>;
}

const p2round = (x: number, a: number): number => Math.ceil(x / a) * a;
const ispow2 = (x: number): boolean => x > 0 && (x & (x - 1)) === 0;

/* ---------------------------------------------------------------- setup */

/** slab_bootstrap(): an empty allocator context (no internal caches yet). */
export function slab_bootstrap(backend: KmemBackend, opts: KmemOptions): Kmem {
    // kmem_cpu_pool_types[] is a static table in Mach: caches created before
    // slab_init get their pool type; the array caches come with slab_init.
    const types: KmemCpuPoolType[] = opts.cpu_pools
        ? [
              { buf_size: 32768, array_size: 1, array_align: 0, array_cache: null },
              { buf_size: 4096, array_size: 8, array_align: CPU_L1_SIZE, array_cache: null },
              { buf_size: 256, array_size: 64, array_align: CPU_L1_SIZE, array_cache: null },
              { buf_size: 0, array_size: 128, array_align: CPU_L1_SIZE, array_cache: null },
          ]
        : [];
    return {
        backend,
        verify: opts.verify,
        cpu_pools: opts.cpu_pools,
        caches: [],
        kmem_slab_cache: null,
        cpu_pool_types: types,
        kmem_gc_last_tick: 0,
        kalloc_caches: [],
        slab_pages: new Map(),
    };
}

/** slab_init(): the CPU pool array caches (with CPU pools) and the off-slab descriptor cache. */
export function slab_init(kmem: Kmem): void {
    assert(kmem.kmem_slab_cache === null, "slab_init: called twice");
    if (kmem.cpu_pools) {
        for (const t of kmem.cpu_pool_types) {
            t.array_cache = kmem_cache_init(
                kmem,
                `kmem_cpu_array_${t.array_size}`,
                4 * t.array_size,
                t.array_align,
                null,
                null,
                null,
                0,
            );
        }
    }
    // NOOFFSLAB, or growing an off-slab cache would recurse forever.
    kmem.kmem_slab_cache = kmem_cache_init(
        kmem,
        "kmem_slab",
        KMEM_SLAB_STRUCT_SIZE,
        0,
        null,
        null,
        null,
        KMEM_CACHE_NOOFFSLAB,
    );
}

/** A ready allocator: slab_bootstrap + slab_init. */
export function kmem_create(backend: KmemBackend, opts: KmemOptions): Kmem {
    const kmem = slab_bootstrap(backend, opts);
    slab_init(kmem);
    return kmem;
}

/** Slab geometry for `buf_size` (2011-12 .. 2016-02); `flags` are kmem_cache_init flags. */
export function kmem_cache_compute_sizes(
    buf_size: number,
    flags: number,
): { slab_size: number; bufs_per_slab: number; color_max: number; flags: number } {
    if (buf_size < KMEM_BUF_SIZE_THRESHOLD) flags |= KMEM_CACHE_NOOFFSLAB;
    const noOffSlab = (flags & KMEM_CACHE_NOOFFSLAB) !== 0;
    let i = 0;
    let wasteMin = Infinity;
    let optimalSize = 0;
    let optimalEmbed = false;
    let buffers: number;
    let slabSize: number;
    do {
        i++;
        slabSize = p2round(i * buf_size, PAGE_SIZE);
        const free = slabSize - (noOffSlab ? KMEM_SLAB_STRUCT_SIZE : 0);
        buffers = Math.floor(free / buf_size);
        let waste = free % buf_size;
        if (buffers > i) i = buffers;
        let embed: boolean;
        if (noOffSlab) embed = true;
        else if (KMEM_SLAB_STRUCT_SIZE <= waste) {
            embed = true;
            waste -= KMEM_SLAB_STRUCT_SIZE;
        } else embed = false;
        if (waste <= wasteMin) {
            wasteMin = waste;
            optimalSize = slabSize;
            optimalEmbed = embed;
        }
    } while (buffers < KMEM_MIN_BUFS_PER_SLAB && slabSize < KMEM_SLAB_SIZE_THRESHOLD);
    assert(!noOffSlab || optimalEmbed, "kmem_cache_compute_sizes: NOOFFSLAB slab not embedded");
    const usable = optimalSize - (optimalEmbed ? KMEM_SLAB_STRUCT_SIZE : 0);
    let cf = 0;
    if (!optimalEmbed) cf |= KMEM_CF_SLAB_EXTERNAL;
    else if (optimalSize === PAGE_SIZE) cf |= KMEM_CF_DIRECT;
    return {
        slab_size: optimalSize,
        bufs_per_slab: Math.floor(usable / buf_size),
        color_max: Math.min(usable % buf_size, PAGE_SIZE - 1),
        flags: cf,
    };
}

/** kmem_cache_init(): a new cache, appended to the cache list. */
export function kmem_cache_init(
    kmem: Kmem,
    name: string,
    obj_size: number,
    align: number,
    ctor: KmemCtor | null,
    slab_alloc_fn: KmemSlabAllocFn | null,
    slab_free_fn: KmemSlabFreeFn | null,
    flags: number,
): KmemCache {
    let cf = kmem.verify ? KMEM_CF_VERIFY : 0;
    if (flags & KMEM_CACHE_NOCPUPOOL) cf |= KMEM_CF_NO_CPU_POOL;
    if (flags & KMEM_CACHE_NORECLAIM) {
        assert(slab_free_fn === null, "kmem_cache_init: NORECLAIM cache with a slab_free_fn");
        flags |= KMEM_CACHE_NOOFFSLAB;
        cf |= KMEM_CF_NO_RECLAIM;
    }
    if (flags & KMEM_CACHE_VERIFY) cf |= KMEM_CF_VERIFY;
    if (align < KMEM_ALIGN_MIN) align = KMEM_ALIGN_MIN;
    assert(obj_size > 0, "kmem_cache_init: obj_size > 0");
    assert(ispow2(align), "kmem_cache_init: align is a power of two");
    assert(align < PAGE_SIZE, "kmem_cache_init: align < PAGE_SIZE");

    let buf_size = p2round(obj_size, align);
    let bufctl_dist = buf_size - BUFCTL_SIZE;
    let buftag_dist = 0;
    let redzone_pad = 0;
    if (cf & KMEM_CF_VERIFY) {
        bufctl_dist = buf_size;
        buftag_dist = bufctl_dist + BUFCTL_SIZE;
        redzone_pad = bufctl_dist - obj_size;
        buf_size = p2round(buf_size + BUFCTL_SIZE + BUFTAG_SIZE, align);
    }
    const geo = kmem_cache_compute_sizes(buf_size, flags);
    const cache: KmemCache = {
        name: name.slice(0, KMEM_CACHE_NAME_SIZE - 1),
        flags: cf | geo.flags,
        bufctl_dist,
        slab_size: geo.slab_size,
        bufs_per_slab: geo.bufs_per_slab,
        nr_objs: 0,
        nr_free_slabs: 0,
        ctor,
        obj_size,
        align,
        buf_size,
        color: 0,
        color_max: geo.color_max,
        nr_bufs: 0,
        nr_slabs: 0,
        slab_alloc_fn,
        slab_free_fn,
        buftag_dist,
        redzone_pad,
        partial_slabs: new SlabList(),
        free_slabs: new SlabList(),
        active_slabs: [],
        cpu_pool: null,
        cpu_pool_type: null,
        slabs: new Set(),
        verify_patterns: null,
    };
    if (kmem.cpu_pools) {
        let t = 0;
        while (t < kmem.cpu_pool_types.length - 1 && buf_size <= kmem.cpu_pool_types[t]!.buf_size)
            t++;
        cache.cpu_pool_type = kmem.cpu_pool_types[t] ?? null;
        cache.cpu_pool = { flags: cache.flags, size: 0, transfer_size: 0, nr_objs: 0, array: 0 };
    }
    kmem.caches.push(cache);
    return cache;
}

/* ------------------------------------------------------- active slabs */

const use_tree = (flags: number): boolean =>
    (flags & KMEM_CF_DIRECT) === 0 || (flags & KMEM_CF_VERIFY) !== 0;

/** Index of the first active slab whose addr is > va (so index-1 is the nearest at or below). */
function tree_upper(tree: KmemSlab[], va: number): number {
    let lo = 0;
    let hi = tree.length;
    while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (tree[mid]!.addr <= va) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/** rbtree_lookup_nearest(RBTREE_LEFT): the active slab with the greatest addr ≤ va. */
function tree_lookup_left(cache: KmemCache, va: number): KmemSlab | null {
    const i = tree_upper(cache.active_slabs, va);
    return i > 0 ? cache.active_slabs[i - 1]! : null;
}

function tree_insert(cache: KmemCache, slab: KmemSlab): void {
    const i = tree_upper(cache.active_slabs, slab.addr);
    assert(
        i === 0 || cache.active_slabs[i - 1]!.addr !== slab.addr,
        "rbtree_insert: duplicate slab",
    );
    cache.active_slabs.splice(i, 0, slab);
}

function tree_remove(cache: KmemCache, slab: KmemSlab): void {
    const i = tree_upper(cache.active_slabs, slab.addr) - 1;
    assert(i >= 0 && cache.active_slabs[i] === slab, "rbtree_remove: slab not in the tree");
    cache.active_slabs.splice(i, 1);
}

/* ------------------------------------------------------------ errors */

/** Mach's kmem_cache_error(): the kmem_warn line, then the kmem_error panic (plus what was found). */
export function kmem_cache_error(
    kmem: Kmem,
    cache: KmemCache,
    buf: number,
    error: number,
    arg = 0,
    detail = "",
): never {
    kmem.backend.printf(
        `mem: warning: kmem_cache_error(): cache: ${cache.name}, buffer: ${printf_x(buf)}\n`,
    );
    let msg: string;
    switch (error) {
        case KMEM_ERR_INVALID:
            msg = "freeing invalid address";
            break;
        case KMEM_ERR_DOUBLEFREE:
            msg = "attempting to free the same address twice";
            break;
        case KMEM_ERR_BUFTAG:
            msg = `invalid buftag content, buftag state: ${hex32(arg)}`;
            break;
        case KMEM_ERR_MODIFIED:
            msg = `free buffer modified, fault address: ${hex32(arg)}, offset in buffer: ${arg - buf}`;
            break;
        case KMEM_ERR_REDZONE:
            msg = `write beyond end of buffer, fault address: ${hex32(arg)}, offset in buffer: ${arg - buf}`;
            break;
        default:
            msg = "unknown error";
    }
    panic(
        `mem: error: kmem_cache_error(): ${msg}, cache: ${cache.name}, buffer: ${hex32(buf)}${detail ? ` (${detail})` : ""}`,
    );
}

/* ------------------------------------------------- verify-mode helpers */

/** The free and uninit patterns over [0, bufctl_dist), built once per VERIFY cache. */
function patterns(cache: KmemCache): { free: Uint8Array; uninit: Uint8Array } {
    let p = cache.verify_patterns;
    if (!p) {
        const free = new Uint8Array(cache.bufctl_dist);
        const uninit = new Uint8Array(cache.bufctl_dist);
        for (let i = 0; i < free.length; i++) {
            free[i] = KMEM_FREE_PATTERN[i & 7]!;
            uninit[i] = KMEM_UNINIT_PATTERN[i & 7]!;
        }
        p = { free, uninit };
        cache.verify_patterns = p;
    }
    return p;
}

/** Offset of the first byte of `bytes` differing from `expect`, or -1. */
function first_diff(bytes: Uint8Array, expect: Uint8Array): number {
    for (let i = 0; i < bytes.length; i++) if (bytes[i] !== expect[i]) return i;
    return -1;
}

function diff_detail(found: number, expected: number): string {
    return `found ${hex_digits(found, 2)}, expected ${hex_digits(expected, 2)}`;
}

/** Checks a free buffer's pattern; returns the fault offset or -1. */
function check_free_pattern(kmem: Kmem, cache: KmemCache, buf: number): number {
    return first_diff(kmem.backend.read(buf, cache.bufctl_dist), patterns(cache).free);
}

function free_pattern_error(kmem: Kmem, cache: KmemCache, buf: number, off: number): never {
    const found = kmem.backend.read8(buf + off);
    kmem_cache_error(
        kmem,
        cache,
        buf,
        KMEM_ERR_MODIFIED,
        buf + off,
        diff_detail(found, KMEM_FREE_PATTERN[off & 7]!),
    );
}

/** Checks the redzone of an allocated buffer; returns [fault address, found, expected] or null. */
function check_redzone(kmem: Kmem, cache: KmemCache, buf: number): [number, number, number] | null {
    const be = kmem.backend;
    if (cache.redzone_pad > 0) {
        const pad = be.read(buf + cache.obj_size, cache.redzone_pad);
        for (let i = 0; i < pad.length; i++) {
            if (pad[i] !== KMEM_REDZONE_BYTE)
                return [buf + cache.obj_size + i, pad[i]!, KMEM_REDZONE_BYTE];
        }
    }
    const bufctl = buf + cache.bufctl_dist;
    if (be.read32(bufctl) !== KMEM_REDZONE_WORD) {
        for (let i = 0; i < 4; i++) {
            const want = (KMEM_REDZONE_WORD >>> (8 * i)) & 0xff;
            const got = be.read8(bufctl + i);
            if (got !== want) return [bufctl + i, got, want];
        }
    }
    return null;
}

/** kmem_cache_alloc_verify(): FREE → ALLOC, uninit pattern, redzone. */
function kmem_cache_alloc_verify(
    kmem: Kmem,
    cache: KmemCache,
    buf: number,
    construct: boolean,
): void {
    const be = kmem.backend;
    const state = be.read32(buf + cache.buftag_dist);
    if (state !== KMEM_BUFTAG_FREE) kmem_cache_error(kmem, cache, buf, KMEM_ERR_BUFTAG, state);
    const off = check_free_pattern(kmem, cache, buf);
    if (off >= 0) free_pattern_error(kmem, cache, buf, off);
    be.write(buf, patterns(cache).uninit);
    if (cache.redzone_pad > 0) be.fill(buf + cache.obj_size, cache.redzone_pad, KMEM_REDZONE_BYTE);
    be.write32(buf + cache.bufctl_dist, KMEM_REDZONE_WORD);
    be.write32(buf + cache.buftag_dist, KMEM_BUFTAG_ALLOC);
    if (construct && cache.ctor) cache.ctor(buf);
}

/** kmem_cache_free_verify(): address, buftag and redzone checks, then ALLOC → FREE with the free pattern. */
function kmem_cache_free_verify(kmem: Kmem, cache: KmemCache, buf: number): void {
    const be = kmem.backend;
    const slab = tree_lookup_left(cache, buf);
    if (!slab)
        kmem_cache_error(
            kmem,
            cache,
            buf,
            KMEM_ERR_INVALID,
            0,
            "no active slab of this cache at or below it",
        );
    const slabend = trunc_page(slab.addr + cache.slab_size);
    if (buf >= slabend) {
        kmem_cache_error(
            kmem,
            cache,
            buf,
            KMEM_ERR_INVALID,
            0,
            `beyond the nearest active slab ${hex32(slab.slab_buf)}..${hex32(slabend)}`,
        );
    }
    const off = buf - slab.addr;
    if (off % cache.buf_size !== 0) {
        kmem_cache_error(
            kmem,
            cache,
            buf,
            KMEM_ERR_INVALID,
            0,
            `offset ${off} in slab ${hex32(slab.slab_buf)} is not a multiple of buf_size ${cache.buf_size}`,
        );
    }
    // Not in Mach: the address must also be one of the slab's buffers (not its descriptor or tail).
    if (off / cache.buf_size >= cache.bufs_per_slab) {
        kmem_cache_error(
            kmem,
            cache,
            buf,
            KMEM_ERR_INVALID,
            0,
            `buffer index ${off / cache.buf_size} ≥ bufs_per_slab ${cache.bufs_per_slab}`,
        );
    }
    const state = be.read32(buf + cache.buftag_dist);
    if (state !== KMEM_BUFTAG_ALLOC) {
        if (state === KMEM_BUFTAG_FREE) kmem_cache_error(kmem, cache, buf, KMEM_ERR_DOUBLEFREE);
        kmem_cache_error(kmem, cache, buf, KMEM_ERR_BUFTAG, state);
    }
    const bad = check_redzone(kmem, cache, buf);
    if (bad)
        kmem_cache_error(kmem, cache, buf, KMEM_ERR_REDZONE, bad[0], diff_detail(bad[1], bad[2]));
    be.write(buf, patterns(cache).free);
    be.write32(buf + cache.buftag_dist, KMEM_BUFTAG_FREE);
}

/* ------------------------------------------------------------- slabs */

function slab_sync(kmem: Kmem, slab: KmemSlab): void {
    kmem.backend.write32(slab.va + KMEM_SLAB_NR_REFS, slab.nr_refs);
    kmem.backend.write32(slab.va + KMEM_SLAB_FIRST_FREE, slab.first_free);
}

function slab_pagefree(kmem: Kmem, cache: KmemCache, va: number): void {
    if (cache.slab_free_fn) cache.slab_free_fn(va, cache.slab_size);
    else kmem.backend.pagefree("kmem_map", va, cache.slab_size);
}

/** kmem_slab_create(): pages, descriptor, the free list through every buffer; null when out of memory. */
function kmem_slab_create(kmem: Kmem, cache: KmemCache, color: number): KmemSlab | null {
    const be = kmem.backend;
    const slab_buf = cache.slab_alloc_fn
        ? cache.slab_alloc_fn(cache.slab_size)
        : be.pagealloc("kmem_map", cache.slab_size);
    if (slab_buf === 0) return null;
    assert((slab_buf & PAGE_MASK) === 0, "kmem_slab_create: slab memory is page aligned");
    let va: number;
    if (cache.flags & KMEM_CF_SLAB_EXTERNAL) {
        assert(
            !(cache.flags & KMEM_CF_NO_RECLAIM),
            "kmem_slab_create: NORECLAIM cache with off-slab data",
        );
        assert(
            kmem.kmem_slab_cache !== null,
            "kmem_slab_create: off-slab cache used before slab_init",
        );
        va = kmem_cache_alloc(kmem, kmem.kmem_slab_cache);
        if (va === 0) {
            slab_pagefree(kmem, cache, slab_buf);
            return null;
        }
    } else {
        va = slab_buf + cache.slab_size - KMEM_SLAB_STRUCT_SIZE;
    }
    const slab: KmemSlab = {
        cache,
        va,
        slab_buf,
        addr: slab_buf + color,
        nr_refs: 0,
        first_free: 0,
        list: null,
        prev: null,
        next: null,
    };
    // Each buffer's bufctl points at the previous one: the last buffer heads the list.
    let bufctl = slab.addr + cache.bufctl_dist;
    for (let n = cache.bufs_per_slab; n !== 0; n--) {
        be.write32(bufctl, slab.first_free);
        slab.first_free = bufctl;
        bufctl += cache.buf_size;
    }
    if (cache.flags & KMEM_CF_VERIFY) {
        const free = patterns(cache).free;
        for (let i = 0, buf = slab.addr; i < cache.bufs_per_slab; i++, buf += cache.buf_size) {
            be.write(buf, free);
            be.write32(buf + cache.buftag_dist, KMEM_BUFTAG_FREE);
        }
    }
    be.fill(va, KMEM_SLAB_NR_REFS, 0);
    slab_sync(kmem, slab);
    be.write32(va + KMEM_SLAB_ADDR, slab.addr);
    for (let p = slab_buf; p < slab_buf + cache.slab_size; p += PAGE_SIZE)
        kmem.slab_pages.set(p, slab);
    cache.slabs.add(slab);
    return slab;
}

/** kmem_slab_destroy(): (VERIFY: every buffer must still be free and intact), then give the memory back. */
function kmem_slab_destroy(kmem: Kmem, cache: KmemCache, slab: KmemSlab): void {
    const be = kmem.backend;
    assert(slab.nr_refs === 0, "kmem_slab_destroy: slab->nr_refs == 0");
    assert(slab.first_free !== 0, "kmem_slab_destroy: slab->first_free != NULL");
    assert(!(cache.flags & KMEM_CF_NO_RECLAIM), "kmem_slab_destroy: reclaimable cache");
    if (cache.flags & KMEM_CF_VERIFY) {
        for (let i = 0, buf = slab.addr; i < cache.bufs_per_slab; i++, buf += cache.buf_size) {
            const state = be.read32(buf + cache.buftag_dist);
            if (state !== KMEM_BUFTAG_FREE)
                kmem_cache_error(kmem, cache, buf, KMEM_ERR_BUFTAG, state);
            const off = check_free_pattern(kmem, cache, buf);
            if (off >= 0) free_pattern_error(kmem, cache, buf, off);
        }
    }
    for (let p = slab.slab_buf; p < slab.slab_buf + cache.slab_size; p += PAGE_SIZE)
        kmem.slab_pages.delete(p);
    cache.slabs.delete(slab);
    slab_pagefree(kmem, cache, slab.slab_buf);
    if (cache.flags & KMEM_CF_SLAB_EXTERNAL) kmem_cache_free(kmem, kmem.kmem_slab_cache!, slab.va);
}

/** kmem_cache_grow(): one more free slab unless the cache still has free buffers; false when it stays empty. */
function kmem_cache_grow(kmem: Kmem, cache: KmemCache): boolean {
    if (cache.nr_objs !== cache.nr_bufs) return true;
    const color = cache.color;
    cache.color += cache.align;
    if (cache.color > cache.color_max) cache.color = 0;
    const slab = kmem_slab_create(kmem, cache, color);
    if (slab) {
        cache.free_slabs.insert_head(slab);
        cache.nr_bufs += cache.bufs_per_slab;
        cache.nr_slabs++;
        cache.nr_free_slabs++;
    }
    return cache.nr_objs !== cache.nr_bufs;
}

/** kmem_cache_reap(): destroys every free slab (not for NO_RECLAIM caches). Returns the pages given back. */
export function kmem_cache_reap(kmem: Kmem, cache: KmemCache): number {
    if (cache.flags & KMEM_CF_NO_RECLAIM) return 0;
    const dead: KmemSlab[] = [...cache.free_slabs];
    cache.free_slabs = new SlabList();
    const n = cache.nr_free_slabs;
    assert(n === dead.length, "kmem_cache_reap: nr_free_slabs matches free_slabs");
    cache.nr_bufs -= cache.bufs_per_slab * n;
    cache.nr_slabs -= n;
    cache.nr_free_slabs = 0;
    for (const slab of dead) {
        slab.list = null;
        slab.prev = slab.next = null;
        kmem_slab_destroy(kmem, cache, slab);
    }
    return (n * cache.slab_size) / PAGE_SIZE;
}

/** slab_collect(): reaps every cache, at most once per KMEM_GC_INTERVAL ticks. Returns the pages given back. */
export function slab_collect(kmem: Kmem): number {
    const now = kmem.backend.ticks();
    if (now <= kmem.kmem_gc_last_tick + KMEM_GC_INTERVAL) return 0;
    kmem.kmem_gc_last_tick = now;
    let pages = 0;
    for (const cache of kmem.caches) pages += kmem_cache_reap(kmem, cache);
    return pages;
}

/* ------------------------------------------------------ slab layer */

function bufctl_in_slab(cache: KmemCache, slab: KmemSlab, bufctl: number): boolean {
    const off = bufctl - cache.bufctl_dist - slab.addr;
    return off >= 0 && off % cache.buf_size === 0 && off / cache.buf_size < cache.bufs_per_slab;
}

/** kmem_cache_alloc_from_slab(): a raw buffer from the first partial (else free) slab, or 0. */
function kmem_cache_alloc_from_slab(kmem: Kmem, cache: KmemCache): number {
    const slab = cache.partial_slabs.head ?? cache.free_slabs.head;
    if (!slab) return 0;
    const bufctl = slab.first_free;
    assert(bufctl !== 0, "kmem_cache_alloc_from_slab: bufctl != NULL");
    const next = kmem.backend.read32(bufctl);
    // Not in Mach (which would hand out the corrupt pointer): the next bufctl must be one of this slab's.
    const left = cache.bufs_per_slab - slab.nr_refs - 1;
    if (left > 0 ? !bufctl_in_slab(cache, slab, next) : next !== 0) {
        panic(
            `mem: error: kmem_cache_alloc_from_slab(): free list corrupted, cache: ${cache.name}, ` +
                `buffer: ${hex32(bufctl - cache.bufctl_dist)} (next bufctl ${hex32(next)}, ${left} free buffers left ` +
                `in slab ${hex32(slab.slab_buf)})`,
        );
    }
    slab.first_free = next;
    slab.nr_refs++;
    cache.nr_objs++;
    if (slab.nr_refs === cache.bufs_per_slab) {
        slab.list!.remove(slab);
        if (slab.nr_refs === 1) cache.nr_free_slabs--;
    } else if (slab.nr_refs === 1) {
        // Newly partial slabs go last, to reduce fragmentation.
        cache.free_slabs.remove(slab);
        cache.partial_slabs.insert_tail(slab);
        cache.nr_free_slabs--;
    }
    if (slab.nr_refs === 1 && use_tree(cache.flags)) tree_insert(cache, slab);
    slab_sync(kmem, slab);
    return bufctl - cache.bufctl_dist;
}

/** kmem_cache_free_to_slab(): pushes the buffer on its slab's free list. */
function kmem_cache_free_to_slab(kmem: Kmem, cache: KmemCache, buf: number): void {
    let slab: KmemSlab | null;
    if (cache.flags & KMEM_CF_DIRECT) {
        assert(cache.slab_size === PAGE_SIZE, "kmem_cache_free_to_slab: DIRECT slab is one page");
        slab = kmem.slab_pages.get(trunc_page(buf)) ?? null;
        assert(
            slab !== null && slab.cache === cache,
            () => `kmem_cache_free_to_slab: ${hex32(buf)} is in no slab of cache ${cache.name}`,
        );
    } else {
        slab = tree_lookup_left(cache, buf);
        assert(
            slab !== null,
            () =>
                `kmem_cache_free_to_slab: no active slab of cache ${cache.name} at or below ${hex32(buf)}`,
        );
        assert(
            buf < trunc_page(slab.addr + cache.slab_size),
            () =>
                `kmem_cache_free_to_slab: ${hex32(buf)} beyond the slab at ${hex32(slab!.slab_buf)} of cache ${cache.name}`,
        );
    }
    assert(
        slab.nr_refs >= 1,
        () =>
            `kmem_cache_free_to_slab: slab->nr_refs >= 1 (cache ${cache.name}, buffer ${hex32(buf)})`,
    );
    assert(
        slab.nr_refs <= cache.bufs_per_slab,
        "kmem_cache_free_to_slab: slab->nr_refs <= bufs_per_slab",
    );
    const bufctl = buf + cache.bufctl_dist;
    kmem.backend.write32(bufctl, slab.first_free);
    slab.first_free = bufctl;
    slab.nr_refs--;
    cache.nr_objs--;
    if (slab.nr_refs === 0) {
        if (use_tree(cache.flags)) tree_remove(cache, slab);
        if (cache.bufs_per_slab > 1) slab.list!.remove(slab);
        cache.free_slabs.insert_head(slab);
        cache.nr_free_slabs++;
    } else if (slab.nr_refs === cache.bufs_per_slab - 1) {
        cache.partial_slabs.insert_head(slab);
    }
    slab_sync(kmem, slab);
}

/* --------------------------------------------------------- CPU pools */

const pool_enabled = (pool: KmemCpuPool | null): pool is KmemCpuPool =>
    pool !== null && (pool.flags & KMEM_CF_NO_CPU_POOL) === 0;

function pool_pop(kmem: Kmem, pool: KmemCpuPool): number {
    pool.nr_objs--;
    return kmem.backend.read32(pool.array + 4 * pool.nr_objs);
}

function pool_push(kmem: Kmem, pool: KmemCpuPool, obj: number): void {
    kmem.backend.write32(pool.array + 4 * pool.nr_objs, obj);
    pool.nr_objs++;
}

/** kmem_cpu_pool_fill(): up to transfer_size buffers from the slab layer (constructed unless VERIFY). */
function kmem_cpu_pool_fill(kmem: Kmem, pool: KmemCpuPool, cache: KmemCache): number {
    const ctor = pool.flags & KMEM_CF_VERIFY ? null : cache.ctor;
    let i = 0;
    for (; i < pool.transfer_size; i++) {
        const buf = kmem_cache_alloc_from_slab(kmem, cache);
        if (buf === 0) break;
        if (ctor) ctor(buf);
        pool_push(kmem, pool, buf);
    }
    return i;
}

/** kmem_cpu_pool_drain(): transfer_size buffers back to the slab layer. */
function kmem_cpu_pool_drain(kmem: Kmem, pool: KmemCpuPool, cache: KmemCache): void {
    for (let i = pool.transfer_size; i > 0; i--)
        kmem_cache_free_to_slab(kmem, cache, pool_pop(kmem, pool));
}

/**
 * Model helper, not in GNU Mach 2014 (whose reaping leaves CPU pools
 * alone): empties every CPU pool into its slab layer and gives each pool
 * array back to its array cache, so that a later slab_collect can return
 * all free memory.
 */
export function kmem_cpu_pools_drain(kmem: Kmem): void {
    for (const cache of kmem.caches) {
        const pool = cache.cpu_pool;
        if (!pool) continue;
        while (pool.nr_objs > 0) kmem_cache_free_to_slab(kmem, cache, pool_pop(kmem, pool));
        if (pool.array !== 0) {
            const ac = cache.cpu_pool_type!.array_cache!;
            if (ac.flags & KMEM_CF_VERIFY) kmem_cache_free_verify(kmem, ac, pool.array);
            kmem_cache_free_to_slab(kmem, ac, pool.array);
            pool.array = 0;
            pool.size = 0;
            pool.transfer_size = 0;
        }
    }
}

/* ------------------------------------------------------------ public */

/** kmem_cache_alloc(): a buffer's kernel VA, or 0 when the cache cannot grow. */
export function kmem_cache_alloc(kmem: Kmem, cache: KmemCache): number {
    const pool = cache.cpu_pool;
    if (pool_enabled(pool)) {
        for (;;) {
            if (pool.nr_objs > 0) {
                const buf = pool_pop(kmem, pool);
                if (pool.flags & KMEM_CF_VERIFY) kmem_cache_alloc_verify(kmem, cache, buf, true);
                return buf;
            }
            if (pool.array === 0) break;
            if (kmem_cpu_pool_fill(kmem, pool, cache) === 0 && !kmem_cache_grow(kmem, cache))
                return 0;
        }
    }
    for (;;) {
        const buf = kmem_cache_alloc_from_slab(kmem, cache);
        if (buf !== 0) {
            if (cache.flags & KMEM_CF_VERIFY) kmem_cache_alloc_verify(kmem, cache, buf, false);
            if (cache.ctor) cache.ctor(buf);
            return buf;
        }
        if (!kmem_cache_grow(kmem, cache)) return 0;
    }
}

/**
 * The cache's objects in use by the kernel: nr_objs counts what the slab
 * layer handed out, and an object parked in the CPU pool is free.
 */
export function kmem_cache_nr_live(cache: KmemCache): number {
    return cache.nr_objs - (cache.cpu_pool?.nr_objs ?? 0);
}

/** kmem_cache_free(): (VERIFY checks), then to the CPU pool or the slab layer. */
export function kmem_cache_free(kmem: Kmem, cache: KmemCache, obj: number): void {
    const pool = cache.cpu_pool;
    if ((pool ? pool.flags : cache.flags) & KMEM_CF_VERIFY)
        kmem_cache_free_verify(kmem, cache, obj);
    if (pool_enabled(pool)) {
        for (;;) {
            if (pool.nr_objs < pool.size) {
                pool_push(kmem, pool, obj);
                return;
            }
            if (pool.array === 0) break;
            kmem_cpu_pool_drain(kmem, pool, cache);
        }
        // The pool array is only ever allocated here, so allocation cannot recurse.
        // Before slab_init there are no array caches yet: the object goes to its slab.
        const type = cache.cpu_pool_type!;
        const array = type.array_cache ? kmem_cache_alloc(kmem, type.array_cache) : 0;
        if (array !== 0) {
            pool.size = type.array_size;
            pool.transfer_size = Math.ceil(pool.size / KMEM_CPU_POOL_TRANSFER_RATIO);
            pool.array = array;
            pool_push(kmem, pool, obj);
            return;
        }
    }
    kmem_cache_free_to_slab(kmem, cache, obj);
}

/* ------------------------------------------------------------ debug */

/** cache_info_t of host_slab_info(), plus slab_info()'s two memory columns (KiB). */
export interface SlabInfo {
    name: string;
    flags: number;
    cpu_pool_size: number;
    obj_size: number;
    align: number;
    buf_size: number;
    slab_size: number;
    bufs_per_slab: number;
    nr_objs: number;
    nr_bufs: number;
    nr_slabs: number;
    nr_free_slabs: number;
    /** nr_slabs * slab_size >> 10. */
    mem_usage: number;
    /** nr_free_slabs * slab_size >> 10. */
    mem_reclaimable: number;
}

export function slab_info_data(kmem: Kmem): SlabInfo[] {
    return kmem.caches.map((c) => ({
        name: c.name,
        flags: c.flags & 0x1f,
        cpu_pool_size: c.cpu_pool_type ? c.cpu_pool_type.array_size : 0,
        obj_size: c.obj_size,
        align: c.align,
        buf_size: c.buf_size,
        slab_size: c.slab_size,
        bufs_per_slab: c.bufs_per_slab,
        nr_objs: c.nr_objs,
        nr_bufs: c.nr_bufs,
        nr_slabs: c.nr_slabs,
        nr_free_slabs: c.nr_free_slabs,
        mem_usage: Math.floor((c.nr_slabs * c.slab_size) / 1024),
        mem_reclaimable: Math.floor((c.nr_free_slabs * c.slab_size) / 1024),
    }));
}

/** slab_info(): Mach's table, one call of `print` per line (no newline). */
export function slab_info(kmem: Kmem, print: (line: string) => void): void {
    print("cache                  obj slab  bufs   objs   bufs    total reclaimable");
    print("name                  size size /slab  usage  count   memory      memory");
    const r = (v: number, w: number): string => String(v).padStart(w);
    for (const i of slab_info_data(kmem)) {
        print(
            `${i.name.padEnd(19)} ${r(i.obj_size, 6)} ${r(i.slab_size >> 10, 3)}k  ${r(i.bufs_per_slab, 4)} ` +
                `${r(i.nr_objs, 6)} ${r(i.nr_bufs, 6)} ${r(i.mem_usage, 7)}k ${r(i.mem_reclaimable, 10)}k`,
        );
    }
}

/** The buffers on a slab's free list, read from guest memory (at most bufs_per_slab). */
function slab_free_buffers(kmem: Kmem, slab: KmemSlab): number[] {
    const cache = slab.cache;
    const out: number[] = [];
    for (
        let b = slab.first_free;
        b !== 0 && out.length < cache.bufs_per_slab;
        b = kmem.backend.read32(b)
    ) {
        out.push(b - cache.bufctl_dist);
    }
    return out;
}

function pool_contents(kmem: Kmem, cache: KmemCache): number[] {
    const pool = cache.cpu_pool;
    const out: number[] = [];
    if (pool && pool.array !== 0) {
        for (let i = 0; i < pool.nr_objs && i < pool.size; i++)
            out.push(kmem.backend.read32(pool.array + 4 * i));
    }
    return out;
}

export interface KmemWhatis {
    cache: KmemCache;
    slab: KmemSlab;
    /** Start of the buffer containing the address. */
    buffer: number;
    /** Held by a client (not on its slab's free list, not in a CPU pool). */
    allocated: boolean;
    /** In the cache's CPU pool (free for clients, allocated for the slab layer). */
    pooled: boolean;
}

/** Which cache, slab and buffer an address belongs to; null outside every buffer of every slab. */
export function kmem_whatis(kmem: Kmem, va: number): KmemWhatis | null {
    const slab = kmem.slab_pages.get(trunc_page(va));
    if (!slab) return null;
    const cache = slab.cache;
    const off = va - slab.addr;
    if (off < 0) return null;
    const idx = Math.floor(off / cache.buf_size);
    if (idx >= cache.bufs_per_slab) return null;
    const buffer = slab.addr + idx * cache.buf_size;
    const free = slab_free_buffers(kmem, slab).includes(buffer);
    const pooled = !free && pool_contents(kmem, cache).includes(buffer);
    return { cache, slab, buffer, allocated: !free && !pooled, pooled };
}

/**
 * Consistency of one cache: counters, list membership, the active-slab
 * index, the descriptors and free lists in guest memory, the CPU pool and
 * (VERIFY) every buffer's buftag, pattern or redzone. Returns the problems.
 */
export function kmem_cache_verify(kmem: Kmem, cache: KmemCache): string[] {
    const be = kmem.backend;
    const errs: string[] = [];
    const e = (m: string): void => {
        errs.push(`${cache.name}: ${m}`);
    };
    const verify = (cache.flags & KMEM_CF_VERIFY) !== 0;

    for (const [list, name] of [
        [cache.partial_slabs, "partial"],
        [cache.free_slabs, "free"],
    ] as const) {
        let n = 0;
        let prev: KmemSlab | null = null;
        for (const s of list) {
            if (s.list !== list)
                e(
                    `slab ${hex32(s.slab_buf)} on the ${name} list has list=${s.list ? "other" : "null"}`,
                );
            if (s.prev !== prev)
                e(`slab ${hex32(s.slab_buf)}: broken prev link on the ${name} list`);
            if (!cache.slabs.has(s))
                e(`slab ${hex32(s.slab_buf)} on the ${name} list is not a slab of the cache`);
            prev = s;
            if (++n > cache.slabs.size) {
                e(`${name} list loops`);
                break;
            }
        }
        if (list.tail !== prev) e(`${name} list tail is wrong`);
        if (n !== list.length) e(`${name} list has ${n} slabs, length says ${list.length}`);
    }
    if (cache.nr_slabs !== cache.slabs.size)
        e(`nr_slabs ${cache.nr_slabs} != ${cache.slabs.size} slabs`);
    if (cache.nr_bufs !== cache.nr_slabs * cache.bufs_per_slab)
        e(`nr_bufs ${cache.nr_bufs} != nr_slabs * bufs_per_slab`);
    if (cache.nr_free_slabs !== cache.free_slabs.length) {
        e(`nr_free_slabs ${cache.nr_free_slabs} != ${cache.free_slabs.length} on the free list`);
    }
    if (cache.color < 0 || cache.color > cache.color_max || cache.color % cache.align !== 0)
        e(`bad color ${cache.color}`);

    const pooled = pool_contents(kmem, cache);
    const pooledSet = new Set(pooled);
    const pool = cache.cpu_pool;
    if (pool) {
        if (pool.nr_objs < 0 || pool.nr_objs > pool.size)
            e(`cpu pool holds ${pool.nr_objs} of ${pool.size}`);
        if ((pool.array === 0) !== (pool.size === 0))
            e(`cpu pool array ${hex32(pool.array)} with size ${pool.size}`);
        if (pool.array !== 0) {
            const w = kmem_whatis(kmem, pool.array);
            const ac = cache.cpu_pool_type?.array_cache;
            if (!w || w.cache !== ac || w.buffer !== pool.array || !w.allocated) {
                e(`cpu pool array ${hex32(pool.array)} is not an allocated buffer of ${ac?.name}`);
            }
        }
        if (pooledSet.size !== pooled.length) e("cpu pool holds a buffer twice");
    }

    let objs = 0;
    const tree = use_tree(cache.flags);
    const active: KmemSlab[] = [];
    const seenPooled = new Set<number>();
    for (const s of cache.slabs) {
        const at = `slab ${hex32(s.slab_buf)}`;
        objs += s.nr_refs;
        if (s.nr_refs < 0 || s.nr_refs > cache.bufs_per_slab) e(`${at}: nr_refs ${s.nr_refs}`);
        const want =
            s.nr_refs === 0
                ? cache.free_slabs
                : s.nr_refs === cache.bufs_per_slab
                  ? null
                  : cache.partial_slabs;
        if (s.list !== want) e(`${at}: nr_refs ${s.nr_refs} but on the wrong list`);
        if (s.nr_refs > 0) active.push(s);
        if ((s.slab_buf & PAGE_MASK) !== 0) e(`${at}: not page aligned`);
        const color = s.addr - s.slab_buf;
        if (color < 0 || color > cache.color_max || color % cache.align !== 0)
            e(`${at}: bad color ${color}`);
        for (let p = s.slab_buf; p < s.slab_buf + cache.slab_size; p += PAGE_SIZE) {
            if (kmem.slab_pages.get(p) !== s) e(`${at}: page ${hex32(p)} not indexed`);
        }
        if (cache.flags & KMEM_CF_SLAB_EXTERNAL) {
            const w = kmem_whatis(kmem, s.va);
            if (!w || w.cache !== kmem.kmem_slab_cache || w.buffer !== s.va || !w.allocated) {
                e(`${at}: descriptor ${hex32(s.va)} is not an allocated kmem_slab buffer`);
            }
        } else if (s.va !== s.slab_buf + cache.slab_size - KMEM_SLAB_STRUCT_SIZE) {
            e(`${at}: embedded descriptor at ${hex32(s.va)}`);
        }
        const g = [
            be.read32(s.va + KMEM_SLAB_NR_REFS),
            be.read32(s.va + KMEM_SLAB_FIRST_FREE),
            be.read32(s.va + KMEM_SLAB_ADDR),
        ];
        if (g[0] !== s.nr_refs || g[1] !== s.first_free || g[2] !== s.addr) {
            e(
                `${at}: descriptor in memory (nr_refs ${g[0]}, first_free ${hex32(g[1]!)}, addr ${hex32(g[2]!)}) ` +
                    `!= (${s.nr_refs}, ${hex32(s.first_free)}, ${hex32(s.addr)})`,
            );
        }
        // The free list, from guest memory.
        const free = new Set<number>();
        let b = s.first_free;
        while (b !== 0) {
            if (!bufctl_in_slab(cache, s, b)) {
                e(`${at}: free list reaches ${hex32(b)}, not a bufctl of the slab`);
                break;
            }
            const buf = b - cache.bufctl_dist;
            if (free.has(buf)) {
                e(`${at}: free list loops at buffer ${hex32(buf)}`);
                break;
            }
            free.add(buf);
            b = be.read32(b);
        }
        if (free.size !== cache.bufs_per_slab - s.nr_refs) {
            e(
                `${at}: ${free.size} buffers on the free list, nr_refs ${s.nr_refs} of ${cache.bufs_per_slab}`,
            );
        }
        for (let i = 0, buf = s.addr; i < cache.bufs_per_slab; i++, buf += cache.buf_size) {
            const isPooled = pooledSet.has(buf);
            if (isPooled) {
                seenPooled.add(buf);
                if (free.has(buf))
                    e(`buffer ${hex32(buf)} is both in the cpu pool and on a free list`);
            }
            if (!verify) continue;
            const state = be.read32(buf + cache.buftag_dist);
            if (free.has(buf) || isPooled) {
                if (state !== KMEM_BUFTAG_FREE)
                    e(`free buffer ${hex32(buf)}: buftag ${hex32(state)}`);
                const off = check_free_pattern(kmem, cache, buf);
                if (off >= 0) e(`free buffer ${hex32(buf)} modified at offset ${off}`);
            } else {
                if (state !== KMEM_BUFTAG_ALLOC)
                    e(`allocated buffer ${hex32(buf)}: buftag ${hex32(state)}`);
                const bad = check_redzone(kmem, cache, buf);
                if (bad)
                    e(
                        `allocated buffer ${hex32(buf)}: redzone overwritten at offset ${bad[0] - buf}`,
                    );
            }
        }
    }
    if (seenPooled.size !== pooledSet.size)
        e("cpu pool holds buffers that are not in an active slab");
    if (objs !== cache.nr_objs) e(`nr_objs ${cache.nr_objs} != ${objs} referenced buffers`);
    if (tree) {
        active.sort((a, b) => a.addr - b.addr);
        const t = cache.active_slabs;
        if (t.length !== active.length || t.some((s, i) => s !== active[i])) {
            e(`active slab index holds ${t.length} slabs, ${active.length} slabs are active`);
        }
    } else if (cache.active_slabs.length !== 0) {
        e("DIRECT cache with an active slab index");
    }
    return errs;
}

/** kmem_cache_verify over every cache. */
export function kmem_verify(kmem: Kmem): string[] {
    return kmem.caches.flatMap((c) => kmem_cache_verify(kmem, c));
}
