/*
 * kernel/presets.ts — layout parameters as data, with provenance.
 *
 * A preset is a named set of the constants that shape GNU Mach's kernel
 * address space in one era or distribution. Each one says where every
 * value comes from: the four presets named after a real kernel were read
 * from that kernel's ELF file with gdb (see `checked`); the others from the
 * GNU Mach sources at the commits they name. `--set
 * name=value` overrides any parameter; `params_validate` refuses layouts
 * that cannot be built (bad input, exit 2), while a layout that boots into
 * failure is a result of the run (a kernel panic, or a boot that gets stuck).
 */

const MiB = 1024 * 1024;

export interface LayoutParams {
    /** VM_MIN_KERNEL_ADDRESS = KERNELBASE: start of the direct map and of kernel_map. */
    vm_min_kernel_address: number;
    /** VM_MAX_KERNEL_ADDRESS (inclusive last byte, 0xffffffff on i386). */
    vm_max_kernel_address: number;
    /** VM_KERNEL_MAP_SIZE: kernel VA reserved above the direct map. */
    vm_kernel_map_size: number;
    /** KMEM_MAP_SIZE: the slab allocator's submap (0 = none, HEAD). */
    kmem_map_size: number;
    /** kalloc_map (2011-12 .. 2012-07 and the zone era); 0 = merged into kmem_map. */
    kalloc_map_size: number;
    /** zone_map (zone era only); 0 = slab era. */
    zone_map_size: number;
    /** ipc_kernel_map_size. */
    ipc_kernel_map_size: number;
    /** DEVICE_IO_MAP_SIZE. */
    device_io_map_size: number;
    /** KENTRY_DATA_SIZE in pages (stolen at boot for kernel map entries). */
    kentry_pages: number;
    /** x15's alternative: a kentry_map submap of this size whose one entry grows (0 = GNU Mach's fixed area). */
    kentry_map_size: number;
    /** sizeof(struct vm_map_entry) (48 before 2012-04, 60 after). */
    vm_map_entry_size: number;
    /** sizeof(struct vm_page): 48 up to v1.4 (Debian's 2014 packages), 44 from 2014-01-02 (upstream 8d03c760). */
    vm_page_size: number;
    /** sizeof(struct pv_entry). */
    pv_entry_size: number;
    /** sizeof(struct task), the "task" slab cache's object size: 168 in v1.4 (Debian's 2014 packages), 192 at 8d03c760. */
    task_size: number;
    /** sizeof(vm_page_bucket_t). */
    vm_page_bucket_size: number;
    /** PAE page tables (configure --enable-pae). */
    pae: number;
    /** Page-table pages the stub maps at boot (4 MiB each). */
    boot_ptps: number;
    /** Extra BSS added to the kernel image (the "4 MiB static array" case). */
    kernel_bss: number;
    /** 1 = zone allocator era (zalloc), 0 = slab. `--set allocator=zone|slab` sets it. */
    zalloc: number;
    /** SLAB_USE_CPU_POOLS (0 in shipped GNU Mach). `--set cpu_pools=on|off`. */
    cpu_pools: number;
    /** SLAB_VERIFY: KMEM_CF_VERIFY on every cache (0 in shipped GNU Mach). */
    slab_verify: number;
    /**
     * 1 = the vm_map_kentry cache takes part in the CPU pool layer, as in the
     * 2011-11 mcsim/slab branch [inferred]; 0 = KMEM_CACHE_NOCPUPOOL, as merged
     * in db2078e4 (2011-12) and kept until 2016.
     */
    kentry_cpu_pool: number;
    /** VM_PAGE_FREE_RESERVED: pages only privileged allocations may take (50 until 91f0887c, 500 after). */
    vm_page_free_reserved: number;
    /** 1 = the free_min/free_target formulas of 91f0887c (2014-08-30), 0 = those of 1997–2014-08. */
    pageout_2014_08: number;
    /** The default pager's paging area in bytes (0 = none: anonymous memory cannot be paged out). */
    swap_size: number;
    /**
     * Not a kernel constant: the size of the image's post-boot device_read
     * steps (0 = what the image says, e.g. the whole ramdisk). For exploring
     * which contiguous kernel_map demand puts the boot cliff where.
     */
    device_read_size: number;
}

