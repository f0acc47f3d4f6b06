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
import type { BootPoint, Kernel } from "./kernel.ts";
import { task_create, type Task } from "./task.ts";
import { i386at_copy_boot_info, mem_size_init, pmap_grab_page } from "../i386at/model_dep.ts";
import { pmap_bootstrap } from "../i386/pmap.ts";
import { device_read_alloc, mach_device_init } from "../device/ds_routines.ts";
import { ramdisk_create, type Ramdisk } from "../device/ramdisk.ts";
import { kmem_alloc_wired, kmem_submap } from "../vm/vm_kern.ts";
import { vm_mem_bootstrap } from "../vm/vm_init.ts";
import { vm_page_create } from "../vm/vm_resident.ts";
import { layout_snapshot } from "../layout.ts";

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
    if (end < k.kernel_virtual_start || end > p.vm_max_kernel_address) end = p.vm_max_kernel_address;
    k.kernel_virtual_end = end;
    k.kernel_pmap = pmap_bootstrap({
        mem: k.mem, mmu: k.mmu, pae: p.pae === 1,
        vm_min_kernel_address: p.vm_min_kernel_address,
        phys_first_addr: k.phys_first_addr, phys_last_addr: k.phys_last_addr,
        kernel_virtual_end: k.kernel_virtual_end,
        text_start: k.kernel_start, text_end: k.kernel_text_end,
        grab_page: () => pmap_grab_page(k),
    });
}

/** Where vm_page_create's structs come from: vm_page_cache, or the "vm pages" zone. */
function vm_page_struct_alloc(k: Kernel): () => number {
    const size = k.params.vm_page_size;
    if (k.kmem) {
        const c = k.kmem.caches.find((x) => x.name === "vm_page")
            ?? kmem_cache_init(k.kmem, "vm_page", size, 0, null, null, null, 0);
        return () => kmem_cache_alloc(k.kmem!, c);
    }
    const z = k.zone!;
    const zone = zone_named(z, "vm pages") ?? zinit(z, size, 64 * 1024 * 1024, 4096, 0, "vm pages");
    return () => zalloc(z, zone);
}

/** bootstrap_create: the boot script, then the modules' pages go to the VM. */
function bootstrap_create(k: Kernel, tasks: Task[], ramdisks: Ramdisk[], points?: Set<BootPoint>): void {
    const mods = k.boot_info.mods ?? [];
    const hooks: BootScriptHooks = {
        printf: (s: string) => {
            k.printf(s);
            // youpi printed kernel_map->size at this line in Feb 2014.
            if (/multiboot modules/.test(s)) {
                k.kernel_map_size_at_modules = k.kernel_map!.size;
                snapshot(k, "modules", points);
            }
        },
        task_create: (cmd) => ({ kr: 0, task: task_create(k, tasks, cmd.path) }),
        task_resume: () => 0,
        ramdisk_create: (cmd) => {
            const m = cmd.hook!;
            const r = ramdisk_create(k, ramdisks, m.start, m.end - m.start);
            return { kr: r.kr, rd: r.rd?.unit };
        },
        vm_page_create: (start, end) => { vm_page_create(k, start, end, vm_page_struct_alloc(k)); },
    };
    bootstrap_run(mods.map((m) => ({ string: m.cmdline, start: m.mod_start, end: m.mod_end })),
        { "host-port": 1, "device-port": 2, "kernel-command-line": k.boot_info.cmdline_str ?? "" }, hooks);
}

/** The image's first steps on the tasks' behalf; a failed read leaves the boot stuck (no panic). */
function run_steps(k: Kernel, steps: BootStep[], ramdisks: Ramdisk[]): string | undefined {
    for (const s of steps) {
        const rd = ramdisks.find((r) => `rd${r.unit}` === s.device);
        const size = s.size === "whole" ? (rd?.size ?? 0) : s.size;
        const r = device_read_alloc(k, size, `${s.task} reads ${s.device}`);
        if (r.kr !== 0) {
            return `${s.task}: device_read(${s.device}, ${size} bytes) failed: ` +
                `device_read_alloc could not get ${size} contiguous bytes of kernel_map`;
        }
    }
    return undefined;
}

/** The whole boot; throws KernelPanic where Mach panics. */
export function kernel_boot(k: Kernel, steps: BootStep[] = [], points?: Set<BootPoint>): BootOutcome {
    k.printf(`${KERNEL_VERSION}\n`);
    i386at_init(k);
    const src = vm_mem_bootstrap(k);
    snapshot(k, "vm", points);
    // ipc_init: ipc_kernel_map, pageable, entries from vm_map_entry_cache.
    k.ipc_kernel_map = kmem_submap(k, k.kernel_map!, k.params.ipc_kernel_map_size, true, "ipc_kernel_map", src.entry);
    // mapable_time_init: one wired page for the mapped time.
    if (kmem_alloc_wired(k, k.kernel_map!, 4096, "mapable_time_init").kr) panic("mapable_time_init");
    // device_service_create → mach_device_init.
    mach_device_init(k, src.kentry);
    snapshot(k, "submaps", points);
    const tasks: Task[] = [];
    const ramdisks: Ramdisk[] = [];
    bootstrap_create(k, tasks, ramdisks, points);
    const stuck = run_steps(k, steps, ramdisks);
    snapshot(k, "end", points);
    return { tasks, ramdisks, stuck };
}
