/*
 * test/fuzz/loader.fuzz.test.ts — multiboot_load on damaged kernels and modules.
 *
 * Property: for any bytes, any module list and any RAM size, multiboot_load
 * either returns a BootInfo whose writes stayed in RAM and out of the hole, or
 * throws a BootError (one line, naming one of the inputs) having written
 * nothing at all. Mutations start from valid ELF and a.out kernels: bit flips
 * (mostly in the headers), random values in header fields (with the multiboot
 * checksum fixed up or not), truncation, appended junk, and gzip modules that
 * are valid, cut short or random after the magic.
 *
 * Replay a failure with FUZZ_SEED=<printed seed> npx vitest run test/fuzz;
 * FUZZ_STATS=1 prints how often each kind of refusal was reached; FUZZ_RUNS=n runs longer.
 */
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
    BootError,
    MBI_ADDR,
    mbi_parse,
    multiboot_load,
    type LoadRequest,
} from "../../boot/index.ts";
import { ArrayPhysMem } from "../../emulator/physmem.ts";
import type { PhysMem } from "../../emulator/types.ts";
import {
    build_aout,
    build_elf,
    MB_MAGIC,
    pattern,
    SHF,
    SHT,
    type BuiltElf,
} from "../unit/boot/elfbuild.ts";

const MiB = 1024 * 1024;
const RAM = 4 * MiB;
const NUM_RUNS = Number(process.env.FUZZ_RUNS) || 10_000;
const envSeed = Number(process.env.FUZZ_SEED);
const seed = process.env.FUZZ_SEED && Number.isInteger(envSeed) ? envSeed : Date.now() % 0x7fffffff;

/** PhysMem that records every range written, over one reused ArrayPhysMem. */
class RecordingMem implements PhysMem {
    readonly inner: ArrayPhysMem;
    writes: [number, number][] = [];

    constructor(inner: ArrayPhysMem) {
        this.inner = inner;
    }
    get size(): number {
        return this.inner.size;
    }
    read8(pa: number): number {
        return this.inner.read8(pa);
    }
    read16(pa: number): number {
        return this.inner.read16(pa);
    }
    read32(pa: number): number {
        return this.inner.read32(pa);
    }
    read(pa: number, len: number): Uint8Array {
        return this.inner.read(pa, len);
    }
    write8(pa: number, v: number): void {
        this.note(pa, 1);
        this.inner.write8(pa, v);
    }
    write16(pa: number, v: number): void {
        this.note(pa, 2);
        this.inner.write16(pa, v);
    }
    write32(pa: number, v: number): void {
        this.note(pa, 4);
        this.inner.write32(pa, v);
    }
    write(pa: number, b: Uint8Array): void {
        this.note(pa, b.length);
        this.inner.write(pa, b);
    }
    fill(pa: number, len: number, v: number): void {
        this.note(pa, len);
        this.inner.fill(pa, len, v);
    }
    private note(pa: number, len: number): void {
        this.writes.push([pa, pa + len]);
    }
}

function checksum(bytes: Uint8Array): number {
    const w = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2);
    let h = 0x811c9dc5;
    for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w[i]!, 0x01000193);
    return h >>> 0;
}

interface Base {
    name: string;
    bytes: Uint8Array;
    /** File offsets of header fields worth corrupting. */
    fields: number[];
    mboff: number;
}

function elf_base(name: string, built: BuiltElf): Base {
    const fields = [16, 18, 24, 28, 32, 42, 44, 46, 48, 50];
    built.segOffsets.forEach((_, i) => {
        for (let k = 0; k < 8; k++) fields.push(built.phoff + 32 * i + 4 * k);
    });
    for (let i = 0; i < built.shnum; i++) {
        for (let k = 0; k < 10; k++) fields.push(built.shoff + 40 * i + 4 * k);
    }
    fields.push(built.mboff + 4, built.mboff + 8);
    return { name, bytes: built.bytes, fields, mboff: built.mboff };
}

function aout_base(name: string, bytes: Uint8Array, mboff: number): Base {
    const fields = [4, 8, 12, 16, 20, 24, 28].map((k) => mboff + k);
    return { name, bytes, fields, mboff };
}

const ALLOC_X = SHF.ALLOC | SHF.EXEC;
const ALLOC_W = SHF.ALLOC | SHF.WRITE;

