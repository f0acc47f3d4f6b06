/*
 * kernel/vm/vm_page_ram.ts — the struct vm_page of every resident page, and
 * the globals of vm/vm_resident.c, in guest RAM, kept current with the host
 * bookkeeping (vm_page.ts) so that a dump, a debugger or a reader of GNU
 * Mach's structures sees the model's real state.
 *
 * The structs are laid out exactly as struct vm_page of the modelled
 * version (offsets read with gdb `ptype/o struct vm_page` from the real
 * kernels): 44 bytes from 8d03c760 (upstream, and gnumach-8d03c760-debian),
 * 48 bytes in v1.4 (Debian's 2:1.4-x packages). For any other
 * vm_page_size (HEAD's 52-byte struct is another design, and --set can
 * choose anything) the array keeps its size in kernel VA but no field is
 * written.
 *
 *   field            44 B (8d03c760)     48 B (v1.4)
 *   pageq.next       0                   0
 *   pageq.prev       4                   4
 *   listq.next/prev  8 / 12              8 / 12
 *   next             16                  16
 *   object           20                  20
 *   offset           24                  24
 *   wire_count       28 bits 0-14        28 bits 0-15
 *   inactive         28 bit 15           28 bit 16
 *   active           28 bit 16           28 bit 17
 *   laundry          28 bit 17           28 bit 18
 *   free             28 bit 18           28 bit 19
 *   reference        28 bit 19           28 bit 20
 *   external         28 bit 20           28 bit 21
 *   extcounted       28 bit 21           28 bit 22
 *   busy             28 bit 22           32 bit 0
 *   wanted           28 bit 23           32 bit 1
 *   tabled           28 bit 24           32 bit 2
 *   fictitious       28 bit 25           32 bit 3
 *   private          28 bit 26           32 bit 4
 *   absent           28 bit 27           32 bit 5
 *   error            28 bit 28           32 bit 6
 *   dirty            28 bit 29           32 bit 7
 *   precious         28 bit 30           32 bit 8
 *   overwriting      28 bit 31           32 bit 9
 *   phys_addr        32                  36
 *   page_lock        36                  40
 *   unlock_request   40                  44
 *
 * What is written, from the model's state, on every change of it:
 *   - pageq: a free page links to the next free page (pageq.next; NULL at
 *     the end) as Mach's LIFO vm_page_queue_free does, pageq.prev 0; a page
 *     on the active or inactive queue links to its neighbours, the first
 *     and last to the queue head (queue_head_t in the image's bss); a page
 *     on no queue (wired, being worked on) has both links 0.
 *   - wire_count 1 for a wired page, else 0; inactive, active, free from the
 *     queue it is on; reference, dirty, laundry from its flags; busy on a
 *     free page (vm_page_init's template) and clear on a page in use;
 *     tabled with object (the kernel VA of its struct vm_object) and offset
 *     when it belongs to a user object.
 *   - phys_addr once, at vm_page_init; listq, next, page_lock and
 *     unlock_request stay 0 (the template's NULL and VM_PROT_NONE).
 *   - The globals vm_page_queue_free, vm_page_queue_active,
 *     vm_page_queue_inactive and the free, active, inactive and wired
 *     counts, at the addresses the stub's symbols give (none written when
 *     the image lacks them).
 *
 * Departures: pages do not join their object's memq (listq) nor the VP
 * hash chains (next; the stolen buckets stay empty), because the objects'
 * page sets live on the host; kernel memory (kmem_alloc) and page-table
 * pages belong to no object in the model, so they show wire_count 1 and no
 * object where Mach has them in kernel_object or pmap_object (and leaves a
 * page-table page busy); a page on no queue has zeroed links where Mach
 * leaves stale ones; external, extcounted, wanted, fictitious, private,
 * absent, error, precious and overwriting are always 0 (no external
 * pagers, no page in transit).
 *
 * Cost: a state change writes the 5 or 6 words of each struct it touches
 * (the page, and its queue neighbours when links move) and the globals that
 * changed; the boot's ~470k free pages are written once, in bulk.
 */
