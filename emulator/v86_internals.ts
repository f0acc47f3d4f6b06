/*
 * emulator/v86_internals.ts — the one file that touches v86.
 *
 * Everything mach86 needs from the v86 package (npm 0.5.462) goes through
 * V86Cpu: construction without BIOS and without v86's multiboot option, a
 * direct RAM view over the wasm memory (never `cpu.mem8`, a Proxy ~400×
 * slower), port handlers, CPU state, the main loop, and v86's own address
 * translation (the oracle for the software page walker).
 *
 * Determinism (ARCHITECTURE.md, "Determinism"): in deterministic
 * mode the wasm `microtick` import and v86's static `microtick` run on a
 * virtual clock fed by the instruction counter, `get_rand_int` is a seeded
 * LCG, and JIT blocks are compiled synchronously but installed only when
 * `main_loop` returns, so slices end at the same instruction counts and
 * compiled code goes live at the same points in every run. Installation is
 * deferred in both modes: v86's own path installs from a promise, which
 * never runs while we drive `main_loop` ourselves.
 *
 * v86's JavaScript is loaded from the package's build/libv86.js (the same
 * build as the libv86.mjs its `import` gives, as a plain script) so that
 * V8 can take it from a code cache (set_v86_code_cache): compiling
 * v86's ~360 KB and the functions its construction runs is a good part of
 * a cold `mach86 boot`. Before compiling it, V86_PATCHES make the
 * construction of its I/O port table and MMIO maps cheaper (the machine
 * behaves the same); a v86 build they do not recognise is loaded as it is.
 */
