/*
 * Boot tier: the modelled GNU Mach kernel booting images/debian-installer —
 * the 2014 d-i layout bug reproduced, explained and bisected, on both engines.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { page_walk } from "../../emulator/pagewalk.ts";
import { pmap_extract } from "../../kernel/i386/pmap.ts";
import type { Layout } from "../../kernel/layout.ts";
import { bisect, bootImage } from "../../lib/index.ts";
import { kernel_verify } from "../../kernel/kern/kernel_verify.ts";
import { preset_find } from "../../kernel/presets.ts";
import { ROOT, cli } from "./helpers.ts";

const DI = join(ROOT, "images/debian-installer");
const MiB = 1024 * 1024;
/** What GNU Mach printed for kernel_map->size at "multiboot modules" on real hardware, Feb 2014. */
const HISTORICAL_KERNEL_MAP_SIZE = 2110210048;

describe("d-i, debian-2014-fix (kmem_map 96 MiB)", () => {
    it("boots at 1856M on the CPU; the 2014 figure lies between QEMU's -m 1856 machine and the truncated one; CPU reads through the new tables", async () => {
        const r = await bootImage({ image: DI, preset: "debian-2014-fix", memory: "1856M" });
        expect(r.status).toBe("ok");
        // QEMU -m 1856: RAM ends 128 KiB below 1856 MiB, under GNU Mach's 1855 MiB limit.
        expect(r.console).not.toContain("Truncating memory");
        expect(r.console).toContain("3 multiboot modules");
        const size = r.kernel!.kernel_map_size_at_modules;
        // From -m 1857 on, GNU Mach truncates RAM to 1855 MiB and kernel_map stops growing.
        const t = await bootImage({
            image: DI,
            preset: "debian-2014-fix",
            memory: "1857M",
            engine: "none",
        });
        expect(t.console).toContain("Truncating memory to 1855MiB");
        const truncated = t.kernel!.kernel_map_size_at_modules;
        const mib = (n: number) => ((n - HISTORICAL_KERNEL_MAP_SIZE) / MiB).toFixed(3);
        console.log(
            `kernel_map->size at "multiboot modules": -m 1856 ${size} (${mib(size)} MiB from history), ` +
                `truncated ${truncated} (${mib(truncated)} MiB); history ${HISTORICAL_KERNEL_MAP_SIZE}`,
        );
        // The 2014 machine's RAM end is not known; its figure must lie between the two machines'.
        expect(size).toBeLessThan(HISTORICAL_KERNEL_MAP_SIZE);
        expect(truncated).toBeGreaterThan(HISTORICAL_KERNEL_MAP_SIZE);
        expect(r.checks.length).toBeGreaterThanOrEqual(4);
        for (const c of r.checks) expect(c.value, c.what).toBe(c.expected);
        expect(kernel_verify(r.kernel!)).toEqual([]);
    });

    it("boots at every RAM size of a 128M..2047M sweep on the none engine (and the cliff region MiB by MiB)", async () => {
        const sizes = new Set<number>();
        for (let m = 128; m <= 2047; m += 31) sizes.add(m);
        for (let m = 1780; m <= 1860; m++) sizes.add(m);
        sizes.add(2047);
        for (const m of [...sizes].sort((a, b) => a - b)) {
            const r = await bootImage({
                image: DI,
                preset: "debian-2014-fix",
                engine: "none",
                memory: m * MiB,
            });
            expect(r.status, `${m}M: ${r.reason}`).toBe("ok");
            if (m % 31 === 128 % 31) expect(kernel_verify(r.kernel!), `${m}M`).toEqual([]);
            // As the real kernels under QEMU 7.2 (test/fixtures/qemu/gnumach): -m 1857 truncates, 1856 not.
            expect(
                r.console.includes("Truncating memory to 1855MiB"),
                `${m}M truncation message`,
            ).toBe(m >= 1857);
        }
    });

    it("layout is identical on both engines, and its terms add up to kernel_map->size", async () => {
        const points = new Set(["modules" as const]);
        const a = await bootImage({ image: DI, memory: "1856M", points });
        const b = await bootImage({ image: DI, memory: "1856M", engine: "none", points });
        const la = a.kernel!.snapshots.get("modules") as Layout;
        const lb = b.kernel!.snapshots.get("modules") as Layout;
        expect(la).toEqual(lb);
        const sum = la.terms.reduce((s, t) => s + t.size, 0);
        expect(sum).toBe(la.kernel_map.size);
        expect(la.kernel_map.size).toBe(a.kernel!.kernel_map_size_at_modules);
    });

    it("pmap_extract, the software walker and v86 agree on thousands of mapped kernel VAs", async () => {
        let compared = 0;
        await bootImage({
            image: DI,
            memory: "512M",
            inspect: (r) => {
                const k = r.kernel!;
                const mode = r.paging!;
                let seed = 12345;
                const rnd = (n: number) => {
                    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
                    return seed % n;
                };
                const entries = k.kernel_map!.entries;
                for (let i = 0; i < 4000; i++) {
                    const e = entries[rnd(entries.length)]!;
                    const va =
                        (e.vme_start + rnd(Math.floor((e.vme_end - e.vme_start) / 4)) * 4) >>> 0;
                    const pa = pmap_extract(k.kernel_pmap!, va);
                    if (pa === 0) continue; // submap VA with no pages yet
                    expect(page_walk(k.mem, mode, va).pa, `walker at ${va.toString(16)}`).toBe(pa);
                    expect(r.cpu_translate!(va), `v86 at ${va.toString(16)}`).toBe(pa);
                    compared++;
                }
            },
        });
        expect(compared).toBeGreaterThan(2000);
    });
});

