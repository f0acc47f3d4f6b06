/*
 * kernel/default_pager/default_pager.ts — the default pager's paging area
 * (GNU Mach's default_pager, serverboot/default_pager.c of the 1990s and
 * the Hurd's mach-defpager after it): where anonymous memory goes when the
 * pageout daemon needs its page frames.
 *
 * Departures: Mach's default pager is a user task that receives
 * memory_object_data_write messages and writes a swap partition; mach86
 * runs it inside the kernel, synchronously, on a paging area the image
 * configures (`swap` in image.json, `--set swap_size=…`). The area is a
 * "partition" of whole 4 KiB slots held in host memory (only written slots
 * take host memory). Slots are handed out lowest-first, so a run is
 * deterministic. Running out of slots is reported to the pageout daemon
 * (the page stays resident), never silent.
 */
import { assert } from "../kern/debug.ts";

const PAGE_SIZE = 4096;

export interface DefaultPager {
    /** Slots in the paging area (0: no paging area configured). */
    nslots: number;
    used: number;
    /** Lowest slot that may be free. */
    hint: number;
    inuse: Uint8Array;
    data: Map<number, Uint8Array>;
    /** Pages written (data_write) and read back (data_request). */
    writes: number;
    reads: number;
    /** Page-outs refused because every slot was in use. */
    full: number;
}

export function default_pager_create(bytes: number): DefaultPager {
    const nslots = Math.floor(bytes / PAGE_SIZE);
    return {
        nslots,
        used: 0,
        hint: 0,
        inuse: new Uint8Array(nslots),
        data: new Map(),
        writes: 0,
        reads: 0,
        full: 0,
    };
}

/** A free slot, or −1 when the paging area is full (or absent). */
export function default_pager_slot_alloc(dp: DefaultPager): number {
    for (let s = dp.hint; s < dp.nslots; s++) {
        if (dp.inuse[s]) continue;
        dp.inuse[s] = 1;
        dp.used++;
        dp.hint = s + 1;
        return s;
    }
    dp.full++;
    return -1;
}

export function default_pager_slot_free(dp: DefaultPager, slot: number): void {
    assert(dp.inuse[slot] === 1, () => `default_pager: slot ${slot} freed twice`);
    dp.inuse[slot] = 0;
    dp.used--;
    dp.data.delete(slot);
    if (slot < dp.hint) dp.hint = slot;
}

/** memory_object_data_write: keep a copy of one page. */
export function default_pager_write(dp: DefaultPager, slot: number, page: Uint8Array): void {
    assert(
        dp.inuse[slot] === 1 && page.length === PAGE_SIZE,
        () => `default_pager: bad write to slot ${slot}`,
    );
    dp.data.set(slot, page.slice());
    dp.writes++;
}

/** memory_object_data_request: the page as written. */
export function default_pager_read(dp: DefaultPager, slot: number): Uint8Array {
    const page = dp.data.get(slot);
    assert(page !== undefined, () => `default_pager: slot ${slot} read before it was written`);
    dp.reads++;
    return page;
}

export function default_pager_verify(dp: DefaultPager): string[] {
    const out: string[] = [];
    let n = 0;
    for (let s = 0; s < dp.nslots; s++) {
        if (dp.inuse[s]) n++;
        else if (s < dp.hint) out.push(`slot ${s} is free below the hint ${dp.hint}`);
    }
    if (n !== dp.used) out.push(`used ${dp.used} != ${n} slots in use`);
    for (const s of dp.data.keys()) if (!dp.inuse[s]) out.push(`slot ${s} holds data but is free`);
    return out;
}

export function default_pager_info(dp: DefaultPager, print: (line: string) => void): void {
    if (dp.nslots === 0) {
        print("default pager: no paging area");
        return;
    }
    print(
        `default pager: ${dp.nslots} slots (${dp.nslots * 4} KiB), ${dp.used} in use, ` +
            `${dp.writes} pages written, ${dp.reads} read back, ${dp.full} refused (full)`,
    );
}