import type { PhysMem } from "../../emulator/types.ts";

/** One bit field: the 32-bit word at `word` (byte offset), `width` bits from bit `bit`. */
interface BitField {
    word: number;
    bit: number;
    width: number;
}

export interface VmPageLayout {
    /** sizeof(struct vm_page). */
    size: number;
    /** Which GNU Mach the layout is from. */
    version: string;
    pageq_next: number;
    pageq_prev: number;
    listq_next: number;
    listq_prev: number;
    next: number;
    object: number;
    offset: number;
    phys_addr: number;
    page_lock: number;
    unlock_request: number;
    bits: Record<VmPageBit, BitField>;
    /** Byte offsets of the bit-field words (one or two). */
    bit_words: number[];
}

export type VmPageBit =
    | "wire_count"
    | "inactive"
    | "active"
    | "laundry"
    | "free"
    | "reference"
    | "external"
    | "extcounted"
    | "busy"
    | "wanted"
    | "tabled"
    | "fictitious"
    | "private"
    | "absent"
    | "error"
    | "dirty"
    | "precious"
    | "overwriting";

const ORDER: VmPageBit[] = [
    "inactive",
    "active",
    "laundry",
    "free",
    "reference",
    "external",
    "extcounted",
    "busy",
    "wanted",
    "tabled",
    "fictitious",
    "private",
    "absent",
    "error",
    "dirty",
    "precious",
    "overwriting",
];

/** 8d03c760 (70833d9d, 93b9dca0, 2f8477fb): one word, wire_count:15 then the 17 flags. */
function layout_44(): VmPageLayout {
    const bits = { wire_count: { word: 28, bit: 0, width: 15 } } as Record<VmPageBit, BitField>;
    ORDER.forEach((name, i) => (bits[name] = { word: 28, bit: 15 + i, width: 1 }));
    return {
        size: 44,
        version: "8d03c760 (2014-01-02 and later, 44 B)",
        pageq_next: 0,
        pageq_prev: 4,
        listq_next: 8,
        listq_prev: 12,
        next: 16,
        object: 20,
        offset: 24,
        phys_addr: 32,
        page_lock: 36,
        unlock_request: 40,
        bits,
        bit_words: [28],
    };
}

/** v1.4: wire_count:16 and 7 flags, `:0`, then the other 10 flags in a second word. */
function layout_48(): VmPageLayout {
    const bits = { wire_count: { word: 28, bit: 0, width: 16 } } as Record<VmPageBit, BitField>;
    ORDER.forEach(
        (name, i) =>
            (bits[name] =
                i < 7 ? { word: 28, bit: 16 + i, width: 1 } : { word: 32, bit: i - 7, width: 1 }),
    );
    return {
        size: 48,
        version: "v1.4 (Debian 2:1.4-x, 48 B)",
        pageq_next: 0,
        pageq_prev: 4,
        listq_next: 8,
        listq_prev: 12,
        next: 16,
        object: 20,
        offset: 24,
        phys_addr: 36,
        page_lock: 40,
        unlock_request: 44,
        bits,
        bit_words: [28, 32],
    };
}

/** The layouts the model writes, by sizeof(struct vm_page). */
export const VM_PAGE_LAYOUTS: Readonly<Record<number, VmPageLayout>> = Object.freeze({
    44: layout_44(),
    48: layout_48(),
});

/** The resident-page globals of vm/vm_resident.c, by symbol (physical addresses in the image). */
export interface VmPageGlobals {
    vm_page_queue_free?: number;
    vm_page_queue_active?: number;
    vm_page_queue_inactive?: number;
    vm_page_free_count?: number;
    vm_page_active_count?: number;
    vm_page_inactive_count?: number;
    vm_page_wire_count?: number;
}