export interface Preset {
    name: string;
    summary: string;
    /** Where each value comes from, and what it was checked against. */
    source: string;
    /**
     * The real GNU Mach kernel (file name of the test fixtures built from
     * the original sources) whose values this preset reproduces, if any.
     */
    kernel?: string;
    params: LayoutParams;
}

/**
 * Debian's 2014 kernels: GNU Mach v1.4 with Debian's 2:1.4-x patch series
 * (60_bigmem: 2G/2G split; 50_initrd: the ramdisk; git-kentry_data_size:
 * 256 kentry pages). v1.4 predates the three 2014-01-02 commits (70833d9d,
 * 93b9dca0, 2f8477fb) that shrank struct vm_page from 48 to 44 bytes.
 */
const DEBIAN_1_4_4: LayoutParams = {
    vm_min_kernel_address: 0x80000000,
    vm_max_kernel_address: 0xffffffff,
    vm_kernel_map_size: 192 * MiB,
    kmem_map_size: 128 * MiB,
    kalloc_map_size: 0,
    zone_map_size: 0,
    ipc_kernel_map_size: 8 * MiB,
    device_io_map_size: 16 * MiB,
    kentry_pages: 256,
    kentry_map_size: 0,
    vm_map_entry_size: 60,
    vm_page_size: 48,
    pv_entry_size: 12,
    task_size: 168,
    vm_page_bucket_size: 4,
    pae: 0,
    boot_ptps: 1,
    kernel_bss: 0,
    zalloc: 0,
    cpu_pools: 0,
    slab_verify: 0,
    kentry_cpu_pool: 0,
    vm_page_free_reserved: 50,
    pageout_2014_08: 0,
    swap_size: 0,
    device_read_size: 0,
};

/**
 * How the values of a preset checked against one of the real kernels were
 * read from that kernel's ELF file (DWARF and code, gdb 13): the struct
 * sizes with `p sizeof(...)`, kentry_data_size and ipc_kernel_map_size with
 * `p` on the variables, and the macros from the constants in the code that
 * uses them: KMEM_MAP_SIZE is the size slab_init passes to kmem_submap,
 * DEVICE_IO_MAP_SIZE the one mach_device_init passes, VM_MIN_KERNEL_ADDRESS
 * phystokv's 0x80000000, VM_KERNEL_MAP_SIZE what pmap_bootstrap adds to
 * phys_last_addr for kernel_virtual_end (`sub $0x74000000` = + 0x8C000000 =
 * phystokv + 0xC000000), VM_PAGE_FREE_RESERVED the 0x32 vm_pageout stores.
 */
function checked(kernel: string, values: string): string {
    return (
        `checked against the real kernel ${kernel} (gdb on its ELF): ${values}; ` +
        "VM_MIN_KERNEL_ADDRESS 0x80000000 (phystokv), VM_KERNEL_MAP_SIZE 192 MiB " +
        "(pmap_bootstrap's kernel_virtual_end), kentry_data_size 1048576 = 256 pages, " +
        "ipc_kernel_map_size 8 MiB, DEVICE_IO_MAP_SIZE 16 MiB (mach_device_init), " +
        "sizeof(struct vm_map_entry) 60, sizeof(struct pv_entry) 12, " +
        "sizeof(vm_page_bucket_t) 4, VM_PAGE_FREE_RESERVED 50 (vm_pageout)"
    );
}

