/*
 * emulator/v86_physmem.ts — PhysMem over v86's RAM.
 *
 * Reads and writes go straight to the wasm memory through one cached view;
 * the pages every host write touches are told to v86 (flushDirty(), before
 * the CPU runs again), which drops JIT code compiled from them, because
 * raw writes bypass its self-modifying-code detection. TLB flushes are not
 * done here: page-table edits flush where Mach flushes (Mmu).
 *
 * Deferred writes (deferWrites(), for the modelled kernel's boot): bytes
 * given to defer() — the modules, their copies, the ramdisk, the vm_page
 * array, ~45 MiB of a 1856M d-i boot — are kept as pieces per 64 KiB
 * chunk and written into RAM only when the host first reads or writes
 * that chunk through the accessors, or when materialize() says so; read()
 * and copy() use the pieces without writing them. RAM the host never
 * writes costs nothing (the OS backs a page on first touch, ~3 ms a MiB on
 * a virtual machine). The CPU reads RAM behind the host's back, so the
 * host materializes what the CPU may read before it runs (lib/kboot.ts).
 */
import type { PhysFill, PhysMem } from "./types.ts";
import type { V86Cpu } from "./v86_internals.ts";

const CHUNK = 1 << 16;

/** Bytes [at, at+len) of a chunk are to become fill's bytes from `off` on (later pieces win). */
interface Piece {
    at: number;
    len: number;
    fill: PhysFill;
    off: number;
}

/** A deferred zero fill (dst is zeroed already). */
const ZERO: PhysFill = () => {};

export class V86PhysMem implements PhysMem {
    private readonly cpu: V86Cpu;
    /** Chunks with deferred pieces not yet in RAM: their pieces, in order. */
    private readonly pending = new Map<number, Piece[]>();
    /** One byte per chunk, 1 where `pending` has it: the check of every access. */
    private pend = new Uint8Array(0);
    /** One byte per 4 KiB page, 1 where the host wrote since the last flushDirty(). */
    private written = new Uint8Array(0);
    /** The pages `written` marks, in the order first written. */
    private writtenList: number[] = [];
    /** Present only after deferWrites(): the loader and the kernel defer where it is. */
    defer?: (pa: number, len: number, fill: PhysFill) => void;

    readonly size: number;

    constructor(cpu: V86Cpu) {
        this.cpu = cpu;
        this.size = cpu.memorySize;
    }
    private ok(pa: number, len: number): boolean {
        return pa >= 0 && pa + len <= this.size;
    }

    /**
     * The host wrote [start, end): v86 must drop JIT code compiled from those
     * pages before the CPU runs again (raw writes bypass its self-modifying
     * code detection). Noted here and told to v86 once per page at
     * flushDirty(), which Machine calls before the CPU executes anything:
     * v86's invalidation is per page and idempotent, so doing it later but
     * before any guest instruction or JIT install is the same.
     */
    private touch(start: number, end: number): void {
        if (this.written.length === 0) this.written = new Uint8Array(Math.ceil(this.size / 4096));
        const last = Math.floor((end - 1) / 4096);
        for (let p = Math.floor(start / 4096); p <= last; p++) {
            if (this.written[p]) continue;
            this.written[p] = 1;
            this.writtenList.push(p);
        }
    }

    /** Tell v86 about every page written since the last call, one range per run of pages. */
    flushDirty(): void {
        const list = this.writtenList;
        if (list.length === 0) return;
        list.sort((a, b) => a - b);
        let first = list[0]!;
        let end = first;
        for (const p of list) {
            this.written[p] = 0;
            if (p === end) {
                end++;
                continue;
            }
            this.cpu.dirty(first * 4096, end * 4096);
            first = p;
            end = p + 1;
        }
        this.cpu.dirty(first * 4096, end * 4096);
        this.writtenList = [];
    }

    /** From now on defer() keeps its bytes out of RAM until they are used (see the header). */
    deferWrites(): void {
        if (this.pend.length === 0) this.pend = new Uint8Array(Math.ceil(this.size / CHUNK));
        this.defer = (pa, len, fill) => this.defer_from(pa, len, fill, 0);
    }

    /** Write the deferred bytes of the chunks over [pa, pa+len) into RAM. */
    materialize(pa: number, len: number): void {
        if (this.pending.size === 0 || len <= 0) return;
        const first = Math.max(0, Math.floor(pa / CHUNK));
        const last = Math.min(this.pend.length, Math.ceil((pa + len) / CHUNK));
        for (let n = first; n < last; n++) if (this.pend[n]) this.make(n);
    }