const BASES: Base[] = [
    elf_base(
        "elf+sections",
        build_elf({
            entry: 0xc0100010,
            segments: [
                { paddr: 0x100000, vaddr: 0xc0100000, data: pattern(0x800, 1), flags: 5 },
                {
                    paddr: 0x101000,
                    vaddr: 0xc0101000,
                    data: pattern(0x100, 2),
                    memsz: 0x2000,
                    flags: 6,
                },
            ],
            sections: [
                {
                    name: ".text",
                    type: SHT.PROGBITS,
                    flags: ALLOC_X,
                    addr: 0xc0100000,
                    size: 0x800,
                },
                { name: ".bss", type: SHT.NOBITS, flags: ALLOC_W, addr: 0xc0101100, size: 0x1f00 },
                { name: ".symtab", type: SHT.SYMTAB, data: pattern(64, 3), entsize: 16 },
                { name: ".strtab", type: SHT.STRTAB, data: [0, 0x61, 0] },
            ],
        }),
    ),
    elf_base(
        "elf",
        build_elf({
            entry: 0x200000,
            segments: [{ paddr: 0x200000, data: pattern(0x300, 4), memsz: 0x1000 }],
        }),
    ),
    aout_base(
        "aout+bss",
        build_aout({
            loadAddr: 0x100000,
            image: pattern(0x600, 5),
            hdrOff: 0x20,
            prefix: 0x40,
            bssEnd: 0x103000,
            entry: 0x100100,
        }),
        0x60,
    ),
    aout_base(
        "aout",
        build_aout({
            loadAddr: 0x180000,
            image: pattern(0x200, 6),
            hdrOff: 0,
            loadEnd: 0,
            entry: 0x180000,
        }),
        0,
    ),
];

const GZ = gzipSync(pattern(3000, 7));

type Mutation =
    | { kind: "flip"; pos: number; bit: number; head: boolean }
    | { kind: "field"; which: number; value: number; fix: boolean }
    | { kind: "truncate"; len: number }
    | { kind: "append"; bytes: Uint8Array };

const interesting = fc.oneof(
    fc.integer({ min: 0, max: 0xffffffff }),
    fc.integer({ min: 0, max: 64 }),
    fc.constantFrom(
        0,
        1,
        0x7fffffff,
        0x80000000,
        0xffffffff,
        0xfffff000,
        0x100000,
        0x9fc00,
        0x8000,
        RAM - 0x1000,
        RAM,
        8 * MiB,
        0x10000,
        0xffff,
    ),
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    {
        weight: 4,
        arbitrary: fc.record({
            kind: fc.constant("flip" as const),
            pos: fc.nat(),
            bit: fc.nat(7),
            head: fc.boolean(),
        }),
    },
    {
        weight: 4,
        arbitrary: fc.record({
            kind: fc.constant("field" as const),
            which: fc.nat(),
            value: interesting,
            fix: fc.boolean(),
        }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("truncate" as const), len: fc.nat() }) },
    {
        weight: 1,
        arbitrary: fc.record({
            kind: fc.constant("append" as const),
            bytes: fc.uint8Array({ maxLength: 64 }),
        }),
    },
);

function mutate(base: Base, muts: Mutation[]): Uint8Array {
    let b = base.bytes.slice();
    for (const m of muts) {
        if (b.length === 0) break;
        const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
        switch (m.kind) {
            case "flip": {
                const pos = m.head ? m.pos % Math.min(b.length, 256) : m.pos % b.length;
                b[pos] = b[pos]! ^ (1 << m.bit);
                break;
            }
            case "field": {
                const off = base.fields[m.which % base.fields.length]!;
                if (off + 4 <= b.length) v.setUint32(off, m.value >>> 0, true);
                if (m.fix && base.mboff + 12 <= b.length) {
                    const flags = v.getUint32(base.mboff + 4, true);
                    v.setUint32(base.mboff, MB_MAGIC, true);
                    v.setUint32(base.mboff + 8, -(MB_MAGIC + flags) >>> 0, true);
                }
                break;
            }
            case "truncate":
                b = b.slice(0, m.len % (b.length + 1));
                break;
            case "append": {
                const out = new Uint8Array(b.length + m.bytes.length);
                out.set(b);
                out.set(m.bytes, b.length);
                b = out;
                break;
            }
        }
    }
    return b;
}

const moduleBytes = fc.oneof(
    fc.uint8Array({ maxLength: 5000 }),
    fc.constant(GZ),
    fc.nat(GZ.length).map((n) => GZ.slice(0, n)),
    fc.tuple(fc.nat(GZ.length - 1), fc.nat(255)).map(([i, x]) => {
        const g = GZ.slice();
        g[i] = x;
        return g;
    }),
    fc
        .uint8Array({ maxLength: 200 })
        .map((r) => Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, ...r])),
);

const text = fc.oneof(
    { weight: 40, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 1, arbitrary: fc.string({ maxLength: 5 }).map((s) => s + "\0") },
);

const moduleSpec = fc.record({
    path: fc.constantFrom("initrd.gz", "/hurd/ext2fs.static", "/lib/ld.so.1"),
    args: text,
    bytes: moduleBytes,
    nounzip: fc.boolean(),
});

const ramSize = fc.oneof(
    { weight: 12, arbitrary: fc.constant(RAM) },
    {
        weight: 1,
        arbitrary: fc.constantFrom(
            2 * MiB,
            3 * MiB + 4096,
            2 * MiB - 1,
            0,
            -1,
            NaN,
            Infinity,
            8 * MiB,
            RAM + 0.5,
            1.5 * 2 ** 32,
        ),
    },
);

const loadCase = fc.record({
    base: fc.nat(BASES.length - 1),
    muts: fc.array(mutation, { maxLength: 4 }),
    modules: fc.array(moduleSpec, { maxLength: 3 }),
    cmdline: text,
    ramSize,
});

