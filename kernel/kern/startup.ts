/*
 * kernel/kern/startup.ts — the boot path of GNU Mach 8d03c760 as mach86
 * runs it: c_boot_entry → i386at_init → setup_main (vm_mem_bootstrap,
 * ipc_init, mapable_time_init, device_service_create, bootstrap_create),
 * then the first things the image's tasks do to the kernel.
 *
 * Only what allocates kernel VA or physical memory is modelled; each step
 * names the Mach function it stands for. A KernelPanic thrown anywhere
 * stops the boot; the caller turns it into the diagnosis.
 */
import { bootstrap_run, type BootScriptHooks } from "./boot_script.ts";
import { kmem_cache_alloc, kmem_cache_init } from "./kmem.ts";
import { zalloc, zinit, zone_named } from "./zalloc.ts";
import { panic } from "./debug.ts";
import { booted, type BootPoint, type BootedKernel, type Kernel } from "./kernel.ts";
import { task_create, type Task } from "./task.ts";
import { i386at_copy_boot_info, mem_size_init, pmap_grab_page } from "../i386at/model_dep.ts";
import { pmap_bootstrap } from "../i386/pmap.ts";
import { device_read_alloc, mach_device_init } from "../device/ds_routines.ts";
import { ramdisk_create, type Ramdisk } from "../device/ramdisk.ts";
import { kmem_alloc_wired, kmem_submap } from "../vm/vm_kern.ts";
import { vm_mem_bootstrap } from "../vm/vm_init.ts";
import { vm_page_create } from "../vm/vm_resident.ts";
import { layout_snapshot } from "../layout.ts";
import { default_pager_create } from "../default_pager/default_pager.ts";
import { vm_pageout_setup, type VmRuntime } from "../vm/vm_pageout.ts";
import { user_map_hooks } from "../vm/vm_user.ts";
import type { VmObject } from "../vm/vm_object.ts";
import { build_args_and_stack, elf_parse, exec_load } from "./elf_load.ts";
import { sched_create, thread_setrun } from "./sched_prim.ts";
import { thread_create } from "./thread.ts";
import { kobj_caches_init } from "./kobj.ts";

/** What the image says its first tasks do to the kernel right after the boot script. */
export interface BootStep {
    /** Task (boot-script line) on whose behalf the kernel acts. */
    task: string;
    /** Only device_read for now: one out-of-line read of `size` bytes (or the whole ramdisk). */
    op: "device_read";
    device: string;
    size: number | "whole";
    /** Where this step comes from (documentation, shown in reports). */
    source: string;
}

export interface BootOutcome {
    tasks: Task[];
    ramdisks: Ramdisk[];
    /** A step that failed without a kernel panic (the boot would hang), if any. */
    stuck?: string;
}

const KERNEL_VERSION = "GNU Mach 1.4 (mach86 model of 8d03c760)";

function snapshot(k: Kernel, at: BootPoint, points: Set<BootPoint> | undefined): void {
    if (points?.has(at) && k.kernel_map) k.snapshots.set(at, layout_snapshot(k, at));
}

/** i386at_init: memory size, boot_info copies, pmap_bootstrap. */
function i386at_init(k: Kernel): void {
    mem_size_init(k);
    i386at_copy_boot_info(k);
    const p = k.params;
    k.kernel_virtual_start = (k.phys_last_addr + p.vm_min_kernel_address) >>> 0;
    let end = k.kernel_virtual_start + p.vm_kernel_map_size;
    if (end < k.kernel_virtual_start || end > p.vm_max_kernel_address)
        end = p.vm_max_kernel_address;
    k.kernel_virtual_end = end;
    k.kernel_pmap = pmap_bootstrap({
        mem: k.mem,
        mmu: k.mmu,
        pae: p.pae === 1,
        vm_min_kernel_address: p.vm_min_kernel_address,
        phys_first_addr: k.phys_first_addr,
        phys_last_addr: k.phys_last_addr,
        kernel_virtual_end: k.kernel_virtual_end,
        text_start: k.kernel_start,
        text_end: k.kernel_text_end,
        grab_page: () => pmap_grab_page(k),
    });
}

