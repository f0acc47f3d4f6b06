/*
 * boot/loader.ts — multiboot_load: plan a whole boot with the chosen loader
 * profile (profiles.ts), check it, then write it. A refused boot leaves
 * memory exactly as it was.
 */
import type { PhysMem } from "../emulator/types.ts";
import { size_str } from "./bytes.ts";
import { hex_pad8 } from "../util/hex.ts";
import { grub_plan } from "./place_grub.ts";
import { legacy_plan } from "./place_legacy.ts";
import { qemu_plan } from "./place_qemu.ts";
import {
    type BootInfo,
    bytes_made,
    type LoadRequest,
    type ModuleBytes,
    plan_create,
} from "./plan.ts";
import { DEFAULT_LOADER } from "./profiles.ts";

export { bytes_made } from "./plan.ts";
export type {
    BootInfo,
    LazyBytes,
    LoadRequest,
    ModuleBytes,
    ModuleSpec,
    Placement,
} from "./plan.ts";

/** Load a multiboot v1 kernel and its modules into `mem`; throws BootError only, before writing. */
export function multiboot_load(mem: PhysMem, req: LoadRequest): BootInfo {
    const plan = plan_create(req.ramSize, mem.size);
    const loader = req.loader ?? DEFAULT_LOADER;
    const planner = { qemu: qemu_plan, grub: grub_plan, legacy: legacy_plan }[loader];
    const info = planner(plan, req);
    for (const w of plan.writes) {
        if (w.bytes) place(mem, w.addr, w.bytes);
        else if (w.zero) mem.fill(w.addr, w.zero, 0);
    }
    return info;
}

/** Below this a write is cheaper than keeping a reference to the bytes. */
const DEFER_MIN = 64 * 1024;

/**
 * Write a file's bytes into RAM; a large one is deferred where the memory
 * can (PhysMem.defer): the request's bytes are referenced, not copied, so
 * the caller must not change them afterwards (LoadRequest says so), and
 * lazy bytes are made only where the memory is.
 */
function place(mem: PhysMem, addr: number, bytes: ModuleBytes): void {
    if (!mem.defer || bytes.length < DEFER_MIN) {
        mem.write(addr, bytes_made(bytes));
        return;
    }
    if (bytes instanceof Uint8Array)
        mem.defer(addr, bytes.length, (dst, off) => dst.set(bytes.subarray(off, off + dst.length)));
    else mem.defer(addr, bytes.length, (dst, off) => bytes.fill(dst, off));
}

/** Lines for `mach86 boot --verbose`: each placement by address, then the entry state. */
export function format_placements(info: BootInfo): string[] {
    const sorted = [...info.placements].sort((a, b) => a.start - b.start || a.end - b.end);
    const lines = sorted.map(
        (p) =>
            `${hex_pad8(p.start)}-${hex_pad8(p.end)} ${size_str(p.end - p.start).padStart(12)}  ${p.what}`,
    );
    const e = info.entry;
    lines.push(
        `entry ${hex_pad8(e.eip)}  eax ${hex_pad8(e.eax)}  ebx ${hex_pad8(e.ebx)}  ` +
            `MBI flags ${hex_pad8(info.flags)}  kernel end ${hex_pad8(info.kernelEnd)}`,
    );
    return lines;
}
