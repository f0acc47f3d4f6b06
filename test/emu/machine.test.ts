/*
 * Emu tier: the Machine's contract with v86 — host writes reach JIT-compiled
 * code, RAM sizes are exact or refused, and a finished machine leaves no
 * handle behind (the process exits by itself).
 */
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { buildSync } from "esbuild";
import { describe, expect, it } from "vitest";
import { Machine, ram_size_problem, V86_MAX_RAM } from "../../emulator/machine.ts";

const GDT = { gdtBase: 0, gdtLimit: 0 };
const ROOT = resolve(import.meta.dirname, "../..");

/*
 * Calls f() three million times (hot enough for v86 to JIT-compile it),
 * then exits with f()'s return value.
 *   0x100000: mov esp, 0x90000; mov ecx, 3000000
 *   loop:     call f; dec ecx; jnz loop; call f; out 0xf4, eax; jmp $
 *   0x100100: f: mov eax, 1; ret
 */
const MAIN = [
    0xbc, 0, 0, 9, 0, 0xb9, 0xc0, 0xc6, 0x2d, 0, 0xe8, 0xf1, 0, 0, 0, 0x49, 0x75, 0xf8, 0xe8, 0xe9,
    0, 0, 0, 0xe7, 0xf4, 0xeb, 0xfe,
];
const F = (ret: number) => [0xb8, ret, 0, 0, 0, 0xc3];

describe("Machine", () => {
    it("host writes to code invalidate v86's JIT (patched function takes effect)", async () => {
        const m = await Machine.create({ memory: 4 << 20 });
        m.mem.write(0x100000, Uint8Array.from(MAIN));
        m.mem.write(0x100100, Uint8Array.from(F(1)));
        m.enter({ eip: 0x100000, eax: 0, ebx: 0, ...GDT });
        expect((await m.run()).stop).toMatchObject({ kind: "exit", value: 1 });
        m.mem.write(0x100100, Uint8Array.from(F(2)));
        m.enter({ eip: 0x100000, eax: 0, ebx: 0, ...GDT });
        expect((await m.run()).stop).toMatchObject({ kind: "exit", value: 2 });
        m.mem.write32(0x100101, 3); // a 32-bit write path too
        m.enter({ eip: 0x100000, eax: 0, ebx: 0, ...GDT });
        expect((await m.run()).stop).toMatchObject({ kind: "exit", value: 3 });
        await m.destroy();
    });

    it("PhysMem over v86 RAM reads back what it wrote, 0xFF beyond RAM", async () => {
        const m = await Machine.create({ memory: 2 << 20 });
        expect(m.mem.size).toBe(2 << 20);
        m.mem.write32(0x1ffffc, 0xdeadbeef);
        expect(m.mem.read32(0x1ffffc)).toBe(0xdeadbeef);
        expect(m.mem.read16(0x1ffffe)).toBe(0xdead);
        expect(m.mem.read8(0x200000)).toBe(0xff);
        expect(m.mem.read32(0x1ffffe)).toBe(0xffffffff);
        m.mem.fill(0x1000, 16, 0xab);
        expect([...m.mem.read(0xfff, 18)]).toEqual([0, ...Array(16).fill(0xab), 0]);
        await m.destroy();
    });

    it("RAM sizes are exact or refused, never clamped", async () => {
        expect(ram_size_problem(V86_MAX_RAM)).toBeUndefined();
        expect(ram_size_problem(V86_MAX_RAM + 128 * 1024)).toMatch(/cap/);
        expect(ram_size_problem(2 ** 32)).toMatch(/cap/);
        expect(ram_size_problem(1 << 20)).toMatch(/minimum/);
        expect(ram_size_problem((64 << 20) + 4096)).toMatch(/128 KiB/);
        expect(ram_size_problem(-1)).toMatch(/minimum/);
        await expect(Machine.create({ memory: 2 ** 31 })).rejects.toThrow(RangeError);
        const m = await Machine.create({ memory: V86_MAX_RAM });
        expect(m.mem.size).toBe(V86_MAX_RAM);
        await m.destroy();
    });

    it("a destroyed machine leaves no handle: the process exits by itself", () => {
        // Bundle a tiny program with esbuild and run it in a plain node process
        // that never calls process.exit: it must end on its own.
        // (inside the repo, so the bundle resolves v86 from node_modules)
        const out = join(ROOT, "build/test", `exit-${process.pid}.mjs`);
        buildSync({
            stdin: {
                contents: `
                    import { Machine } from "./emulator/machine.ts";
                    const m = await Machine.create({ memory: 4 << 20 });
                    m.mem.write(0x100000, Uint8Array.from([0xb8, 5, 0, 0, 0, 0xe7, 0xf4, 0xeb, 0xfe]));
                    m.enter({ eip: 0x100000, eax: 0, ebx: 0, gdtBase: 0, gdtLimit: 0 });
                    const r = await m.run();
                    await m.destroy();
                    console.log("stopped", r.stop.kind, (r.stop.kind === "exit" ? r.stop.value : ""));`,
                resolveDir: ROOT,
                loader: "ts",
            },
            bundle: true,
            platform: "node",
            format: "esm",
            packages: "external",
            outfile: out,
            logLevel: "silent",
        });
        const r = spawnSync(process.execPath, [out], { encoding: "utf8", timeout: 30_000 });
        rmSync(out);
        expect(r.error).toBeUndefined(); // a spawnSync timeout would mean a leaked handle
        expect(r.stdout).toContain("stopped exit 5");
        expect(r.status).toBe(0);
    });
});
