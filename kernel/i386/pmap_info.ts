/*
 * kernel/i386/pmap_info.ts — page-table dumps of a pmap, read from guest RAM
 * (no GNU Mach counterpart: Mach relies on kdb/gdb for this).
 *
 * pmap_info prints, Bochs `info tab` style, the merged runs of contiguous
 * mappings (same attributes, VA and PA both contiguous):
 *
 *     0xc0000000-0xc00fffff -> 0x00000000-0x000fffff  RW G
 *     0xc0100000-0xc0104fff -> 0x00100000-0x00104fff  RO G
 *
 * or, in "pde" mode, one line per present directory entry with what its
 * page table holds. pmap_walk_lines translates one VA showing every entry
 * it reads. Both use pmap.ts's own entry readers (the same code that built
 * the tables), not the emulator's walker, so the two can check each other.
 */
import {
    INTEL_PTE_GLOBAL,
    INTEL_PTE_MOD,
    INTEL_PTE_NCACHE,
    INTEL_PTE_PS,
    INTEL_PTE_REF,
    INTEL_PTE_USER,
    INTEL_PTE_VALID,
    INTEL_PTE_WIRED,
    INTEL_PTE_WRITE,
    INTEL_PTE_WTHRU,
    lin2pdenum,
    pmap_cr3,
    pmap_cr4_bits,
    pmap_entry_read,
    pmap_geometry,
    pmap_pde_addr,
    ptenum,
    pte_to_pa,
    type Pmap,
} from "./pmap.ts";
import { PAGE_SIZE } from "./vm_param.ts";
import { hex_digits, hex_pad8, printf_08x } from "../../util/hex.ts";

const TWO32 = 0x100000000;

export interface PmapInfoOptions {
    /** "runs" (default): merged runs of mappings; "pde": one line per present directory entry. */
    mode?: "runs" | "pde";
    /** VA range [start, end) to show (default: all 4 GiB). */
    start?: number;
    end?: number;
    /** Also show the A and D bits (runs are then split where they differ). */
    ad?: boolean;
}

function mib(bytes: number): string {
    const m = bytes / 0x100000;
    return Number.isInteger(m) ? `${m} MiB` : `${(Math.floor(m * 100) / 100).toFixed(2)} MiB`;
}

/** Decode an entry's flag bits ("P W U WT CD A D PS G WIRED"), "-" when none. */
function pmap_flags_string(lo: number, level: "PDPTE" | "PDE" | "PTE"): string {
    const out: string[] = [];
    const bit = (mask: number, name: string): void => {
        if (lo & mask) out.push(name);
    };
    bit(INTEL_PTE_VALID, "P");
    if (level !== "PDPTE") {
        bit(INTEL_PTE_WRITE, "W");
        bit(INTEL_PTE_USER, "U");
    }
    bit(INTEL_PTE_WTHRU, "WT");
    bit(INTEL_PTE_NCACHE, "CD");
    if (level !== "PDPTE") {
        bit(INTEL_PTE_REF, "A");
        bit(INTEL_PTE_MOD, "D");
        bit(INTEL_PTE_PS, level === "PTE" ? "PAT" : "PS");
        bit(INTEL_PTE_GLOBAL, "G");
    }
    if (level === "PTE") bit(INTEL_PTE_WIRED, "WIRED");
    const avl = (lo >>> (level === "PTE" ? 10 : 9)) & (level === "PTE" ? 3 : 7);
    if (avl !== 0) out.push(`AVL=${avl}`);
    return out.length > 0 ? out.join(" ") : "-";
}

/** The raw 4- or 8-byte entry at `addr`, as printed ("0x%08x" or "0x%016x"). */
function raw_entry(p: Pmap, addr: number): { lo: number; hi: number; text: string } {
    const lo = p.mem.read32(addr) >>> 0;
    if (!p.pae) return { lo, hi: 0, text: hex_pad8(lo) };
    const hi = p.mem.read32(addr + 4) >>> 0;
    return {
        lo,
        hi,
        text: hex_pad8(hi) + printf_08x(lo),
    };
}