/** Where vm_page_create's structs come from: vm_page_cache, or the "vm pages" zone. */
function vm_page_struct_alloc(k: Kernel): () => number {
    const size = k.params.vm_page_size;
    if (k.kmem) {
        const c =
            k.kmem.caches.find((x) => x.name === "vm_page") ??
            kmem_cache_init(k.kmem, "vm_page", size, 0, null, null, null, 0);
        return () => kmem_cache_alloc(k.kmem!, c);
    }
    const z = k.zone!;
    const zone = zone_named(z, "vm pages") ?? zinit(z, size, 64 * 1024 * 1024, 4096, 0, "vm pages");
    return () => zalloc(z, zone);
}

/** bootstrap_create: the boot script, then the modules' pages go to the VM. */
function bootstrap_create(
    k: BootedKernel,
    tasks: Task[],
    ramdisks: Ramdisk[],
    points?: Set<BootPoint>,
): void {
    const mods = k.boot_info.mods ?? [];
    const hooks: BootScriptHooks = {
        printf: (s: string) => {
            k.printf(s);
            // youpi printed kernel_map->size at this line in Feb 2014.
            if (/multiboot modules/.test(s)) {
                k.kernel_map_size_at_modules = k.kernel_map.size;
                snapshot(k, "modules", points);
            }
        },
        task_create: (cmd) => ({ kr: 0, task: task_create(k, tasks, cmd.path) }),
        task_resume: (task) => {
            for (const th of (task as Task).threads) thread_setrun(k.sched!, th);
            return 0;
        },
        exec_task: (cmd, task, argv) => user_bootstrap(k, tasks, cmd.hook!, task as Task, argv),
        ramdisk_create: (cmd) => {
            const m = cmd.hook!;
            const r = ramdisk_create(k, ramdisks, m.start, m.end - m.start);
            return { kr: r.kr, rd: r.rd?.unit };
        },
        vm_page_create: (start, end) => {
            vm_page_create(k, start, end, vm_page_struct_alloc(k));
        },
    };
    bootstrap_run(
        mods.map((m) => ({ string: m.cmdline, start: m.mod_start, end: m.mod_end })),
        { "host-port": 1, "device-port": 2, "kernel-command-line": k.boot_info.cmdline_str ?? "" },
        hooks,
    );
}

/**
 * user_bootstrap (kern/bootstrap.c): load the module's ELF image into the
 * task, build its stack with argv, and give it a first thread, which runs
 * once $(task-resume) has run. A module that is not ELF at all stays
 * without a program (elf_load.ts says why).
 */
function user_bootstrap(
    k: BootedKernel,
    tasks: Task[],
    mod: { start: number; end: number },
    task: Task,
    argv: readonly string[],
): number {
    // Whether it is ELF at all shows in its first 52 bytes (elf_parse gives null
    // for those exactly when it does for the file): a data module is not read whole.
    if (elf_parse(k.mem.read(mod.start, Math.min(52, mod.end - mod.start))) === null) return 0;
    const file = k.mem.read(mod.start, mod.end - mod.start);
    const image = elf_parse(file);
    if (image === null) return 0;
    if (typeof image === "string")
        panic(`Cannot load user-bootstrap image: ${argv[0] ?? "?"}: ${image}`);
    const why = exec_load(k, task, image, file);
    if (why) panic(`Cannot load user-bootstrap image: ${argv[0] ?? "?"}: ${why}`);
    const esp = build_args_and_stack(k, task, argv);
    k.sched ??= sched_create(tasks);
    thread_create(k, task, image.entry, esp, 0, k.sched.next_thread_id++);
    return 0;
}

/** What a task holds: resident and paged-out pages of the objects its map reaches (shadows included), and its page tables. */
function task_memory(t: Task): { resident: number; paged: number; ptps: number } {
    const seen = new Set<VmObject>();
    for (const e of t.map!.entries)
        for (let o = e.object; o && !seen.has(o); o = o.shadow) seen.add(o);
    let resident = 0;
    let paged = 0;
    for (const o of seen) {
        resident += o.pages.size;
        paged += o.pager?.size ?? 0;
    }
    return { resident, paged, ptps: t.pmap.ptp_count };
}