export const PRESETS: readonly Preset[] = [
    {
        name: "debian-2014",
        kernel: "gnumach-debian-1.4-4",
        summary:
            "Debian gnumach 2:1.4-4 (Jan-Feb 2014, the package that broke d-i at 1856 MiB): v1.4 + Debian's patches, 2G/2G split, kmem_map 128 MiB, KENTRY 256 pages, 48-byte struct vm_page",
        source:
            "v1.4 + Debian 2:1.4-4 (60_bigmem.patch: VM_MIN_KERNEL_ADDRESS 0x80000000; dd0989ad via git-kentry_data_size.patch: 256 kentry pages); " +
            checked(
                "gnumach-debian-1.4-4",
                "sizeof(struct vm_page) 48, sizeof(struct task) 168 (the task cache's obj_size read by mach86 diff), KMEM_MAP_SIZE 128 MiB (slab_init: kmem_submap 0x8000000)",
            ),
        params: DEBIAN_1_4_4,
    },
    {
        name: "debian-2014-fix",
        kernel: "gnumach-debian-1.4-6",
        summary:
            "Debian gnumach 2:1.4-6 (11 Feb 2014, the fix for d-i): as debian-2014 with kmem_map reduced to 96 MiB; 48-byte struct vm_page",
        source:
            "v1.4 + Debian 2:1.4-6 (1.4-4's series plus the kmem_map reduction that became upstream 8d03c760); " +
            checked(
                "gnumach-debian-1.4-6",
                "sizeof(struct vm_page) 48, sizeof(struct task) 168 (the task cache's obj_size read by mach86 diff), KMEM_MAP_SIZE 96 MiB (slab_init: kmem_submap 0x6000000)",
            ),
        params: { ...DEBIAN_1_4_4, kmem_map_size: 96 * MiB },
    },
    {
        name: "gnumach-8d03c760-debian",
        kernel: "gnumach-8d03c760-debian",
        summary:
            "upstream 8d03c760 (12 Feb 2014, 'Reduce kmem_map to make room for kentry_data_size') with Debian's 50_initrd and 60_bigmem: 2G/2G split, kmem_map 96 MiB, 44-byte struct vm_page",
        source:
            "8d03c760 + Debian 50_initrd.patch and 60_bigmem.patch; " +
            checked(
                "gnumach-8d03c760-debian",
                "sizeof(struct vm_page) 44, sizeof(struct task) 192, KMEM_MAP_SIZE 96 MiB (slab_init: kmem_submap 0x6000000)",
            ),
        params: { ...DEBIAN_1_4_4, kmem_map_size: 96 * MiB, vm_page_size: 44, task_size: 192 },
    },
    {
        name: "gnumach-8d03c760-debian-kmem128",
        kernel: "gnumach-8d03c760-debian-kmem128",
        summary:
            "gnumach-8d03c760-debian with 8d03c760 reverted: kmem_map 128 MiB, 44-byte struct vm_page",
        source:
            "8d03c760 with its KMEM_MAP_SIZE change reverted + Debian 50_initrd.patch and 60_bigmem.patch; " +
            checked(
                "gnumach-8d03c760-debian-kmem128",
                "sizeof(struct vm_page) 44, sizeof(struct task) 192, KMEM_MAP_SIZE 128 MiB (slab_init: kmem_submap 0x8000000)",
            ),
        params: { ...DEBIAN_1_4_4, vm_page_size: 44, task_size: 192 },
    },
    {
        name: "x15-kentry",
        summary:
            "debian-2014-fix with x15's alternative to the fixed kentry area: a 16 MiB kentry_map submap whose single entry is extended on growth (one stolen page bootstraps it)",
        source: "not a GNU Mach kernel: braunr's description of x15's kentry_map (Hurd wiki, gnumach memory management: 'similar to the way pmap_growkernel() works'); every other value as debian-2014-fix",
        params: {
            ...DEBIAN_1_4_4,
            kmem_map_size: 96 * MiB,
            kentry_pages: 1,
            kentry_map_size: 16 * MiB,
        },
    },
    {
        name: "upstream-2014",
        summary:
            "upstream GNU Mach at 8d03c760: 3G/1G split, so RAM is truncated at 832 MiB - 4 KiB; 44-byte struct vm_page",
        source: "upstream 8d03c760, read from its sources (no upstream build is among the real kernels): i386/i386/vm_param.h VM_MIN_KERNEL_ADDRESS 0xC0000000 (b3027e26) and VM_KERNEL_MAP_SIZE 192 MiB (3d4e83e3); kern/slab.c KMEM_MAP_SIZE 96 MiB (8d03c760); struct vm_page 44 B after 70833d9d/93b9dca0/2f8477fb, the same struct as gnumach-8d03c760-debian's (gdb); the other sizes as in that kernel",
        params: {
            ...DEBIAN_1_4_4,
            vm_min_kernel_address: 0xc0000000,
            kmem_map_size: 96 * MiB,
            vm_page_size: 44,
            task_size: 192,
        },
    },
    {
        name: "zalloc-2011",
        summary:
            "GNU Mach before the slab merge (2011-08..2011-12): zone_map 64 MiB, kalloc_map 64 MiB, no kmem_map, 256 kentries of 48 B, kernel at linear 0xC0000000 via segmentation; 48-byte struct vm_page",
        source: "upstream sources at a12a1067 (2012-01-22, the last pre-slab master), read, not built: fa6c711d (zone_map_size 64 MiB); 07dc2f7b (kalloc_map 64 MiB, DEVICE_IO_MAP_SIZE 16 MiB); 38154426 (ipc_kernel_map 8 MiB); 3d4e83e3 (VM_KERNEL_MAP_SIZE 192 MiB); vm/vm_map.c kentry_count 256 x 48 B = 3 pages; vm/vm_page.h struct vm_page 48 B (wire_count:16 and two bit-field words, as v1.4's, whose size gdb reads as 48 in gnumach-debian-1.4-4)",
        params: {
            ...DEBIAN_1_4_4,
            vm_min_kernel_address: 0xc0000000,
            kmem_map_size: 0,
            kalloc_map_size: 64 * MiB,
            zone_map_size: 64 * MiB,
            kentry_pages: 3,
            vm_map_entry_size: 48,
            zalloc: 1,
            task_size: 192,
        },
    },
    {
        name: "head",
        summary:
            "GNU Mach HEAD (2026) i386 layout parameters: 3G/1G, VM_KERNEL_MAP_SIZE 170 MiB, no kmem_map, no kentry area",
        source: "upstream sources at 970604df (2026-04-26), read, not built: b2f1eea9 (VM_KERNEL_MAP_SIZE 170 MiB); a8fd18db (kmem_map removed); 5e9f6f52 (kentry area removed); vm/vm_page.h struct vm_page 52 B (computed from its definition with i386 GCC bit-field packing); 91f0887c (VM_PAGE_FREE_RESERVED 500 and the 2014-08 pageout thresholds). The physical allocator (biosmem/vm_page segments) is not modelled: the 2014 boot path runs with these sizes",
        params: {
            ...DEBIAN_1_4_4,
            vm_min_kernel_address: 0xc0000000,
            vm_kernel_map_size: 170 * MiB,
            kmem_map_size: 0,
            kentry_pages: 0,
            vm_page_size: 52,
            vm_page_free_reserved: 500,
            pageout_2014_08: 1,
            task_size: 192,
        },
    },
];