/** Where `va` sits in the kernel's layout. */
function region(p: Pmap, va: number): string {
    const g = p.globals;
    const kb = g.vm_min_kernel_address;
    if (va < kb) return "user space";
    if (!p.is_kernel) return "kernel space, shared kernel PDE";
    if (va >= g.phys_first_addr + kb && va < g.kernel_virtual_start) return "direct map";
    if (va < g.kernel_virtual_end) return "kernel virtual space";
    return "beyond kernel_virtual_end";
}

function attrs_string(pde_lo: number, pte_lo: number, ad: boolean): string {
    const out = [pde_lo & pte_lo & INTEL_PTE_WRITE ? "RW" : "RO"];
    if (pde_lo & pte_lo & INTEL_PTE_USER) out.push("U");
    if (pte_lo & INTEL_PTE_GLOBAL) out.push("G");
    if (pte_lo & INTEL_PTE_WTHRU) out.push("WT");
    if (pte_lo & INTEL_PTE_NCACHE) out.push("NC");
    if (pte_lo & INTEL_PTE_WIRED) out.push("WIRED");
    if (ad && pte_lo & INTEL_PTE_REF) out.push("A");
    if (ad && pte_lo & INTEL_PTE_MOD) out.push("D");
    return out.join(" ");
}

/** One page table (or `n` entries of it) in a single bulk read. */
function read_ptp(p: Pmap, pa: number, n: number): { lo: Uint32Array; hi: Uint32Array } {
    const size = p.pae ? 8 : 4;
    const raw = p.mem.read(pa, n * size);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const lo = new Uint32Array(n);
    const hi = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
        lo[i] = view.getUint32(i * size, true);
        if (p.pae) hi[i] = view.getUint32(i * size + 4, true);
    }
    return { lo, hi };
}

function header(p: Pmap): string {
    const cr4: string[] = [];
    const bits = pmap_cr4_bits(p);
    if (bits & 0x20) cr4.push("PAE");
    if (bits & 0x80) cr4.push("PGE");
    return (
        `${p.name}: ${p.pae ? "PAE" : "2-level"}, CR3 ${hex_pad8(pmap_cr3(p))}, CR4 ${cr4.join("|") || "-"}, ` +
        `resident ${p.resident_count}, wired ${p.wired_count}, ${p.ptp_count} page tables` +
        (p.active ? ", active" : "")
    );
}

