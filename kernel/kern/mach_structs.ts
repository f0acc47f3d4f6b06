/*
 * kernel/kern/mach_structs.ts — the i386 (ILP32) object sizes of GNU Mach's
 * slab caches, as of commit 8d03c760d386d656ab5c0d976fbce30206501eac
 * (2014-02-12, "Reduce kmem_map to make room for kentry_data_size", the
 * commit that sets KMEM_MAP_SIZE to 96 MiB).
 *
 * How it was derived (exact commands: kernel/kern/mach_structs.md):
 *   - the tree at 8d03c760 was taken from the git mirror
 *     GitMirroring/hurd-gnumach (git archive);
 *   - every kmem_cache_init() call in the tree was found with grep (35
 *     source-level calls; 32 are compiled and reached at boot in this
 *     config, and the kalloc_init loop among them makes 13 caches: 44 caches);
 *   - each .c file holding a call was compiled as-is with
 *     `gcc -m32 -ffreestanding -nostdinc -imacros config.h` and GNU Mach's
 *     own include path (Makefile.am AM_CPPFLAGS, `machine` and
 *     `mach/machine` links as configure makes them), through a wrapper that
 *     #includes the .c file and then declares `char __sz_X[<the exact size
 *     expression passed to kmem_cache_init>]` and `char __al_X[__alignof__(T)]`;
 *     the sizes were read back with `nm -S -t d` (gcc 12.2; the i386 SysV
 *     struct layout rules are the same as the gcc 4.x used in 2014).
 *     Four MIG-generated *.user.h headers were replaced by empty stubs (one
 *     with two extern declarations); they declare RPC stubs only and no type
 *     used in any measured struct;
 *   - so EVERY size below is compiler-measured (`measured: true`); none is
 *     hand-counted. The kalloc_N sizes are (1 << KALLOC_FIRST_SHIFT) << i,
 *     i < KALLOC_NR_CACHES, both constants read back the same way (32, 13);
 *   - bufSize / slabSize / bufsPerSlab / slabExternal / direct are derived,
 *     not measured: a host harness runs kmem_cache_compute_sizes() copied
 *     verbatim (awk) from kern/slab.c with the measured i386 sizes
 *     (sizeof(struct kmem_slab) = 32, PAGE_SIZE = 4096, KMEM_ALIGN_MIN = 8),
 *     after kmem_cache_init's own preprocessing (align = max(align, 8),
 *     NORECLAIM => NOOFFSLAB, buf_size = P2ROUND(obj_size, align)).
 *     SLAB_VERIFY = 0, so no buftag/redzone is added to bufSize.
 *
 * Configuration assumed: configure's defaults for i686 "at" (configfrag.ac,
 * i386/configfrag.ac, linux/configfrag.ac at 8d03c760):
 *   NCPUS=1 (so simple locks are empty), MACH_KDB=0, MACH_HOST=0,
 *   MACH_PAGEMAP=1, MACH_DEBUG=1, MACH_IPC_DEBUG=1, MACH_VM_DEBUG=1,
 *   MACH_FIXPRI=1, MACH_PCSAMPLE=1, FAST_TAS=0, STAT_TIME=1, XPR_DEBUG=1,
 *   MACH_COUNTERS=0, MACH_LDEBUG=0, SLAB_VERIFY=0, SLAB_USE_CPU_POOLS=0,
 *   CPU_L1_SHIFT=6, AT386=1, no PAE, no Xen (MACH_XEN/MACH_HYP/
 *   MACH_PV_PAGETABLES/MACH_PSEUDO_PHYS undefined), LINUX_DEV=1 (the
 *   default driver set pulls in the Linux glue).
 *   MACH_IPC_COMPAT no longer exists in this tree (no reference to it);
 *   MIGRATING_THREADS is undefined (kern/act.c compiles to nothing).
 * Configuration-sensitive entries (checked by recompiling):
 *   pcb  240 with LINUX_DEV (default), 236 without it;
 *   pmap  20 without PAE (default for "at"), 24 with PAE (Xen default).
 *
 * Order: the order in which the caches are created at boot, i.e. the
 * kmem_cache_init() calls reached from setup_main():
 *   vm_mem_bootstrap: vm_page_bootstrap (no cache: boot vm_pages are a
 *     pmap_steal_memory array), slab_bootstrap (no cache), vm_object_bootstrap
 *     (vm_object, then vm_external + existence maps), vm_map_init, kmem_init,
 *     pmap_init, slab_init (kmem_slab), kalloc_init, vm_fault_init,
 *     vm_page_module_init (vm_page);
 *   ipc_bootstrap (+ ipc_marequest_init); vm_mem_init (memory_object_proxy);
 *   task_init (+ machine_task_module_init); thread_init (+ pcb_module_init
 *     + fpu_module_init);
 *   then, in the startup thread, start_kernel_threads > device_service_create
 *     (mach_device_init, dev_lookup_init, net_io_init, device_pager_init).
 * Note vm_page is NOT the first cache: vm_object is.
 *
 * Caches that exist in the source but are NOT created in this config: see
 * MACH_CACHES_NOT_CREATED_2014. Kernel objects with no cache of their own
 * (ipc_entry tables, ipc_kmsg, kmem_cache): MACH_STRUCT_SIZES_2014.
 */

