/*
 * emulator/physmem.ts — host-side PhysMem implementations (no v86).
 *
 * ArrayPhysMem: one flat Uint8Array, for unit tests and small RAM.
 * SparsePhysMem: 4 KiB pages allocated on first write, for the `none`
 * engine and RAM sizes above v86's 2047.875 MiB cap; untouched pages read
 * as zero, so a 4 GiB machine costs only what it uses.
 */
import type { PhysFill, PhysMem } from "./types.ts";

export const PAGE_SIZE = 4096;

/** Shared byte-level helpers: subclasses only provide raw page access. */
abstract class PhysMemBase implements PhysMem {
    readonly size: number;
    constructor(size: number) {
        this.size = size;
    }
    abstract read8(pa: number): number;
    abstract write8(pa: number, value: number): void;

    read16(pa: number): number {
        return this.read8(pa) | (this.read8(pa + 1) << 8);
    }
    read32(pa: number): number {
        return (this.read16(pa) | (this.read16(pa + 2) << 16)) >>> 0;
    }
    write16(pa: number, value: number): void {
        this.write8(pa, value & 0xff);
        this.write8(pa + 1, (value >>> 8) & 0xff);
    }
    write32(pa: number, value: number): void {
        this.write16(pa, value & 0xffff);
        this.write16(pa + 2, (value >>> 16) & 0xffff);
    }
    read(pa: number, len: number): Uint8Array {
        const out = new Uint8Array(len);
        for (let i = 0; i < len; i++) out[i] = this.read8(pa + i);
        return out;
    }
    write(pa: number, bytes: Uint8Array): void {
        for (let i = 0; i < bytes.length; i++) this.write8(pa + i, bytes[i]!);
    }
    fill(pa: number, len: number, value: number): void {
        for (let i = 0; i < len; i++) this.write8(pa + i, value);
    }
}

/** Flat in-memory RAM. */
export class ArrayPhysMem extends PhysMemBase {
    readonly bytes: Uint8Array;
    private readonly dv: DataView;

    constructor(size: number) {
        super(size);
        this.bytes = new Uint8Array(size);
        this.dv = new DataView(this.bytes.buffer);
    }
    private inRange(pa: number, len: number): boolean {
        return pa >= 0 && pa + len <= this.size;
    }
    read8(pa: number): number {
        return this.inRange(pa, 1) ? this.bytes[pa]! : 0xff;
    }
    write8(pa: number, value: number): void {
        if (this.inRange(pa, 1)) this.bytes[pa] = value;
    }
    override read32(pa: number): number {
        return this.inRange(pa, 4) ? this.dv.getUint32(pa, true) : super.read32(pa);
    }
    override write32(pa: number, value: number): void {
        if (this.inRange(pa, 4)) this.dv.setUint32(pa, value >>> 0, true);
        else super.write32(pa, value);
    }
    override read(pa: number, len: number): Uint8Array {
        return this.inRange(pa, len) ? this.bytes.slice(pa, pa + len) : super.read(pa, len);
    }
    override write(pa: number, bytes: Uint8Array): void {
        if (this.inRange(pa, bytes.length)) this.bytes.set(bytes, pa);
        else super.write(pa, bytes);
    }
    override fill(pa: number, len: number, value: number): void {
        if (this.inRange(pa, len)) this.bytes.fill(value, pa, pa + len);
        else super.fill(pa, len, value);
    }
    copy(to: number, from: number, len: number): void {
        if (len > 0 && this.inRange(from, len) && this.inRange(to, len))
            this.bytes.copyWithin(to, from, from + len);
        else if (len > 0) this.write(to, this.read(from, len));
    }
}

/**
 * RAM whose memory exists only once used: 64 KiB chunks allocated on first
 * write, carved out of 1 MiB buffers (fewer, larger allocations than 4 KiB
 * pages: a 2 GiB boot writes ~50 MiB), untouched memory reads as zero.
 *
 * Bytes given by defer() (the vm_page array, module copies) are not made
 * until a chunk is first read or written through the byte and word
 * accessors: until then the chunk holds only the list of its deferred
 * pieces. read() and copy() work from that list without making the chunk,
 * so a copy of deferred bytes is deferred too, and a dump reads them
 * without keeping them. The host pays a page fault per 4 KiB it first
 * touches (~12 µs on a virtual machine), which is most of the cost of a
 * large boot when every byte is made.
 */
