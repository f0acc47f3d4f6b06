/*
 * lib/layout.ts — layout(): the kernel virtual address space after (part
 * of) an image boot, as the kernel/layout.ts Layout: kernel_map with its
 * entries, nested submaps and holes, the terms of kernel_map->size, the
 * physical memory map.
 */
import type { BootPoint } from "../kernel/kern/kernel.ts";
import type { Layout } from "../kernel/layout.ts";
import { UsageError } from "./errors.ts";
import { boot_prepared, prepare_image, type ImageBootResult, type ImageOptions } from "./model.ts";

export type { BootPoint, Layout };

/** The boot points a layout can be taken at, in boot order. */
export const BOOT_POINTS: readonly BootPoint[] = ["vm", "submaps", "modules", "end"];

/** A boot point from text, or a UsageError naming `input`. */
export function boot_point(at: string, input = "--at"): BootPoint {
    if (!BOOT_POINTS.includes(at as BootPoint))
        throw new UsageError(input, `'${at}' is not a boot point (${BOOT_POINTS.join(", ")})`);
    return at as BootPoint;
}

export interface LayoutOptions extends ImageOptions {
    /**
     * vm (after vm_mem_bootstrap), submaps (after device init), modules (the
     * "multiboot modules" line) or end (default).
     */
    at?: string;
}

export interface LayoutResult {
    boot: ImageBootResult;
    at: BootPoint;
    /** null when the boot stopped before reaching `at` (boot.stop says why). */
    layout: Layout | null;
}

/** Boot `o.image` and take its Layout at `o.at`. */
export async function layout(o: LayoutOptions): Promise<LayoutResult> {
    const at = boot_point(o.at ?? "end");
    const p = await prepare_image(o);
    const boot = await boot_prepared(p, { points: [at], onConsole: o.onConsole });
    return { boot, at, layout: (boot.kernel?.snapshots.get(at) as Layout | undefined) ?? null };
}