/** One kmem_cache_init() call of GNU Mach 8d03c760 (i386). */
export interface MachCache2014 {
    /** Cache name as passed to kmem_cache_init (kalloc_N: from sprintf). */
    readonly name: string;
    /** obj_size: the sizeof (or constant) passed to kmem_cache_init, i386. */
    readonly size: number;
    /** The cache's effective alignment: max(alignArg, KMEM_ALIGN_MIN = 8). */
    readonly align: number;
    /** The align argument in the source (0 = default). */
    readonly alignArg: number;
    /** __alignof__ of the C type on i386; null when the size is a constant. */
    readonly typeAlign: number | null;
    /** The flags argument, as KMEM_CACHE_* names ([] = 0). */
    readonly flags: readonly string[];
    /** "path:line: <the call>", whitespace collapsed. */
    readonly source: string;
    /** The boot-time call chain that reaches this kmem_cache_init. */
    readonly initPath: string;
    /** The slab page source (slab_alloc_fn / slab_free_fn arguments). */
    readonly slabAlloc: string;
    /** true: size read back from gcc -m32 (all entries); false: hand-counted. */
    readonly measured: boolean;
    /** Derived: cache->buf_size = P2ROUND(size, align). */
    readonly bufSize: number;
    /** Derived (kmem_cache_compute_sizes): cache->slab_size. */
    readonly slabSize: number;
    /** Derived (kmem_cache_compute_sizes): cache->bufs_per_slab. */
    readonly bufsPerSlab: number;
    /** Derived: KMEM_CF_SLAB_EXTERNAL (struct kmem_slab off slab). */
    readonly slabExternal: boolean;
    /** Derived: KMEM_CF_DIRECT (embedded slab data and one-page slabs). */
    readonly direct: boolean;
    readonly note?: string;
}

const freezeCaches = (caches: MachCache2014[]): readonly MachCache2014[] =>
    Object.freeze(caches.map((c) => Object.freeze({ ...c, flags: Object.freeze([...c.flags]) })));