/** Where the structs and the globals are, and how to reach them in physical memory. */
export interface VmPageRam {
    mem: PhysMem;
    layout: VmPageLayout;
    /** Kernel VA of the stolen array, and how many structs it holds. */
    base: number;
    count: number;
    /** Physical address of each 4 KiB page of the array, from trunc_page(base). */
    page0: number;
    pages: Float64Array;
    /**
     * Structs of later pages (vm_page_create: from vm_page_cache, or the
     * "vm pages" zone), index − count: kernel VA, physical address, and the
     * physical address of the part past a page boundary (0: none).
     */
    extra_va: number[];
    extra_pa: number[];
    extra_pa_hi: number[];
    globals: VmPageGlobals;
    /** phystokv of the globals (VM_MIN_KERNEL_ADDRESS). */
    kernelbase: number;
}

/** Kernel VA of page i's struct. */
export function vm_page_ram_va(r: VmPageRam, i: number): number {
    return i < r.count ? r.base + i * r.layout.size : r.extra_va[i - r.count]!;
}

/** Physical address of byte `off` of page i's struct (a word never straddles a page: structs are 4-aligned). */
export function vm_page_ram_pa(r: VmPageRam, i: number, off: number): number {
    if (i >= r.count) {
        const j = i - r.count;
        const split = 4096 - (r.extra_va[j]! & 0xfff);
        return off < split ? r.extra_pa[j]! + off : r.extra_pa_hi[j]! + (off - split);
    }
    const va = r.base + i * r.layout.size + off;
    return r.pages[(va - r.page0) >>> 12]! + (va & 0xfff);
}

/** The words a page's state sets (links, bits, object, offset), as a reader would see them. */
export interface VmPageWords {
    pageq_next: number;
    pageq_prev: number;
    object: number;
    offset: number;
    bits: Partial<Record<VmPageBit, number>>;
}

/** Pack the bit fields into the layout's bit-field words (in bit_words order). */
export function vm_page_bits_pack(
    l: VmPageLayout,
    bits: Partial<Record<VmPageBit, number>>,
): number[] {
    const words = l.bit_words.map(() => 0);
    for (const [name, v] of Object.entries(bits) as [VmPageBit, number][]) {
        if (!v) continue;
        const f = l.bits[name];
        const w = l.bit_words.indexOf(f.word);
        words[w] = (words[w]! | ((v & ((1 << f.width) - 1)) << f.bit)) >>> 0;
    }
    return words;
}

/**
 * The model's page state as a small bit set (VM_PAGE_RAM_*), so the bit-field
 * words come from a table instead of being packed field by field.
 */
export const VM_PAGE_RAM_WIRED = 1 << 0;
export const VM_PAGE_RAM_INACTIVE = 1 << 1;
export const VM_PAGE_RAM_ACTIVE = 1 << 2;
export const VM_PAGE_RAM_FREE = 1 << 3;
export const VM_PAGE_RAM_BUSY = 1 << 4;
export const VM_PAGE_RAM_LAUNDRY = 1 << 5;
export const VM_PAGE_RAM_REFERENCE = 1 << 6;
export const VM_PAGE_RAM_DIRTY = 1 << 7;
export const VM_PAGE_RAM_TABLED = 1 << 8;
const STATE_BITS: VmPageBit[] = [
    "wire_count",
    "inactive",
    "active",
    "free",
    "busy",
    "laundry",
    "reference",
    "dirty",
    "tabled",
];

/** The bit-field words of every state set, per layout: [state * nwords + word]. */
const pack_tables = new WeakMap<VmPageLayout, Uint32Array>();

