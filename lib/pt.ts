/*
 * lib/pt.ts — pt(): the kernel page tables after an image boot, as data:
 * the mapped runs (contiguous VA and PA with the same attributes), or one
 * virtual address walked entry by entry.
 *
 * The data is read from guest RAM with the emulator's walker and a scan of
 * the tables here, independently of the model's pmap code; the text form
 * (Bochs `info tab` style) comes from the model's own pmap_info, so the two
 * check each other (test/boot/json.test.ts compares the runs).
 */
import { CR0_PG, CR4_PAE, CR4_PSE, INTEL_PTE, page_walk, type Walk } from "../emulator/pagewalk.ts";
import type { PhysMem } from "../emulator/types.ts";
import { pmap_cr3, pmap_cr4_bits, type Pmap } from "../kernel/i386/pmap.ts";
import { pmap_info, pmap_walk_lines } from "../kernel/i386/pmap_info.ts";
import { UsageError } from "./errors.ts";
import { boot_prepared, prepare_image, type ImageBootResult, type ImageOptions } from "./model.ts";

/** Mach's INTEL_PTE_WIRED: a software bit (AVL) marking wired kernel mappings. */
const PTE_WIRED = 0x200;
const TWO32 = 0x100000000;

export interface PtOptions extends ImageOptions {
    /** Walk this virtual address (a number, or text such as "0xf4000000"); else list the runs. */
    va?: number | string;
}

/** A run of pages contiguous in VA and PA with the same attributes. */
export interface PtRun {
    va_start: number;
    /** Exclusive. */
    va_end: number;
    pa_start: number;
    pa_end: number;
    writable: boolean;
    user: boolean;
    global: boolean;
    wired: boolean;
    write_through: boolean;
    cache_disabled: boolean;
}

export interface PtWalkStep {
    level: "PDPTE" | "PDE" | "PTE";
    index: number;
    entry_addr: number;
    entry: number;
    entry_high: number | null;
    flags: string[];
    note: string;
}

export interface PtWalk {
    va: number;
    pa: number | null;
    page_size: number;
    writable: boolean;
    user: boolean;
    fault: string | null;
    steps: PtWalkStep[];
}

export interface PtResult {
    boot: ImageBootResult;
    /** The kernel pmap's CR3 and paging mode (null when the boot did not get to pmap_bootstrap). */
    cr3: number | null;
    pae: boolean;
    walk: PtWalk | null;
    runs: PtRun[] | null;
    /** The same tables as text, from the model's pmap_info / pmap_walk_lines. */
    text: string[];
}

/** A 32-bit address from text or a number, or a UsageError. */
export function parse_va(v: number | string, input: string): number {
    const n = typeof v === "number" ? v : /^\s*(0x[0-9a-f]+|\d+)\s*$/i.test(v) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n) || n < 0 || n > 0xffffffff)
        throw new UsageError(input, `'${v}' is not a 32-bit address`);
    return n;
}

export function walk_json(w: Walk): PtWalk {
    return {
        va: w.va,
        pa: w.pa,
        page_size: w.pageSize,
        writable: w.writable,
        user: w.user,
        fault: w.fault ?? null,
        steps: w.steps.map((s) => ({
            level: s.level,
            index: s.index,
            entry_addr: s.entryAddr,
            entry: s.entry,
            entry_high: s.entryHigh ?? null,
            flags: s.flags === "-" ? [] : s.flags.split(" "),
            note: s.note,
        })),
    };
}