/** Every cache GNU Mach 8d03c760 creates on i386, in boot order. */
export const MACH_CACHES_2014: readonly MachCache2014[] = freezeCaches([
    {
        name: "vm_object",
        size: 80,
        align: 8,
        alignArg: 0,
        typeAlign: 4,
        flags: [],
        source: 'vm/vm_object.c:260: kmem_cache_init(&vm_object_cache, "vm_object", sizeof(struct vm_object), 0, NULL, NULL, NULL, 0);',
        initPath: "vm_mem_bootstrap > vm_object_bootstrap",
        slabAlloc:
            "default: kmem_pagealloc / kmem_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 80,
        slabSize: 4096,
        bufsPerSlab: 50,
        slabExternal: false,
        direct: true,
    },
    {
        name: "vm_external",
        size: 12,
        align: 8,
        alignArg: 0,
        typeAlign: 4,
        flags: [],
        source: 'vm/vm_external.c:142: kmem_cache_init(&vm_external_cache, "vm_external", size, 0, NULL, NULL, NULL, 0);',
        initPath:
            "vm_mem_bootstrap > vm_object_bootstrap > vm_external_module_initialize (MACH_PAGEMAP)",
        slabAlloc:
            "default: kmem_pagealloc / kmem_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 16,
        slabSize: 4096,
        bufsPerSlab: 254,
        slabExternal: false,
        direct: true,
        note: "size = (vm_size_t) sizeof(struct vm_external)",
    },
    {
        name: "small_existence_map",
        size: 16,
        align: 8,
        alignArg: 0,
        typeAlign: null,
        flags: [],
        source: 'vm/vm_external.c:145: kmem_cache_init(&vm_object_small_existence_map_cache, "small_existence_map", SMALL_SIZE, 0, NULL, NULL, NULL, 0);',
        initPath:
            "vm_mem_bootstrap > vm_object_bootstrap > vm_external_module_initialize (MACH_PAGEMAP)",
        slabAlloc:
            "default: kmem_pagealloc / kmem_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 16,
        slabSize: 4096,
        bufsPerSlab: 254,
        slabExternal: false,
        direct: true,
        note: "SMALL_SIZE = VM_EXTERNAL_SMALL_SIZE/8 = 128/8",
    },
    {
        name: "large_existence_map",
        size: 1024,
        align: 8,
        alignArg: 0,
        typeAlign: null,
        flags: [],
        source: 'vm/vm_external.c:149: kmem_cache_init(&vm_object_large_existence_map_cache, "large_existence_map", LARGE_SIZE, 0, NULL, NULL, NULL, 0);',
        initPath:
            "vm_mem_bootstrap > vm_object_bootstrap > vm_external_module_initialize (MACH_PAGEMAP)",
        slabAlloc:
            "default: kmem_pagealloc / kmem_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 1024,
        slabSize: 8192,
        bufsPerSlab: 8,
        slabExternal: true,
        direct: false,
        note: "LARGE_SIZE = VM_EXTERNAL_LARGE_SIZE/8 = 8192/8",
    },
    {
        name: "vm_map",
        size: 68,
        align: 8,
        alignArg: 0,
        typeAlign: 4,
        flags: [],
        source: 'vm/vm_map.c:181: kmem_cache_init(&vm_map_cache, "vm_map", sizeof(struct vm_map), 0, NULL, NULL, NULL, 0);',
        initPath: "vm_mem_bootstrap > vm_map_init",
        slabAlloc:
            "default: kmem_pagealloc / kmem_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 72,
        slabSize: 4096,
        bufsPerSlab: 56,
        slabExternal: false,
        direct: true,
    },
    {
        name: "vm_map_entry",
        size: 60,
        align: 8,
        alignArg: 0,
        typeAlign: 4,
        flags: [],
        source: 'vm/vm_map.c:183: kmem_cache_init(&vm_map_entry_cache, "vm_map_entry", sizeof(struct vm_map_entry), 0, NULL, NULL, NULL, 0);',
        initPath: "vm_mem_bootstrap > vm_map_init",
        slabAlloc:
            "default: kmem_pagealloc / kmem_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 64,
        slabSize: 4096,
        bufsPerSlab: 63,
        slabExternal: false,
        direct: true,
    },
    {
        name: "vm_map_kentry",
        size: 60,
        align: 8,
        alignArg: 0,
        typeAlign: 4,
        flags: ["KMEM_CACHE_NOCPUPOOL", "KMEM_CACHE_NOOFFSLAB", "KMEM_CACHE_NORECLAIM"],
        source: 'vm/vm_map.c:185: kmem_cache_init(&vm_map_kentry_cache, "vm_map_kentry", sizeof(struct vm_map_entry), 0, NULL, kentry_pagealloc, NULL, KMEM_CACHE_NOCPUPOOL | KMEM_CACHE_NOOFFSLAB | KMEM_CACHE_NORECLAIM);',
        initPath: "vm_mem_bootstrap > vm_map_init",
        slabAlloc:
            "kentry_pagealloc (bump allocator over kentry_data, stolen with pmap_steal_memory; never freed)",
        measured: true,
        bufSize: 64,
        slabSize: 4096,
        bufsPerSlab: 63,
        slabExternal: false,
        direct: true,
    },
    {
        name: "vm_map_copy",
        size: 280,
        align: 8,
        alignArg: 0,
        typeAlign: 4,
        flags: [],
        source: 'vm/vm_map.c:189: kmem_cache_init(&vm_map_copy_cache, "vm_map_copy", sizeof(struct vm_map_copy), 0, NULL, NULL, NULL, 0);',
        initPath: "vm_mem_bootstrap > vm_map_init",
        slabAlloc:
            "default: kmem_pagealloc / kmem_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 280,
        slabSize: 4096,
        bufsPerSlab: 14,
        slabExternal: false,
        direct: true,
    },
    {
        name: "pmap",
        size: 20,
        align: 8,
        alignArg: 0,
        typeAlign: 4,
        flags: [],
        source: 'i386/intel/pmap.c:940: kmem_cache_init(&pmap_cache, "pmap", s, 0, NULL, NULL, NULL, 0);',
        initPath: "vm_mem_bootstrap > pmap_init",
        slabAlloc:
            "default: kmem_pagealloc / kmem_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 24,
        slabSize: 4096,
        bufsPerSlab: 169,
        slabExternal: false,
        direct: true,
        note: "s = sizeof(struct pmap); PAE off (default for i386-at)",
    },
    {
        name: "pv_entry",
        size: 12,
        align: 8,
        alignArg: 0,
        typeAlign: 4,
        flags: [],
        source: 'i386/intel/pmap.c:942: kmem_cache_init(&pv_list_cache, "pv_entry", s, 0, NULL, NULL, NULL, 0);',
        initPath: "vm_mem_bootstrap > pmap_init",
        slabAlloc:
            "default: kmem_pagealloc / kmem_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 16,
        slabSize: 4096,
        bufsPerSlab: 254,
        slabExternal: false,
        direct: true,
        note: "s = sizeof(struct pv_entry); struct pv_entry is private to pmap.c",
    },
    {
        name: "kmem_slab",
        size: 32,
        align: 8,
        alignArg: 0,
        typeAlign: 4,
        flags: ["KMEM_CACHE_NOOFFSLAB"],
        source: 'kern/slab.c:1306: kmem_cache_init(&kmem_slab_cache, "kmem_slab", sizeof(struct kmem_slab), 0, NULL, NULL, NULL, KMEM_CACHE_NOOFFSLAB);',
        initPath: "vm_mem_bootstrap > slab_init",
        slabAlloc:
            "default: kmem_pagealloc / kmem_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 32,
        slabSize: 4096,
        bufsPerSlab: 127,
        slabExternal: false,
        direct: true,
    },
    {
        name: "kalloc_32",
        size: 32,
        align: 8,
        alignArg: 0,
        typeAlign: null,
        flags: [],
        source: "kern/slab.c:1337: kmem_cache_init(&kalloc_caches[i], name, size, 0, NULL, kalloc_pagealloc, kalloc_pagefree, 0);",
        initPath: "vm_mem_bootstrap > kalloc_init",
        slabAlloc: "kalloc_pagealloc / kalloc_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 32,
        slabSize: 4096,
        bufsPerSlab: 127,
        slabExternal: false,
        direct: true,
        note: 'size = (1 << KALLOC_FIRST_SHIFT) << 0, name from sprintf("kalloc_%lu", size)',
    },
    {
        name: "kalloc_64",
        size: 64,
        align: 8,
        alignArg: 0,
        typeAlign: null,
        flags: [],
        source: "kern/slab.c:1337: kmem_cache_init(&kalloc_caches[i], name, size, 0, NULL, kalloc_pagealloc, kalloc_pagefree, 0);",
        initPath: "vm_mem_bootstrap > kalloc_init",
        slabAlloc: "kalloc_pagealloc / kalloc_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 64,
        slabSize: 4096,
        bufsPerSlab: 63,
        slabExternal: false,
        direct: true,
        note: 'size = (1 << KALLOC_FIRST_SHIFT) << 1, name from sprintf("kalloc_%lu", size)',
    },
    {
        name: "kalloc_128",
        size: 128,
        align: 8,
        alignArg: 0,
        typeAlign: null,
        flags: [],
        source: "kern/slab.c:1337: kmem_cache_init(&kalloc_caches[i], name, size, 0, NULL, kalloc_pagealloc, kalloc_pagefree, 0);",
        initPath: "vm_mem_bootstrap > kalloc_init",
        slabAlloc: "kalloc_pagealloc / kalloc_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 128,
        slabSize: 4096,
        bufsPerSlab: 31,
        slabExternal: false,
        direct: true,
        note: 'size = (1 << KALLOC_FIRST_SHIFT) << 2, name from sprintf("kalloc_%lu", size)',
    },
    {
        name: "kalloc_256",
        size: 256,
        align: 8,
        alignArg: 0,
        typeAlign: null,
        flags: [],
        source: "kern/slab.c:1337: kmem_cache_init(&kalloc_caches[i], name, size, 0, NULL, kalloc_pagealloc, kalloc_pagefree, 0);",
        initPath: "vm_mem_bootstrap > kalloc_init",
        slabAlloc: "kalloc_pagealloc / kalloc_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 256,
        slabSize: 4096,
        bufsPerSlab: 15,
        slabExternal: false,
        direct: true,
        note: 'size = (1 << KALLOC_FIRST_SHIFT) << 3, name from sprintf("kalloc_%lu", size)',
    },
    {
        name: "kalloc_512",
        size: 512,
        align: 8,
        alignArg: 0,
        typeAlign: null,
        flags: [],
        source: "kern/slab.c:1337: kmem_cache_init(&kalloc_caches[i], name, size, 0, NULL, kalloc_pagealloc, kalloc_pagefree, 0);",
        initPath: "vm_mem_bootstrap > kalloc_init",
        slabAlloc: "kalloc_pagealloc / kalloc_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 512,
        slabSize: 4096,
        bufsPerSlab: 8,
        slabExternal: true,
        direct: false,
        note: 'size = (1 << KALLOC_FIRST_SHIFT) << 4, name from sprintf("kalloc_%lu", size)',
    },
    {
        name: "kalloc_1024",
        size: 1024,
        align: 8,
        alignArg: 0,
        typeAlign: null,
        flags: [],
        source: "kern/slab.c:1337: kmem_cache_init(&kalloc_caches[i], name, size, 0, NULL, kalloc_pagealloc, kalloc_pagefree, 0);",
        initPath: "vm_mem_bootstrap > kalloc_init",
        slabAlloc: "kalloc_pagealloc / kalloc_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 1024,
        slabSize: 8192,
        bufsPerSlab: 8,
        slabExternal: true,
        direct: false,
        note: 'size = (1 << KALLOC_FIRST_SHIFT) << 5, name from sprintf("kalloc_%lu", size)',
    },
    {
        name: "kalloc_2048",
        size: 2048,
        align: 8,
        alignArg: 0,
        typeAlign: null,
        flags: [],
        source: "kern/slab.c:1337: kmem_cache_init(&kalloc_caches[i], name, size, 0, NULL, kalloc_pagealloc, kalloc_pagefree, 0);",
        initPath: "vm_mem_bootstrap > kalloc_init",
        slabAlloc: "kalloc_pagealloc / kalloc_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 2048,
        slabSize: 16384,
        bufsPerSlab: 8,
        slabExternal: true,
        direct: false,
        note: 'size = (1 << KALLOC_FIRST_SHIFT) << 6, name from sprintf("kalloc_%lu", size)',
    },
    {
        name: "kalloc_4096",
        size: 4096,
        align: 8,
        alignArg: 0,
        typeAlign: null,
        flags: [],
        source: "kern/slab.c:1337: kmem_cache_init(&kalloc_caches[i], name, size, 0, NULL, kalloc_pagealloc, kalloc_pagefree, 0);",
        initPath: "vm_mem_bootstrap > kalloc_init",
        slabAlloc: "kalloc_pagealloc / kalloc_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 4096,
        slabSize: 32768,
        bufsPerSlab: 8,
        slabExternal: true,
        direct: false,
        note: 'size = (1 << KALLOC_FIRST_SHIFT) << 7, name from sprintf("kalloc_%lu", size)',
    },
    {
        name: "kalloc_8192",
        size: 8192,
        align: 8,
        alignArg: 0,
        typeAlign: null,
        flags: [],
        source: "kern/slab.c:1337: kmem_cache_init(&kalloc_caches[i], name, size, 0, NULL, kalloc_pagealloc, kalloc_pagefree, 0);",
        initPath: "vm_mem_bootstrap > kalloc_init",
        slabAlloc: "kalloc_pagealloc / kalloc_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 8192,
        slabSize: 32768,
        bufsPerSlab: 4,
        slabExternal: true,
        direct: false,
        note: 'size = (1 << KALLOC_FIRST_SHIFT) << 8, name from sprintf("kalloc_%lu", size)',
    },
    {
        name: "kalloc_16384",
        size: 16384,
        align: 8,
        alignArg: 0,
        typeAlign: null,
        flags: [],
        source: "kern/slab.c:1337: kmem_cache_init(&kalloc_caches[i], name, size, 0, NULL, kalloc_pagealloc, kalloc_pagefree, 0);",
        initPath: "vm_mem_bootstrap > kalloc_init",
        slabAlloc: "kalloc_pagealloc / kalloc_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 16384,
        slabSize: 32768,
        bufsPerSlab: 2,
        slabExternal: true,
        direct: false,
        note: 'size = (1 << KALLOC_FIRST_SHIFT) << 9, name from sprintf("kalloc_%lu", size)',
    },
    {
        name: "kalloc_32768",
        size: 32768,
        align: 8,
        alignArg: 0,
        typeAlign: null,
        flags: [],
        source: "kern/slab.c:1337: kmem_cache_init(&kalloc_caches[i], name, size, 0, NULL, kalloc_pagealloc, kalloc_pagefree, 0);",
        initPath: "vm_mem_bootstrap > kalloc_init",
        slabAlloc: "kalloc_pagealloc / kalloc_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 32768,
        slabSize: 32768,
        bufsPerSlab: 1,
        slabExternal: true,
        direct: false,
        note: 'size = (1 << KALLOC_FIRST_SHIFT) << 10, name from sprintf("kalloc_%lu", size)',
    },
    {
        name: "kalloc_65536",
        size: 65536,
        align: 8,
        alignArg: 0,
        typeAlign: null,
        flags: [],
        source: "kern/slab.c:1337: kmem_cache_init(&kalloc_caches[i], name, size, 0, NULL, kalloc_pagealloc, kalloc_pagefree, 0);",
        initPath: "vm_mem_bootstrap > kalloc_init",
        slabAlloc: "kalloc_pagealloc / kalloc_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 65536,
        slabSize: 65536,
        bufsPerSlab: 1,
        slabExternal: true,
        direct: false,
        note: 'size = (1 << KALLOC_FIRST_SHIFT) << 11, name from sprintf("kalloc_%lu", size)',
    },
    {
        name: "kalloc_131072",
        size: 131072,
        align: 8,
        alignArg: 0,
        typeAlign: null,
        flags: [],
        source: "kern/slab.c:1337: kmem_cache_init(&kalloc_caches[i], name, size, 0, NULL, kalloc_pagealloc, kalloc_pagefree, 0);",
        initPath: "vm_mem_bootstrap > kalloc_init",
        slabAlloc: "kalloc_pagealloc / kalloc_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 131072,
        slabSize: 131072,
        bufsPerSlab: 1,
        slabExternal: true,
        direct: false,
        note: 'size = (1 << KALLOC_FIRST_SHIFT) << 12, name from sprintf("kalloc_%lu", size)',
    },
    {
        name: "vm_fault_state",
        size: 60,
        align: 8,
        alignArg: 0,
        typeAlign: 4,
        flags: [],
        source: 'vm/vm_fault.c:107: kmem_cache_init(&vm_fault_state_cache, "vm_fault_state", sizeof(vm_fault_state_t), 0, NULL, NULL, NULL, 0);',
        initPath: "vm_mem_bootstrap > vm_fault_init",
        slabAlloc:
            "default: kmem_pagealloc / kmem_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 64,
        slabSize: 4096,
        bufsPerSlab: 63,
        slabExternal: false,
        direct: true,
        note: "vm_fault_state_t is a struct typedef private to vm_fault.c",
    },
    {
        name: "vm_page",
        size: 44,
        align: 8,
        alignArg: 0,
        typeAlign: 4,
        flags: [],
        source: 'vm/vm_resident.c:432: kmem_cache_init(&vm_page_cache, "vm_page", sizeof(struct vm_page), 0, NULL, NULL, NULL, 0);',
        initPath: "vm_mem_bootstrap > vm_page_module_init",
        slabAlloc:
            "default: kmem_pagealloc / kmem_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 48,
        slabSize: 4096,
        bufsPerSlab: 84,
        slabExternal: false,
        direct: true,
        note: "boot-time pages are in a pmap_steal_memory array (vm_page_bootstrap/pmap_startup); this cache only serves later vm_page_grab_fictitious etc.",
    },
    {
        name: "ipc_space",
        size: 60,
        align: 8,
        alignArg: 0,
        typeAlign: 4,
        flags: [],
        source: 'ipc/ipc_init.c:76: kmem_cache_init(&ipc_space_cache, "ipc_space", sizeof(struct ipc_space), 0, NULL, NULL, NULL, 0);',
        initPath: "ipc_bootstrap",
        slabAlloc:
            "default: kmem_pagealloc / kmem_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 64,
        slabSize: 4096,
        bufsPerSlab: 63,
        slabExternal: false,
        direct: true,
    },
    {
        name: "ipc_tree_entry",
        size: 32,
        align: 8,
        alignArg: 0,
        typeAlign: 4,
        flags: [],
        source: 'ipc/ipc_init.c:79: kmem_cache_init(&ipc_tree_entry_cache, "ipc_tree_entry", sizeof(struct ipc_tree_entry), 0, NULL, NULL, NULL, 0);',
        initPath: "ipc_bootstrap",
        slabAlloc:
            "default: kmem_pagealloc / kmem_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 32,
        slabSize: 4096,
        bufsPerSlab: 127,
        slabExternal: false,
        direct: true,
    },
    {
        name: "ipc_port",
        size: 76,
        align: 8,
        alignArg: 0,
        typeAlign: 4,
        flags: [],
        source: 'ipc/ipc_init.c:82: kmem_cache_init(&ipc_object_caches[IOT_PORT], "ipc_port", sizeof(struct ipc_port), 0, NULL, NULL, NULL, 0);',
        initPath: "ipc_bootstrap",
        slabAlloc:
            "default: kmem_pagealloc / kmem_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 80,
        slabSize: 4096,
        bufsPerSlab: 50,
        slabExternal: false,
        direct: true,
        note: "ipc_object_caches[IOT_PORT]",
    },
    {
        name: "ipc_pset",
        size: 20,
        align: 8,
        alignArg: 0,
        typeAlign: 4,
        flags: [],
        source: 'ipc/ipc_init.c:85: kmem_cache_init(&ipc_object_caches[IOT_PORT_SET], "ipc_pset", sizeof(struct ipc_pset), 0, NULL, NULL, NULL, 0);',
        initPath: "ipc_bootstrap",
        slabAlloc:
            "default: kmem_pagealloc / kmem_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 24,
        slabSize: 4096,
        bufsPerSlab: 169,
        slabExternal: false,
        direct: true,
        note: "ipc_object_caches[IOT_PORT_SET]",
    },
    {
        name: "ipc_marequest",
        size: 16,
        align: 8,
        alignArg: 0,
        typeAlign: 4,
        flags: [],
        source: 'ipc/ipc_marequest.c:139: kmem_cache_init(&ipc_marequest_cache, "ipc_marequest", sizeof(struct ipc_marequest), 0, NULL, NULL, NULL, 0);',
        initPath: "ipc_bootstrap > ipc_marequest_init",
        slabAlloc:
            "default: kmem_pagealloc / kmem_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 16,
        slabSize: 4096,
        bufsPerSlab: 254,
        slabExternal: false,
        direct: true,
    },
    {
        name: "memory_object_proxy",
        size: 12,
        align: 8,
        alignArg: 0,
        typeAlign: 4,
        flags: [],
        source: 'vm/memory_object_proxy.c:66: kmem_cache_init(&memory_object_proxy_cache, "memory_object_proxy", sizeof (struct memory_object_proxy), 0, NULL, NULL, NULL, 0);',
        initPath: "vm_mem_init > memory_object_proxy_init",
        slabAlloc:
            "default: kmem_pagealloc / kmem_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 16,
        slabSize: 4096,
        bufsPerSlab: 254,
        slabExternal: false,
        direct: true,
    },
    {
        name: "task",
        size: 192,
        align: 8,
        alignArg: 0,
        typeAlign: 4,
        flags: [],
        source: 'kern/task.c:61: kmem_cache_init(&task_cache, "task", sizeof(struct task), 0, NULL, NULL, NULL, 0);',
        initPath: "task_init",
        slabAlloc:
            "default: kmem_pagealloc / kmem_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 192,
        slabSize: 4096,
        bufsPerSlab: 21,
        slabExternal: false,
        direct: true,
    },
    {
        name: "i386_task_iopb",
        size: 8192,
        align: 8,
        alignArg: 0,
        typeAlign: null,
        flags: [],
        source: 'i386/i386/machine_task.c:40: kmem_cache_init(&machine_task_iopb_cache, "i386_task_iopb", IOPB_BYTES, 0, NULL, NULL, NULL, 0);',
        initPath: "task_init > machine_task_module_init",
        slabAlloc:
            "default: kmem_pagealloc / kmem_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 8192,
        slabSize: 32768,
        bufsPerSlab: 4,
        slabExternal: true,
        direct: false,
        note: "IOPB_BYTES = ((IOPB_MAX + 1) + 7) / 8",
    },
    {
        name: "thread",
        size: 332,
        align: 8,
        alignArg: 0,
        typeAlign: 4,
        flags: [],
        source: 'kern/thread.c:300: kmem_cache_init(&thread_cache, "thread", sizeof(struct thread), 0, NULL, NULL, NULL, 0);',
        initPath: "thread_init",
        slabAlloc:
            "default: kmem_pagealloc / kmem_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 336,
        slabSize: 4096,
        bufsPerSlab: 12,
        slabExternal: false,
        direct: true,
    },
    {
        name: "pcb",
        size: 240,
        align: 8,
        alignArg: 0,
        typeAlign: 4,
        flags: [],
        source: 'i386/i386/pcb.c:370: kmem_cache_init(&pcb_cache, "pcb", sizeof(struct pcb), 0, NULL, NULL, NULL, 0);',
        initPath: "thread_init > pcb_module_init",
        slabAlloc:
            "default: kmem_pagealloc / kmem_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 240,
        slabSize: 4096,
        bufsPerSlab: 16,
        slabExternal: false,
        direct: true,
        note: "includes void *data under LINUX_DEV (default i386-at build); 236 without LINUX_DEV",
    },
    {
        name: "i386_fpsave_state",
        size: 528,
        align: 16,
        alignArg: 16,
        typeAlign: 16,
        flags: [],
        source: 'i386/i386/fpu.c:190: kmem_cache_init(&ifps_cache, "i386_fpsave_state", sizeof(struct i386_fpsave_state), 16, NULL, NULL, NULL, 0);',
        initPath: "thread_init > pcb_module_init > fpu_module_init",
        slabAlloc:
            "default: kmem_pagealloc / kmem_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 528,
        slabSize: 8192,
        bufsPerSlab: 15,
        slabExternal: false,
        direct: false,
    },
    {
        name: "io_buf_ptr_inband",
        size: 128,
        align: 8,
        alignArg: 0,
        typeAlign: 1,
        flags: [],
        source: 'device/ds_routines.c:1563: kmem_cache_init(&io_inband_cache, "io_buf_ptr_inband", sizeof(io_buf_ptr_inband_t), 0, NULL, NULL, NULL, 0);',
        initPath: "start_kernel_threads > device_service_create > mach_device_init",
        slabAlloc:
            "default: kmem_pagealloc / kmem_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 128,
        slabSize: 4096,
        bufsPerSlab: 31,
        slabExternal: false,
        direct: true,
        note: "io_buf_ptr_inband_t = char[IO_INBAND_MAX]",
    },
    {
        name: "io_req",
        size: 2048,
        align: 8,
        alignArg: 0,
        typeAlign: null,
        flags: [],
        source: 'device/ds_routines.c:1608: kmem_cache_init(&io_trap_cache, "io_req", IOTRAP_REQSIZE, 0, NULL, NULL, NULL, 0);',
        initPath:
            "start_kernel_threads > device_service_create > mach_device_init > mach_device_trap_init",
        slabAlloc:
            "default: kmem_pagealloc / kmem_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 2048,
        slabSize: 16384,
        bufsPerSlab: 8,
        slabExternal: true,
        direct: false,
        note: "IOTRAP_REQSIZE = 2048",
    },
    {
        name: "mach_device",
        size: 48,
        align: 8,
        alignArg: 0,
        typeAlign: 4,
        flags: [],
        source: 'device/dev_lookup.c:374: kmem_cache_init(&dev_hdr_cache, "mach_device", sizeof(struct mach_device), 0, NULL, NULL, NULL, 0);',
        initPath: "start_kernel_threads > device_service_create > dev_lookup_init",
        slabAlloc:
            "default: kmem_pagealloc / kmem_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 48,
        slabSize: 4096,
        bufsPerSlab: 84,
        slabExternal: false,
        direct: true,
    },
    {
        name: "net_rcv_port",
        size: 292,
        align: 8,
        alignArg: 0,
        typeAlign: 4,
        flags: [],
        source: 'device/net_io.c:1496: kmem_cache_init(&net_rcv_cache, "net_rcv_port", size, 0, NULL, NULL, NULL, 0);',
        initPath: "start_kernel_threads > device_service_create > net_io_init",
        slabAlloc:
            "default: kmem_pagealloc / kmem_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 296,
        slabSize: 4096,
        bufsPerSlab: 13,
        slabExternal: false,
        direct: true,
        note: "size = sizeof(struct net_rcv_port)",
    },
    {
        name: "net_hash_entry",
        size: 32,
        align: 8,
        alignArg: 0,
        typeAlign: 4,
        flags: [],
        source: 'device/net_io.c:1500: kmem_cache_init(&net_hash_entry_cache, "net_hash_entry", size, 0, NULL, NULL, NULL, 0);',
        initPath: "start_kernel_threads > device_service_create > net_io_init",
        slabAlloc:
            "default: kmem_pagealloc / kmem_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 32,
        slabSize: 4096,
        bufsPerSlab: 127,
        slabExternal: false,
        direct: true,
        note: "size = sizeof(struct net_hash_entry)",
    },
    {
        name: "dev_pager",
        size: 36,
        align: 8,
        alignArg: 0,
        typeAlign: 4,
        flags: [],
        source: 'device/dev_pager.c:708: kmem_cache_init(&dev_pager_cache, "dev_pager", size, 0, NULL, NULL, NULL, 0);',
        initPath: "start_kernel_threads > device_service_create > device_pager_init",
        slabAlloc:
            "default: kmem_pagealloc / kmem_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 40,
        slabSize: 4096,
        bufsPerSlab: 101,
        slabExternal: false,
        direct: true,
        note: "size = sizeof(struct dev_pager)",
    },
    {
        name: "dev_pager_entry",
        size: 16,
        align: 8,
        alignArg: 0,
        typeAlign: 4,
        flags: [],
        source: 'device/dev_pager.c:175: kmem_cache_init(&dev_pager_hash_cache, "dev_pager_entry", size, 0, NULL, NULL, NULL, 0);',
        initPath:
            "start_kernel_threads > device_service_create > device_pager_init > dev_pager_hash_init",
        slabAlloc:
            "default: kmem_pagealloc / kmem_pagefree (kmem_alloc_wired / kmem_free on kmem_map)",
        measured: true,
        bufSize: 16,
        slabSize: 4096,
        bufsPerSlab: 254,
        slabExternal: false,
        direct: true,
        note: "size = sizeof(struct dev_pager_entry)",
    },
]);

