/*
 * cli/argv.ts — what yargs cannot tell: the order of --module and
 * --module-nounzip across each other (yargs keeps one array per option),
 * and whether an option was given at all.
 */
import { InternalError, type ModuleArg } from "../lib/index.ts";

const MODULE_FLAGS: Record<string, boolean> = {
    "--module": false,
    "--module-nounzip": true,
    "--moduleNounzip": true,
};

/**
 * The modules in command-line order, from the raw arguments; checked
 * against yargs' own arrays (each --module takes exactly one value).
 */
export function ordered_modules(
    raw: readonly string[],
    module: readonly string[] = [],
    nounzip: readonly string[] = [],
): ModuleArg[] {
    const out: ModuleArg[] = [];
    for (let i = 0; i < raw.length; i++) {
        const t = raw[i]!;
        if (t === "--") break;
        const eq = t.indexOf("=");
        const flag = eq < 0 ? t : t.slice(0, eq);
        const kind = MODULE_FLAGS[flag];
        if (kind === undefined) continue;
        const line = eq < 0 ? raw[++i] : t.slice(eq + 1);
        if (line !== undefined) out.push({ line, nounzip: kind });
    }
    const same = (a: readonly string[], b: readonly string[]) =>
        a.length === b.length && a.every((x, i) => x === b[i]);
    if (
        !same(
            out.filter((m) => !m.nounzip).map((m) => m.line),
            module,
        ) ||
        !same(
            out.filter((m) => m.nounzip).map((m) => m.line),
            nounzip,
        )
    )
        throw new InternalError(
            "the order of --module and --module-nounzip could not be recovered",
        );
    return out;
}
