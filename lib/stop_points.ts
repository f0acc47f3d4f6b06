/*
 * lib/stop_points.ts — where a real-kernel boot stops so that the host can
 * look inside it: `--stop-at modules`, `--stop-at console:REGEX` or
 * `--stop-at SYMBOL`. The stop is a Stop of kind "stop_point" whose `point`
 * is the text the user gave.
 *
 * - modules: the line GNU Mach's boot script prints once it has parsed the
 *   module list ("N multiboot modules", kern/bootstrap.c). The kernel
 *   overwrites its module lines in place with "\r", so the line is the text
 *   a terminal would show: the last non-blank "\r" segment before the "\n".
 *   The run stops on that "\n", inside the kernel's console output routine,
 *   before bootstrap goes on to create the first task.
 * - console:REGEX: the first time the console's current line (the text
 *   since the last "\n" or "\r") matches REGEX, tested after every byte.
 * - SYMBOL: the first time execution reaches the symbol's address (from the
 *   kernel ELF's .symtab), through a software breakpoint
 *   (emulator/breakpoints.ts) that restores the guest's bytes at the stop.
 *
 * Everything is resolved before the machine exists: an unknown symbol or a
 * bad regex is a UsageError naming --stop-at.
 */
import type { Machine } from "../emulator/machine.ts";
import type { DebugInfo } from "./debuginfo/debuginfo.ts";
import { UsageError } from "./errors.ts";

export type StopPoint =
    | { kind: "modules"; label: string }
    | { kind: "console"; label: string; re: RegExp }
    | { kind: "symbol"; label: string; va: number; phys: number };

const MODULES_LINE = /^\s*\d+ multiboot modules\s*$/;
/** A C identifier (GNU Mach's symbols; `.` for the few local labels gcc emits). */
const SYMBOL_RE = /^[A-Za-z_.$][A-Za-z0-9_.$]*$/;

/** One ELF program header of type PT_LOAD: virtual and physical address, file size. */
interface LoadSegment {
    vaddr: number;
    paddr: number;
    memsz: number;
}

/** The PT_LOAD program headers of an ELF32 file (the breakpoint needs the physical address). */
function load_segments(bytes: Uint8Array): LoadSegment[] {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.length < 52) return [];
    const phoff = dv.getUint32(28, true);
    const phentsize = dv.getUint16(42, true);
    const phnum = dv.getUint16(44, true);
    const out: LoadSegment[] = [];
    for (let i = 0; i < phnum; i++) {
        const o = phoff + i * phentsize;
        if (o + 32 > bytes.length) break;
        if (dv.getUint32(o, true) !== 1) continue; // PT_LOAD
        out.push({
            vaddr: dv.getUint32(o + 8, true),
            paddr: dv.getUint32(o + 12, true),
            memsz: dv.getUint32(o + 20, true),
        });
    }
    return out;
}

function symbol_point(text: string, dbg: DebugInfo, bytes: Uint8Array): StopPoint {
    const syms = dbg.elf.symbolsNamed(text).filter((s) => s.shndx !== 0 && s.type !== "object");
    if (syms.length === 0)
        throw new UsageError(
            "--stop-at",
            `'${text}' is not modules, console:REGEX or a code symbol of ${dbg.path}`,
        );
    const vas = [...new Set(syms.map((s) => s.value))];
    if (vas.length > 1)
        throw new UsageError(
            "--stop-at",
            `${vas.length} symbols are called '${text}' in ${dbg.path}`,
        );
    const va = vas[0]!;
    const seg = load_segments(bytes).find((s) => va >= s.vaddr && va < s.vaddr + s.memsz);
    if (!seg)
        throw new UsageError(
            "--stop-at",
            `'${text}' (0x${va.toString(16)}) is not in a loaded segment`,
        );
    return { kind: "symbol", label: text, va, phys: seg.paddr + (va - seg.vaddr) };
}

/**
 * A stop point from its text. `dbg` (the kernel's symbols) is only needed
 * for a symbol; `bytes` is the kernel file (its program headers place the
 * symbol in physical memory).
 */
export function stop_point_parse(
    text: string,
    kernel: { dbg: () => DebugInfo; bytes: Uint8Array },
): StopPoint {
    if (text === "modules") return { kind: "modules", label: "modules" };
    if (text.startsWith("console:")) {
        const src = text.slice("console:".length);
        if (!src) throw new UsageError("--stop-at", "console: needs a regular expression");
        try {
            return { kind: "console", label: text, re: new RegExp(src) };
        } catch (e) {
            const why =
                e instanceof Error ? e.message.replace(/^Invalid regular expression: /, "") : "";
            throw new UsageError("--stop-at", `'${src}' is not a regular expression (${why})`);
        }
    }
    if (!SYMBOL_RE.test(text))
        throw new UsageError("--stop-at", `'${text}' is not modules, console:REGEX or a symbol`);
    return symbol_point(text, kernel.dbg(), kernel.bytes);
}

/** Watch the console for a line-based stop point; stop the machine at the byte that completes it. */
function watch_console(m: Machine, p: StopPoint & { kind: "modules" | "console" }): void {
    let line = "";
    let segment = "";
    let stopped = false;
    const stop = () => {
        stopped = true;
        m.stop({ kind: "stop_point", point: p.label });
    };
    m.console.watch((b) => {
        if (stopped) return;
        const c = String.fromCharCode(b);
        if (p.kind === "console") {
            segment = b === 0x0a || b === 0x0d ? "" : segment + c;
            if (segment && p.re.test(segment)) stop();
            return;
        }
        if (b !== 0x0a) {
            line += c;
            return;
        }
        const shown = line.split("\r").filter((s) => s.trim() !== "");
        line = "";
        if (MODULES_LINE.test(shown.at(-1) ?? "")) stop();
    });
}

/** Arm a stop point on a machine whose kernel is loaded and not yet running. */
export function stop_point_arm(m: Machine, p: StopPoint): void {
    if (p.kind === "symbol") m.addBreakpoint({ phys: p.phys, label: p.label });
    else watch_console(m, p);
}
