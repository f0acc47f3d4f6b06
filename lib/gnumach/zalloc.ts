/*
 * lib/gnumach/zalloc.ts — the zones of a GNU Mach of the zone era (before
 * commit 7bc54a62, "Import the slab allocator", 2011-12-13), read from
 * kernel memory in the order of the all-zones list (`zone_t first_zone`,
 * linked through `next_zone`), with host_zone_info()'s columns: the model's
 * ZoneInfo shape (kernel/kern/zalloc.ts).
 *
 * Columns as host_zone_info() of kern/zalloc.c (1997–2011) fills them:
 * zi_count = count when the kernel was built with ZONE_COUNT (struct zone
 * then has `count`), else 0; cur_size, max_size, elem_size, alloc_size as
 * they are; pageable/exhaustible/collectable from `type` (ZONE_PAGEABLE
 * 0x1, ZONE_COLLECTABLE 0x2, ZONE_EXHAUSTIBLE 0x4, ZONE_FIXED 0x8, as in
 * kern/zalloc.h); zi_sleepable is never set by GNU Mach (false). `free` is
 * the length of the zone's free_elements list (each free element's first
 * word links to the next), counted here.
 *
 * Checked only against the images/dwarf fixture, whose struct zone follows
 * kern/zalloc.h of 2011 member for member: the four 2014 kernels mach86 is
 * tested with are all of the slab era and have no first_zone.
 */
import type { ZoneInfo } from "../../kernel/kern/zalloc.ts";
import type { KernelView } from "./view.ts";

const ZONE_PAGEABLE = 0x1;
const ZONE_COLLECTABLE = 0x2;
const ZONE_EXHAUSTIBLE = 0x4;
const ZONE_FIXED = 0x8;
const MAX_ZONES = 4096;

/** Whether this kernel has the zone allocator's all-zones list. */
export function has_zones(view: KernelView): boolean {
    return view.findVar("first_zone") !== undefined;
}

export function zone_info_read(view: KernelView, freeLimit = 1 << 20): ZoneInfo[] {
    const out: ZoneInfo[] = [];
    for (let z = view.var("first_zone").num(); z !== 0;) {
        if (out.length >= MAX_ZONES)
            throw new Error(`first_zone: more than ${MAX_ZONES} zones (a corrupt list?)`);
        const zone = view.at(z, "struct zone");
        const n = (p: string) => zone.get(p).num();
        const type = n("type");
        let free = 0;
        for (let e = n("free_elements"); e !== 0 && free < freeLimit; free++) {
            e = view.at(e, view.dbg.type("vm_offset_t")).num();
        }
        out.push({
            name: zone.get("zone_name").str(80).slice(0, 79),
            count: zone.has("count") ? n("count") : 0,
            cur_size: n("cur_size"),
            max_size: n("max_size"),
            elem_size: n("elem_size"),
            alloc_size: n("alloc_size"),
            pageable: (type & ZONE_PAGEABLE) !== 0,
            sleepable: false,
            exhaustible: (type & ZONE_EXHAUSTIBLE) !== 0,
            collectable: (type & ZONE_COLLECTABLE) !== 0,
            fixed: (type & ZONE_FIXED) !== 0,
            type,
            free,
            addr: z,
        });
        z = n("next_zone");
    }
    return out;
}
