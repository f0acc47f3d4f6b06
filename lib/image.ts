/*
 * cli/image.ts — image manifests (images/<name>/image.json) and layout
 * parameters from --preset / --set.
 *
 * A manifest names the kernel, the modules with their boot-script lines,
 * the kernel command line, default RAM and preset, and the steps the
 * image's first tasks make the kernel do (see images/debian-installer).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
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
import { parse_size, UsageError } from "./units.ts";

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
}

function field<T>(
    doc: Record<string, unknown>,
    key: string,
    type: string,
    path: string,
    dflt?: T,
): T {
    const v = doc[key];
    if (v === undefined && dflt !== undefined) return dflt;
    if (typeof v !== type) throw new UsageError(path, `field '${key}' must be a ${type}`);
    return v as T;
}

/** Read images/<dir>/image.json; paths in it are relative to the manifest. */
export function image_load(dir: string): ImageManifest {
    const path = join(dir, "image.json");
    if (!existsSync(dir) || !statSync(dir).isDirectory())
        throw new UsageError(dir, "no such image directory");
    if (!existsSync(path)) throw new UsageError(dir, "not an image: no image.json");
    let doc: Record<string, unknown>;
    try {
        doc = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
    } catch (e) {
        throw new UsageError(path, `not valid JSON: ${(e as Error).message}`);
    }
    const base = dirname(resolve(path));
    const mods = field<unknown[]>(doc, "modules", "object", path, []);
    return {
        name: field(doc, "name", "string", path),
        dir: base,
        description: field(doc, "description", "string", path, ""),
        kernel: resolve(base, field<string>(doc, "kernel", "string", path)),
        kernel_name: field(
            doc,
            "kernel_name",
            "string",
            path,
            field<string>(doc, "kernel", "string", path),
        ),
        cmdline: field(doc, "cmdline", "string", path, ""),
        memory: field(doc, "memory", "string", path, "256M"),
        preset: field(doc, "preset", "string", path, DEFAULT_PRESET),
        modules: mods.map((m, i) => {
            const o = m as Record<string, unknown>;
            const where = `${path}: modules[${i}]`;
            return {
                file: resolve(base, field<string>(o, "file", "string", where)),
                name: field(o, "name", "string", where, field<string>(o, "file", "string", where)),
                args: field(o, "args", "string", where, ""),
                nounzip: field(o, "nounzip", "boolean", where, false),
            };
        }),
        steps: field<BootStep[]>(doc, "steps", "object", path, []),
        swap: field(doc, "swap", "string", path, ""),
    };
}

/** Layout parameters: the preset's, then each --set name=value. */
export function params_from(presetName: string, sets: string[]): LayoutParams {
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
    if (problems.length) throw new UsageError("layout", problems[0]!);
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
