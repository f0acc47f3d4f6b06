/*
 * lib/kboot.ts — boots an image into the modelled GNU Mach kernel, on one
 * of two engines:
 *
 *  - v86: the stub image runs on the CPU; at its HC_BOOT hypercall the
 *    TypeScript kernel builds its page tables in guest RAM, the stub loads
 *    them into CR3 and reads test words through them (HC_CHECK);
 *  - none: the same loader and kernel on sparse RAM, no CPU (any RAM size,
 *    fast sweeps). Layout results are identical on both engines.
 *
 * The hypercall protocol is documented in images/mach86-kernel/README.md.
 *
 * How the run ended is a Stop (lib/stop.ts): the modelled kernel's panic,
 * a boot that got stuck, a guest crash, a timeout, the stub halting after
 * a completed boot, or, with user tasks, an exit whose value is 0 when
 * every task exited with code 0 and 1 otherwise. An exception the host
 * side throws inside a hypercall (a failed assert() of the model, a bad
 * workload) is never turned into a guest crash: the machine stops and the
 * exception is thrown again once the run is over.
 */
import { multiboot_load, mbi_parse, type BootInfo, type LoadRequest } from "../boot/index.ts";
import {
    Machine,
    ram_size_problem,
    type Regs,
    type RunLimits,
    type ScreenWatch,
    type StopReason,
} from "../emulator/machine.ts";
import { SparsePhysMem } from "../emulator/physmem.ts";
import type { TextScreen } from "../emulator/screen.ts";
import type { CpuState, PhysMem } from "../emulator/types.ts";
import { assert, KernelPanic } from "../kernel/kern/debug.ts";
import { booted, kernel_create, type BootPoint, type Kernel } from "../kernel/kern/kernel.ts";
import { kernel_boot, type BootOutcome, type BootStep } from "../kernel/kern/startup.ts";
import { sample_record, type Sample } from "../kernel/kern/kern_sample.ts";
import {
    workload_check,
    workload_run,
    type Workload,
    type WorkloadResult,
} from "../kernel/kern/workload.ts";
import { pmap_cr3, pmap_cr4_bits, pmap_extract } from "../kernel/i386/pmap.ts";
import type { LayoutParams } from "../kernel/presets.ts";
import { kmem_alloc } from "../kernel/vm/vm_kern.ts";
import { frame_is_user, user_start, user_trap } from "../kernel/i386/trap.ts";
import { kernel_write } from "../kernel/vm/vm_resident.ts";
import { VM_PAGE_LAYOUTS } from "../kernel/vm/vm_page_ram.ts";
import { VM_PAGE_TO_PHYS } from "../kernel/vm/vm_page.ts";
import { UsageError } from "./errors.ts";
import type { Stop } from "./stop.ts";
import { parse_size } from "./units.ts";
import { machine_ram_for } from "../boot/index.ts";
import { hex32 } from "../util/hex.ts";

export type Engine = "v86" | "none";

const HC = { PARAMS: 1, BOOT: 2, CHECK: 3, DONE: 4, TRAP: 5, RUN: 6 } as const;
/** PIT channel 0 divisor for hz = 100 (the 8254 counts at 1.193182 MHz). */
const PIT_DIVISOR_HZ100 = Math.round(1193182 / 100);
const MULTIBOOT_MAGIC = 0x1badb002;
const PTP_SPAN = 4 * 1024 * 1024;
const MAX_RAM_NONE = 2 ** 32;

export interface KbootRequest {
    load: LoadRequest;
    params: LayoutParams;
    engine: Engine;
    steps: BootStep[];
    points?: Set<BootPoint>;
    /** Streams the console (stub + kernel printf) as it is produced. */
    sink?: (text: string) => void;
    /** Streams the debug console (port 0xE9) as it is produced (v86 engine). */
    debugconSink?: (text: string) => void;
    /** Run after a successful boot, on the booted kernel. */
    workload?: Workload;
    /** v86 engine: wall-clock and instruction limits (default: 2e9 instructions). */
    limits?: RunLimits;
    /** v86 engine: report changes of the text screen during the run. */
    screenWatch?: ScreenWatch;
}

export interface CheckResult {
    va: number;
    value: number;
    expected: number;
    what: string;
}