describe("[fuzz/boot/loader]: multiboot_load on damaged inputs", () => {
    it(`returns a BootInfo or throws a BootError having written nothing (${NUM_RUNS} runs)`, () => {
        console.log(
            `loader fuzz seed: ${seed} ` + `(replay: FUZZ_SEED=${seed} npx vitest run test/fuzz)`,
        );
        const mem = new RecordingMem(new ArrayPhysMem(RAM));
        mem.inner.bytes.fill(0x5a);
        let run = 0;
        const outcomes = { ok: 0, refused: 0 };
        const reasons = new Map<string, number>();
        const prop = fc.property(loadCase, (c) => {
            const base = BASES[c.base]!;
            const req: LoadRequest = {
                kernel: { path: `kernel-${base.name}`, bytes: mutate(base, c.muts) },
                modules: c.modules,
                cmdline: c.cmdline,
                ramSize: c.ramSize,
                // The map property below is the legacy profile's (RAM to ramSize).
                loader: "legacy",
            };
            const pre = run++ % 25 === 0 ? checksum(mem.inner.bytes) : undefined;
            mem.writes = [];
            let info;
            try {
                info = multiboot_load(mem, req);
            } catch (e) {
                if (!(e instanceof BootError)) throw e;
                outcomes.refused++;
                const kind = e.reason.replace(/0x[0-9a-f]+|\d+/g, "N");
                reasons.set(kind, (reasons.get(kind) ?? 0) + 1);
                expect(mem.writes).toEqual([]);
                if (pre !== undefined) expect(checksum(mem.inner.bytes)).toBe(pre);
                expect(e.reason).not.toMatch(/\n/);
                const inputs = [req.kernel.path, "--memory", ...c.modules.map((m) => m.path)];
                expect(inputs).toContain(e.input);
                return;
            }
            outcomes.ok++;
            for (const [s, e] of mem.writes) {
                expect(s >= 0 && e <= c.ramSize && s <= e).toBe(true);
                const low =
                    (s >= 0x8000 && e <= 0x8018) ||
                    (s >= 0x9000 && e <= 0x9078) ||
                    (s >= 0x9500 && e <= 0x9558);
                if (s < 0x10000) expect(low).toBe(true);
                expect(e <= 0x9fc00 || s >= 0x100000 || e === s).toBe(true);
            }
            const eip = info.entry.eip;
            const inKernel = info.placements.some(
                (p) => p.what.startsWith("kernel") && eip >= p.start && eip < p.end,
            );
            expect(inKernel).toBe(true);
            const mbi = mbi_parse(mem, MBI_ADDR);
            expect(mbi.mods?.length).toBe(c.modules.length);
            expect(mbi.mods!.map((m) => m.mod_end - m.mod_start)).toEqual(
                info.modules.map((m) => m.end - m.start),
            );
            expect(mbi.mmap!.at(-1)!.base_addr + mbi.mmap!.at(-1)!.length).toBe(c.ramSize);
        });
        fc.assert(prop, { seed, numRuns: NUM_RUNS });
        console.log(
            `loader fuzz: ${outcomes.ok} loaded, ${outcomes.refused} refused ` +
                `for ${reasons.size} kinds of reason`,
        );
        if (process.env.FUZZ_STATS) {
            const top = [...reasons].sort((a, b) => b[1] - a[1]);
            console.log(top.map(([r, n]) => `${String(n).padStart(6)}  ${r}`).join("\n"));
        }
        expect(outcomes.ok).toBeGreaterThan(NUM_RUNS / 20);
    });
});

describe("[fuzz/boot/loader]: the qemu and grub profiles on damaged inputs", () => {
    for (const loader of ["qemu", "grub"] as const) {
        it(`${loader}: a BootInfo whose MBI reads back, or a BootError having written nothing`, () => {
            const mem = new RecordingMem(new ArrayPhysMem(RAM));
            const runs = Math.ceil(NUM_RUNS / 5);
            let ok = 0;
            const prop = fc.property(loadCase, (c) => {
                const base = BASES[c.base]!;
                mem.writes = [];
                let info;
                try {
                    info = multiboot_load(mem, {
                        kernel: { path: `kernel-${base.name}`, bytes: mutate(base, c.muts) },
                        modules: c.modules,
                        cmdline: c.cmdline,
                        ramSize: c.ramSize,
                        loader,
                    });
                } catch (e) {
                    if (!(e instanceof BootError)) throw e;
                    expect(mem.writes).toEqual([]);
                    expect(e.reason).not.toMatch(/\n/);
                    return;
                }
                ok++;
                for (const [s, e] of mem.writes)
                    expect(s >= 0 && e <= c.ramSize && s <= e).toBe(true);
                const mbi = mbi_parse(mem, info.mbiAddr);
                expect(mbi.mods?.length ?? 0).toBe(c.modules.length);
                expect(mbi.mmap!.at(-1)!.base_addr + mbi.mmap!.at(-1)!.length).toBe(2 ** 32);
            });
            fc.assert(prop, { seed, numRuns: runs });
            console.log(`loader fuzz (${loader}): ${ok} of ${runs} loaded`);
            expect(ok).toBeGreaterThan(runs / 20);
        });
    }
});
