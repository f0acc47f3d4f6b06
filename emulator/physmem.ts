/*
 * emulator/physmem.ts — host-side PhysMem implementations (no v86).
 *
 * ArrayPhysMem: one flat Uint8Array, for unit tests and small RAM.
 * SparsePhysMem: 4 KiB pages allocated on first write, for the `none`
 * engine and RAM sizes above v86's 2047.875 MiB cap; untouched pages read
 * as zero, so a 4 GiB machine costs only what it uses.
 */
import type { PhysMem } from "./types.ts";

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
}

/**
 * RAM whose memory exists only once written: 1 MiB chunks allocated on
 * first write (fewer, larger allocations than 4 KiB pages: a 2 GiB boot
 * writes ~50 MiB), untouched memory reads as zero.
 */
const CHUNK = 1 << 20;

/**
 * Chunks given back by released memories, reused (zeroed) by the next one:
 * a bisect boots a kernel a dozen times in one process, and fresh chunks
 * cost the host a page fault per 4 KiB. Bounded, so a released 2 GiB boot
 * does not pin its memory.
 */
const chunkPool: Uint8Array[] = [];
const CHUNK_POOL_MAX = 128;

/** Whether an Int32Array stores little-endian (every host Node runs on in practice). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export class SparsePhysMem extends PhysMemBase {
    private readonly chunks = new Map<number, Uint8Array>();
    /** Each chunk as 32-bit words, made once with it (little-endian hosts only). */
    private readonly words = new Map<number, Int32Array>();
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
        if (!c && create) {
            c = chunkPool.pop()?.fill(0) ?? new Uint8Array(CHUNK);
            this.chunks.set(n, c);
            if (LITTLE_ENDIAN) this.words.set(n, new Int32Array(c.buffer, c.byteOffset, CHUNK / 4));
        }
        if (c) {
            this.lastN = n;
            this.lastC = c;
            this.lastW = this.words.get(n);
        }
        return c;
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
    /** The pages of the chunks allocated so far (the others were never written and read as zero). */
    touchedPages(): Uint8Array {
        const per = CHUNK / PAGE_SIZE;
        const out = new Uint8Array(Math.ceil(this.size / PAGE_SIZE));
        for (const n of this.chunks.keys())
            out.fill(1, n * per, Math.min(out.length, (n + 1) * per));
        return out;
    }

    /** A live view when [pa, pa+len) lies in one chunk that exists; else undefined (read() copies). */
    view(pa: number, len: number): Uint8Array | undefined {
        const o = pa % CHUNK;
        if (pa < 0 || pa + len > this.size || o + len > CHUNK) return undefined;
        return this.chunk(pa, false)?.subarray(o, o + len);
    }
    override read(pa: number, len: number): Uint8Array {
        const out = new Uint8Array(len);
        for (let done = 0; done < len;) {
            const at = pa + done;
            const n = Math.min(len - done, CHUNK - (at % CHUNK));
            if (at < 0 || at + n > this.size) out.fill(0xff, done, done + n);
            else {
                const c = this.chunk(at, false);
                if (c) out.set(c.subarray(at % CHUNK, (at % CHUNK) + n), done);
            }
            done += n;
        }
        return out;
    }
    override write(pa: number, bytes: Uint8Array): void {
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
            if (at >= 0 && at + n <= this.size)
                this.chunk(at, value !== 0)?.fill(value, at % CHUNK, (at % CHUNK) + n);
            done += n;
        }
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
        this.lastN = -1;
        this.lastC = undefined;
        this.lastW = undefined;
        this.released = true;
    }

    /** Page frame numbers that hold non-zero data, ascending (for sparse dumps). */
    residentPages(): number[] {
        const out: number[] = [];
        for (const n of [...this.chunks.keys()].sort((a, b) => a - b)) {
            const c = this.chunks.get(n)!;
            for (let p = 0; p < CHUNK / PAGE_SIZE; p++) {
                if (c.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE).some((b) => b !== 0))
                    out.push(n * (CHUNK / PAGE_SIZE) + p);
            }
        }
        return out;
    }
}