export interface KbootResult {
    /** How the run ended (see the file header). */
    stop: Stop;
    /**
     * The modelled kernel's verdict on its boot: "ok" (it booted), "panic" (Mach
     * panicked), "stuck" (a request of the boot's first tasks failed: the boot
     * would hang), "crash" (the CPU could not go on), "timeout" (a limit hit first).
     */
    status: "ok" | "panic" | "stuck" | "crash" | "timeout";
    /** Why, when status is not "ok". */
    reason: string;
    kernel: Kernel | null;
    outcome: BootOutcome | null;
    boot: BootInfo;
    console: string;
    /** The debug console, port 0xE9 ("" on the none engine). */
    debugcon: string;
    /** The VGA text screen at the stop (null on the none engine). */
    screen: TextScreen | null;
    checks: CheckResult[];
    engine: Engine;
    /** The CPU when the run ended (null on the none engine: there is no CPU). */
    cpu: CpuState | null;
    /** Guest instructions run (null on the none engine). */
    instructions: number | null;
    /** During `inspect` on the v86 engine: the CPU's own translation and paging registers. */
    cpu_translate?: (va: number) => number;
    paging?: { cr0: number; cr3: number; cr4: number };
    workload?: WorkloadResult;
    /** User tasks: how each ended, and the run's counters (v86 engine, when the image has programs). */
    user?: UserSummary;
}

export interface UserSummary {
    tasks: { name: string; id: number; state: string; end: string; exit_code: number }[];
    context_switches: number;
    syscalls: number;
    ticks: number;
    faults: number;
    zero_fill: number;
    cow_faults: number;
    pageins: number;
    pageouts: number;
    reactivations: number;
    pageout_scans: number;
    free_count_minimum: number;
    free_reserved: number;
    /** false on the none engine: the programs were loaded but not run. */
    ran: boolean;
    /** The kernel's allocator state at the start, at each task creation and end, and at the end of the run. */
    kernel: {
        samples: Sample[];
        peak_entries: Sample | null;
        peak_kentries: Sample | null;
        /** How many kentries the kentry area holds (null: x15's growable kentry map). */
        kentry_capacity: number | null;
    };
}

/** 0 when every user task exited with 0, else 1. */
function user_exit_code(k: Kernel): number {
    return k.sched!.ended.every((t) => t.state === "exited" && t.exit_code === 0) ? 0 : 1;
}

/** Kernel map entries the kentry area can describe: its pages × buffers per kentry slab (zone era: the fixed zone). */
function kentry_capacity(k: Kernel): number | null {
    if (k.kentry_map) return null;
    const c = k.kmem?.caches.find((x) => x.name === "vm_map_kentry");
    if (c) return Math.floor((k.params.kentry_pages * 4096) / c.slab_size) * c.bufs_per_slab;
    const z = k.zone?.vm_map_kentry_zone;
    return z ? Math.floor(z.max_size / z.elem_size) : null;
}

function user_summary(k: Kernel, ran: boolean): UserSummary {
    const s = k.sched!;
    const t = k.vm_page!;
    const vm = k.vm!;
    if (ran) sample_record(k, s.samples, "end");
    return {
        tasks: s.tasks
            .filter((x) => x.threads.length > 0 || x.state !== "alive")
            .map((x) => ({
                name: x.name,
                id: x.id,
                state: x.state,
                end: x.end,
                exit_code: x.exit_code,
            })),
        context_switches: s.context_switches,
        syscalls: s.syscalls,
        ticks: k.ticks,
        faults: t.stats.faults,
        zero_fill: t.stats.zero_fill_count,
        cow_faults: t.stats.cow_faults,
        pageins: t.stats.pageins,
        pageouts: t.stats.pageouts,
        reactivations: t.stats.reactivations,
        pageout_scans: vm.stats.scans,
        free_count_minimum: Number.isFinite(vm.stats.user_free_min)
            ? vm.stats.user_free_min
            : t.vm_page_free_count,
        free_reserved: vm.thresholds.vm_page_free_reserved,
        ran,
        kernel: {
            samples: s.samples.samples,
            peak_entries: s.samples.peak_entries,
            peak_kentries: s.samples.peak_kentries,
            kentry_capacity: kentry_capacity(k),
        },
    };
}

