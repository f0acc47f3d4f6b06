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
    private readonly view: DataView;

    constructor(size: number) {
        super(size);
        this.bytes = new Uint8Array(size);
        this.view = new DataView(this.bytes.buffer);
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
        return this.inRange(pa, 4) ? this.view.getUint32(pa, true) : super.read32(pa);
    }
    override write32(pa: number, value: number): void {
        if (this.inRange(pa, 4)) this.view.setUint32(pa, value >>> 0, true);
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

/** RAM whose 4 KiB pages exist only once written. */
export class SparsePhysMem extends PhysMemBase {
    private readonly pages = new Map<number, Uint8Array>();

    read8(pa: number): number {
        if (pa < 0 || pa >= this.size) return 0xff;
        const page = this.pages.get(Math.floor(pa / PAGE_SIZE));
        return page ? page[pa % PAGE_SIZE]! : 0;
    }
    write8(pa: number, value: number): void {
        if (pa < 0 || pa >= this.size) return;
        const pfn = Math.floor(pa / PAGE_SIZE);
        let page = this.pages.get(pfn);
        if (!page) {
            if (value === 0) return; // an untouched page already reads as zero
            page = new Uint8Array(PAGE_SIZE);
            this.pages.set(pfn, page);
        }
        page[pa % PAGE_SIZE] = value;
    }
    override read(pa: number, len: number): Uint8Array {
        const out = new Uint8Array(len);
        for (let done = 0; done < len;) {
            const at = pa + done;
            const n = Math.min(len - done, PAGE_SIZE - (at % PAGE_SIZE));
            if (at < 0 || at + n > this.size) {
                out.fill(0xff, done, done + n);
            } else {
                const page = this.pages.get(Math.floor(at / PAGE_SIZE));
                if (page) out.set(page.subarray(at % PAGE_SIZE, at % PAGE_SIZE + n), done);
            }
            done += n;
        }
        return out;
    }
    override write(pa: number, bytes: Uint8Array): void {
        for (let done = 0; done < bytes.length;) {
            const at = pa + done;
            const n = Math.min(bytes.length - done, PAGE_SIZE - (at % PAGE_SIZE));
            if (at >= 0 && at + n <= this.size) {
                const chunk = bytes.subarray(done, done + n);
                const pfn = Math.floor(at / PAGE_SIZE);
                let page = this.pages.get(pfn);
                if (!page && chunk.some((b) => b !== 0)) {
                    page = new Uint8Array(PAGE_SIZE);
                    this.pages.set(pfn, page);
                }
                page?.set(chunk, at % PAGE_SIZE);
            }
            done += n;
        }
    }
    override read32(pa: number): number {
        if (pa % 4 === 0 && pa >= 0 && pa + 4 <= this.size) {
            const page = this.pages.get(Math.floor(pa / PAGE_SIZE));
            if (!page) return 0;
            const o = pa % PAGE_SIZE;
            return (page[o]! | (page[o + 1]! << 8) | (page[o + 2]! << 16) | (page[o + 3]! << 24)) >>> 0;
        }
        return super.read32(pa);
    }
    /** Page frame numbers that hold data, ascending (for sparse dumps). */
    residentPages(): number[] {
        return [...this.pages.keys()].sort((a, b) => a - b);
    }
}