/**
 * kmem_cache_init() calls present in the 8d03c760 tree that are not compiled
 * or never reached in the assumed configuration. Sizes are still measured.
 */
export const MACH_CACHES_NOT_CREATED_2014: readonly {
    readonly name: string;
    readonly size: number | null;
    readonly source: string;
    readonly why: string;
}[] = Object.freeze([
    Object.freeze({
        name: "kmem_cpu_array_N",
        size: null,
        source: "kern/slab.c:1298: kmem_cache_init(cpu_pool_type->array_cache, name, size, cpu_pool_type->array_align, NULL, NULL, NULL, 0);",
        why: "#if SLAB_USE_CPU_POOLS (configure defines it to 0); would be 4 caches of sizeof(void *) * {1, 8, 64, 128} bytes",
    }),
    Object.freeze({
        name: "Act",
        size: null,
        source: 'kern/act.c:70: kmem_cache_init(&act_cache, "Act", sizeof(struct Act), 0, NULL, NULL, NULL, 0);',
        why: "kern/act.c is wrapped in #ifdef MIGRATING_THREADS, which is never defined",
    }),
    Object.freeze({
        name: "processor_set",
        size: 508,
        source: 'kern/processor.c:111: kmem_cache_init(&pset_cache, "processor_set", sizeof(struct processor_set), 0, NULL, NULL, NULL, 0);',
        why: "in pset_sys_init(), which is #if MACH_HOST (0); the default pset is static",
    }),
]);

