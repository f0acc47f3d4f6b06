/*
 * emulator/platform.ts — the board's control ports: how a guest leaves the
 * machine, and the debug console.
 *
 * - 0xF4, QEMU's isa-debug-exit (iobase 0xf4, iosize 4): a write of any width
 *   stops the machine with the value written (QEMU exits with (V << 1) | 1).
 * - 0xE9, QEMU's isa-debugcon and Bochs's port_e9_hack: each byte written is
 *   debug-console output; a read returns 0xE9 (how guests detect it).
 * - 0x64, the 8042: a pulse-output command with bit 0 clear (0xF0–0xFE even,
 *   0xFE the usual one) resets, as does command 0xD1 (write output port)
 *   followed by a data byte with bit 0 (the reset line) clear; everything
 *   else goes on to v86's keyboard controller. QEMU's pc keyboard controller
 *   does the same.
 * - 0xCF9, the PIIX reset control register: a write with bit 2 (RST_CPU) set
 *   resets (0x06, 0x0E, 0x04), as QEMU's PIIX3 does; other writes go to v86's
 *   PCI host (which would reboot into a BIOS that is not there).
 * - 0x604, PM1a_CNT of QEMU's pc machine (PM base 0x600 as SeaBIOS programs
 *   the PIIX4 PM function): a 16-bit write with SLP_EN (bit 13) and sleep type
 *   0 — QEMU's S5 — powers off. v86's own ACPI block (0xB000) has no
 *   power-off.
 * Each of these stops the machine before the next guest instruction.
 */
import type { V86Cpu } from "./v86_internals.ts";
import { hex_digits } from "../util/hex.ts";

export const EXIT_PORT = 0xf4;
export const DEBUGCON_PORT = 0xe9;
export const KBC_COMMAND_PORT = 0x64;
export const KBC_DATA_PORT = 0x60;
export const RESET_CONTROL_PORT = 0xcf9;
export const PM1A_CNT_PORT = 0x604;

export type PlatformEvent =
    | { kind: "exit"; value: number }
    | { kind: "reset"; cause: "keyboard controller" | "port 0xcf9"; detail: string }
    | { kind: "poweroff"; cause: string };

export function platform_install(
    cpu: V86Cpu,
    stop: (e: PlatformEvent) => void,
    debugByte: (byte: number) => void,
): void {
    const exit = (v: number) => stop({ kind: "exit", value: v >>> 0 });
    cpu.onWrite8(EXIT_PORT, exit);
    cpu.onWrite16(EXIT_PORT, exit);
    cpu.onWrite32(EXIT_PORT, exit);

    cpu.onWrite8(DEBUGCON_PORT, (b) => debugByte(b & 0xff));
    cpu.onRead8(DEBUGCON_PORT, () => DEBUGCON_PORT);

    let writeOutputPort = false;
    cpu.interceptWrite8(KBC_COMMAND_PORT, (v, pass) => {
        writeOutputPort = v === 0xd1;
        if ((v & 0xf0) === 0xf0 && !(v & 1)) {
            stop({
                kind: "reset",
                cause: "keyboard controller",
                detail: `command ${hex_digits(v, 2)} to port 0x64`,
            });
        } else pass();
    });
    cpu.interceptWrite8(KBC_DATA_PORT, (v, pass) => {
        const reset = writeOutputPort && !(v & 1);
        writeOutputPort = false;
        if (reset) {
            stop({
                kind: "reset",
                cause: "keyboard controller",
                detail: `output port ${hex_digits(v, 2)} (reset line low) after command 0xd1`,
            });
        } else pass();
    });

    cpu.interceptWrite8(RESET_CONTROL_PORT, (v, pass) => {
        if (v & 4)
            stop({
                kind: "reset",
                cause: "port 0xcf9",
                detail: `${hex_digits(v, 2)} to port 0xcf9`,
            });
        else pass();
    });

    cpu.onWrite16(PM1A_CNT_PORT, (v) => {
        if (v & 0x2000 && ((v >> 10) & 7) === 0) {
            stop({
                kind: "poweroff",
                cause: `ACPI S5: ${hex_digits(v, 2)} to PM1a_CNT (port 0x604)`,
            });
        }
    });
}
