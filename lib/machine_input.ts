/*
 * lib/machine_input.ts — the machine a user asks for: which loader profile
 * puts the kernel in, how much RAM (read as QEMU's `-m` reads it), and the
 * firmware's memory map when it is not SeaBIOS's.
 *
 * `--memory N` means QEMU's `-m N` for every loader: a bare number is MiB,
 * a fraction needs a suffix, the bytes round up to 8 KiB (boot/memsize.ts).
 * The v86 engine gives RAM in 128 KiB granules, so the machine may get a
 * little more RAM than N; the loader's memory map still says N, as QEMU's.
 */
import { readFileSync } from "node:fs";
import {
    DEFAULT_LOADER,
    e820_parse,
    e820_ram_end,
    LOADER_NAMES,
    machine_ram_for,
    memory_size_parse,
    type LoaderName,
    type MmapEntry,
} from "../boot/index.ts";
import { UsageError } from "./errors.ts";

export type { LoaderName, MmapEntry };
export { DEFAULT_LOADER, LOADER_NAMES };

/** The loader profile named by `--loader` (default DEFAULT_LOADER). */
export function loader_of(name: string | undefined, what = "--loader"): LoaderName {
    const loader = name ?? DEFAULT_LOADER;
    if (!LOADER_NAMES.includes(loader as LoaderName))
        throw new UsageError(what, `'${loader}' is not a loader (${LOADER_NAMES.join(", ")})`);
    return loader as LoaderName;
}

/** Bytes of RAM for `--memory` (bytes, or a QEMU `-m` size). */
export function memory_of(memory: number | string): number {
    if (typeof memory === "number") {
        if (!Number.isSafeInteger(memory) || memory <= 0)
            throw new UsageError("--memory", `${memory} is not a whole number of bytes`);
        return memory;
    }
    return memory_size_parse(memory);
}

/** The e820 map of `--memory-map FILE` (GRUB only: QEMU's map is SeaBIOS's). */
export function memory_map_of(
    path: string | undefined,
    loader: LoaderName,
): MmapEntry[] | undefined {
    if (path === undefined) return undefined;
    if (loader !== "grub")
        throw new UsageError(
            "--memory-map",
            `applies to --loader grub only (the ${loader} loader has its own map)`,
        );
    let text: string;
    try {
        text = readFileSync(path, "utf8");
    } catch {
        throw new UsageError(path, "cannot read the memory map file");
    }
    return e820_parse(text, path);
}

/**
 * The RAM the loader is told about and the RAM the machine is built with.
 * With a firmware map and no --memory, RAM ends where the map's usable RAM
 * below 4 GiB ends.
 */
export function ram_of(
    memory: number | string | undefined,
    map: MmapEntry[] | undefined,
    fallback: string,
): { ramSize: number; machineRam: number } {
    const mapEnd = map ? e820_ram_end(map) : 0;
    const ramSize = memory !== undefined ? memory_of(memory) : map ? mapEnd : memory_of(fallback);
    if (ramSize < mapEnd)
        throw new UsageError(
            "--memory",
            `${ramSize} bytes do not cover the memory map's usable RAM (up to ${mapEnd})`,
        );
    return { ramSize, machineRam: machine_ram_for(ramSize) };
}
