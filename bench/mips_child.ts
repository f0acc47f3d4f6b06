/*
 * bench/mips_child.ts — one guest-speed measurement in a fresh process.
 *
 *   node build/bench/mips_child.mjs mach86|v86|v86-default-flags spin.elf
 *
 * mach86: the kernel loaded by mach86's loader and run by emulator/Machine.
 * v86: the reference — the bare npm package booting the same ELF through its
 * own multiboot option and its own scheduler (public API only), with the V8
 * flags mach86 sets (WASM_TIERING_BUDGET, WASM_LAZY_VALIDATION), set the same
 * way before v86.wasm is compiled, and JIT_TIERING_BUDGET once it is running
 * (before its first JIT module), so the two compare emulators and not V8
 * settings.
 * v86-default-flags: the same with V8's defaults (the old baseline). Both time
 * the run from the first instruction to the console line "spin done" and
 * print MIPS = guest instructions / wall µs. bench/user.ts also runs the
 * ELFs of bench/native/compute_mb.S here (they print the same line).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { V86 } from "v86"; // eslint-disable-line @typescript-eslint/no-restricted-imports -- bare reference
import { multiboot_load } from "../boot/index.ts";
import { Machine } from "../emulator/machine.ts";
import {
    JIT_TIERING_BUDGET,
    WASM_LAZY_VALIDATION,
    WASM_TIERING_BUDGET,
} from "../emulator/v86_internals.ts";

const [mode, kernel] = process.argv.slice(2);
const bytes = new Uint8Array(readFileSync(kernel!));

async function runMach86(): Promise<void> {
    const m = await Machine.create({ memory: 64 << 20 });
    const info = multiboot_load(m.mem, {
        kernel: { path: kernel!, bytes },
        modules: [],
        cmdline: "",
        ramSize: 64 << 20,
    });
    m.enter(info.entry);
    const r = await m.run();
    if (!m.console.text().includes("spin done"))
        throw new Error("spin did not finish: " + m.console.text());
    console.log(
        `MIPS=${(r.instructions / (r.wallMs * 1000)).toFixed(1)} instructions=${r.instructions} ms=${r.wallMs.toFixed(1)}`,
    );
    await m.destroy();
}

function runBare(): void {
    // v86's multiboot mode turns the guest's exit-port write into `throw "HALT"`.
    process.on("uncaughtException", (e: unknown) => {
        if (e !== "HALT") throw e;
    });
    const wasm = join(dirname(createRequire(import.meta.url).resolve("v86")), "v86.wasm");
    const emu = new V86({
        wasm_path: wasm,
        memory_size: 64 << 20,
        multiboot: { buffer: bytes.buffer },
        autostart: true,
        disable_keyboard: true,
        disable_mouse: true,
        disable_speaker: true,
    } as never);
    let t0 = 0;
    let line = "";
    emu.add_listener("emulator-started", () => {
        if (mode === "v86") setFlagsFromString(JIT_TIERING_BUDGET);
        t0 = performance.now();
    });
    emu.add_listener("serial0-output-byte", (b: number) => {
        line += String.fromCharCode(b);
        if (!line.includes("spin done")) return;
        const ms = performance.now() - t0;
        const n = emu.get_instruction_counter();
        console.log(`MIPS=${(n / (ms * 1000)).toFixed(1)} instructions=${n} ms=${ms.toFixed(1)}`);
        line = "";
        emu.destroy();
        setTimeout(() => process.exit(0), 10);
    });
}

if (mode === "mach86") await runMach86();
else {
    if (mode === "v86") {
        setFlagsFromString(WASM_TIERING_BUDGET);
        setFlagsFromString(WASM_LAZY_VALIDATION);
    }
    runBare();
}
