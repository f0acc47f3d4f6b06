/*
 * Emu tier: the mach86-kernel stub's user-mode protocol on v86, against a
 * fake host written here (no modelled kernel): HC_PARAMS with a PIT
 * divisor, HC_DONE = 1 -> run_user -> HC_RUN, then ring-3 threads whose
 * syscalls (int 0x80), timer IRQs and #GP come back through HC_TRAP with
 * EDI = the trap frame, and are resumed through trap_return. The protocol
 * is in images/mach86-kernel/README.md; the image comes from `make images`.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { multiboot_load } from "../../boot/index.ts";
import { Machine, type Regs } from "../../emulator/machine.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const ELF = join(ROOT, "build/images/mach86-kernel.elf");

const HC = { PARAMS: 1, BOOT: 2, CHECK: 3, DONE: 4, TRAP: 5, RUN: 6 } as const;
const KB = 0xc0000000;
const USER_CS = 0x1b,
    USER_DS = 0x23,
    KERNEL_CS = 0x08,
    KERNEL_DS = 0x10;
/* Trap frame offsets (hypercall.h TF_*). */
const TF = {
    EDI: 0,
    ESI: 4,
    EBP: 8,
    ESP: 12,
    EBX: 16,
    EDX: 20,
    ECX: 24,
    EAX: 28,
    VECTOR: 32,
    ERR: 36,
    EIP: 40,
    CS: 44,
    EFLAGS: 48,
    UESP: 52,
    USS: 56,
    SIZE: 60,
};

/** The stub's symbols, from the ELF's symbol table. */
function symbols(elf: Uint8Array): Map<string, number> {
    const b = Buffer.from(elf);
    const shoff = b.readUInt32LE(32),
        shentsize = b.readUInt16LE(46),
        shnum = b.readUInt16LE(48);
    const out = new Map<string, number>();
    for (let i = 0; i < shnum; i++) {
        const s = shoff + i * shentsize;
        if (b.readUInt32LE(s + 4) !== 2) continue; // SHT_SYMTAB
        const off = b.readUInt32LE(s + 16),
            size = b.readUInt32LE(s + 20),
            link = b.readUInt32LE(s + 24);
        const str = b.readUInt32LE(shoff + link * shentsize + 16);
        for (let o = off; o < off + size; o += 16) {
            const n0 = str + b.readUInt32LE(o);
            const name = b.toString("latin1", n0, b.indexOf(0, n0));
            if (name) out.set(name, b.readUInt32LE(o + 4));
        }
    }
    return out;
}

/** The symbols this test uses; throws if the image lacks one. */
function stub_symbols(elf: Uint8Array) {
    const all = symbols(elf);
    const need = (n: string) => {
        const v = all.get(n);
        if (v === undefined) throw new Error(`${ELF}: no symbol ${n} (make images?)`);
        return v;
    };
    return {
        tss: need("tss"),
        gdt: need("gdt"),
        halt: need("halt"),
        boot_stack_top: need("boot_stack_top"),
    };
}

interface Thread {
    id: number;
    kstackTop: number; // esp0 while it runs (kernel va)
    ustackTop: number;
    frame: number; // its saved trap frame (kernel va)
    lastAnswer: number; // the last syscall result it was given
    syscalls: number;
    ticks: number;
}

/*
 * The user program (EBX = thread id): count to 16384, then int 0x80 with
 * EAX = 1, ESI = DS, EDI = GS; keep the answer in EDX. An answer of 0xDEAD
 * makes it do `inb $0x60` (IOPL 0, no I/O bitmap: #GP).
 *   0x00 xor ecx,ecx; xor edx,edx
 *   0x04 loop: inc ecx; test ecx,0x3fff; jnz loop
 *   0x0d xor esi,esi; mov si,ds; xor edi,edi; mov di,gs; mov eax,1; int 0x80
 *   0x1e mov edx,eax; cmp eax,0xdead; jne loop
 *   0x27 in al,0x60; jmp $
 */
const USER_CODE = [
    0x31, 0xc9, 0x31, 0xd2, 0x41, 0xf7, 0xc1, 0xff, 0x3f, 0x00, 0x00, 0x75, 0xf7, 0x31, 0xf6, 0x66,
    0x8c, 0xde, 0x31, 0xff, 0x66, 0x8c, 0xef, 0xb8, 0x01, 0x00, 0x00, 0x00, 0xcd, 0x80, 0x89, 0xc2,
    0x3d, 0xad, 0xde, 0x00, 0x00, 0x75, 0xdd, 0xe4, 0x60, 0xeb, 0xfe,
];
const INT80_NEXT = 0x1e,
    INB = 0x27;

/* Physical layout of the fake host's tables (16 MiB RAM). */
const PD = 0x400000,
    KPT = 0x401000,
    UPT = 0x402000;