/** Patch the a.out-kludge header's bss_end_addr to pad the kernel's BSS (kernel_bss). */
export function pad_kernel_bss(bytes: Uint8Array, pad: number, path: string): Uint8Array {
    if (pad === 0) return bytes;
    const out = bytes.slice();
    const dv = new DataView(out.buffer);
    for (let off = 0; off + 32 <= Math.min(out.length, 8192); off += 4) {
        if (dv.getUint32(off, true) !== MULTIBOOT_MAGIC) continue;
        const flags = dv.getUint32(off + 4, true);
        if (!(flags & 0x10000)) break;
        const bssEnd = dv.getUint32(off + 24, true) || dv.getUint32(off + 20, true);
        dv.setUint32(off + 24, bssEnd + pad, true);
        return out;
    }
    throw new UsageError("--set kernel_bss", `${path} has no a.out-kludge multiboot header to pad`);
}

export function check_ram(engine: Engine, bytes: number): void {
    if (engine === "v86") {
        const problem = ram_size_problem(machine_ram_for(bytes));
        if (problem)
            throw new UsageError("--memory", `${problem} (use --engine none for larger RAM)`);
    } else if (bytes < 2 * 1024 * 1024 || bytes > MAX_RAM_NONE || bytes % 4096) {
        throw new UsageError("--memory", "the none engine takes 2 MiB .. 4 GiB in whole pages");
    }
}

/** Words the stub reads through the new page tables after CR3 switches: direct map and kmem_alloc'd memory. */
function test_words(k: Kernel): {
    table: number;
    count: number;
    expect: { va: number; expected: number; what: string }[];
} {
    const r = kmem_alloc(k, k.kernel_map!, 4096, "mach86 test table");
    if (r.kr) return { table: 0, count: 0, expect: [] };
    const base = k.params.vm_min_kernel_address;
    const pattern = 0x6d383600 | 0x86;
    kernel_write(k, r.addr + 0x800, new Uint8Array(new Uint32Array([pattern]).buffer));
    const expect = [
        {
            va: base + 0x9500,
            expected: k.mem.read32(0x9500),
            what: "MBI flags through the direct map",
        },
        {
            va: base + k.kernel_start,
            expected: k.mem.read32(k.kernel_start),
            what: "kernel image through the direct map",
        },
        { va: r.addr + 0x800, expected: pattern, what: "kmem_alloc'd page above the direct map" },
    ];
    // struct vm_page is written in guest RAM for the layouts the model knows (44 and 48 B).
    const phys_addr = VM_PAGE_LAYOUTS[k.params.vm_page_size]?.phys_addr;
    if (phys_addr !== undefined) {
        expect.push({
            va: k.vm_page_array + phys_addr,
            expected: VM_PAGE_TO_PHYS(k.vm_page!, 0),
            what: "vm_page[0].phys_addr in the stolen array",
        });
    }
    const table = new Uint32Array(expect.length * 2);
    expect.forEach((e, i) => {
        table[2 * i] = e.va >>> 0;
        table[2 * i + 1] = e.expected >>> 0;
    });
    kernel_write(k, r.addr, new Uint8Array(table.buffer));
    return { table: r.addr, count: expect.length, expect };
}

interface BootKernelResult {
    k: Kernel;
    outcome: BootOutcome | null;
    status: "ok" | "panic" | "stuck";
    reason: string;
    workload?: WorkloadResult;
}

/**
 * A test of the internal-error path, never set in normal use: with
 * MACH86_TEST_INJECT_ASSERT=SIZE, every boot with at least SIZE of RAM
 * fails an assert() right after kernel_create, as a bug in the model would.
 * The tests use it to check that such a bug is reported as an internal
 * error (exit 70), and that bisect and report --sweep stop on it.
 */
function injected_assert(k: Kernel): void {
    const at = process.env["MACH86_TEST_INJECT_ASSERT"];
    if (at === undefined) return;
    assert(
        k.mem.size < parse_size(at, "MACH86_TEST_INJECT_ASSERT"),
        `injected by MACH86_TEST_INJECT_ASSERT=${at} (a test of the internal-error path)`,
    );
}