const CHUNK = 1 << 16;
/** The host buffers chunks are carved from (a page the host never touched costs nothing). */
const SLAB = 1 << 20;

/**
 * Chunks given back by released memories, reused (zeroed) by the next one:
 * a bisect boots a kernel a dozen times in one process, and fresh chunks
 * cost the host a page fault per 4 KiB. Bounded, so a released 2 GiB boot
 * does not pin its memory.
 */
const chunkPool: Uint8Array[] = [];
const CHUNK_POOL_MAX = (128 << 20) / CHUNK;

/** A zeroed chunk: from the pool, else the next one of the current slab. */
let slab: ArrayBuffer | null = null;
let slabUsed = 0;
function new_chunk(): Uint8Array {
    const c = chunkPool.pop();
    if (c) return c.fill(0);
    if (!slab || slabUsed === SLAB) {
        slab = new ArrayBuffer(SLAB);
        slabUsed = 0;
    }
    slabUsed += CHUNK;
    return new Uint8Array(slab, slabUsed - CHUNK, CHUNK);
}

/** Whether an Int32Array stores little-endian (every host Node runs on in practice). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Bytes [at, at+len) of a chunk not made yet are fill's bytes from `off` on. */
interface Piece {
    at: number;
    len: number;
    fill: PhysFill;
    off: number;
}

/** A zero fill deferred onto a chunk that has pieces (dst is zeroed already). */
const ZERO: PhysFill = () => {};

export class SparsePhysMem extends PhysMemBase {
    private readonly chunks = new Map<number, Uint8Array>();
    /** Each chunk as 32-bit words, made once with it (little-endian hosts only). */
    private readonly words = new Map<number, Int32Array>();
    /** Chunks not made yet that hold deferred bytes: their pieces, in order (a later one wins). */
    private readonly pending = new Map<number, Piece[]>();
    /** The chunk used last (allocator free lists hit the same chunk again and again). */
    private lastN = -1;
    private lastC: Uint8Array | undefined;
    /** lastC as 32-bit words: an aligned read32/write32 is one load or store (the slab fast path). */
    private lastW: Int32Array | undefined;
    private released = false;

    private chunk(pa: number, create: boolean): Uint8Array | undefined {
        const n = Math.floor(pa / CHUNK);
        if (n === this.lastN) return this.lastC;
        if (this.released) throw new Error("SparsePhysMem: used after release()");
        let c = this.chunks.get(n);
        if (!c && (create || this.pending.has(n))) c = this.make(n);
        if (c) {
            this.lastN = n;
            this.lastC = c;
            this.lastW = this.words.get(n);
        }
        return c;
    }
    /** Allocate chunk n (zeroed) and apply its deferred pieces. */
    private make(n: number): Uint8Array {
        const c = new_chunk();
        this.chunks.set(n, c);
        if (LITTLE_ENDIAN) this.words.set(n, new Int32Array(c.buffer, c.byteOffset, CHUNK / 4));
        const pieces = this.pending.get(n);
        if (pieces) {
            this.pending.delete(n);
            pieces.forEach((p, i) => {
                const dst = c.subarray(p.at, p.at + p.len);
                if (i > 0) dst.fill(0); // an earlier piece may have written there
                if (p.fill !== ZERO) p.fill(dst, p.off);
            });
        }
        return c;
    }
    /** Chunk n if it has been made (never makes it). */
    private made(n: number): Uint8Array | undefined {
        if (this.released) throw new Error("SparsePhysMem: used after release()");
        return n === this.lastN ? this.lastC : this.chunks.get(n);
    }
    read8(pa: number): number {
        if (pa < 0 || pa >= this.size) return 0xff;
        const c = this.chunk(pa, false);
        return c ? c[pa % CHUNK]! : 0;
    }
    write8(pa: number, value: number): void {
        if (pa < 0 || pa >= this.size) return;
        const c = this.chunk(pa, value !== 0);
        if (c) c[pa % CHUNK] = value;
    }
    override read32(pa: number): number {
        const o = pa % CHUNK;
        if (pa < 0 || pa + 4 > this.size || o > CHUNK - 4) return super.read32(pa);
        const c = this.chunk(pa, false);
        if (!c) return 0;
        if ((o & 3) === 0 && this.lastW) return this.lastW[o >> 2]! >>> 0;
        return (c[o]! | (c[o + 1]! << 8) | (c[o + 2]! << 16) | (c[o + 3]! << 24)) >>> 0;
    }
    override write32(pa: number, value: number): void {
        const o = pa % CHUNK;
        if (pa < 0 || pa + 4 > this.size || o > CHUNK - 4) {
            super.write32(pa, value);
            return;
        }
        const c = this.chunk(pa, value !== 0);
        if (!c) return;
        if ((o & 3) === 0 && this.lastW) {
            this.lastW[o >> 2] = value;
            return;
        }
        c[o] = value & 0xff;
        c[o + 1] = (value >>> 8) & 0xff;
        c[o + 2] = (value >>> 16) & 0xff;
        c[o + 3] = (value >>> 24) & 0xff;
    }
    /** The pages of the chunks made so far and of the deferred pieces (the others read as zero). */
    touchedPages(): Uint8Array {
        const per = CHUNK / PAGE_SIZE;
        const out = new Uint8Array(Math.ceil(this.size / PAGE_SIZE));
        for (const n of this.chunks.keys())
            out.fill(1, n * per, Math.min(out.length, (n + 1) * per));
        for (const [n, pieces] of this.pending)
            for (const p of pieces) {
                const first = n * per + Math.floor(p.at / PAGE_SIZE);
                out.fill(1, first, n * per + Math.ceil((p.at + p.len) / PAGE_SIZE));
            }
        return out;
    }