export const DEFAULT_PRESET = "debian-2014-fix";

/** Which parameters are sizes in bytes (accept K/M/G), which are plain counts. */
export const SIZE_PARAMS: ReadonlySet<keyof LayoutParams> = new Set<keyof LayoutParams>([
    "vm_kernel_map_size",
    "kmem_map_size",
    "kalloc_map_size",
    "zone_map_size",
    "ipc_kernel_map_size",
    "device_io_map_size",
    "kernel_bss",
    "kentry_map_size",
    "swap_size",
    "device_read_size",
]);

export function preset_find(name: string): Preset | undefined {
    return PRESETS.find((p) => p.name === name);
}

export function param_names(): (keyof LayoutParams)[] {
    return Object.keys(DEBIAN_1_4_4) as (keyof LayoutParams)[];
}

/** `--set` names that stand for another parameter with words as values. */
export const PARAM_ALIASES: Readonly<
    Record<string, { param: keyof LayoutParams; values: Record<string, number> }>
> = {
    allocator: { param: "zalloc", values: { slab: 0, zone: 1 } },
};

/** Words accepted for 0/1 switches. */
export const SWITCH_WORDS: Readonly<Record<string, number>> = {
    on: 1,
    off: 0,
    yes: 1,
    no: 0,
    true: 1,
    false: 0,
};

