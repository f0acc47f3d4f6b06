/*
 * lib/bisect.ts — bisect(): binary search for the largest value of RAM or
 * of one numeric layout parameter with which an image still boots (the
 * modelled kernel's status "ok"), e.g. the d-i RAM cliff of 2014.
 *
 * A panic, a stuck boot or a crash counts as "fails"; an internal error of
 * mach86 (a failed assert of the model) is not a result and stops the
 * search (the exception propagates).
 */
import { is_param, params_validate, SIZE_PARAMS, type LayoutParams } from "../kernel/presets.ts";
import { UsageError } from "./errors.ts";
import { param_value } from "./image.ts";
import { check_ram, type KbootResult } from "./kboot.ts";
import {
    boot_prepared,
    prepare_image,
    release_ram,
    type ImageBootResult,
    type ImageOptions,
} from "./model.ts";
import { parse_size } from "./units.ts";

export interface BisectOptions extends ImageOptions {
    /** "memory" (default) or a layout parameter (kmem_map_size, kentry_pages, ...). */
    param?: string;
    /** "LOW..HIGH" in the parameter's unit (e.g. "64M..2047M"), or [low, high]. */
    range: string | readonly [number, number];
    /** Called after each boot of the search. */
    onTry?: (t: BisectTry) => void;
}

export interface BisectTry {
    value: number;
    boots: boolean;
    status: KbootResult["status"];
    reason: string;
}

export interface BisectResult {
    param: string;
    /** The search's granularity: 1 MiB for memory, 4 KiB for sizes, 1 for counts. */
    step: number;
    /** The largest value that boots (null: none in the range does). */
    largest_booting: number | null;
    /** The value above it, which fails (null: every value in the range boots). */
    first_failing: number | null;
    /** The boot at first_failing (or at LOW when nothing boots); its RAM is still readable. */
    failure: ImageBootResult | null;
    tries: BisectTry[];
}

function range_of(o: BisectOptions, parse: (t: string) => number): [low: number, high: number] {
    if (typeof o.range !== "string") return [o.range[0], o.range[1]];
    const [lo, hi, extra] = o.range.split("..");
    if (!lo || !hi || extra !== undefined)
        throw new UsageError("--range", `'${o.range}' is not LOW..HIGH`);
    return [parse(lo), parse(hi)];
}

/** Search the largest value of `o.param` in `o.range` that boots. */
export async function bisect(o: BisectOptions): Promise<BisectResult> {
    const param = o.param ?? "memory";
    const isMemory = param === "memory";
    if (!isMemory && !is_param(param))
        throw new UsageError("--param", `unknown parameter '${param}'`);
    const parse = (t: string) =>
        isMemory ? parse_size(t, "--range") : param_value(param as keyof LayoutParams, t);
    const step = isMemory ? 1 << 20 : SIZE_PARAMS.has(param as keyof LayoutParams) ? 4096 : 1;
    const [low, high] = range_of(o, parse);
    let lo = Math.ceil(low / step);
    let hi = Math.floor(high / step);
    if (lo > hi) throw new UsageError("--range", "LOW is above HIGH");
    const base = await prepare_image(o);
    for (const end of [lo * step, hi * step]) {
        if (isMemory) check_ram(base.engine, end);
        else {
            const problems = params_validate({ ...base.params, [param]: end });
            if (problems.length) throw new UsageError("--range", problems[0]!);
        }
    }
    const tries: BisectTry[] = [];
    const boots = new Map<number, boolean>();
    // Only the last failure is kept (hi only moves down): the RAM of every
    // other boot goes back for the next one to reuse.
    let failure: { n: number; r: ImageBootResult } | null = null;
    const attempt = async (n: number): Promise<boolean> => {
        const known = boots.get(n);
        if (known !== undefined) return known;
        const value = n * step;
        const prepared = isMemory
            ? { ...base, load: { ...base.load, ramSize: value } }
            : await prepare_image({ ...o, params: { ...base.params, [param]: value } });
        const r = await boot_prepared(prepared);
        const ok = r.status === "ok";
        boots.set(n, ok);
        const t = { value, boots: ok, status: r.status, reason: r.reason };
        tries.push(t);
        o.onTry?.(t);
        if (ok) release_ram(r);
        else {
            if (failure) release_ram(failure.r);
            failure = { n, r };
        }
        return ok;
    };
    const result = (good: number | null, bad: number | null): BisectResult => {
        const f = failure as { n: number; r: ImageBootResult } | null;
        return {
            param,
            step,
            largest_booting: good === null ? null : good * step,
            first_failing: bad === null ? null : bad * step,
            failure: bad !== null && f?.n === bad ? f.r : null,
            tries,
        };
    };
    if (!(await attempt(lo))) return result(null, lo);
    if (await attempt(hi)) return result(hi, null);
    while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (await attempt(mid)) lo = mid;
        else hi = mid;
    }
    return result(lo, hi);
}