describe("d-i, debian-2014 (kmem_map 128 MiB): the cliff", () => {
    it("fails at 1856M and names the kernel_map request that failed", async () => {
        const r = await bootImage({ image: DI, preset: "debian-2014", memory: "1856M" });
        expect(r.status).toBe("stuck");
        expect(kernel_verify(r.kernel!)).toEqual([]);
        expect(r.kernel!.failed!.what).toMatch(
            /^kmem_alloc\(kernel_map, 6504448\) for device_read_alloc/,
        );
        expect(r.kernel!.console.join("")).toContain("no more room for kmem_alloc in kernel_map");
        const c = cli(["boot", DI, "--preset", "debian-2014", "--quiet"]);
        expect(c.code).toBe(1);
        expect(c.stderr).toMatch(/failed request: kmem_alloc\(kernel_map, 6504448\)/);
        expect(c.stderr).toMatch(/largest free range/);
    });

    it("bisect finds the largest bootable RAM, and kentry_pages / kmem_map_size move the cliff as the arithmetic predicts", async () => {
        const cliff = async (set: string[]) => {
            const r = await bisect({
                image: DI,
                preset: "debian-2014",
                set,
                engine: "none",
                param: "memory",
                range: "1024M..2047M",
            });
            expect(r.first_failing! - r.largest_booting!).toBe(MiB);
            expect(r.failure?.stop.kind).toBe("stuck");
            return r.largest_booting! / MiB;
        };
        const base = await cliff([]);
        console.log(
            `debian-2014 model cliff: boots at ${base}M, fails at ${base + 1}M (history: 1855M / 1856M)`,
        );
        // Each MiB of RAM costs (vm_page + 12 B pv + 1 B attr + 1/8 B lock) per 4 KiB page of kernel_map.
        const vm_page = preset_find("debian-2014")!.params.vm_page_size;
        expect(vm_page).toBe(48); // Debian 1.4-4 is v1.4-based
        const perMiB = ((vm_page + 12 + 1 + 0.125) * 256) / MiB;
        const moreKentry = await cliff(["kentry_pages=512"]);
        expect(Math.abs(base - moreKentry - 1 / perMiB)).toBeLessThan(3);
        // Half a MiB less kmem_map: the cliff moves up by 0.5 / perMiB ≈ 36 MiB (a whole MiB would move
        // it past the 1856M truncation point, above which kernel_map stops growing with RAM).
        const smallerKmem = await cliff(["kmem_map_size=130560K"]);
        expect(Math.abs(smallerKmem - base - 0.5 / perMiB)).toBeLessThan(3);
    });
});

describe("other presets and the boot mapping", () => {
    it("upstream-2014 truncates memory at 831 MiB", async () => {
        const r = await bootImage({
            image: DI,
            preset: "upstream-2014",
            memory: "1024M",
            engine: "none",
        });
        expect(r.console).toContain("Truncating memory to 831MiB");
    });

    it("kernel_bss=5M faults on the CPU with one boot PTP and is explained; boot_ptps=2 boots", async () => {
        const bad = await bootImage({ image: DI, memory: "256M", set: ["kernel_bss=5M"] });
        expect(bad.status).toBe("crash");
        expect(bad.reason).toMatch(
            /page fault at 0x80400000 .*PDE 513 is not present.*boot_ptps=1 x 4 MiB.*boot_ptps=2 would map it/,
        );
        const good = await bootImage({
            image: DI,
            memory: "256M",
            set: ["kernel_bss=5M", "boot_ptps=2"],
        });
        expect(good.status).toBe("ok");
    });

    it("PAE page tables: the CPU runs on them too (host turns CR4.PAE on with the new CR3)", async () => {
        const r = await bootImage({
            image: DI,
            memory: "512M",
            set: ["pae=1"],
            inspect: (res) => {
                expect(res.paging!.cr4 & 0x20).toBe(0x20);
                const k = res.kernel!;
                for (const va of [k.vm_page_array, k.kernel_virtual_start, 0x80009500]) {
                    expect(res.cpu_translate!(va)).toBe(pmap_extract(k.kernel_pmap!, va));
                }
            },
        });
        expect(r.status).toBe("ok");
        for (const c of r.checks) expect(c.value, c.what).toBe(c.expected);
    });

    it("bad layouts are one-line errors with exit 2", () => {
        for (const args of [
            ["--preset", "nope"],
            ["--set", "frob=1"],
            ["--set", "kmem_map_size=lots"],
            ["--set", "kmem_map_size=190M"],
            ["--memory", "3G"],
        ]) {
            const r = cli(["boot", DI, ...args]);
            expect(r.code, args.join(" ")).toBe(2);
            expect(r.stderr.trim().split("\n")).toHaveLength(1);
        }
    });
});