/** Dump `p`'s page tables through `print`, one line per call. */
export function pmap_info(
    p: Pmap,
    print: (line: string) => void,
    opts: PmapInfoOptions = {},
): void {
    const gm = pmap_geometry(p.pae);
    const start = Math.max(0, opts.start ?? 0);
    const end = Math.min(TWO32, opts.end ?? TWO32);
    const ad = opts.ad ?? false;
    print(header(p));
    if (p.ref_count <= 0) {
        print("(destroyed)");
        return;
    }
    if (start >= end) return;
    const first = Math.floor(start / gm.PDE_MAPPED_SIZE);
    const last = Math.floor((end - 1) / gm.PDE_MAPPED_SIZE);

    if (opts.mode === "pde") {
        let lastPdpte = -1;
        for (let i = first; i <= last; i++) {
            if (p.pae && i >> 9 !== lastPdpte) {
                lastPdpte = i >> 9;
                const e = raw_entry(p, p.pdpbase + 8 * lastPdpte);
                print(
                    `PDPTE ${lastPdpte} @${hex_pad8(p.pdpbase + 8 * lastPdpte)} = ${e.text}  ` +
                        `${pmap_flags_string(e.lo, "PDPTE")}  page directory ${hex_pad8(pte_to_pa(e.hi * TWO32 + e.lo, true))}`,
                );
            }
            const at = pmap_pde_addr(p, i);
            const e = raw_entry(p, at);
            if (e.lo === 0 && e.hi === 0) continue;
            const base = i * gm.PDE_MAPPED_SIZE;
            let line =
                `PDE ${hex_digits(i, 3)} @${hex_pad8(at)} = ${e.text}  ${pmap_flags_string(e.lo, "PDE")}  ` +
                `${hex_pad8(base)}-${hex_pad8(base + gm.PDE_MAPPED_SIZE - 1)}`;
            if (e.lo & INTEL_PTE_VALID) {
                const pt = pte_to_pa(e.hi * TWO32 + e.lo, p.pae);
                const t = read_ptp(p, pt, gm.NPTES);
                let present = 0,
                    direct = 0,
                    wired = 0,
                    other = 0;
                for (let j = 0; j < gm.NPTES; j++) {
                    const lo = t.lo[j]!;
                    if (!(lo & INTEL_PTE_VALID)) {
                        if (lo !== 0 || t.hi[j] !== 0) other++;
                        continue;
                    }
                    present++;
                    if (lo & INTEL_PTE_WIRED) wired++;
                    if (region(p, base + j * PAGE_SIZE) === "direct map") direct++;
                }
                line += `  page table ${hex_pad8(pt)}: ${present}/${gm.NPTES} present`;
                if (direct > 0) line += `, ${direct} direct map`;
                if (wired > 0) line += `, ${wired} wired`;
                if (other > 0) line += `, ${other} non-zero invalid`;
                if (!p.is_kernel && base >= p.globals.vm_min_kernel_address)
                    line += "  (kernel, shared)";
            } else {
                line += "  not present";
            }
            print(line);
        }
        return;
    }

    // Runs.
    let runs = 0;
    let pages = 0;
    let run: { va: number; vend: number; pa: number; pend: number; attrs: string } | null = null;
    const flush = (): void => {
        if (!run) return;
        print(
            `${hex_pad8(run.va)}-${hex_pad8(run.vend - 1)} -> ${hex_pad8(run.pa)}-${hex_pad8(run.pend - 1)}  ${run.attrs}`,
        );
        runs++;
        run = null;
    };
    for (let i = first; i <= last; i++) {
        const pde = pmap_entry_read(p.mem, p.pae, pmap_pde_addr(p, i));
        if (!(pde & INTEL_PTE_VALID)) {
            flush();
            continue;
        }
        const base = i * gm.PDE_MAPPED_SIZE;
        const pt = pte_to_pa(pde, p.pae);
        const j0 = Math.max(0, Math.floor((start - base) / PAGE_SIZE));
        const j1 = Math.min(gm.NPTES, Math.ceil((end - base) / PAGE_SIZE));
        const t = read_ptp(p, pt + j0 * gm.PTE_SIZE, j1 - j0);
        for (let j = j0; j < j1; j++) {
            const lo = t.lo[j - j0]!;
            if (!(lo & INTEL_PTE_VALID)) {
                flush();
                continue;
            }
            const va = base + j * PAGE_SIZE;
            const pa = pte_to_pa(t.hi[j - j0]! * TWO32 + lo, p.pae);
            const attrs = attrs_string(pde, lo, ad);
            pages++;
            const r = run as {
                va: number;
                vend: number;
                pa: number;
                pend: number;
                attrs: string;
            } | null;
            if (r && r.vend === va && r.pend === pa && r.attrs === attrs) {
                r.vend += PAGE_SIZE;
                r.pend += PAGE_SIZE;
            } else {
                flush();
                run = { va, vend: va + PAGE_SIZE, pa, pend: pa + PAGE_SIZE, attrs };
            }
        }
    }
    flush();
    print(
        `${runs} run${runs === 1 ? "" : "s"}, ${pages} page${pages === 1 ? "" : "s"} mapped (${mib(pages * PAGE_SIZE)})`,
    );
}

