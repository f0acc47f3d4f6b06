/*
 * test/unit/kernel/kern/zalloc.exhaust.test.ts — zone_map exhaustion.
 *
 * Every ordinary zone takes its elements from zget_space, which never gives
 * memory back, and COLLECTABLE zones take whole chunks of zone_map; all of
 * them share zone_map. A fork-bomb-like workload (per "process": a task, two
 * threads, an IPC space, ports, map entries, a kalloc'd page and a few
 * small kalloc blocks — the zone names are Mach's, the sizes only of the
 * right order) panics with the era's message once a 12 MiB zone_map
 * (1997 – 2009-10) is full; the same workload completes in 64 MiB.
 */
import { describe, expect, it } from "vitest";
import { KernelPanic } from "../../../../kernel/kern/debug.ts";
import {
    ZALLOC_ERAS,
    ZONE_COLLECTABLE,
    ZONE_EXHAUSTIBLE,
    ZONE_PAGEABLE,
    kalloc_zone_init,
    zalloc,
    zalloc_panic_text,
    zinit,
    zkalloc,
    zone_bootstrap,
    zone_verify_all,
    type Zalloc,
    type ZallocEra,
    type Zone,
} from "../../../../kernel/kern/zalloc.ts";
import { zbackend } from "./zbackend.ts";

const MiB = 1024 * 1024;
const PG = 4096;
const PROCESSES = 2000;

interface Workload {
    z: Zalloc;
    /** Processes fully created. */
    made: number;
    /** The zone being allocated from when the panic came, and whether it is COLLECTABLE. */
    current: Zone | null;
    panic: string | null;
}

function forkBomb(era: ZallocEra, zoneMapSize: number, processes = PROCESSES): Workload {
    const b = zbackend(zoneMapSize, { physBytes: Math.min(zoneMapSize, 40 * MiB) + 4 * MiB });
    const z = zone_bootstrap(b, { zone_map_size: zoneMapSize, era });
    kalloc_zone_init(z);
    const task = zinit(z, 400, 1024 * 400, 8 * 400, 0, "tasks");
    const thread = zinit(z, 600, 1024 * 600, 8 * 600, 0, "threads");
    const space = zinit(z, 100, 1029 * 100, 100, 0, "ipc spaces");
    const port = zinit(z, 120, 46144 * 120, 120, 0, "ipc ports");
    const entry = zinit(z, 48, 4096 * 48, PG, 0, "non-kernel map entries");
    const w: Workload = { z, made: 0, current: null, panic: null };
    const take = (zone: Zone, n: number) => {
        for (let i = 0; i < n; i++) {
            w.current = zone;
            expect(zalloc(z, zone)).not.toBe(0);
        }
    };
    const kalloc = (size: number, n: number) => {
        for (let i = 0; i < n; i++) {
            const zone = z.k_zone[Math.log2(Math.max(16, 2 ** Math.ceil(Math.log2(size))))]!;
            w.current = zone;
            expect(zkalloc(z, size)).not.toBe(0);
        }
    };
    try {
        for (let p = 0; p < processes; p++) {
            take(task, 1);
            take(thread, 2);
            take(space, 1);
            take(port, 10);
            take(entry, 20);
            kalloc(PG, 1);
            kalloc(200, 4);
            w.made++;
        }
        w.current = null;
    } catch (e) {
        if (!(e instanceof KernelPanic)) throw e;
        w.panic = e.panicMessage;
    }
    return w;
}

/** The message Mach prints for `zone` running out of zone_map in `era`. */
function expectedPanic(era: ZallocEra, zone: Zone): string {
    const p = ZALLOC_ERAS[era];
    return zalloc_panic_text(
        (zone.type & ZONE_COLLECTABLE) !== 0 ? p.panic_wired : p.panic_space,
        zone.zone_name,
    );
}

describe("zone_map exhaustion", () => {
    for (const era of ["1997", "2009", "2011"] as const) {
        it(`era ${era}: the workload panics in a 12 MiB zone_map and completes in 64 MiB`, () => {
            const small = forkBomb(era, 12 * MiB);
            expect(small.panic).not.toBeNull();
            expect(small.made).toBeGreaterThan(500);
            expect(small.made).toBeLessThan(PROCESSES);
            expect(small.panic).toBe(expectedPanic(era, small.current!));
            if (era === "1997") expect(small.panic).toBe("zalloc");
            if (era === "2009") expect(small.panic).toMatch(/^zalloc: zone .+ exhausted$/);
            if (era === "2011")
                expect(small.panic).toMatch(/^zalloc: no (wired )?memory for zone .+$/);
            // zone_map is full: what is left cannot hold one more page.
            const b = small.z.backend;
            expect(b.pagealloc("zone_map", PG)).toBe(0);
            expect(zone_verify_all(small.z)).toEqual([]);

            const big = forkBomb(era, 64 * MiB);
            expect(big.panic).toBeNull();
            expect(big.made).toBe(PROCESSES);
            expect(zone_verify_all(big.z)).toEqual([]);
        });
    }

    it("2011: the exact message of each failure path (dc642e0d)", () => {
        const fill = (flags: number, name: string): string => {
            const b = zbackend(8 * PG);
            const z = zone_bootstrap(b, { zone_map_size: 8 * PG, era: "2011", zdata_size: PG });
            const zone = zinit(z, 1024, 64 * PG, PG, flags, name);
            try {
                for (;;) zalloc(z, zone);
            } catch (e) {
                if (e instanceof KernelPanic) return e.panicMessage;
                throw e;
            }
        };
        expect(fill(0, "ipc ports")).toBe("zalloc: no memory for zone ipc ports");
        expect(fill(ZONE_COLLECTABLE, "kalloc.4096")).toBe(
            "zalloc: no wired memory for zone kalloc.4096",
        );
        expect(fill(ZONE_PAGEABLE, "pageable")).toBe(
            "zalloc: no pageable memory for zone pageable",
        );
        // An EXHAUSTIBLE zone under its max_size still panics when zone_map itself is full.
        expect(fill(ZONE_EXHAUSTIBLE, "ipc tree entries")).toBe(
            "zalloc: no memory for zone ipc tree entries",
        );
    });

    it("the count at the panic scales with zone_map_size, as antrik measured in 2007 (8 → 4 MiB halves it)", () => {
        const at8 = forkBomb("2009", 8 * MiB).made;
        const at4 = forkBomb("2009", 4 * MiB).made;
        // zdata (420 KiB, outside zone_map) gives both a head start; the rest is proportional.
        expect(at4 / at8).toBeGreaterThan(0.45);
        expect(at4 / at8).toBeLessThan(0.6);
    });
});