/** Every present 4 KiB (or large) mapping under CR3/CR4, merged into runs. */
export function page_runs(mem: PhysMem, cr3: number, cr4: number): PtRun[] {
    const pae = (cr4 & CR4_PAE) !== 0;
    const pse = (cr4 & CR4_PSE) !== 0;
    const size = pae ? 8 : 4;
    const read = (addr: number) => ({
        lo: mem.read32(addr) >>> 0,
        hi: pae ? mem.read32(addr + 4) : 0,
    });
    const frame = (e: { lo: number; hi: number }, mask: number) =>
        (e.hi & 0xfffff) * TWO32 + ((e.lo & mask) >>> 0);
    const runs: PtRun[] = [];
    let run: PtRun | null = null;
    const map = (va: number, pa: number, len: number, lo: number, path: number): void => {
        const attrs = {
            writable: (path & INTEL_PTE.INTEL_PTE_WRITE) !== 0,
            user: (path & INTEL_PTE.INTEL_PTE_USER) !== 0,
            global: (lo & INTEL_PTE.INTEL_PTE_GLOBAL) !== 0,
            wired: (lo & PTE_WIRED) !== 0,
            write_through: (lo & INTEL_PTE.INTEL_PTE_WTHRU) !== 0,
            cache_disabled: (lo & INTEL_PTE.INTEL_PTE_NCACHE) !== 0,
        };
        const same =
            run !== null &&
            run.va_end === va &&
            run.pa_end === pa &&
            (Object.keys(attrs) as (keyof typeof attrs)[]).every((k) => run![k] === attrs[k]);
        if (same) {
            run!.va_end += len;
            run!.pa_end += len;
            return;
        }
        run = { va_start: va, va_end: va + len, pa_start: pa, pa_end: pa + len, ...attrs };
        runs.push(run);
    };
    const gap = () => {
        run = null;
    };
    const table = (pd: number, base: number, entries: number, span: number): void => {
        for (let i = 0; i < entries; i++) {
            const pde = read(pd + i * size);
            const va = base + i * span;
            if (!(pde.lo & INTEL_PTE.INTEL_PTE_VALID)) {
                gap();
                continue;
            }
            if (pde.lo & INTEL_PTE.INTEL_PTE_PS && (pae || pse)) {
                map(va, frame(pde, pae ? 0xffe00000 : 0xffc00000), span, pde.lo, pde.lo);
                continue;
            }
            const pt = frame(pde, 0xfffff000);
            for (let j = 0; j < span / 4096; j++) {
                const pte = read(pt + j * size);
                if (!(pte.lo & INTEL_PTE.INTEL_PTE_VALID)) {
                    gap();
                    continue;
                }
                map(va + j * 4096, frame(pte, 0xfffff000), 4096, pte.lo, pde.lo & pte.lo);
            }
        }
    };
    if (!pae) {
        table(cr3 & 0xfffff000, 0, 1024, 4 << 20);
        return runs;
    }
    for (let i = 0; i < 4; i++) {
        const pdpte = read((cr3 & 0xffffffe0) + i * 8);
        if (!(pdpte.lo & INTEL_PTE.INTEL_PTE_VALID)) {
            gap();
            continue;
        }
        table(frame(pdpte, 0xfffff000), i * 0x40000000, 512, 2 << 20);
    }
    return runs;
}

/** Boot `o.image` and read the kernel pmap's tables (the whole map, or one address). */
export async function pt(o: PtOptions): Promise<PtResult> {
    const va = o.va === undefined ? undefined : parse_va(o.va, "--va");
    const p = await prepare_image(o);
    let found: Omit<PtResult, "boot"> = { cr3: null, pae: false, walk: null, runs: null, text: [] };
    const boot = await boot_prepared(p, {
        onConsole: o.onConsole,
        inspect: (res) => {
            const pmap: Pmap | null | undefined = res.kernel?.kernel_pmap;
            if (!pmap) return;
            const cr3 = pmap_cr3(pmap);
            const cr4 = pmap_cr4_bits(pmap);
            const text: string[] = [];
            if (va !== undefined) text.push(...pmap_walk_lines(pmap, va));
            else pmap_info(pmap, (l) => text.push(l));
            found = {
                cr3,
                pae: pmap.pae,
                walk:
                    va === undefined
                        ? null
                        : walk_json(page_walk(res.kernel!.mem, { cr0: CR0_PG | 1, cr3, cr4 }, va)),
                runs: va === undefined ? page_runs(res.kernel!.mem, cr3, cr4) : null,
                text,
            };
        },
    });
    return { boot, ...found };
}
