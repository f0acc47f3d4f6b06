/*
 * lib/presets.ts — presets(): the named layout parameter sets (GNU Mach
 * eras and distributions) with every value and its source.
 */
import { PRESETS, type LayoutParams, type Preset } from "../kernel/presets.ts";

export type { LayoutParams, Preset };

/** Every preset, in the order `mach86 presets` lists them. */
export function presets(): readonly Preset[] {
    return PRESETS;
}
