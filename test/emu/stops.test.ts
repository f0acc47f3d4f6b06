/*
 * Emu tier: every way out of the machine, against QEMU 7.2 -no-reboot
 * (test/fixtures/qemu/stops.txt, debugcon.txt, screen.txt, recorded by
 * record.sh), and stops that happen before the next guest instruction.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { StopReason } from "../../emulator/machine.ts";
import { ROOT, boot_guest, run_guest } from "./guest.ts";

const MIB = 1 << 20;

function fixture(name: string): string {
    return readFileSync(join(ROOT, "test/fixtures/qemu", name), "utf8");
}

/** QEMU's status and console for each how=N of images/stop. */
function qemu_stops(): Map<number, { status: number; console: string; trace: string[] }> {
    const out = new Map<number, { status: number; console: string; trace: string[] }>();
    let cur: { status: number; console: string; trace: string[] } | undefined;
    for (const line of fixture("stops.txt").split("\n")) {
        const head = /^how=(\d+) status=(\d+)$/.exec(line);
        if (head)
            out.set(Number(head[1]), (cur = { status: Number(head[2]), console: "", trace: [] }));
        else if (line.startsWith("  console: ")) cur!.console += `${line.slice(11)}\n`;
        else if (line.startsWith("  trace: ")) cur!.trace.push(line.slice(9));
    }
    return out;
}

/** What mach86 must say for each how=N, and the bytes of the instruction that stopped it (just before EIP). */
const EXPECT: Record<
    number,
    { stop: StopReason | { kind: string; cause?: string }; insn?: number[] }
> = {
    1: { stop: { kind: "reset", cause: "keyboard controller" }, insn: [0xe6, 0x64] },
    2: { stop: { kind: "reset", cause: "keyboard controller" }, insn: [0xe6, 0x60] },
    3: { stop: { kind: "reset", cause: "port 0xcf9" }, insn: [0xee] },
    4: { stop: { kind: "reset", cause: "port 0xcf9" }, insn: [0xee] },
    5: { stop: { kind: "exit", value: 5 }, insn: [0xe6, 0xf4] },
    6: { stop: { kind: "poweroff" }, insn: [0x66, 0xef] },
    7: { stop: { kind: "exit", value: 0x1234 }, insn: [0x66, 0xe7, 0xf4] },
    8: { stop: { kind: "exit", value: 7 }, insn: [0xe6, 0xf4] },
    9: { stop: { kind: "reset", cause: "triple fault" } },
};

/** QEMU's exit status for a mach86 stop: isa-debug-exit's (V << 1) | 1, else 0 (-no-reboot). */
function qemu_status(stop: StopReason): number {
    return stop.kind === "exit" ? ((stop.value << 1) | 1) & 0xff : 0;
}

describe("stops, as QEMU -no-reboot", () => {
    const qemu = qemu_stops();
    for (const [n, want] of Object.entries(EXPECT)) {
        it(`how=${n}: ${JSON.stringify(want.stop)}, before the next instruction`, async () => {
            const r = await run_guest({
                kernel: "build/images/stop.elf",
                cmdline: `how=${n}`,
                ramSize: 16 * MIB,
            });
            const { stop, cpu } = r.result;
            const insn = want.insn
                ? r.machine.mem.read(cpu.eip - want.insn.length, want.insn.length)
                : undefined;
            await r.machine.destroy();
            expect(stop).toMatchObject(want.stop);
            const q = qemu.get(Number(n))!;
            expect(r.console).toBe(`stop ${n}\n${n === "5" ? "no reset\n" : ""}`);
            // QEMU acts on a power-off request from its main loop, so the vCPU may run on a
            // little (it printed "after" in some recordings); mach86 stops at the OUT.
            if (stop.kind === "poweroff") expect(q.console.startsWith(r.console)).toBe(true);
            else expect(r.console).toBe(q.console);
            expect(qemu_status(stop)).toBe(q.status);
            // a power-off is a guest shutdown for QEMU; a reset under -no-reboot is not
            expect(q.trace.some((t) => /shutdown_request reason=6/.test(t))).toBe(
                stop.kind === "poweroff",
            );
            if (insn) expect([...insn]).toEqual(want.insn);
        });
    }

    it("how=10: a #DF a real CPU would deliver through gate 8 is a crash on v86 (QEMU runs the handler)", async () => {
        const r = await boot_guest({
            kernel: "build/images/stop.elf",
            cmdline: "how=10",
            ramSize: 16 * MIB,
        });
        expect(r.result.stop).toMatchObject({ kind: "crash" });
        expect(r.result.stop.kind === "crash" && r.result.stop.reason).toMatch(
            /double-fault handler \(gate 8\)/,
        );
        expect(qemu_stops().get(10)!.console).toBe("stop 10\ndouble fault\n");
        expect(r.console).toBe("stop 10\n");
    });

    it("the triple fault names what could not be delivered", async () => {
        const r = await boot_guest({ kernel: "build/images/triple.elf", ramSize: 16 * MIB });
        expect(r.result.stop).toMatchObject({ kind: "reset", cause: "triple fault" });
        expect(r.result.stop.kind === "reset" && r.result.stop.detail).toMatch(
            /gate 8 \(#DF\).*not present/,
        );
    });
});

describe("consoles and screen", () => {
    it("port 0xE9 is the debug console: its own stream, reads 0xE9, bytes only (QEMU drops an outw)", async () => {
        const r = await boot_guest({ kernel: "build/images/debugcon.elf", ramSize: 16 * MIB });
        const lines = fixture("debugcon.txt").split("\n");
        const com1 = lines.filter((l) => l.startsWith("com1: ")).map((l) => `${l.slice(6)}\n`);
        const dbg = lines.filter((l) => l.startsWith("debugcon: ")).map((l) => `${l.slice(10)}\n`);
        expect(r.result.stop).toEqual({ kind: "exit", value: 0 });
        expect(r.console).toBe(com1.join(""));
        expect(r.debugcon).toBe(dbg.join(""));
    });

    it("the text screen shows what the guest wrote at 0xB8000 (QEMU's also shows SeaBIOS's banner)", async () => {
        const r = await run_guest({ kernel: "build/images/screen.elf", ramSize: 16 * MIB });
        const screen = r.machine.screen()!;
        await r.machine.destroy();
        expect(r.result.stop).toEqual({ kind: "halt" });
        expect(screen.lines[0]).toBe("hello");
        expect(screen.lines[1]).toBe("          second row");
        expect(screen.lines.slice(2).every((l) => l === "")).toBe(true);
        const qemu = fixture("screen.txt")
            .split("\n")
            .filter((l) => l.startsWith("screen:"))
            .map((l) => l.slice(8));
        // the cells the guest wrote are the same; the rest of QEMU's screen is SeaBIOS's and iPXE's text
        expect(qemu[0]!.slice(0, 5)).toBe("hello");
        expect(qemu[1]!.slice(0, 20)).toBe("          second row");
        expect(screen.cells[1]).toBe(0x07);
    });

    it("a screen watch sees each change at deterministic points", async () => {
        const seen: [string, number][] = [];
        const watch = {
            everyInstructions: 1000,
            onChange: (s: { lines: string[] }, n: number) => seen.push([s.lines[0]!, n]),
        };
        const go = () =>
            boot_guest({
                kernel: "build/images/screen.elf",
                ramSize: 16 * MIB,
                before: (m) => m.watchScreen(watch),
            });
        await go();
        const first = seen.splice(0);
        await go();
        expect(first.at(-1)![0]).toBe("hello");
        expect(seen).toEqual(first);
    });
});