/**
 * i386 sizes of kernel structs that have no cache of their own, measured the
 * same way (gcc -m32, nm -S).
 */
export const MACH_STRUCT_SIZES_2014 = Object.freeze({
    /** struct ipc_entry: space tables are ipc_table_alloc()ed, i.e. kalloc for
     *  size < PAGE_SIZE, else kmem_alloc(kmem_map) (ipc/ipc_table.c). */
    ipc_entry: 16,
    /** struct ipc_kmsg (header included); kmsgs are kalloc(ikm_plus_overhead(size)),
     *  IKM_SAVED_KMSG_SIZE = 256 (ipc/ipc_kmsg.h); no cache. */
    ipc_kmsg: 40,
    /** IKM_OVERHEAD = sizeof(struct ipc_kmsg) - sizeof(mach_msg_header_t). */
    IKM_OVERHEAD: 16,
    mach_msg_header_t: 24,
    /** struct kmem_cache: static (kern/slab.c) or embedded in its user; 64-aligned. */
    kmem_cache: 128,
    /** struct kmem_slab, also the "kmem_slab" cache object size. */
    kmem_slab: 32,
    /** union kmem_bufctl. */
    kmem_bufctl: 4,
    PAGE_SIZE: 4096,
    KMEM_ALIGN_MIN: 8,
    KALLOC_FIRST_SHIFT: 5,
    KALLOC_NR_CACHES: 13,
} as const);