/** Run the kernel bootstrap; a KernelPanic becomes the "panic" status. */
function boot_kernel(
    mem: PhysMem,
    mmu: Machine | null,
    req: KbootRequest,
    boot: BootInfo,
    mbi: number,
    print: (s: string) => void,
): BootKernelResult {
    const k = kernel_create(mem, mmu, req.params, mbi_parse(mem, mbi), {
        start: 0x100000,
        end: boot.kernelEnd,
        file: req.load.kernel.bytes,
    });
    injected_assert(k);
    // Mach starts some lines with "\r" to overwrite the last one; a log shows them on a new line.
    k.printf = (s: string) => {
        k.console.push(s);
        print(s.replace(/^\r/, "\n").replace(/ +$/, ""));
    };
    try {
        const outcome = kernel_boot(k, req.steps, req.points);
        if (outcome.stuck) return { k, outcome, status: "stuck", reason: outcome.stuck };
        if (!req.workload) return { k, outcome, status: "ok", reason: "" };
        const problem = workload_check(k, req.workload);
        if (problem) throw new UsageError(req.workload.name, problem);
        return { k, outcome, status: "ok", reason: "", workload: workload_run(k, req.workload) };
    } catch (e) {
        if (e instanceof KernelPanic)
            return { k, outcome: null, status: "panic", reason: e.panicMessage };
        throw e;
    }
}

/**
 * i386at_init's CR4 part: PGE (and PAE). The stub loads CR3 itself, but it
 * cannot turn PAE on while paging with 2-level tables, so for PAE the host
 * switches CR4 and CR3 together, as set_cr3 + set_cr4 do in Mach.
 */
function set_cr4(m: Machine, k: Kernel): void {
    const s = m.cpuState();
    const cr4 = s.cr4 | pmap_cr4_bits(k.kernel_pmap!);
    m.setPaging(s.cr0, k.params.pae ? pmap_cr3(k.kernel_pmap!) : s.cr3, cr4);
}

/** Why the stub faulted while touching its BSS, in terms of the boot mapping. */
function explain_trap(regs: Regs, params: LayoutParams, boot: BootInfo): string {
    const vector = regs.ebx;
    const cr2 = regs.esi >>> 0;
    const mappedEnd = params.vm_min_kernel_address + params.boot_ptps * PTP_SPAN;
    const imageEnd = params.vm_min_kernel_address + boot.kernelEnd;
    if (vector === 14 && cr2 >= mappedEnd) {
        const need = Math.ceil(boot.kernelEnd / PTP_SPAN);
        return (
            `page fault at ${hex32(cr2)} (eip ${hex32(regs.ebp)}, error ${regs.ecx}): PDE ${cr2 >>> 22} is not present — ` +
            `the kernel image ends at ${hex32(imageEnd)} but the boot page tables map only up to ${hex32(mappedEnd)} ` +
            `(boot_ptps=${params.boot_ptps} x 4 MiB); boot_ptps=${need} would map it`
        );
    }
    return `CPU exception ${vector} (error ${regs.ecx}) at eip ${hex32(regs.ebp)}, cr2 ${hex32(cr2)}`;
}

type Inspect = (r: KbootResult) => void | Promise<void>;

/** The run's Stop: the kernel's own verdict first (a panic, a stuck boot), else the machine's. */
function final_stop(run: StopReason, r: BootKernelResult | null): Stop {
    if (r?.status === "panic") return { kind: "panic", reason: r.reason };
    if (r?.status === "stuck") return { kind: "stuck", reason: r.reason };
    return run;
}

function final_status(stop: Stop, r: BootKernelResult | null): KbootResult["status"] {
    if (r) return r.status;
    return stop.kind === "timeout" ? "timeout" : "crash";
}

function final_reason(stop: Stop, r: BootKernelResult | null): string {
    if (r?.reason) return r.reason;
    switch (stop.kind) {
        case "crash":
            return stop.reason;
        case "timeout":
            return `timeout after ${stop.limit}`;
        default:
            return r ? "" : "the stub never made its BOOT hypercall";
    }
}

