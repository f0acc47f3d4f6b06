/*
 * lib/image.ts — image manifests (images/<name>/image.json) and layout
 * parameters from a preset and `--set name=value` overrides.
 *
 * A manifest names the kernel, the modules with their boot-script lines,
 * the kernel command line, default RAM and preset, and the steps the
 * image's first tasks make the kernel do (see images/debian-installer).
 * Its format is schemas/image-file.schema.json; a manifest that does not
 * conform is bad input (one line naming the file and the field).
 */
import { readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { BootStep } from "../kernel/kern/startup.ts";
import {
    DEFAULT_PRESET,
    is_param,
    param_names,
    params_validate,
    PARAM_ALIASES,
    preset_find,
    PRESETS,
    SIZE_PARAMS,
    SWITCH_WORDS,
    type LayoutParams,
} from "../kernel/presets.ts";
import { UsageError } from "./errors.ts";
import { check_input } from "./schema.ts";
import { parse_size } from "./units.ts";

export interface ImageModule {
    file: string;
    /** The path the boot loader reports to the guest (GRUB's file name), default: the file. */
    name: string;
    args: string;
    nounzip: boolean;
}

export interface ImageManifest {
    name: string;
    dir: string;
    description: string;
    kernel: string;
    /** The kernel path the guest sees as argv[0] of its command line. */
    kernel_name: string;
    cmdline: string;
    memory: string;
    preset: string;
    modules: ImageModule[];
    steps: BootStep[];
    /** The default pager's paging area ("96M"), as `--set swap_size=` before the command line's --set; "" = none. */
    swap: string;
    /** The loader profile the image asks for (undefined: the default, qemu). */
    loader?: string;
}

/** image.json as the schema describes it. */
interface ImageFile {
    name: string;
    description?: string;
    kernel: string;
    kernel_name?: string;
    cmdline?: string;
    memory?: string;
    preset?: string;
    swap?: string;
    loader?: string;
    modules?: { file: string; name?: string; args?: string; nounzip?: boolean }[];
    steps?: BootStep[];
}

function is_dir(path: string): boolean {
    try {
        return statSync(path).isDirectory();
    } catch {
        return false;
    }
}

/** Read images/<dir>/image.json; paths in it are relative to the manifest. */
export async function image_load(dir: string): Promise<ImageManifest> {
    if (!is_dir(dir)) throw new UsageError(dir, "no such image directory");
    const path = join(dir, "image.json");
    let text: string;
    try {
        text = readFileSync(path, "utf8");
    } catch {
        throw new UsageError(dir, "not an image: no image.json");
    }
    let doc: unknown;
    try {
        doc = JSON.parse(text);
    } catch (e) {
        throw new UsageError(path, `not valid JSON: ${(e as Error).message}`);
    }
    await check_input("image-file", doc, path);
    const f = doc as ImageFile;
    const base = dirname(resolve(path));
    return {
        name: f.name,
        dir: base,
        description: f.description ?? "",
        kernel: resolve(base, f.kernel),
        kernel_name: f.kernel_name ?? f.kernel,
        cmdline: f.cmdline ?? "",
        memory: f.memory ?? "256M",
        preset: f.preset ?? DEFAULT_PRESET,
        modules: (f.modules ?? []).map((m) => ({
            file: resolve(base, m.file),
            name: m.name ?? m.file,
            args: m.args ?? "",
            nounzip: m.nounzip ?? false,
        })),
        steps: f.steps ?? [],
        swap: f.swap ?? "",
        loader: f.loader,
    };
}

/** `--set` values as "name=value" strings, or as an object of name → value. */
export type ParamSets = readonly string[] | Readonly<Record<string, string | number>>;

/** "name=value" strings, whichever way the sets were given. */
export function set_strings(sets: ParamSets | undefined): string[] {
    if (sets === undefined) return [];
    if (Array.isArray(sets)) return [...(sets as readonly string[])];
    return Object.entries(sets).map(([k, v]) => `${k}=${v}`);
}

/** Layout parameters: the preset's, then each --set name=value. */
export function params_from(presetName: string, sets: readonly string[]): LayoutParams {
    const preset = preset_find(presetName);
    if (!preset) {
        throw new UsageError(
            "--preset",
            `unknown preset '${presetName}' (known: ${PRESETS.map((p) => p.name).join(", ")})`,
        );
    }
    const params: LayoutParams = { ...preset.params };
    for (const s of sets) {
        const eq = s.indexOf("=");
        const name = eq < 0 ? s : s.slice(0, eq);
        if (eq < 0) throw new UsageError("--set", `'${s}' is not name=value`);
        const value = s.slice(eq + 1);
        const alias = PARAM_ALIASES[name];
        if (alias) {
            const v = alias.values[value];
            if (v === undefined)
                throw new UsageError(
                    `--set ${name}`,
                    `'${value}' is not one of ${Object.keys(alias.values).join(", ")}`,
                );
            params[alias.param] = v;
            continue;
        }
        if (!is_param(name))
            throw new UsageError(
                "--set",
                `unknown parameter '${name}' (known: ${[...param_names(), ...Object.keys(PARAM_ALIASES)].join(", ")})`,
            );
        params[name] = param_value(name, value);
    }
    const problems = params_validate(params);
    if (problems.length) throw new UsageError("--set", problems[0]!);
    return params;
}

/** A parameter value: sizes take K/M/G, addresses take 0x…, counts are integers. */
export function param_value(name: keyof LayoutParams, text: string): number {
    if (SIZE_PARAMS.has(name)) return parse_size(text, `--set ${name}`);
    if (SWITCH_WORDS[text] !== undefined) return SWITCH_WORDS[text]!;
    const v = /^0x[0-9a-f]+$/i.test(text)
        ? parseInt(text, 16)
        : /^\d+$/.test(text)
          ? Number(text)
          : NaN;
    if (!Number.isSafeInteger(v))
        throw new UsageError(`--set ${name}`, `'${text}' is not a whole number`);
    return v;
}