function pack_table(l: VmPageLayout): Uint32Array {
    let tab = pack_tables.get(l);
    if (tab) return tab;
    const n = l.bit_words.length;
    tab = new Uint32Array((1 << STATE_BITS.length) * n);
    // Each field is 0 or 1 here, so a state's words are the OR of its bits' words.
    const one = STATE_BITS.map((name) => vm_page_bits_pack(l, { [name]: 1 }));
    for (let state = 0; state < 1 << STATE_BITS.length; state++) {
        for (let k = 0; k < n; k++) {
            let w = 0;
            for (let b = 0; b < STATE_BITS.length; b++) if ((state >> b) & 1) w |= one[b]![k]!;
            tab[state * n + k] = w >>> 0;
        }
    }
    pack_tables.set(l, tab);
    return tab;
}

/** The struct's words from pageq.next up to phys_addr, built here and written in one go. */
const scratch = new Uint32Array(16);
const scratch_bytes = new Uint8Array(scratch.buffer);

/**
 * Write page i's state: its links, object, offset and bit-field words (and
 * the zero listq and next between them), as one write of the bytes before
 * phys_addr (two when the struct straddles a page).
 */
export function vm_page_ram_state(
    r: VmPageRam,
    i: number,
    next: number,
    prev: number,
    object: number,
    offset: number,
    state: number,
): void {
    const l = r.layout;
    const len = l.phys_addr;
    scratch.fill(0, 0, len >> 2);
    scratch[l.pageq_next >> 2] = next;
    scratch[l.pageq_prev >> 2] = prev;
    scratch[l.object >> 2] = object;
    scratch[l.offset >> 2] = offset;
    const tab = pack_table(l);
    const n = l.bit_words.length;
    for (let k = 0; k < n; k++) scratch[l.bit_words[k]! >> 2] = tab[state * n + k]!;
    scratch_write(r, i, len);
}

/** Write scratch_bytes[0, len) at page i's struct: one write, two when the struct straddles a page. */
function scratch_write(r: VmPageRam, i: number, len: number): void {
    const pa = vm_page_ram_pa(r, i, 0);
    const first = 4096 - (pa & 0xfff);
    if (first >= len) {
        r.mem.write(pa, scratch_view(len));
        return;
    }
    r.mem.write(pa, scratch_bytes.subarray(0, first));
    r.mem.write(vm_page_ram_pa(r, i, first), scratch_bytes.subarray(first, len));
}

/** scratch_bytes[0, len), one view per length (no allocation per write). */
const scratch_views: Uint8Array[] = [];
function scratch_view(len: number): Uint8Array {
    return (scratch_views[len] ??= scratch_bytes.subarray(0, len));
}

/** Write the state words of page i (the general form, for tests and tools). */
export function vm_page_ram_write(r: VmPageRam, i: number, w: VmPageWords): void {
    let state = 0;
    STATE_BITS.forEach((name, b) => {
        if (w.bits[name]) state |= 1 << b;
    });
    vm_page_ram_state(r, i, w.pageq_next, w.pageq_prev, w.object, w.offset, state);
}

/** vm_page_init in guest RAM: the template (every field 0, busy) and phys_addr. */
export function vm_page_ram_init(r: VmPageRam, i: number, phys: number): void {
    const l = r.layout;
    scratch.fill(0, 0, l.size >> 2);
    const tab = pack_table(l);
    const n = l.bit_words.length;
    for (let k = 0; k < n; k++) scratch[l.bit_words[k]! >> 2] = tab[VM_PAGE_RAM_BUSY * n + k]!;
    scratch[l.phys_addr >> 2] = phys;
    scratch_write(r, i, l.size);
}

/** Write one global if the image has it. */
export function vm_page_ram_global(
    r: VmPageRam,
    name: keyof VmPageGlobals,
    value: number,
    at = 0,
): void {
    const pa = r.globals[name];
    if (pa !== undefined) r.mem.write32(pa + at, value >>> 0);
}

/** Kernel VA of a queue head global (what the first and last page of a queue link to), 0 if absent. */
export function vm_page_ram_head_va(
    r: VmPageRam,
    name: "vm_page_queue_active" | "vm_page_queue_inactive",
): number {
    const pa = r.globals[name];
    return pa === undefined ? 0 : (pa + r.kernelbase) >>> 0;
}