/**
 * The translation of `va` in `p`, one line per entry read, then the result:
 *
 *     PDE   [0x300] @0x00105c00 = 0x00106003  P W  page table at 0x00106000
 *     PTE   [0x000] @0x00106000 = 0x00000103  P W G  4 KiB page at 0x00000000
 *     VA 0xc0000000 -> PA 0x00000000  (RW, supervisor, global; direct map)
 */
export function pmap_walk_lines(p: Pmap, va: number): string[] {
    va >>>= 0;
    const lines = [header(p)];
    if (p.ref_count <= 0) {
        lines.push(`VA ${hex_pad8(va)} -> not mapped (pmap destroyed)`);
        return lines;
    }
    const where = region(p, va);
    const step = (
        level: string,
        index: string,
        at: number,
        text: string,
        flags: string,
        note: string,
    ): void => {
        lines.push(`${level.padEnd(5)} [${index}] @${hex_pad8(at)} = ${text}  ${flags}  ${note}`);
    };
    const pdenum = lin2pdenum(p, va);
    if (p.pae) {
        const i = va >>> 30;
        const at = p.pdpbase + 8 * i;
        const e = raw_entry(p, at);
        const valid = (e.lo & INTEL_PTE_VALID) !== 0;
        step(
            "PDPTE",
            hex_digits(i, 1),
            at,
            e.text,
            pmap_flags_string(e.lo, "PDPTE"),
            valid
                ? `page directory at ${hex_pad8(pte_to_pa(e.hi * TWO32 + e.lo, true))}`
                : "not present",
        );
        if (!valid) {
            lines.push(`VA ${hex_pad8(va)} -> not mapped (PDPTE ${i} not present; ${where})`);
            return lines;
        }
    }
    const pdeAt = pmap_pde_addr(p, pdenum);
    const pde = raw_entry(p, pdeAt);
    const pdeIndex = p.pae ? pdenum & 0x1ff : pdenum;
    const pdeValid = (pde.lo & INTEL_PTE_VALID) !== 0;
    const pt = pte_to_pa(pde.hi * TWO32 + pde.lo, p.pae);
    step(
        "PDE",
        hex_digits(pdeIndex, 3),
        pdeAt,
        pde.text,
        pmap_flags_string(pde.lo, "PDE"),
        (pdeValid ? `page table at ${hex_pad8(pt)}` : "not present") +
            (p.pae ? ` (pdenum ${hex_digits(pdenum, 3)})` : ""),
    );
    if (!pdeValid) {
        lines.push(
            `VA ${hex_pad8(va)} -> not mapped (PDE ${hex_digits(pdenum, 3)} not present; ${where})`,
        );
        return lines;
    }
    const pteIndex = ptenum(p, va);
    const pteAt = pt + (p.pae ? 8 : 4) * pteIndex;
    const pte = raw_entry(p, pteAt);
    const pteValid = (pte.lo & INTEL_PTE_VALID) !== 0;
    const frame = pte_to_pa(pte.hi * TWO32 + pte.lo, p.pae);
    step(
        "PTE",
        hex_digits(pteIndex, 3),
        pteAt,
        pte.text,
        pmap_flags_string(pte.lo, "PTE"),
        pteValid ? `4 KiB page at ${hex_pad8(frame)}` : "not present",
    );
    if (!pteValid) {
        lines.push(
            `VA ${hex_pad8(va)} -> not mapped (PTE ${hex_digits(pteIndex, 3)} not present; ${where})`,
        );
        return lines;
    }
    const access = [
        pde.lo & pte.lo & INTEL_PTE_WRITE ? "RW" : "RO",
        pde.lo & pte.lo & INTEL_PTE_USER ? "user" : "supervisor",
    ];
    if (pte.lo & INTEL_PTE_GLOBAL) access.push("global");
    if (pte.lo & INTEL_PTE_NCACHE) access.push("uncached");
    if (pte.lo & INTEL_PTE_WIRED) access.push("wired");
    lines.push(
        `VA ${hex_pad8(va)} -> PA ${hex_pad8(frame + (va & 0xfff))}  (${access.join(", ")}; ${where})`,
    );
    return lines;
}