    /** Write every deferred byte into RAM. */
    materializeAll(): void {
        for (const n of [...this.pending.keys()]) this.make(n);
    }

    /** Chunk n's pieces into RAM, in order. */
    private make(n: number): void {
        const pieces = this.pending.get(n)!;
        this.pending.delete(n);
        this.pend[n] = 0;
        const ram = this.cpu.bytes();
        const base = n * CHUNK;
        let lo = CHUNK;
        let hi = 0;
        for (const p of pieces) {
            const dst = ram.subarray(base + p.at, base + p.at + p.len).fill(0);
            if (p.fill !== ZERO) p.fill(dst, p.off);
            lo = Math.min(lo, p.at);
            hi = Math.max(hi, p.at + p.len);
        }
        this.touch(base + lo, base + hi);
    }

    /** materialize() for an access of 1 to 4 bytes: at most two chunks, looked up directly. */
    private ready(pa: number, len: number): void {
        const a = Math.floor(pa / CHUNK);
        const b = Math.floor((pa + len - 1) / CHUNK);
        if (this.pend[a]) this.make(a);
        if (b !== a && this.pend[b]) this.make(b);
    }

    /** Whether a chunk over [pa, pa+len) has deferred pieces. */
    private deferred(pa: number, len: number): boolean {
        if (this.pending.size === 0) return false;
        const last = Math.min(this.pend.length, Math.ceil((pa + len) / CHUNK));
        for (let n = Math.max(0, Math.floor(pa / CHUNK)); n < last; n++)
            if (this.pend[n]) return true;
        return false;
    }

    read8(pa: number): number {
        if (!this.ok(pa, 1)) return 0xff;
        if (this.pending.size !== 0) this.ready(pa, 1);
        return this.cpu.bytes()[pa]!;
    }
    read16(pa: number): number {
        if (!this.ok(pa, 2)) return 0xffff;
        if (this.pending.size !== 0) this.ready(pa, 2);
        return this.cpu.dataView().getUint16(pa, true);
    }
    read32(pa: number): number {
        if (!this.ok(pa, 4)) return 0xffffffff;
        if (this.pending.size !== 0) this.ready(pa, 4);
        return this.cpu.dataView().getUint32(pa, true);
    }
    write8(pa: number, value: number): void {
        if (!this.ok(pa, 1)) return;
        if (this.pending.size !== 0) this.ready(pa, 1);
        this.cpu.bytes()[pa] = value;
        this.touch(pa, pa + 1);
    }
    write16(pa: number, value: number): void {
        if (!this.ok(pa, 2)) return;
        if (this.pending.size !== 0) this.ready(pa, 2);
        this.cpu.dataView().setUint16(pa, value & 0xffff, true);
        this.touch(pa, pa + 2);
    }
    write32(pa: number, value: number): void {
        if (!this.ok(pa, 4)) return;
        if (this.pending.size !== 0) this.ready(pa, 4);
        this.cpu.dataView().setUint32(pa, value >>> 0, true);
        this.touch(pa, pa + 4);
    }
    /**
     * Pages never touched by the guest or the host read as zero: no need to
     * read them. Pages with deferred bytes count as touched.
     */
    touchedPages(): Uint8Array | undefined {
        const t = this.cpu.residentPages();
        if (!t) return undefined;
        const per = CHUNK / 4096;
        for (const [n, pieces] of this.pending)
            for (const p of pieces)
                t.fill(
                    1,
                    n * per + Math.floor(p.at / 4096),
                    n * per + Math.ceil((p.at + p.len) / 4096),
                );
        return t;
    }
    /** A live view, unless deferred bytes lie in the range (read() then gives them). */
    view(pa: number, len: number): Uint8Array | undefined {
        if (!this.ok(pa, len) || this.deferred(pa, len)) return undefined;
        return this.cpu.bytes().subarray(pa, pa + len);
    }
    read(pa: number, len: number): Uint8Array {
        if (this.ok(pa, len)) {
            const out = this.cpu.bytes().slice(pa, pa + len);
            if (this.deferred(pa, len)) this.overlay(out, pa);
            return out;
        }
        const out = new Uint8Array(len).fill(0xff);
        for (let i = 0; i < len; i++) out[i] = this.read8(pa + i);
        return out;
    }
    /** out (RAM's bytes at pa) gets the deferred pieces over it, in order. */
    private overlay(out: Uint8Array, pa: number): void {
        const last = Math.ceil((pa + out.length) / CHUNK);
        for (let n = Math.floor(pa / CHUNK); n < last; n++) {
            for (const p of this.pending.get(n) ?? []) {
                const start = n * CHUNK + p.at;
                const from = Math.max(pa, start);
                const to = Math.min(pa + out.length, start + p.len);
                if (from >= to) continue;
                const part = out.subarray(from - pa, to - pa).fill(0);
                if (p.fill !== ZERO) p.fill(part, p.off + (from - start));
            }
        }
    }
    write(pa: number, bytes: Uint8Array): void {
        const n = Math.max(0, Math.min(bytes.length, this.size - pa));
        if (pa < 0 || n === 0) return;
        if (this.pending.size !== 0) this.materialize(pa, n);
        this.cpu.bytes().set(bytes.subarray(0, n), pa);
        this.touch(pa, pa + n);
    }
    fill(pa: number, len: number, value: number): void {
        const n = Math.max(0, Math.min(len, this.size - pa));
        if (pa < 0 || n === 0) return;
        if (this.pending.size !== 0) this.materialize(pa, n);
        this.cpu.bytes().fill(value, pa, pa + n);
        this.touch(pa, pa + n);
    }