/** The VM's runtime side, before any task exists; vm_pageout() sets the real thresholds at the end of the boot. */
function vm_runtime_create(k: BootedKernel, tasks: Task[]): VmRuntime {
    const reserved = k.params.vm_page_free_reserved;
    return {
        thresholds: {
            ...vm_pageout_setup(0, reserved, false),
            vm_page_free_min: 0,
            vm_page_free_target: 0,
        },
        pager: default_pager_create(k.params.swap_size),
        stats: { scans: 0, pauses: 0, no_pager: 0, freed_clean: 0, user_free_min: Infinity },
        pageout_wanted: false,
        futile_free: -1,
        consumers: () =>
            tasks
                .filter((t) => t.state === "alive" && t.map)
                .map((t) => ({ t, ...task_memory(t) }))
                .sort((a, b) => b.resident - a.resident)
                .slice(0, 8)
                .map(
                    ({ t, resident, paged, ptps }) =>
                        `${t.name} (${t.id}): ${resident} pages resident (${resident * 4} KiB), ` +
                        `${paged} paged out, ${ptps} page-table pages`,
                ),
    };
}

/**
 * The image's first steps on the tasks' behalf; a failed read leaves the
 * boot stuck (no panic). `device_read_size` (when not 0) replaces each
 * read's size, to explore other demands.
 */
function run_steps(k: BootedKernel, steps: BootStep[], ramdisks: Ramdisk[]): string | undefined {
    for (const s of steps) {
        const rd = ramdisks.find((r) => `rd${r.unit}` === s.device);
        const size = k.params.device_read_size || (s.size === "whole" ? (rd?.size ?? 0) : s.size);
        const r = device_read_alloc(k, size, `${s.task} reads ${s.device}`);
        if (r.kr !== 0) {
            return (
                `${s.task}: device_read(${s.device}, ${size} bytes) failed: ` +
                `device_read_alloc could not get ${size} contiguous bytes of kernel_map`
            );
        }
    }
    return undefined;
}

/** The whole boot; throws KernelPanic where Mach panics. */
export function kernel_boot(
    unbooted: Kernel,
    steps: BootStep[] = [],
    points?: Set<BootPoint>,
): BootOutcome {
    unbooted.printf(`${KERNEL_VERSION}\n`);
    i386at_init(unbooted);
    const src = vm_mem_bootstrap(unbooted);
    // From here on kernel_pmap, vm_page and kernel_map exist.
    const k = booted(unbooted);
    k.vm_map_entry_source = src.entry;
    k.user_map_hooks = (task) => user_map_hooks(k, task);
    const tasks: Task[] = [];
    k.vm = vm_runtime_create(k, tasks);
    snapshot(k, "vm", points);
    // ipc_bootstrap's and vm_mem_init's caches.
    kobj_caches_init(k, [
        "ipc_space",
        "ipc_tree_entry",
        "ipc_port",
        "ipc_pset",
        "ipc_marequest",
        "memory_object_proxy",
    ]);
    // ipc_init: ipc_kernel_map, pageable, entries from vm_map_entry_cache.
    k.ipc_kernel_map = kmem_submap(
        k,
        k.kernel_map,
        k.params.ipc_kernel_map_size,
        true,
        "ipc_kernel_map",
        src.entry,
    );
    // task_init and thread_init.
    kobj_caches_init(k, ["task", "i386_task_iopb", "thread", "pcb", "i386_fpsave_state"]);
    // mapable_time_init: one wired page for the mapped time.
    if (kmem_alloc_wired(k, k.kernel_map, 4096, "mapable_time_init").kr) panic("mapable_time_init");
    // device_service_create → mach_device_init, dev_lookup_init, net_io_init, device_pager_init.
    mach_device_init(k, src.kentry);
    kobj_caches_init(k, [
        "io_buf_ptr_inband",
        "io_req",
        "mach_device",
        "net_rcv_port",
        "net_hash_entry",
        "dev_pager",
        "dev_pager_entry",
    ]);
    snapshot(k, "submaps", points);
    const ramdisks: Ramdisk[] = [];
    bootstrap_create(k, tasks, ramdisks, points);
    const stuck = run_steps(k, steps, ramdisks);
    // vm_pageout(): the daemon starts and sets its thresholds from the free memory left.
    const t = k.vm_page;
    k.vm.thresholds = vm_pageout_setup(
        t.vm_page_free_count,
        k.params.vm_page_free_reserved,
        k.params.pageout_2014_08 === 1,
    );
    snapshot(k, "end", points);
    return { tasks, ramdisks, stuck };
}