    /** A live view when [pa, pa+len) lies in one chunk that has been made; else undefined (read() copies). */
    view(pa: number, len: number): Uint8Array | undefined {
        const o = pa % CHUNK;
        if (pa < 0 || pa + len > this.size || o + len > CHUNK) return undefined;
        return this.made(Math.floor(pa / CHUNK))?.subarray(o, o + len);
    }
    override read(pa: number, len: number): Uint8Array {
        const out = new Uint8Array(len);
        for (let done = 0; done < len;) {
            const at = pa + done;
            const n = Math.min(len - done, CHUNK - (at % CHUNK));
            if (at < 0 || at + n > this.size) out.fill(0xff, done, done + n);
            else this.read_piece(out.subarray(done, done + n), at);
            done += n;
        }
        return out;
    }
    /** dst (zeroed) gets the bytes at `pa`, inside one chunk, made or not. */
    private read_piece(dst: Uint8Array, pa: number): void {
        const n = Math.floor(pa / CHUNK);
        const o = pa % CHUNK;
        const c = this.made(n);
        if (c) {
            dst.set(c.subarray(o, o + dst.length));
            return;
        }
        for (const p of this.pending.get(n) ?? []) {
            const from = Math.max(o, p.at);
            const to = Math.min(o + dst.length, p.at + p.len);
            if (from >= to) continue;
            const part = dst.subarray(from - o, to - o).fill(0);
            if (p.fill !== ZERO) p.fill(part, p.off + (from - p.at));
        }
    }
    override write(pa: number, bytes: Uint8Array): void {
        const o = pa % CHUNK;
        if (
            bytes.length > 0 &&
            pa >= 0 &&
            pa + bytes.length <= this.size &&
            o + bytes.length <= CHUNK
        ) {
            this.chunk(pa, true)!.set(bytes, o); // one chunk: no subarray to make
            return;
        }
        for (let done = 0; done < bytes.length;) {
            const at = pa + done;
            const n = Math.min(bytes.length - done, CHUNK - (at % CHUNK));
            if (at >= 0 && at + n <= this.size)
                this.chunk(at, true)!.set(bytes.subarray(done, done + n), at % CHUNK);
            done += n;
        }
    }
    override fill(pa: number, len: number, value: number): void {
        for (let done = 0; done < len;) {
            const at = pa + done;
            const n = Math.min(len - done, CHUNK - (at % CHUNK));
            if (at >= 0 && at + n <= this.size) {
                const k = Math.floor(at / CHUNK);
                // Zeros over deferred bytes of a chunk not made yet: one more piece, not the chunk.
                if (value === 0 && !this.made(k) && this.pending.has(k))
                    this.pending.get(k)!.push({ at: at % CHUNK, len: n, fill: ZERO, off: 0 });
                else this.chunk(at, value !== 0)?.fill(value, at % CHUNK, (at % CHUNK) + n);
            }
            done += n;
        }
    }
    defer(pa: number, len: number, fill: PhysFill): void {
        this.defer_from(pa, len, fill, 0);
    }
    /** defer() of fill's bytes from `off` on. */
    private defer_from(pa: number, len: number, fill: PhysFill, off: number): void {
        for (let done = 0; done < len;) {
            const at = pa + done;
            const n = Math.min(len - done, CHUNK - (at % CHUNK));
            if (at >= 0 && at + n <= this.size) {
                const k = Math.floor(at / CHUNK);
                const o = at % CHUNK;
                const c = this.made(k);
                if (c) {
                    const dst = c.subarray(o, o + n).fill(0);
                    if (fill !== ZERO) fill(dst, off + done);
                } else {
                    let pieces = this.pending.get(k);
                    if (!pieces) this.pending.set(k, (pieces = []));
                    const last = pieces[pieces.length - 1];
                    // The next bytes of the same fill right after the last piece: one piece.
                    if (
                        last?.fill === fill &&
                        last.at + last.len === o &&
                        last.off + last.len === off + done
                    )
                        last.len += n;
                    else pieces.push({ at: o, len: n, fill, off: off + done });
                }
            }
            done += n;
        }
    }
    /**
     * memmove. Bytes still deferred stay deferred: a piece that wholly
     * covers what is copied from a chunk not made yet is deferred again at
     * the destination (boot copies the modules, then the ramdisk, so ~15 MiB
     * of a d-i boot is never made).
     */
    copy(to: number, from: number, len: number): void {
        if (len <= 0) return;
        const overlap = to < from + len && from < to + len;
        const outside = from < 0 || to < 0 || from + len > this.size || to + len > this.size;
        if (overlap || outside) {
            this.write(to, this.read(from, len));
            return;
        }
        for (let done = 0; done < len;) {
            const src = from + done;
            const dst = to + done;
            const n = Math.min(len - done, CHUNK - (src % CHUNK), CHUNK - (dst % CHUNK));
            this.copy_piece(dst, src, n);
            done += n;
        }
    }
    /** copy() inside one source chunk and one destination chunk. */
    private copy_piece(to: number, from: number, n: number): void {
        const k = Math.floor(from / CHUNK);
        const c = this.made(k);
        if (c) {
            const o = from % CHUNK;
            this.write(to, c.subarray(o, o + n));
            return;
        }
        this.copy_pieces(to, from % CHUNK, n, this.pending.get(k) ?? [], Infinity);
    }
    /**
     * Bytes [o, o+n) of a chunk not made, made of `pieces` below index
     * `below`, deferred at `to`: the last piece over them gives its part,
     * the earlier ones or zeros the parts on either side.
     */
    private copy_pieces(to: number, o: number, n: number, pieces: Piece[], below: number): void {
        let i = Math.min(below, pieces.length) - 1;
        while (i >= 0 && (pieces[i]!.at >= o + n || pieces[i]!.at + pieces[i]!.len <= o)) i--;
        if (i < 0) {
            this.fill(to, n, 0);
            return;
        }
        const p = pieces[i]!;
        const lo = Math.max(o, p.at);
        const hi = Math.min(o + n, p.at + p.len);
        if (p.fill === ZERO) this.fill(to + (lo - o), hi - lo, 0);
        else this.defer_from(to + (lo - o), hi - lo, p.fill, p.off + (lo - p.at));
        if (lo > o) this.copy_pieces(to, o, lo - o, pieces, i);
        if (hi < o + n) this.copy_pieces(to + (hi - o), hi, o + n - hi, pieces, i);
    }
    /**
     * Give the chunks back for the next memory to reuse. Any later access
     * throws: a result kept past its release must not read another boot's RAM.
     */
    release(): void {
        for (const c of this.chunks.values())
            if (chunkPool.length < CHUNK_POOL_MAX) chunkPool.push(c);
        this.chunks.clear();
        this.words.clear();
        this.pending.clear();
        this.lastN = -1;
        this.lastC = undefined;
        this.lastW = undefined;
        this.released = true;
    }

    /** Page frame numbers that hold non-zero data, ascending (for sparse dumps). */
    residentPages(): number[] {
        const out: number[] = [];
        const keys = new Set([...this.chunks.keys(), ...this.pending.keys()]);
        for (const n of [...keys].sort((a, b) => a - b)) {
            const c = this.read(n * CHUNK, Math.min(CHUNK, this.size - n * CHUNK));
            for (let p = 0; p * PAGE_SIZE < c.length; p++) {
                if (c.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE).some((b) => b !== 0))
                    out.push(n * (CHUNK / PAGE_SIZE) + p);
            }
        }
        return out;
    }
}
