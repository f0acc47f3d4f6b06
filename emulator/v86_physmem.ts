/*
 * emulator/v86_physmem.ts — PhysMem over v86's RAM.
 *
 * Reads and writes go straight to the wasm memory through one cached view;
 * every host write tells v86 to drop JIT code compiled from those bytes,
 * because raw writes bypass its self-modifying-code detection. TLB flushes
 * are not done here: page-table edits flush where Mach flushes (Mmu).
 */
import type { PhysMem } from "./types.ts";
import type { V86Cpu } from "./v86_internals.ts";

export class V86PhysMem implements PhysMem {
    private readonly cpu: V86Cpu;
    constructor(cpu: V86Cpu) {
        this.cpu = cpu;
    }

    get size(): number {
        return this.cpu.memorySize;
    }
    private ok(pa: number, len: number): boolean {
        return pa >= 0 && pa + len <= this.size;
    }
    read8(pa: number): number {
        return this.ok(pa, 1) ? this.cpu.bytes()[pa]! : 0xff;
    }
    read16(pa: number): number {
        return this.ok(pa, 2) ? this.cpu.dataView().getUint16(pa, true) : 0xffff;
    }
    read32(pa: number): number {
        return this.ok(pa, 4) ? this.cpu.dataView().getUint32(pa, true) : 0xffffffff;
    }
    write8(pa: number, value: number): void {
        if (!this.ok(pa, 1)) return;
        this.cpu.bytes()[pa] = value;
        this.cpu.dirty(pa, pa + 1);
    }
    write16(pa: number, value: number): void {
        if (!this.ok(pa, 2)) return;
        this.cpu.dataView().setUint16(pa, value & 0xffff, true);
        this.cpu.dirty(pa, pa + 2);
    }
    write32(pa: number, value: number): void {
        if (!this.ok(pa, 4)) return;
        this.cpu.dataView().setUint32(pa, value >>> 0, true);
        this.cpu.dirty(pa, pa + 4);
    }
    /** Pages never touched by the guest or the host read as zero: no need to read them. */
    touchedPages(): Uint8Array | undefined {
        return this.cpu.residentPages();
    }
    view(pa: number, len: number): Uint8Array | undefined {
        return this.ok(pa, len) ? this.cpu.bytes().subarray(pa, pa + len) : undefined;
    }
    read(pa: number, len: number): Uint8Array {
        if (this.ok(pa, len)) return this.cpu.bytes().slice(pa, pa + len);
        const out = new Uint8Array(len).fill(0xff);
        for (let i = 0; i < len; i++) out[i] = this.read8(pa + i);
        return out;
    }
    write(pa: number, bytes: Uint8Array): void {
        const n = Math.max(0, Math.min(bytes.length, this.size - pa));
        if (pa < 0 || n === 0) return;
        this.cpu.bytes().set(bytes.subarray(0, n), pa);
        this.cpu.dirty(pa, pa + n);
    }
    copy(to: number, from: number, len: number): void {
        if (len <= 0) return;
        if (!this.ok(from, len) || !this.ok(to, len)) {
            this.write(to, this.read(from, len));
            return;
        }
        this.cpu.bytes().copyWithin(to, from, from + len);
        this.cpu.dirty(to, to + len);
    }
    fill(pa: number, len: number, value: number): void {
        const n = Math.max(0, Math.min(len, this.size - pa));
        if (pa < 0 || n === 0) return;
        this.cpu.bytes().fill(value, pa, pa + n);
        this.cpu.dirty(pa, pa + n);
    }
}
