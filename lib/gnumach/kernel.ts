/*
 * lib/gnumach/kernel.ts — one stopped GNU Mach kernel, read from the host:
 * its debug information (symbols + DWARF, from the ELF file it was booted
 * from) and its memory (guest RAM through the CPU's page tables). Every
 * reader of this directory behind one object:
 *
 *   const k = GnuMach.fromMachine(DebugInfo.open(path), machine);
 *   k.kernel_map()      // MapInfo: LayoutMap + addresses, objects, wiring
 *   k.slab_info()       // CacheInfo[] (SlabInfo + address), slab era
 *   k.zone_info()       // ZoneInfo[], zone era
 *   k.vm_page_counts()  // { vm_page_free_count: …, … }
 *   k.boot_info()       // boot_info, the modules, kernel_cmdline
 *
 * Reads never change the guest (no path here writes), and the results are
 * plain data, ready for JSON. A GnuMach caches page translations: make a
 * new one after the guest has run again.
 */
import type { PagingMode } from "../../emulator/pagewalk.ts";
import type { CpuState, PhysMem } from "../../emulator/types.ts";
import type { DebugInfo } from "../debuginfo/debuginfo.ts";
import { GuestMemory, PhysicalMemory, type KernelMemory } from "./memory.ts";
import { type BootInfoRead, boot_info_read } from "./multiboot.ts";
import { type CacheInfo, has_slab, slab_info_read } from "./slab.ts";
import {
    type KernelNames,
    type MapInfo,
    kernel_map_read,
    kernel_names,
    vm_map_read,
} from "./vm_map.ts";
import {
    type VmPageCounts,
    type VmPageQueues,
    vm_page_counts_read,
    vm_page_queues_count,
} from "./vm_page.ts";
import { KernelView } from "./view.ts";
import { has_zones, zone_info_read } from "./zalloc.ts";
import type { ZoneInfo } from "../../kernel/kern/zalloc.ts";

/** What a stopped machine offers a reader: its RAM and its CPU's control registers. */
export interface StoppedMachine {
    readonly mem: PhysMem;
    cpuState(): CpuState;
}

export class GnuMach {
    readonly view: KernelView;
    /** Guest RAM by physical address (boot_info's pointers are physical). */
    private readonly phys: KernelMemory | undefined;
    private names: KernelNames | undefined;

    constructor(dbg: DebugInfo, mem: KernelMemory, phys?: KernelMemory) {
        this.view = new KernelView(dbg, mem);
        this.phys = phys;
    }

    /** A kernel in guest RAM, translated with the page tables `mode` (CR3) selects. */
    static fromPhysMem(dbg: DebugInfo, mem: PhysMem, mode: PagingMode): GnuMach {
        return new GnuMach(dbg, new GuestMemory(mem, mode), new PhysicalMemory(mem));
    }

    /** A stopped machine, read through the CR0/CR3/CR4 its CPU holds now. */
    static fromMachine(dbg: DebugInfo, machine: StoppedMachine): GnuMach {
        const s = machine.cpuState();
        return GnuMach.fromPhysMem(dbg, machine.mem, { cr0: s.cr0, cr3: s.cr3, cr4: s.cr4 });
    }

    get dbg(): DebugInfo {
        return this.view.dbg;
    }

    /** The globals that name maps and objects (kernel_map, kmem_map, kernel_object, …). */
    kernel_names(): KernelNames {
        this.names ??= kernel_names(this.view);
        return this.names;
    }

    kernel_map(): MapInfo {
        return kernel_map_read(this.view, this.kernel_names());
    }

    /** Any vm_map by address (a task's map, a submap). */
    vm_map(addr: number, name = `map 0x${addr.toString(16)}`): MapInfo {
        return vm_map_read(this.view, addr, name, this.kernel_names());
    }

    /** Slab caches (slab_info() columns), or undefined for a kernel of the zone era. */
    slab_info(): CacheInfo[] | undefined {
        return has_slab(this.view) ? slab_info_read(this.view) : undefined;
    }

    /** Zones (host_zone_info() columns), or undefined for a kernel of the slab era. */
    zone_info(): ZoneInfo[] | undefined {
        return has_zones(this.view) ? zone_info_read(this.view) : undefined;
    }

    vm_page_counts(): VmPageCounts {
        return vm_page_counts_read(this.view);
    }

    /** The page queues walked and counted (slow: one read per page; a check of the counters). */
    vm_page_queues(): VmPageQueues {
        return vm_page_queues_count(this.view);
    }

    boot_info(): BootInfoRead {
        if (!this.phys) throw new Error("boot_info needs guest RAM by physical address");
        return boot_info_read(this.view, this.phys);
    }

    /** "function+0xoff" for an address (an EIP), from .symtab. */
    symbolize(addr: number): string | undefined {
        return this.dbg.symbolize(addr);
    }
}