export function is_param(name: string): name is keyof LayoutParams {
    return Object.hasOwn(DEBIAN_1_4_4, name);
}

const PAGE = 4096;

/** Problems that make a layout impossible to build (each one line), [] when buildable. */
export function params_validate(p: LayoutParams): string[] {
    const out: string[] = [];
    const kva = p.vm_max_kernel_address - p.vm_min_kernel_address + 1;
    for (const k of param_names()) {
        const v = p[k];
        if (!Number.isSafeInteger(v) || v < 0) out.push(`${k}: ${v} is not a non-negative integer`);
    }
    if (p.vm_min_kernel_address % (4 * MiB) !== 0)
        out.push("vm_min_kernel_address: must be 4 MiB aligned");
    if (p.vm_min_kernel_address === 0)
        out.push("vm_min_kernel_address: must be above 0 (user space lies below the kernel)");
    if (p.vm_min_kernel_address >= p.vm_max_kernel_address)
        out.push("vm_min_kernel_address: must be below vm_max_kernel_address");
    if (p.vm_max_kernel_address > 0xffffffff) out.push("vm_max_kernel_address: above 4 GiB");
    for (const k of SIZE_PARAMS) {
        if (k !== "kernel_bss" && p[k] % PAGE !== 0) out.push(`${k}: not a multiple of 4 KiB`);
    }
    const submaps =
        p.kmem_map_size +
        p.kalloc_map_size +
        p.zone_map_size +
        p.ipc_kernel_map_size +
        p.device_io_map_size +
        p.kentry_map_size;
    if (submaps >= p.vm_kernel_map_size) {
        out.push(
            `submaps (${submaps / MiB} MiB) do not fit in vm_kernel_map_size (${p.vm_kernel_map_size / MiB} MiB)`,
        );
    }
    if (p.vm_kernel_map_size >= kva - 16 * MiB) {
        out.push(
            `vm_kernel_map_size leaves less than 16 MiB of the ${kva / MiB} MiB kernel space for RAM`,
        );
    }
    if (p.boot_ptps < 1 || p.boot_ptps > 16) out.push("boot_ptps: must be 1..16");
    if (p.kentry_pages === 0 && (p.kmem_map_size > 0 || p.zalloc))
        out.push(
            "kentry_pages: 0 (no kentry area, as in HEAD) needs kmem_map_size=0 and the slab allocator: " +
                "kmem_map's own map entries come from the kentry area",
        );
    for (const k of [
        "pae",
        "zalloc",
        "cpu_pools",
        "slab_verify",
        "kentry_cpu_pool",
        "pageout_2014_08",
    ] as const) {
        if (p[k] > 1) out.push(`${k}: 0 or 1 (off or on)`);
    }
    if (p.zalloc && !p.zone_map_size) out.push("zalloc: the zone allocator needs a zone_map_size");
    if (p.kentry_map_size && (p.zalloc || p.kentry_pages === 0))
        out.push(
            "kentry_map_size: needs the slab era and a kentry area (kentry_pages >= 1) to bootstrap from",
        );
    if (p.vm_map_entry_size < 16 || p.vm_page_size < 16) out.push("struct sizes below 16 B");
    return out;
}