/**
 * Before the stub runs: every deferred byte the loader left but the
 * modules'. Until HC_DONE the stub reads only its image and bss, the boot
 * information, its boot page tables, the page tables the kernel returns
 * and the test words (images/mach86-kernel/README.md), never the modules:
 * their bytes stay deferred for the kernel's copies (Machine.deferWrites).
 */
function materialize_but_modules(m: Machine, boot: BootInfo): void {
    let at = 0;
    for (const mod of [...boot.modules].sort((a, b) => a.start - b.start)) {
        m.materialize(at, mod.start - at);
        at = Math.max(at, mod.end);
    }
    m.materialize(at, m.mem.size - at);
}

/** The test table and the words it names, which the stub reads after HC_BOOT. */
function materialize_tests(m: Machine, k: Kernel, tests: ReturnType<typeof test_words>): void {
    const words = [{ va: tests.table, len: 8 * tests.count }];
    for (const e of tests.expect) words.push({ va: e.va, len: 4 });
    for (const w of words) {
        const pa = w.len > 0 ? pmap_extract(k.kernel_pmap!, w.va) : 0;
        if (pa !== 0) m.materialize(pa, w.len);
    }
}

/** Boot on the v86 engine: the stub on the CPU, the kernel at HC_BOOT. */
async function kboot_v86(req: KbootRequest, inspect: Inspect): Promise<KbootResult> {
    const m = await Machine.create({
        memory: machine_ram_for(req.load.ramSize),
        sink: req.sink ? (c) => req.sink!(new TextDecoder().decode(c)) : undefined,
        debugconSink: req.debugconSink
            ? (c) => req.debugconSink!(new TextDecoder().decode(c))
            : undefined,
    });
    try {
        m.deferWrites();
        const boot = multiboot_load(m.mem, req.load);
        materialize_but_modules(m, boot);
        m.enter(boot.entry);
        let res: BootKernelResult | null = null;
        let tests: ReturnType<typeof test_words> | null = null;
        const checks: CheckResult[] = [];
        const kprint = (s: string) => m.console.write(s);
        let userStop: StopReason | null = null;
        /** An exception of the host side (a bug, a bad workload): thrown again after the run. */
        let hostError: { error: unknown } | null = null;
        const userStep = (fn: () => number): number => {
            const k = res!.k;
            try {
                const esp = fn();
                if (esp === 0) userStop = { kind: "exit", value: user_exit_code(k) };
                return esp;
            } catch (e) {
                if (!(e instanceof KernelPanic)) throw e;
                res = { ...res!, status: "panic", reason: e.panicMessage };
                userStop = { kind: "panic", reason: e.panicMessage };
                return 0;
            }
        };
        const hypercall = (r: Regs): void => {
            switch (r.eax) {
                case HC.PARAMS:
                    r.eax = req.params.vm_min_kernel_address;
                    r.ebx = req.params.boot_ptps;
                    r.ecx = 0;
                    r.edx = PIT_DIVISOR_HZ100;
                    return;
                case HC.BOOT:
                    res = boot_kernel(m.mem, m, req, boot, r.ebx, kprint);
                    if (res.status !== "ok") {
                        r.eax = 0;
                        m.stop({ kind: "panic", reason: res.reason });
                        return;
                    }
                    tests = test_words(res.k);
                    materialize_tests(m, res.k, tests);
                    r.eax = pmap_cr3(res.k.kernel_pmap!);
                    r.ebx = tests.table;
                    r.ecx = tests.count;
                    set_cr4(m, res.k);
                    return;
                case HC.CHECK: {
                    const e = tests?.expect[r.ebp];
                    checks.push({
                        va: r.ebx,
                        value: r.ecx,
                        expected: e?.expected ?? -1,
                        what: e?.what ?? "?",
                    });
                    return;
                }
                case HC.DONE:
                    if (res?.k.sched && res.k.sched.runq.length > 0 && !req.workload) {
                        m.materializeAll(); // user tasks may read any of RAM
                        r.eax = 1;
                        return;
                    }
                    // The boot is complete: the stub halts (cli; hlt), and the run ends there.
                    r.eax = 0;
                    return;
                case HC.RUN:
                    m.materializeAll();
                    r.eax = userStep(() => user_start(booted(res!.k), r.esi));
                    if (userStop) m.stop(userStop);
                    return;
                case HC.TRAP:
                    m.materializeAll();
                    if (res?.k.sched && frame_is_user(booted(res.k), r.edi)) {
                        r.eax = userStep(() => user_trap(booted(res!.k), r.edi, r.esi));
                        if (userStop) m.stop(userStop);
                        return;
                    }
                    r.eax = 0;
                    m.stop({ kind: "crash", reason: explain_trap(r, req.params, boot) });
                    return;
                default:
                    m.stop({ kind: "crash", reason: `unknown hypercall ${r.eax}` });
            }
        };
        m.onHypercall((r) => {
            try {
                hypercall(r);
            } catch (error) {
                hostError = { error };
                m.stop({ kind: "crash", reason: "host error" });
            }
        });
        if (req.screenWatch) m.watchScreen(req.screenWatch);
        const run = await m.run({ maxInstructions: 2_000_000_000, ...req.limits });
        if (hostError) throw (hostError as { error: unknown }).error;
        const r = res as BootKernelResult | null;
        const stop = final_stop(run.stop, r);
        const result: KbootResult = {
            stop,
            status: final_status(stop, r),
            reason: final_reason(stop, r),
            kernel: r?.k ?? null,
            outcome: r?.outcome ?? null,
            boot,
            console: m.console.text(),
            debugcon: m.debugcon.text(),
            screen: m.screen() ?? null,
            checks,
            cpu: run.cpu,
            instructions: run.instructions,
            engine: "v86",
            workload: r?.workload,
            user: r?.k.sched ? user_summary(r.k, true) : undefined,
            cpu_translate: (va: number) => m.translate(va),
            paging: { cr0: run.cpu.cr0, cr3: run.cpu.cr3, cr4: run.cpu.cr4 },
        };
        // Inspect while guest RAM still exists (the machine is destroyed below).
        await inspect(result);
        return result;
    } finally {
        await m.destroy();
    }
}