const UCODE_PA = 0x500000,
    USTACK_PA = 0x501000;
const UCODE_VA = 0x08048000,
    USTACK_VA = 0x08100000; // thread t's stack: one page at USTACK_VA + t * 4096
/* Thread 1's kernel stack (thread 0 uses the boot stack). */
const KSTACK1_TOP = KB + 0x301000;

describe("mach86-kernel stub: user mode", () => {
    it("runs two ring-3 threads with syscalls, timer IRQs, a #GP and a ring-0 resume", async () => {
        const elf = new Uint8Array(readFileSync(ELF));
        const sym = stub_symbols(elf);
        const m = await Machine.create({ memory: 16 << 20 });
        const pa = (kva: number) => (kva - KB) >>> 0;
        const rd = (kva: number, off: number) => m.mem.read32(pa(kva) + off) >>> 0;
        const wr = (kva: number, off: number, v: number) => m.mem.write32(pa(kva) + off, v >>> 0);
        const errors: string[] = [];
        const check = (ok: boolean, what: string) => {
            if (!ok) errors.push(what);
        };
        try {
            const boot = multiboot_load(m.mem, {
                kernel: { path: "mach86-kernel.elf", bytes: elf },
                modules: [],
                cmdline: "",
                ramSize: 16 << 20,
            });
            m.enter(boot.entry);

            let tss = 0;
            const thread = (id: number, kstackTop: number): Thread => ({
                id,
                kstackTop,
                ustackTop: USTACK_VA + (id + 1) * 4096,
                frame: 0,
                lastAnswer: 0,
                syscalls: 0,
                ticks: 0,
            });
            const t0 = thread(0, KB + sym.boot_stack_top),
                t1 = thread(1, KSTACK1_TOP);
            let current = t0;
            let answer = 0x100;
            let phase: "run" | "gp" | "ring0" = "run";
            let ring0Frame = 0;

            /* A fresh ring-3 frame for thread t at the top of its kernel stack. */
            const newFrame = (t: Thread) => {
                const f = t.kstackTop - TF.SIZE;
                for (let o = 0; o < TF.SIZE; o += 4) wr(f, o, 0);
                wr(f, TF.EBX, t.id);
                wr(f, TF.EIP, UCODE_VA);
                wr(f, TF.CS, USER_CS);
                wr(f, TF.EFLAGS, 0x202); // IF
                wr(f, TF.UESP, t.ustackTop);
                wr(f, TF.USS, USER_DS);
                return f;
            };
            const switchTo = (t: Thread) => {
                current = t;
                wr(tss, 4, t.kstackTop); // esp0
                return t.frame;
            };

            m.onHypercall((r: Regs) => {
                switch (r.eax) {
                    case HC.PARAMS:
                        r.eax = KB;
                        r.ebx = 4;
                        r.ecx = 0;
                        r.edx = 1193; // ~1 kHz
                        return;
                    case HC.BOOT: {
                        // Kernel: PDE 768 -> physical 0..4 MiB, supervisor. User: code and two stacks.
                        for (let i = 0; i < 1024; i++) {
                            m.mem.write32(PD + 4 * i, 0);
                            m.mem.write32(UPT + 4 * i, 0);
                        }
                        for (let i = 0; i < 1024; i++) m.mem.write32(KPT + 4 * i, (i << 12) | 3);
                        m.mem.write32(PD + 4 * (KB >>> 22), KPT | 3);
                        m.mem.write32(PD + 4 * (UCODE_VA >>> 22), UPT | 7);
                        m.mem.write32(UPT + 4 * ((UCODE_VA >>> 12) & 1023), UCODE_PA | 5); // P|U, read-only
                        for (const t of [t0, t1]) {
                            m.mem.write32(
                                UPT + 4 * (((t.ustackTop - 4096) >>> 12) & 1023),
                                (USTACK_PA + t.id * 4096) | 7,
                            );
                        }
                        m.mem.write(UCODE_PA, Uint8Array.from(USER_CODE));
                        r.eax = PD;
                        r.ebx = 0;
                        r.ecx = 0;
                        return;
                    }
                    case HC.DONE:
                        r.eax = 1;
                        return;
                    case HC.RUN: {
                        tss = r.esi;
                        check(r.esi === KB + sym.tss, `HC_RUN ESI ${r.esi.toString(16)}`);
                        check(
                            r.edi === KB + sym.boot_stack_top - TF.SIZE,
                            `HC_RUN EDI ${r.edi.toString(16)}`,
                        );
                        for (let o = 0; o < TF.SIZE; o += 4)
                            check(rd(r.edi, o) === 0, `HC_RUN frame +${o} not zero`);
                        check(rd(tss, 4) === KB + sym.boot_stack_top, "TSS esp0");
                        check((rd(tss, 8) & 0xffff) === KERNEL_DS, "TSS ss0");
                        check(rd(tss, 100) >>> 16 === 104, "TSS I/O map base");
                        const lo = m.mem.read32(sym.gdt + 0x28),
                            hi = m.mem.read32(sym.gdt + 0x2c);
                        const base = ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) >>> 0;
                        check(
                            base === tss && (lo & 0xffff) === 103 && ((hi >>> 8) & 0xff) === 0x8b,
                            `TSS descriptor ${hi.toString(16)}:${lo.toString(16)} (busy after ltr)`,
                        );
                        t0.frame = newFrame(t0);
                        t1.frame = newFrame(t1);
                        r.eax = switchTo(t0);
                        return;
                    }
                    case HC.TRAP: {
                        const f = r.edi,
                            v = r.ebx;
                        const cpu = m.cpuState();
                        check(cpu.ds === KERNEL_DS, `DS in the trap path ${cpu.ds.toString(16)}`);
                        check(
                            v === rd(f, TF.VECTOR) &&
                                r.ecx === rd(f, TF.ERR) &&
                                r.ebp === rd(f, TF.EIP),
                            "HC_TRAP args vs frame",
                        );
                        check(
                            rd(f, TF.CS) === USER_CS && rd(f, TF.USS) === USER_DS,
                            `trap from ring 3: cs ${rd(f, TF.CS)}`,
                        );
                        check(
                            f === current.kstackTop - TF.SIZE,
                            `frame ${f.toString(16)} on thread ${current.id}'s kernel stack`,
                        );
                        check(rd(f, TF.EBX) === current.id, "EBX = thread id");
                        current.frame = f;
                        if (v === 0x80) {
                            current.syscalls++;
                            check(rd(f, TF.EIP) === UCODE_VA + INT80_NEXT, "int 0x80 EIP");
                            check(
                                rd(f, TF.ESI) === USER_DS && rd(f, TF.EDI) === USER_DS,
                                "user DS/GS",
                            );
                            check(rd(f, TF.EDX) === current.lastAnswer, "answer seen by the user");
                            check(rd(f, TF.UESP) === current.ustackTop, "user ESP");
                            const total = t0.syscalls + t1.syscalls;
                            if (phase === "run" && total >= 12 && t0.ticks >= 2 && t1.ticks >= 2) {
                                phase = "gp";
                                wr(f, TF.EAX, 0xdead);
                            } else {
                                current.lastAnswer = ++answer;
                                wr(f, TF.EAX, answer);
                            }
                            r.eax = f;
                        } else if (v === 0x20) {
                            current.ticks++;
                            r.eax = switchTo(current === t0 ? t1 : t0);
                        } else if (v === 13 && phase === "gp") {
                            check(
                                rd(f, TF.EIP) === UCODE_VA + INB && rd(f, TF.ERR) === 0,
                                "#GP at the inb",
                            );
                            // Resume a ring-0 frame on thread 1's stack: EIP = halt, IF = 0.
                            phase = "ring0";
                            ring0Frame = KSTACK1_TOP - 0x100;
                            for (let o = 0; o < TF.SIZE; o += 4) wr(ring0Frame, o, 0);
                            wr(ring0Frame, TF.EAX, 0x12345678);
                            wr(ring0Frame, TF.EIP, KB + sym.halt);
                            wr(ring0Frame, TF.CS, KERNEL_CS);
                            wr(ring0Frame, TF.EFLAGS, 0x2);
                            r.eax = ring0Frame;
                        } else {
                            errors.push(
                                `unexpected trap ${v} err ${r.ecx} eip ${r.ebp.toString(16)}`,
                            );
                            r.eax = 0;
                        }
                        return;
                    }
                    default:
                        errors.push(`hypercall ${r.eax}`);
                        m.stop({ kind: "crash", reason: `hypercall ${r.eax}` });
                }
            });
            const run = await m.run({ maxInstructions: 200_000_000 });
            expect(errors.slice(0, 5)).toEqual([]);
            expect(run.stop).toEqual({ kind: "halt" });
            expect(phase).toBe("ring0");
            for (const t of [t0, t1]) {
                expect(t.syscalls).toBeGreaterThan(0);
                expect(t.ticks).toBeGreaterThanOrEqual(2);
            }
            // trap_return to ring 0: kernel data segments, ESP just past EFLAGS, EAX from the frame.
            expect(run.cpu.cs).toBe(KERNEL_CS);
            expect(run.cpu.ds).toBe(KERNEL_DS);
            expect(run.cpu.esp >>> 0).toBe(ring0Frame + TF.EFLAGS + 4);
            expect(run.cpu.eax >>> 0).toBe(0x12345678);
            expect(run.cpu.eip >>> 0).toBeGreaterThanOrEqual(KB + sym.halt);
            expect(m.console.text()).toBe("mach86-kernel stub\n");
        } finally {
            await m.destroy();
        }
    });
});