import { readFile, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import type { NonSharedBuffer } from "node:buffer";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { Script } from "node:vm";
import { FieldSnapshot } from "./field_snapshot.ts";
import { locate_buffer, resident_pages, resident_pages_at } from "./resident.ts";
import type { CpuState, EntryState, PicState } from "./types.ts";

/** v86 rounds RAM to 128 KiB and clamps anything ≥ 2 GiB to this (cpu.js create_memory). */
export const V86_MAX_RAM = 2 ** 31 - 128 * 1024;
export const V86_RAM_GRANULE = 128 * 1024;

/** Register order of v86's reg32 array. */
const REG = { EAX: 0, ECX: 1, EDX: 2, EBX: 3, ESP: 4, EBP: 5, ESI: 6, EDI: 7 } as const;
/** Segment register order of v86's sreg/segment_* arrays. */
const SEG = { ES: 0, CS: 1, SS: 2, DS: 3, FS: 4, GS: 5 } as const;
const FLAG_IF = 1 << 9;
/** Wasm-memory offset of v86's u32 instruction counter (cpu.js: view(Uint32Array, memory, 664, 1)). */
const INSTRUCTION_COUNTER_OFFSET = 664;

export interface V86CpuOptions {
    /** RAM bytes; must be a multiple of 128 KiB and ≤ V86_MAX_RAM (validated by the caller). */
    memory: number;
    deterministic: boolean;
    /** Seed of the guest-visible RNG (RDRAND) in deterministic mode. */
    seed: number;
    /**
     * Virtual CPU speed in deterministic mode, as QEMU's `-icount shift=N`:
     * each instruction lasts 2^N ns of virtual time (default 0: 1 ns, a
     * 1000-MIPS CPU). A larger N makes the guest's timers come sooner in
     * instructions, so calibrated delay loops and timer waits cost fewer
     * instructions; runs stay bit-identical for the same N.
     */
    icountShift?: number;
}

/** The largest --icount shift: 2^10 ns per instruction (a 1-MIPS virtual CPU). */
export const MAX_ICOUNT_SHIFT = 10;

/** The registers a hypercall passes and returns. */
export interface Regs {
    eax: number;
    ebx: number;
    ecx: number;
    edx: number;
    esi: number;
    edi: number;
    ebp: number;
}

type PortRead = () => number;
type PortWrite = (value: number) => void;

/* eslint-disable @typescript-eslint/no-explicit-any -- v86 internals are untyped */

function readString(mem: WebAssembly.Memory, off: number, len: number): string {
    return new TextDecoder().decode(new Uint8Array(mem.buffer, off >>> 0, len >>> 0));
}

let compiledModule: Promise<WebAssembly.Module> | undefined;

/**
 * V8's dynamic tiering recompiles hot v86.wasm functions with TurboFan in the
 * background. With the default budget it starts on v86's huge interpreter
 * functions during a short boot, and the process then waits ~200 ms at exit
 * for those compile jobs; a 100× budget removes that wait and measured
 * faster guest code too (bench/: spin ~940 vs ~590 MIPS on this machine).
 */
export const WASM_TIERING_BUDGET = "--wasm-tiering-budget=180000000";

/**
 * The budget of v86's JIT modules (a wasm module per few guest code pages,
 * made by codegen_finalize), 10× v86.wasm's: V8 gives each instance the
 * budget in force when it is created. v86 often replaces a page's module
 * within ~20-150 ms as it finds more entry points; under v86.wasm's budget
 * all 27 modules of a real GNU Mach boot (8d03c760, 1856M, to kernel_map)
 * were recompiled with TurboFan, ~2.5 s of compile CPU beside the guest's
 * thread on a 2-core machine, ~40 % of it for modules already replaced.
 * Under this one 14 are, and the other threads' CPU fell from ~3.4 to
 * ~2.2 s with the guest's own unchanged. Only V8's choice of compiler
 * depends on it, never what the code does.
 */
export const JIT_TIERING_BUDGET = "--wasm-tiering-budget=1800000000";

/**
 * V8 validates each v86.wasm function when it first compiles it instead of
 * all of them in `new WebAssembly.Module` (~7 ms of a cold boot on this
 * machine); the module is the package's own, and guest speed is unchanged.
 */
export const WASM_LAZY_VALIDATION = "--wasm-lazy-validation";

/** The V8 flags mach86 runs v86 with, set before v86's JavaScript or wasm is compiled. */
function set_v8_flags(): void {
    setFlagsFromString(WASM_TIERING_BUDGET);
    setFlagsFromString(WASM_LAZY_VALIDATION);
    // Checksums in the code caches V8 writes, checked when it reads one (v86()).
    setFlagsFromString("--verify-snapshot-checksum");
}

/**
 * v86.wasm, read and compiled off the main thread (libuv's pool, V8's
 * compile tasks) while it loads v86's JavaScript and builds the machine's
 * JS side; started by the first machine (or earlier: prepare_v86).
 */
export function prepare_v86(): Promise<WebAssembly.Module> {
    if (!compiledModule) {
        set_v8_flags();
        const require = createRequire(import.meta.url);
        const path = join(dirname(require.resolve("v86")), "v86.wasm");
        // node:fs's callback form: node:fs/promises would load ~10 more of Node's modules.
        compiledModule = new Promise<NonSharedBuffer>((resolve, reject) =>
            readFile(path, (e, bytes) => (e ? reject(e) : resolve(bytes))),
        ).then((bytes) => WebAssembly.compile(bytes));
        // A failure is the first machine's to report (its await); never an unhandled rejection.
        compiledModule.catch(() => undefined);
    }
    return compiledModule;
}

/** Where V8's code cache of v86's JavaScript is kept; undefined: no cache. */
let codeCacheDir: string | undefined;

/**
 * Keep V8's code cache of v86's JavaScript in `dir` (the CLI gives its
 * dist/ directory), or none. The cache only saves compile time: a missing,
 * stale or foreign file is rejected (its name carries a hash of V8's
 * version and of libv86.js's identity on disk and the patches: cache_key;
 * V8 checks its version, flags and the source's length) and v86 is compiled
 * from source, then the cache is written again; failing to read or write
 * it is never an error.
 */
export function set_v86_code_cache(dir: string | undefined): void {
    codeCacheDir = dir;
}

type V86Exports = { V86: new (settings: any) => any };
let v86Exports: V86Exports | undefined;
/** Writes the code cache once v86 has been constructed (its init's functions are then compiled too). */
let saveCodeCache: (() => void) | undefined;

function read_or_undefined(file: string): Buffer | undefined {
    try {
        return readFileSync(file);
    } catch {
        return undefined;
    }
}

/** Write `data` whole or not at all (a process reading it at the same time sees the old file or the new). */
function write_atomically(file: string, data: Buffer): void {
    const tmp = `${file}.${process.pid}.tmp`;
    try {
        writeFileSync(tmp, data);
        renameSync(tmp, file);
    } catch {
        rmSync(tmp, { force: true });
    }
}

/**
 * One change to v86's minified source: what it must find (`count` times:
 * one pattern per minified function, its local names left free) and what
 * it puts there. The changes only make v86's construction cheaper; what
 * the machine does is the same (see patch_v86_source).
 */
export interface SourcePatch {
    find: RegExp;
    count: number;
    replace: string;
}

/**
 * A cheaper construction of v86's I/O port table and MMIO maps (io.js).
 *
 * (1) v86 gives each of the 65536 ports its own empty entry: 65536 objects
 * built when the machine is, copied by three or four scavenges (~40 ms of
 * a cold boot). Here every port starts on one shared empty entry
 * (`io.empty_entry`) and gets its own copy when something is about to
 * change it: io.register_read/_write, and a PCI device capturing its I/O
 * BAR's entries (pci.js register_device), which later move with the BAR
 * and must stay the objects the device's handlers are in. Reading a port
 * sees the same handlers as before; nothing writes into an entry by any
 * other path (V86Cpu.interceptWrite8 takes its own copy: own_port_entry).
 *
 * (2) io.mmap_register stores its handlers one 128 KiB block at a time,
 * ~32000 blocks × 4 arrays for the "nothing here" region above RAM, in the
 * interpreter; Array.prototype.fill stores the same values in the same
 * blocks (the arrays grown first: fill never grows an array).
 */
export const V86_PATCHES: readonly SourcePatch[] = [
    {
        find: /this\.ports=\[\];this\.cpu=([\w$]+);for\(var ([\w$]+)=0;65536>\2;\2\+\+\)this\.ports\[\2\]=this\.create_empty_entry\(\);/g,
        count: 1,
        replace:
            "this.empty_entry=this.create_empty_entry();this.ports=new Array(65536).fill(this.empty_entry);this.cpu=$1;var $2;",
    },
    {
        find: /(\.prototype\.register_(?:read|write)=function\(([\w$]+),[\w$]+,[\w$]+,[\w$]+,[\w$]+\)\{)(?=[\w$]+&&\(this\.ports\[\2\]\.(?:read|write)8=)/g,
        count: 2,
        replace: "$1this.ports[$2]===this.empty_entry&&(this.ports[$2]=this.create_empty_entry());",
    },
    {
        find: /\.entries\[([\w$]+)\]=this\.io\.ports\[([\w$]+)\+\1\]/g,
        count: 1,
        replace:
            ".entries[$1]=(this.io.ports[$2+$1]===this.io.empty_entry&&(this.io.ports[$2+$1]=this.io.create_empty_entry()),this.io.ports[$2+$1])",
    },
    {
        find: /for\(([\w$]+)>>>=17;0<([\w$]+);\1\+\+\)this\.cpu\.memory_map_read8\[\1\]=([\w$]+),this\.cpu\.memory_map_write8\[\1\]=([\w$]+),this\.cpu\.memory_map_read32\[\1\]=([\w$]+),this\.cpu\.memory_map_write32\[\1\]=([\w$]+),\2-=131072/g,
        count: 1,
        replace:
            "$1>>>=17;var $end=$1+(0<$2?Math.ceil($2/131072):0);for(const[$map,$fn]of[[this.cpu.memory_map_read8,$3],[this.cpu.memory_map_write8,$4],[this.cpu.memory_map_read32,$5],[this.cpu.memory_map_write32,$6]])$map.length<$end&&($map.length=$end),$map.fill($fn,$1,$end)",
    },
];

/**
 * `head` + v86's source with V86_PATCHES applied + `tail`, or with v86's
 * source exactly as given when any pattern is not found as expected
 * (another v86 build): the patches only save time, so an unknown build
 * runs unchanged. The script is joined once: each copy of its 360 KB is
 * fresh memory, ~1 ms to touch (String.prototype.replace with a global
 * pattern is slower still, V8's slow path).
 */
export function patch_v86_source(
    source: string,
    head = "",
    tail = "",
    patches: readonly SourcePatch[] = V86_PATCHES,
): string {
    const edits: { at: number; end: number; text: string }[] = [];
    for (const p of patches) {
        const found = find_patch(source, p);
        if (found === undefined) return head + source + tail;
        edits.push(...found);
    }
    edits.sort((a, b) => a.at - b.at);
    const parts = [head];
    let last = 0;
    for (const e of edits) {
        if (e.at < last) return head + source + tail; // two patterns overlap: not a build we know
        parts.push(source.slice(last, e.at), e.text);
        last = e.end;
    }
    parts.push(source.slice(last), tail);
    return parts.join("");
}

/** Whether v86's source is patched (set_v86_patches). */
let patchV86 = true;

/**
 * For tests: load v86's source unchanged (false), as with a v86 build whose
 * source the patches do not recognise. Only before the first machine.
 */
export function set_v86_patches(on: boolean): void {
    patchV86 = on;
}

/** Where `p` applies in `source` and what goes there ($1…$9: the match's groups); undefined unless `p.count` matches. */
function find_patch(
    source: string,
    p: SourcePatch,
): { at: number; end: number; text: string }[] | undefined {
    const out: { at: number; end: number; text: string }[] = [];
    p.find.lastIndex = 0;
    for (let m = p.find.exec(source); m !== null; m = p.find.exec(source)) {
        const groups = m;
        const text = p.replace.replace(/\$(\d)/g, (_, i: string) => groups[Number(i)]!);
        out.push({ at: m.index, end: m.index + m[0].length, text });
    }
    return out.length === p.count ? out : undefined;
}

/**
 * What v86's script is wrapped in: a CommonJS module's function, and two
 * of Node's lazily loaded globals as parameters (lazy_global).
 */
const V86_HEAD = "(function (module, exports, require, crypto, performance) {'use strict';\n";
const V86_TAIL = "\n})";

/**
 * The name of the code cache for v86's script: 16 hex digits of a hash of
 * V8's version, the architecture, libv86.js's identity on disk (device,
 * inode, size, modification and change times in ns: a new or rewritten
 * file has another change time, and no tool sets that back), the wrapper
 * and the patches asked for, and `grown` (what they added: 0 when they
 * did not apply). V8 itself rejects a cache made under other flags or for
 * a source of another length. Hashing libv86.js's 360 KB of text instead
 * (node:crypto) cost ~5 ms of every cold boot.
 */
function cache_key(file: string, grown: number, patches: readonly SourcePatch[]): string {
    const st = statSync(file, { bigint: true });
    const text = [
        process.versions.v8,
        process.arch,
        st.dev,
        st.ino,
        st.size,
        st.mtimeNs,
        st.ctimeNs,
        V86_HEAD,
        V86_TAIL,
        grown,
        ...patches.flatMap((p) => [p.find.source, p.count, p.replace]),
    ].join("\n");
    return (
        hash53(text, 1).toString(16).padStart(14, "0").slice(0, 8) +
        hash53(text, 2).toString(16).padStart(14, "0").slice(0, 8)
    );
}

/** A 53-bit hash of `text` (cyrb53): for names, not for security. */
function hash53(text: string, seed: number): number {
    let h1 = 0xdeadbeef ^ seed;
    let h2 = 0x41c6ce57 ^ seed;
    for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        h1 = Math.imul(h1 ^ c, 2654435761);
        h2 = Math.imul(h2 ^ c, 1597334677);
    }
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return 2097152 * (h2 >>> 0) + (h1 >>> 0);
}

/**
 * Node's global `name` (webcrypto, perf_hooks' performance) as v86 sees
 * it: Node loads each on first access (~5 ms each of a cold boot), and
 * v86's script tests `typeof crypto`, `crypto.getRandomValues` and
 * `performance.now` as it loads. Here `method` is a function that loads
 * the global and calls the real method when v86 first calls it (a
 * deterministic machine never does); any other member is the real one. A
 * global Node does not load lazily is passed as it is.
 */
function lazy_global(name: "crypto" | "performance", method: string): unknown {
    const d = Object.getOwnPropertyDescriptor(globalThis, name);
    if (d?.get === undefined) return (globalThis as any)[name];
    const real = () => (globalThis as any)[name];
    let bound: ((...args: unknown[]) => unknown) | undefined;
    const call = (...args: unknown[]) => (bound ??= real()[method].bind(real()))(...args);
    return new Proxy(
        {},
        {
            get(_, key) {
                if (key === method) return call;
                const v = real()[key];
                return typeof v === "function" ? v.bind(real()) : v;
            },
        },
    );
}

/** v86's exports, its script compiled (from the code cache when one fits) on first use. */
function v86(): V86Exports {
    if (v86Exports) return v86Exports;
    // V8 rejects a cache made under other flags: set mach86's before compiling. With
    // --verify-snapshot-checksum V8 checksums the cache it writes and rejects one whose
    // bytes do not match (without it, a damaged file would crash the deserializer).
    set_v8_flags();
    const require = createRequire(import.meta.url);
    const file = join(dirname(require.resolve("v86")), "libv86.js");
    const patches = patchV86 ? V86_PATCHES : [];
    const original = readFileSync(file, "utf8");
    const source = patch_v86_source(original, V86_HEAD, V86_TAIL, patches);
    const cacheFile =
        codeCacheDir === undefined
            ? undefined
            : join(
                  codeCacheDir,
                  `v86-${cache_key(file, source.length - original.length, patches)}.cache`,
              );
    const cachedData = cacheFile === undefined ? undefined : read_or_undefined(cacheFile);
    const script = new Script(source, { filename: file, lineOffset: -1, cachedData });
    const module = { exports: {} as V86Exports };
    script.runInThisContext()(
        module,
        module.exports,
        require,
        lazy_global("crypto", "getRandomValues"),
        lazy_global("performance", "now"),
    );
    v86Exports = module.exports;
    if (cacheFile !== undefined && (cachedData === undefined || script.cachedDataRejected))
        saveCodeCache = () => write_atomically(cacheFile, script.createCachedData());
    return v86Exports;
}
/** One entry of v86's I/O port table (io.js create_empty_entry). */
interface PortEntry {
    device: unknown;
    read8: unknown;
    read16: unknown;
    read32: unknown;
    write8: unknown;
    write16: unknown;
    write32: unknown;
}

/** v86's MMIO handler arrays, one entry per 128 KiB block of the address space. */
const MMIO_MAPS = [
    "memory_map_read8",
    "memory_map_write8",
    "memory_map_read32",
    "memory_map_write32",
] as const;

/** A constructed machine's state, for V86Cpu.reset(). */
interface Pristine {
    /** Size of the wasm memory then (a memory that grew since is not put back). */
    wasmBytes: number;
    /** Where the wasm memory is mapped (resident.ts locate_buffer; it does not move while it does not grow). */
    at: bigint;
    /** The wasm pages the OS backed then, by page number (the others were zero). */
    pages: Map<number, Uint8Array>;
    /** The port-table entries changed since, as they were before the first change. */
    ports: Map<number, PortEntry>;
    /** The MMIO handlers (MMIO_MAPS order) of the 128 KiB blocks changed since, as they were. */
    mmio: Map<number, unknown[]>;
    fields: FieldSnapshot;
}

/** The OS page size resident_pages() answers in. */
const PAGE = 4096;

/** Traps out of main_loop after which a machine is no longer reused (see V86Cpu.reset). */
const MAX_TRAPS = 16;

/** The deterministic clock of the machine currently running (v86's static microtick is global). */
let activeClock: (() => number) | undefined;
let staticMicrotickPatched = false;

/**
 * v86's minified build dropped its dbg_log calls but kept their arguments:
 * each access to a port no device claims still formats the port number in
 * hex and looks up its description, and each PCI configuration query
 * formats its address three to five times. GNU Mach's Linux drivers read
 * empty ports ~180k times while probing absent cards, so those unused
 * strings cost ~0.1 s of a boot. These replacements do what v86's do
 * (npm 0.5.462, io.js port_read8…port_write32, pci.js pci_query) without the
 * strings, which had no effect.
 */
function skip_io_debug_strings(cpu: any): void {
    Object.assign(cpu.io, LEAN_PORT_ACCESS);
    cpu.devices.pci.pci_query = pci_query;
}

type Ports = { ports: any[] };

/** v86's IO.port_read8…port_write32 (io.js) without their debug strings. */
const LEAN_PORT_ACCESS = {
    port_read8(this: Ports, port: number): number {
        const e = this.ports[port];
        return e.read8.call(e.device, port);
    },
    port_read16(this: Ports, port: number): number {
        const e = this.ports[port];
        return e.read16.call(e.device, port);
    },
    port_read32(this: Ports, port: number): number {
        const e = this.ports[port];
        return e.read32.call(e.device, port);
    },
    port_write8(this: Ports, port: number, v: number): unknown {
        const e = this.ports[port];
        return e.write8.call(e.device, v);
    },
    port_write16(this: Ports, port: number, v: number): unknown {
        const e = this.ports[port];
        return e.write16.call(e.device, v);
    },
    port_write32(this: Ports, port: number, v: number): unknown {
        const e = this.ports[port];
        return e.write32.call(e.device, v);
    },
};

/** v86's PCI.pci_query (pci.js) without its debug strings. */
function pci_query(this: any): void {
    const bdf = (this.pci_addr[2] << 8) | this.pci_addr[1];
    const addr = this.pci_addr[0] & 0xfc;
    const space = this.device_spaces[bdf] as Int32Array | undefined;
    if (space !== undefined) {
        this.pci_status32[0] = 0x80000000 | 0;
        this.pci_response32[0] = addr < space.byteLength ? space[addr >> 2] : 0;
    } else {
        this.pci_response32[0] = -1;
        this.pci_status32[0] = 0;
    }
}

/** A v86 CPU + RAM, driven step by step by emulator/machine.ts. */
export class V86Cpu {
    private emu: any;
    private cpu: any;
    private ram!: Uint8Array;
    private view!: DataView;
    /** RAM bytes (v86's memory_size never changes after construction; reading it goes through a Proxy). */
    private ramSize = 0;
    /** A direct view of v86's reg32 array (cpu.reg32 is a Proxy that builds a view on every access). */
    private regs!: Int32Array;
    /** Direct views of v86's in_hlt and flags, read after every slice (Proxies too). */
    private hlt!: Uint8Array;
    private eflags!: Int32Array;
    /** A direct view of v86's instruction counter, read by every tick of the virtual clock. */
    private icountView: Uint32Array | undefined;
    private icountHigh = 0;
    private icountLast = 0;
    private readonly pending: [number, number, number, unknown][] = [];
    private rand: number;
    private wasmMemory: WebAssembly.Memory | undefined;
    /** Ms of virtual time spent halted (the instruction counter stands still in HLT). */
    private idleMs = 0;
    /** Last message v86's wasm printed before a panic. */
    panicText = "";

    private readonly opts: V86CpuOptions;
    private nsPerInstruction: number;

    private constructor(opts: V86CpuOptions) {
        this.opts = opts;
        this.nsPerInstruction = 2 ** (opts.icountShift ?? 0);
        this.rand = opts.seed | 0;
    }

    static async create(opts: V86CpuOptions): Promise<V86Cpu> {
        const c = new V86Cpu(opts);
        await c.construct();
        return c;
    }

    private async construct(): Promise<void> {
        void prepare_v86();
        const ready = new Promise<void>((resolve) => {
            const { V86 } = v86();
            this.emu = new V86({
                memory_size: this.opts.memory,
                vga_memory_size: 256 * 1024,
                autostart: false,
                disable_keyboard: true,
                disable_mouse: true,
                disable_speaker: true,
                wasm_fn: (imports: any) => this.instantiate(imports),
            });
            this.emu.add_listener("emulator-ready", () => resolve());
        });
        await ready;
        saveCodeCache?.();
        saveCodeCache = undefined;
        // After the code cache is written: V8 keys it with the flags (set_v8_flags's).
        setFlagsFromString(JIT_TIERING_BUDGET);
        this.cpu = this.emu.v86.cpu;
        this.ramSize = this.cpu.memory_size[0] >>> 0;
        this.refreshView();
        this.hookJit();
        skip_io_debug_strings(this.cpu);
        if (this.opts.deterministic) this.hookStaticClock();
    }

    private async instantiate(imports: any): Promise<WebAssembly.Exports> {
        // v86 reports its own panics ("Unimplemented: #GP handler") here just
        // before trapping; keep the text for the crash report instead of stderr.
        imports.env.console_log_from_wasm = (off: number, len: number) => {
            if (this.wasmMemory) this.panicText = readString(this.wasmMemory, off, len);
        };
        if (this.opts.deterministic) {
            imports.env.microtick = () => this.virtualMs();
            imports.env.get_rand_int = () => this.nextRand();
        }
        // v86.wasm's own budget (a machine built after another's JIT modules).
        setFlagsFromString(WASM_TIERING_BUDGET);
        const instance = new WebAssembly.Instance(await prepare_v86(), imports);
        this.wasmMemory = instance.exports["memory"] as WebAssembly.Memory;
        return instance.exports;
    }

    /** v86's JS devices (PIT, RTC) read a static microtick shared by all instances. */
    private hookStaticClock(): void {
        const ctor = this.emu.v86.constructor;
        if (!staticMicrotickPatched) {
            const real = ctor.microtick;
            ctor.microtick = () => (activeClock ? activeClock() : real());
            staticMicrotickPatched = true;
        }
        activeClock = () => this.virtualMs();
    }

    /** Compile JIT blocks synchronously; install them at main_loop boundaries. */
    private hookJit(): void {
        const cpu = this.cpu;
        cpu.codegen_finalize = (
            idx: number,
            start: number,
            flags: number,
            ptr: number,
            len: number,
        ) => {
            const code = new Uint8Array(cpu.wasm_memory.buffer, ptr >>> 0, len >>> 0);
            const inst = new WebAssembly.Instance(new WebAssembly.Module(code), {
                e: cpu.jit_imports,
            });
            this.pending.push([idx, start, flags, inst.exports["f"]]);
        };
        const clearFunc = cpu.jit_clear_func.bind(cpu);
        cpu.jit_clear_func = (idx: number) => {
            this.dropPending((p) => p[0] === idx);
            clearFunc(idx);
        };
        const clearAll = cpu.jit_clear_all_funcs.bind(cpu);
        cpu.jit_clear_all_funcs = () => {
            this.dropPending(() => true);
            clearAll();
        };
    }

    private dropPending(match: (p: [number, number, number, unknown]) => boolean): void {
        for (let i = this.pending.length - 1; i >= 0; i--) {
            if (match(this.pending[i]!)) this.pending.splice(i, 1);
        }
    }

    private installPending(): void {
        for (const [idx, start, flags, f] of this.pending) {
            this.cpu.wm.wasm_table.set(idx + 1024, f);
            this.cpu.codegen_finalize_finished(idx, start, flags);
        }
        this.pending.length = 0;
    }

    private nextRand(): number {
        this.rand = (Math.imul(this.rand, 1103515245) + 12345) | 0;
        return this.rand;
    }

    /** 53-bit instruction count (v86's counter is u32 and wraps every few seconds). */
    instructions(): number {
        let v = this.icountView;
        // A view of a detached buffer (the wasm memory grew) has length 0.
        if (v === undefined || v.length === 0) {
            if (!this.wasmMemory) return 0;
            v = new Uint32Array(this.wasmMemory.buffer, INSTRUCTION_COUNTER_OFFSET, 1);
            this.icountView = v;
        }
        const lo = v[0]!;
        if (lo < this.icountLast) this.icountHigh += 2 ** 32;
        this.icountLast = lo;
        return this.icountHigh + lo;
    }

    /** Virtual time: 2^shift ns per instruction (1 ms per million instructions by default). */
    private virtualMs(): number {
        return this.instructions() * this.nsPerInstruction * 1e-6 + this.idleMs;
    }

    /** Let `ms` of virtual time pass while the guest waits in HLT for a timer. */
    idle(ms: number): void {
        this.idleMs += ms;
    }

    /** Serial port COM1 (v86's UART, which handles DLAB and the other registers). */
    onSerialByte(fn: (byte: number) => void): void {
        this.emu.add_listener("serial0-output-byte", fn);
        this.listeners.push(["serial0-output-byte", fn]);
    }

    /** Bus listeners added since construction (removed by park()). */
    private readonly listeners: [string, (v: number) => void][] = [];

    // ---- RAM -------------------------------------------------------------

    get memorySize(): number {
        return this.ramSize;
    }

    private refreshView(): void {
        const buf = this.cpu.wasm_memory.buffer as ArrayBuffer;
        const offset = this.cpu.mem8.byteOffset as number;
        this.ram = new Uint8Array(buf, offset, this.ramSize);
        this.view = new DataView(buf, offset, this.ramSize);
        this.regs = new Int32Array(buf, this.cpu.reg32.byteOffset as number, 8);
        this.hlt = new Uint8Array(buf, this.cpu.in_hlt.byteOffset as number, 1);
        this.eflags = new Int32Array(buf, this.cpu.flags.byteOffset as number, 1);
    }

    /**
     * The direct RAM view, re-made if the wasm memory grew. Growing detaches
     * the old (non-shared) buffer, and a view on a detached buffer has length
     * 0: checking that is much cheaper than reading wasm_memory.buffer, a
     * getter, on every guest-memory access of the kernel.
     */
    bytes(): Uint8Array {
        if (this.ram.length === 0) this.refreshView();
        return this.ram;
    }

    dataView(): DataView {
        this.bytes();
        return this.view;
    }

    /** Which 4 KiB pages of RAM the OS ever backed (emulator/resident.ts), or undefined. */
    residentPages(): Uint8Array | undefined {
        const ram = this.bytes();
        return resident_pages(ram.buffer.byteLength, ram.byteOffset, this.ramSize);
    }

    /** Invalidate JIT code compiled from [start, end): host writes bypass v86's write hooks. */
    dirty(start: number, end: number): void {
        this.cpu.jit_dirty_cache(start >>> 0, end >>> 0);
    }

    // ---- ports -----------------------------------------------------------

    onWrite8(port: number, fn: PortWrite): void {
        this.cpu.io.register_write(port, {}, fn, undefined, undefined);
    }

    onWrite32(port: number, fn: PortWrite): void {
        this.cpu.io.register_write(port, {}, undefined, undefined, fn);
    }

    onRead8(port: number, fn: PortRead): void {
        this.cpu.io.register_read(port, {}, fn, undefined, undefined);
    }

    onWrite16(port: number, fn: PortWrite): void {
        this.cpu.io.register_write(port, {}, undefined, fn, undefined);
    }

    /**
     * Put `fn` in front of the byte-write handler v86 has on `port` (the
     * 8042, the PCI reset register, the DMA controller): `fn` sees each value
     * and calls `pass()` to hand it to v86's device as before.
     */
    interceptWrite8(port: number, fn: (value: number, pass: () => void) => void): void {
        this.saveKeptPort?.(port);
        const entry = this.ownPortEntry(port);
        const original = entry.write8;
        entry.write8 = function (this: unknown, value: number) {
            fn(value, () => original.call(this, value));
        };
    }

    /**
     * The port's entry, made its own first if it is the table's shared empty
     * one (V86_PATCHES: v86's register_read/_write do the same), so that
     * changing it changes this port only.
     */
    private ownPortEntry(port: number): any {
        const io = this.cpu.io;
        if (io.empty_entry !== undefined && io.ports[port] === io.empty_entry)
            io.ports[port] = io.create_empty_entry();
        return io.ports[port];
    }

    /** Linear address of the instruction being executed (inside a port handler: the OUT). */
    previousIp(): number {
        return this.cpu.previous_ip[0] >>> 0;
    }

    /** Make the next instruction the one at linear address `ip` (inside a port handler). */
    setInstructionPointer(ip: number): void {
        this.cpu.instruction_pointer[0] = ip | 0;
    }

    /** Physical address of an executable linear address (v86 aborts on unmapped ones). */
    translateCode(linear: number): number {
        if (!(this.cpu.cr[0] & 0x80000000)) return linear >>> 0;
        return this.translate(linear);
    }

    // ---- VGA -----------------------------------------------------------------

    /** v86's VGA (its text buffer is VGA memory, not RAM). */
    private get vga(): any {
        return this.emu.v86.cpu.devices.vga;
    }

    /**
     * Set the VGA's memory map to text mode 3 as a PC BIOS leaves it
     * (graphics misc register 0x0E: 0xB8000–0xBFFFF, odd/even, text). v86
     * starts with no BIOS and map 0 (0xA0000), where a write to 0xB8000 would
     * not land in the text buffer.
     */
    vgaTextMode(): void {
        this.vga.miscellaneous_graphics_register = 0x0e;
    }

    /** The `len` bytes of VGA memory that 0xB8000 shows in the current map, or undefined. */
    vgaText(len: number): Uint8Array | undefined {
        const vga = this.vga;
        if (!vga || vga.graphical_mode || vga.svga_enabled) return undefined;
        const map = (vga.miscellaneous_graphics_register >> 2) & 3;
        const base = [0xa0000, 0xa0000, 0xb0000, 0xb8000][map]!;
        const size = [0x20000, 0x10000, 0x8000, 0x8000][map]!;
        const off = 0xb8000 - base;
        if (off + len > size) return undefined;
        return (vga.vga_memory as Uint8Array).slice(off, off + len);
    }

    // ---- CPU state -------------------------------------------------------

    /** The object getRegs() fills: one per CPU, so a hypercall allocates nothing. */
    private readonly regsOut: Regs = { eax: 0, ebx: 0, ecx: 0, edx: 0, esi: 0, edi: 0, ebp: 0 };

    /**
     * General registers, for hypercall handlers (read at the OUT, written
     * back before it returns). The object is reused by the next call.
     */
    getRegs(): Regs {
        this.bytes();
        const r = this.regs;
        const o = this.regsOut;
        o.eax = r[REG.EAX]! >>> 0;
        o.ebx = r[REG.EBX]! >>> 0;
        o.ecx = r[REG.ECX]! >>> 0;
        o.edx = r[REG.EDX]! >>> 0;
        o.esi = r[REG.ESI]! >>> 0;
        o.edi = r[REG.EDI]! >>> 0;
        o.ebp = r[REG.EBP]! >>> 0;
        return o;
    }

    setRegs(regs: Regs): void {
        this.bytes();
        const r = this.regs;
        r[REG.EAX] = regs.eax | 0;
        r[REG.EBX] = regs.ebx | 0;
        r[REG.ECX] = regs.ecx | 0;
        r[REG.EDX] = regs.edx | 0;
        r[REG.ESI] = regs.esi | 0;
        r[REG.EDI] = regs.edi | 0;
        r[REG.EBP] = regs.ebp | 0;
    }

    /** Flat 32-bit protected mode, paging off: the multiboot entry state. */
    enterProtectedMode(s: EntryState): void {
        const cpu = this.cpu;
        cpu.gdtr_offset[0] = s.gdtBase;
        cpu.gdtr_size[0] = s.gdtLimit;
        cpu.idtr_offset[0] = s.idtBase ?? 0;
        cpu.idtr_size[0] = s.idtLimit ?? 0;
        cpu.cr[0] = 0x11; // PE | ET
        cpu.protected_mode[0] = 1;
        cpu.flags[0] = (s.eflags ?? 2) | 2;
        cpu.is_32[0] = 1;
        cpu.stack_size_32[0] = 1;
        cpu.cpl[0] = 0;
        cpu.in_hlt[0] = 0;
        this.stopSaved = undefined;
        for (const seg of Object.values(SEG)) {
            cpu.segment_is_null[seg] = 0;
            cpu.segment_offsets[seg] = 0;
            cpu.segment_limits[seg] = 0xffffffff;
            cpu.sreg[seg] = seg === SEG.CS ? (s.cs ?? 0x08) : (s.ds ?? 0x10);
        }
        cpu.reg32.fill(0);
        const regs: [number, number | undefined][] = [
            [REG.EAX, s.eax],
            [REG.EBX, s.ebx],
            [REG.ECX, s.ecx],
            [REG.EDX, s.edx],
            [REG.ESI, s.esi],
            [REG.EDI, s.edi],
            [REG.EBP, s.ebp],
            [REG.ESP, s.esp],
        ];
        for (const [r, v] of regs) cpu.reg32[r] = (v ?? 0) | 0;
        cpu.instruction_pointer[0] = s.eip | 0;
        cpu.update_state_flags();
        cpu.full_clear_tlb();
        if (s.pic) this.programPic(s.pic);
    }

    /**
     * Initialise both 8259s as a BIOS does: ICW1-4, then the masks. v86's PIC
     * lives in its Rust core behind the port dispatch, so the writes go
     * through its own `out imm8, al` (exported as instr_E6) at CPL 0.
     */
    private programPic(p: PicState): void {
        const cpu = this.cpu;
        const saved = cpu.reg32[REG.EAX];
        const out = (port: number, v: number) => {
            cpu.reg32[REG.EAX] = v & 0xff;
            cpu.wm.exports.instr_E6(port);
        };
        for (const [cmd, data, base, icw3] of [
            [0x20, 0x21, p.masterBase, 0x04],
            [0xa0, 0xa1, p.slaveBase, 0x02],
        ] as const) {
            out(cmd, 0x11); // ICW1: edge triggered, cascade, ICW4 follows
            out(data, base); // ICW2: vector base
            out(data, icw3); // ICW3: slave on IRQ2 / cascade identity 2
            out(data, 0x01); // ICW4: 8086 mode
        }
        out(0x21, p.masterMask);
        out(0xa1, p.slaveMask);
        cpu.reg32[REG.EAX] = saved;
    }

    /** Load paging registers from the host (used by the emu tier to test translation). */
    setPaging(cr0: number, cr3: number, cr4: number): void {
        // v86's own `mov crN, ecx` has every side effect (PDPTE load under PAE,
        // TLB flush, paging-state update); it needs CPL 0, which the host has.
        const cpu = this.cpu;
        const saved = cpu.reg32[REG.ECX];
        for (const [n, v] of [
            [4, cr4],
            [3, cr3],
            [0, cr0],
        ] as const) {
            cpu.reg32[REG.ECX] = v | 0;
            cpu.wm.exports.instr_0F22(REG.ECX, n);
        }
        cpu.reg32[REG.ECX] = saved;
        cpu.full_clear_tlb();
    }

    /** Drop non-global TLB entries (what `mov cr3` does). */
    clearTlb(): void {
        this.cpu.clear_tlb();
    }

    fullClearTlb(): void {
        this.cpu.full_clear_tlb();
    }

    /**
     * v86's own translation of a linear address (supervisor read).
     * v86 aborts the wasm on a fault, so callers only ask for mapped addresses.
     */
    translate(va: number): number {
        return this.cpu.translate_address_system_read(va | 0) >>> 0;
    }

    /** Halted in HLT (with or without interrupts enabled). */
    halted(): boolean {
        this.bytes();
        return this.hlt[0] !== 0;
    }

    /** Interrupts disabled and the CPU halted: nothing can ever wake it. */
    haltedForever(): boolean {
        this.bytes();
        return this.hlt[0] !== 0 && (this.eflags[0]! & FLAG_IF) === 0;
    }

    /** IF and HLT as they were before requestStop, to put back once main_loop returned. */
    private stopSaved: { hlt: number; intr: number } | undefined;

    /**
     * Make main_loop return at the next instruction boundary: v86 checks
     * in_hlt between instructions (port I/O ends a JIT block), and with IF=0
     * nothing wakes it. clearStopRequest() puts IF and HLT back.
     */
    requestStop(): void {
        if (!this.stopSaved) {
            this.stopSaved = { hlt: this.cpu.in_hlt[0], intr: this.cpu.flags[0] & FLAG_IF };
        }
        this.cpu.in_hlt[0] = 1;
        this.cpu.flags[0] &= ~FLAG_IF;
    }

    /** Undo requestStop: the state is the guest's again (its IF, not halted unless it was). */
    clearStopRequest(): void {
        const s = this.stopSaved;
        if (!s) return;
        this.cpu.in_hlt[0] = s.hlt;
        this.cpu.flags[0] = this.cpu.flags[0] | s.intr;
        this.stopSaved = undefined;
    }

    state(): CpuState {
        const cpu = this.cpu;
        const r = (i: number) => cpu.reg32[i] >>> 0;
        return {
            eip: (cpu.instruction_pointer[0] - cpu.segment_offsets[SEG.CS]) >>> 0,
            eflags: cpu.get_eflags ? cpu.get_eflags() >>> 0 : cpu.flags[0] >>> 0,
            eax: r(REG.EAX),
            ecx: r(REG.ECX),
            edx: r(REG.EDX),
            ebx: r(REG.EBX),
            esp: r(REG.ESP),
            ebp: r(REG.EBP),
            esi: r(REG.ESI),
            edi: r(REG.EDI),
            cr0: cpu.cr[0] >>> 0,
            cr2: cpu.cr[2] >>> 0,
            cr3: cpu.cr[3] >>> 0,
            cr4: cpu.cr[4] >>> 0,
            cs: cpu.sreg[SEG.CS],
            ds: cpu.sreg[SEG.DS],
            ss: cpu.sreg[SEG.SS],
            idtrBase: cpu.idtr_offset[0] >>> 0,
            idtrLimit: cpu.idtr_size[0] >>> 0,
            gdtrBase: cpu.gdtr_offset[0] >>> 0,
            gdtrLimit: cpu.gdtr_size[0] >>> 0,
            instructions: this.instructions(),
        };
    }

    // ---- execution -------------------------------------------------------

    /**
     * Run one v86 slice (~1 ms of guest time). Returns v86's hint: 0 = more
     * work, > 0 = ms until the next timer while halted. Throws whatever v86
     * throws on a guest it cannot continue (wasm `unreachable` on a panic).
     */
    step(): number {
        let t: number;
        try {
            t = this.cpu.main_loop() as number;
        } catch (e) {
            this.traps++;
            throw e;
        }
        this.installPending();
        this.instructions(); // keep the 53-bit extension current between slices
        return t;
    }

    // ---- reuse -----------------------------------------------------------
    //
    // A machine is returned to the state it had just after construction by
    // putting back (1) every byte of v86's wasm memory outside guest RAM —
    // all of v86's Rust state: CPU registers, FPU, TLB, PIC, APIC, IO-APIC,
    // the instruction counter, the TSC bookkeeping, the JIT's tables and
    // hotness counters, the allocator — and zeroing RAM; (2) the fields of
    // v86's JS devices and of the CPU object (field_snapshot.ts); (3) every
    // entry of the I/O port table; (4) our own clock, RNG and JIT queue.
    // Two things live outside all of these and decide whether a machine can
    // be reused at all: the wasm memory's size (a grown memory is not put
    // back) and wasm's shadow-stack pointer, a wasm global that a trap out
    // of main_loop leaves lowered by the frames it unwound — harmless to
    // the guest, but bounded here by MAX_TRAPS.

    private pristine: Pristine | undefined;
    /** Times main_loop threw (a triple fault or a v86 panic). */
    private traps = 0;

    /**
     * Remember this (just constructed, never run) machine for reset(). Only
     * the wasm pages the OS backs are copied (emulator/resident.ts): the
     * others were never touched and read as zero. No-op when that cannot
     * be known (no /proc, or the wasm memory's mapping cannot be told from
     * others): the machine is then not reusable.
     */
    capturePristine(): void {
        const cpu = this.cpu;
        const wasm = new Uint8Array(cpu.wasm_memory.buffer as ArrayBuffer);
        const at = locate_buffer(wasm);
        const backed = at === undefined ? undefined : resident_pages_at(at, wasm.length);
        if (!backed) return;
        const pages = new Map<number, Uint8Array>();
        for (let i = 0; i < backed.length; i++)
            if (backed[i]) pages.set(i, wasm.slice(i * PAGE, (i + 1) * PAGE));
        this.pristine = {
            wasmBytes: wasm.length,
            at: at!,
            pages,
            ...this.trackIo(),
            fields: FieldSnapshot.take(
                [cpu],
                [
                    ...[cpu.io, cpu.bus, cpu.wm, cpu.wasm_memory, cpu.jit_imports, this.emu],
                    ...MMIO_MAPS.map((m) => cpu[m]),
                ],
                wasm.buffer,
            ),
        };
    }

    /** Save a port's entry before its first change (set once the machine is kept). */
    private saveKeptPort: ((port: number) => void) | undefined;

    /**
     * From now on, keep a copy of each port-table entry as it was before its
     * first change, and of each 128 KiB block's MMIO handlers (the CPU's
     * memory_map_* arrays, 32768 entries each: cheaper to track than to
     * copy). Every change goes through io.register_read/_write (v86's
     * devices, PCI BAR moves, our on* methods), io.mmap_register or
     * interceptWrite8.
     */
    private trackIo(): Pick<Pristine, "ports" | "mmio"> {
        const io = this.cpu.io;
        const cpu = this.cpu;
        const ports = new Map<number, PortEntry>();
        const mmio = new Map<number, unknown[]>();
        const save = (port: number) => {
            if (!ports.has(port)) ports.set(port, { ...(io.ports[port] as PortEntry) });
        };
        this.saveKeptPort = save;
        for (const name of ["register_read", "register_write"]) {
            const original = io[name];
            io[name] = function (this: unknown, port: number, ...rest: unknown[]) {
                save(port);
                return original.call(this, port, ...rest);
            };
        }
        const mmap = io.mmap_register;
        io.mmap_register = function (
            this: unknown,
            addr: number,
            size: number,
            ...rest: unknown[]
        ) {
            for (let b = addr >>> 17; b < (addr >>> 17) + (size >>> 17); b++)
                if (!mmio.has(b))
                    mmio.set(
                        b,
                        MMIO_MAPS.map((m) => cpu[m][b]),
                    );
            return mmap.call(this, addr, size, ...rest);
        };
        return { ports, mmio };
    }

    /** Whether reset() can give this machine back in its constructed state. */
    reusable(): boolean {
        const p = this.pristine;
        return (
            p !== undefined &&
            this.traps < MAX_TRAPS &&
            this.cpu.wasm_memory.buffer.byteLength === p.wasmBytes
        );
    }

    /** Detach from the last run's machine (its listeners, the static clock) before reset(). */
    park(): void {
        for (const [name, fn] of this.listeners) this.emu.remove_listener(name, fn);
        this.listeners.length = 0;
        if (this.opts.deterministic) activeClock = undefined;
    }

    /**
     * Put the machine back as it was constructed (see above), with a new
     * RNG seed and instruction speed. Only when reusable().
     */
    reset(o: { seed: number; icountShift: number }): void {
        const p = this.pristine!;
        const cpu = this.cpu;
        this.pending.length = 0;
        cpu.jit_clear_all_funcs();
        this.restoreWasm(p);
        const ports = cpu.io.ports as PortEntry[];
        for (const [port, e] of p.ports) Object.assign(ports[port]!, e);
        for (const [block, fns] of p.mmio) MMIO_MAPS.forEach((m, i) => (cpu[m][block] = fns[i]));
        p.fields.restore();
        this.refreshView();
        this.icountHigh = 0;
        this.icountLast = 0;
        this.idleMs = 0;
        this.rand = o.seed | 0;
        this.nsPerInstruction = 2 ** o.icountShift;
        this.panicText = "";
        this.stopSaved = undefined;
        if (this.opts.deterministic) activeClock = () => this.virtualMs();
    }

    /**
     * Every wasm page as it was at capturePristine(). A page the OS does not
     * back now was not backed then either: zero then and now. Of the backed
     * ones, those saved get their bytes back and the others (RAM the guest
     * wrote, heap the JIT used) are zeroed. Without the OS's answer, every
     * page is put back.
     */
    private restoreWasm(p: Pristine): void {
        const wasm = new Uint8Array(this.cpu.wasm_memory.buffer as ArrayBuffer);
        const backed = resident_pages_at(p.at, wasm.length);
        const n = wasm.length / PAGE;
        for (let i = 0; i < n; i++) {
            if (backed && !backed[i]) continue;
            const saved = p.pages.get(i);
            if (saved) wasm.set(saved, i * PAGE);
            else wasm.fill(0, i * PAGE, (i + 1) * PAGE);
        }
    }

    /** Whether this machine runs on the virtual clock (a reused one must match the request). */
    get deterministic(): boolean {
        return this.opts.deterministic;
    }

    /** Free the emulator; afterwards the process holds no handles for it. */
    async destroy(): Promise<void> {
        if (activeClock && this.opts.deterministic) activeClock = undefined;
        try {
            await this.emu.destroy();
        } catch {
            // a crashed v86 may fail to stop cleanly; its memory is dropped with it
        }
    }
}
