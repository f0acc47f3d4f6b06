/*
 * test/gnumach_real.ts — boot a real GNU Mach kernel on mach86 and stop it
 * where its own debug printfs have just dumped kernel_map, for tests that
 * compare mach86's host-side reader with what the kernel printed.
 *
 * The kernels (env MACH86_GNUMACH_DIR) carry two debug printfs right after
 * the boot script's "N multiboot modules" line:
 *   kernel_map->size = N [0xMIN-0xMAX] free F largest hole H at 0xA
 *   kmap 0xSTART-0xEND SIZE [submap] obj OBJ wired W     (one per entry)
 * map->size is the sum of the entry sizes, so the block is complete when the
 * kmap sizes add up to N: the console sink stops the machine on that line,
 * before boot_script_exec creates the first task (which allocates from
 * kernel_map). This composition lives here until lib/ has stop points.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { multiboot_load, type ModuleSpec } from "../boot/index.ts";
import { Machine, type RunResult } from "../emulator/machine.ts";

export const ROOT = resolve(import.meta.dirname, "..");

export const KERNELS = [
    "gnumach-8d03c760-debian",
    "gnumach-8d03c760-debian-kmem128",
    "gnumach-debian-1.4-6",
    "gnumach-debian-1.4-4",
] as const;
export type KernelName = (typeof KERNELS)[number];

/** The kernel's path, or why it cannot be used (tests skip with that reason). */
export function real_kernel(name: KernelName): { path?: string; skip?: string } {
    const dir = process.env.MACH86_GNUMACH_DIR;
    if (!dir) return { skip: "MACH86_GNUMACH_DIR is not set (real GNU Mach kernels)" };
    const path = join(dir, name);
    if (!existsSync(path)) return { skip: `${path} does not exist` };
    return { path };
}

interface ManifestModule {
    file: string;
    args: string;
    name?: string;
    nounzip?: boolean;
}

/**
 * images/debian-installer's modules (d-i's boot-script lines, the ramdisk
 * handed over compressed) and command line, as the image manifest gives
 * them, plus `console=com0`: a real GNU Mach prints on the VGA screen
 * without it, and the test reads COM1.
 */
export function di_boot(): { modules: ModuleSpec[]; cmdline: string } {
    const dir = join(ROOT, "images/debian-installer");
    const m = JSON.parse(readFileSync(join(dir, "image.json"), "utf8")) as {
        cmdline: string;
        modules: ManifestModule[];
    };
    const modules = m.modules.map((x) => ({
        path: x.name ?? x.file,
        args: x.args,
        bytes: readFileSync(resolve(dir, x.file)),
        nounzip: x.nounzip ?? false,
    }));
    return { modules, cmdline: `console=com0 ${m.cmdline}` };
}

/** One `kmap` line. */
export interface PrintedEntry {
    start: number;
    end: number;
    size: number;
    submap: boolean;
    object: number;
    wired: number;
}

/** What the kernel printed about kernel_map. */
export interface PrintedKmap {
    size: number;
    min: number;
    max: number;
    free: number;
    hole: number;
    holeAt: number;
    entries: PrintedEntry[];
}

const SIZE_RE =
    /^kernel_map->size = (\d+) \[0x([0-9a-f]+)-0x([0-9a-f]+)\] free (\d+) largest hole (\d+) at 0x([0-9a-f]+)/;
const KMAP_RE =
    /^kmap 0x([0-9a-f]+)-0x([0-9a-f]+) +(\d+)( submap)? obj (?:0x)?([0-9a-f]+) wired (\d+)/;

/** Parse console lines; `complete` once the kmap sizes add up to kernel_map->size. */
export class KmapParser {
    printed: PrintedKmap | undefined;
    complete = false;
    private sum = 0;
    private partial = "";

    feed(text: string): void {
        const lines = (this.partial + text).split("\n");
        this.partial = lines.pop()!;
        // The kernel ends lines with "\r\n" and starts some with "\r" (it overwrites the
        // module lines in place): what a terminal shows is the text after the last \r.
        for (const raw of lines) {
            const l = raw.replace(/\r+$/, "");
            this.line(l.slice(l.lastIndexOf("\r") + 1));
        }
    }

    private line(l: string): void {
        const s = SIZE_RE.exec(l);
        if (s) {
            const [size, min, max, free, hole, at] = s
                .slice(1)
                .map((x, i) =>
                    i === 1 || i === 2 || i === 5 ? parseInt(x!, 16) : Number(x),
                ) as number[];
            this.printed = {
                size: size!,
                min: min!,
                max: max!,
                free: free!,
                hole: hole!,
                holeAt: at!,
                entries: [],
            };
            return;
        }
        const k = KMAP_RE.exec(l);
        if (!k || !this.printed || this.complete) return;
        const e: PrintedEntry = {
            start: parseInt(k[1]!, 16),
            end: parseInt(k[2]!, 16),
            size: Number(k[3]),
            submap: k[4] !== undefined,
            object: parseInt(k[5]!, 16),
            wired: Number(k[6]),
        };
        this.printed.entries.push(e);
        this.sum += e.size;
        if (this.sum === this.printed.size) this.complete = true;
    }
}

export interface RealBoot {
    machine: Machine;
    result: RunResult;
    printed: PrintedKmap | undefined;
    console: string;
}

/**
 * Boot `kernel` with d-i's modules and RAM `memory` bytes; stop once the
 * kernel has printed its whole kernel_map dump (or at the time limit). The
 * caller destroys the machine.
 */
export async function boot_to_kmap(
    kernel: string,
    memory: number,
    timeoutMs = 120_000,
): Promise<RealBoot> {
    const parser = new KmapParser();
    const decoder = new TextDecoder();
    const machine: Machine = await Machine.create({
        memory,
        sink: (chunk) => {
            parser.feed(decoder.decode(chunk, { stream: true }));
            if (parser.complete) machine.stop({ kind: "stop_point", point: "modules" });
        },
    });
    const { modules, cmdline } = di_boot();
    const boot = multiboot_load(machine.mem, {
        kernel: { path: kernel, bytes: readFileSync(kernel) },
        modules,
        cmdline,
        ramSize: memory,
    });
    machine.enter(boot.entry);
    const result = await machine.run({ timeoutMs });
    return { machine, result, printed: parser.printed, console: machine.console.text() };
}