/** Boot on the none engine: no CPU; the stub's part is done by the host. */
async function kboot_none(req: KbootRequest, inspect: Inspect): Promise<KbootResult> {
    const mem = new SparsePhysMem(req.load.ramSize);
    const boot = multiboot_load(mem, req.load);
    let console = "mach86-kernel stub\n";
    req.sink?.(console);
    const print = (s: string) => {
        console += s;
        req.sink?.(s);
    };
    const none = {
        checks: [],
        engine: "none" as const,
        cpu: null,
        instructions: null,
        boot,
        debugcon: "",
        screen: null,
    };
    const mappedEnd = req.params.boot_ptps * PTP_SPAN;
    if (boot.kernelEnd > mappedEnd) {
        const regs = {
            eax: 5,
            ebx: 14,
            ecx: 2,
            edx: 0,
            esi: req.params.vm_min_kernel_address + mappedEnd,
            edi: 0,
            ebp: 0,
        };
        const reason =
            explain_trap(regs, req.params, boot) + " (predicted: no CPU on the none engine)";
        const result: KbootResult = {
            ...none,
            stop: { kind: "crash", reason },
            status: "crash",
            reason,
            kernel: null,
            outcome: null,
            console,
        };
        await inspect(result);
        return result;
    }
    const r = boot_kernel(mem, null, req, boot, boot.mbiAddr, print);
    if (r.k.sched)
        print("mach86: the none engine has no CPU: the user tasks were loaded but not run\n");
    // A completed boot ends where the stub would halt (cli; hlt).
    const stop = final_stop({ kind: "halt" }, r);
    const result: KbootResult = {
        ...none,
        stop,
        status: r.status,
        reason: r.reason,
        kernel: r.k,
        outcome: r.outcome,
        console,
        workload: r.workload,
        user: r.k.sched ? user_summary(r.k, false) : undefined,
    };
    await inspect(result);
    return result;
}

/** Boot; `inspect` runs while guest RAM is still there (dumps, page-table walks). */
export async function kboot(req: KbootRequest, inspect: Inspect = () => {}): Promise<KbootResult> {
    check_ram(req.engine, req.load.ramSize);
    return req.engine === "v86" ? kboot_v86(req, inspect) : kboot_none(req, inspect);
}