    /**
     * memmove. Deferred source bytes stay deferred: each piece over what is
     * copied is deferred again at the destination (the d-i boot copies its
     * modules, then the ramdisk out of them).
     */
    copy(to: number, from: number, len: number): void {
        if (len <= 0) return;
        if (!this.ok(from, len) || !this.ok(to, len)) {
            this.write(to, this.read(from, len));
            return;
        }
        const overlap = to < from + len && from < to + len;
        if (!this.defer || overlap || !this.deferred(from, len)) {
            this.ram_copy(to, from, len);
            return;
        }
        for (let done = 0; done < len;) {
            const src = from + done;
            const n = Math.min(len - done, CHUNK - (src % CHUNK));
            const pieces = this.pending.get(Math.floor(src / CHUNK));
            if (pieces) this.copy_pieces(to + done, src, n, pieces, pieces.length);
            else this.ram_copy(to + done, src, n);
            done += n;
        }
    }
    /** copyWithin of RAM, both ranges made first. */
    private ram_copy(to: number, from: number, len: number): void {
        this.materialize(from, len);
        this.materialize(to, len);
        this.cpu.bytes().copyWithin(to, from, from + len);
        this.touch(to, to + len);
    }
    /**
     * Bytes [from, from+n) of one chunk, made of its `pieces` below index
     * `below` over RAM, deferred at `to`: the last piece over them gives its
     * part, earlier pieces or RAM the parts on either side.
     */
    private copy_pieces(to: number, from: number, n: number, pieces: Piece[], below: number): void {
        const base = from - (from % CHUNK);
        const o = from - base;
        let i = below - 1;
        while (i >= 0 && (pieces[i]!.at >= o + n || pieces[i]!.at + pieces[i]!.len <= o)) i--;
        if (i < 0) {
            this.copy_ram_bytes(to, from, n);
            return;
        }
        const p = pieces[i]!;
        const lo = Math.max(o, p.at);
        const hi = Math.min(o + n, p.at + p.len);
        this.defer_from(to + (lo - o), hi - lo, p.fill, p.fill === ZERO ? 0 : p.off + (lo - p.at));
        if (lo > o) this.copy_pieces(to, from, lo - o, pieces, i);
        if (hi < o + n) this.copy_pieces(to + (hi - o), base + hi, o + n - hi, pieces, i);
    }
    /** RAM's own bytes (under no piece) to `to`: zeros stay a deferred zero fill. */
    private copy_ram_bytes(to: number, from: number, n: number): void {
        const src = this.cpu.bytes().subarray(from, from + n);
        if (src.every((b) => b === 0)) this.defer_from(to, n, ZERO, 0);
        else this.write(to, src.slice());
    }
    /** defer() of fill's bytes from `off` on. */
    private defer_from(pa: number, len: number, fill: PhysFill, off: number): void {
        for (let done = 0; done < len;) {
            const at = pa + done;
            const o = at % CHUNK;
            const n = Math.min(len - done, CHUNK - o);
            const k = Math.floor(at / CHUNK);
            let pieces = this.pending.get(k);
            if (!pieces) {
                this.pending.set(k, (pieces = []));
                this.pend[k] = 1;
            }
            const last = pieces[pieces.length - 1];
            const from = fill === ZERO ? 0 : off + done;
            // The next bytes of the same fill right after the last piece: one piece.
            if (last?.fill === fill && last.at + last.len === o && last.off + last.len === from)
                last.len += n;
            else pieces.push({ at: o, len: n, fill, off: from });
            done += n;
        }
    }
}
