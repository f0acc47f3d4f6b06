/*
 * emulator/field_snapshot.ts — remember the fields of a graph of JS objects
 * and put them back later, in place: the objects keep their identity (other
 * code holds references to them) and get back the values, array contents
 * and typed-array bytes they had when the snapshot was taken.
 *
 * v86_internals.ts uses it to return v86's JS devices (PIT, RTC, UART, VGA,
 * PS/2, DMA, PCI, …) to the state of a machine just built, so that a machine
 * can be reused between boots (Machine reuse, emulator/machine.ts).
 *
 * What is recorded, from each root: every own enumerable field (its value:
 * a primitive or a reference), the contents of arrays, Maps and Sets, and a
 * copy of every typed array — followed into nested objects, each object
 * once. Not followed: functions (kept as references), the `shared` objects
 * (their fields are not the device's state), and typed arrays over `skip`
 * (the wasm memory, which the caller restores as a whole). Fields added
 * after the snapshot are deleted on restore: the object gets its old shape.
 */

/** What every typed array has (ArrayBufferView does not promise slice and set). */
interface Typed {
    readonly buffer: ArrayBufferLike;
    slice(): Typed;
    set(from: Typed): void;
}

type Node =
    | { kind: "typed"; ref: Typed; copy: Typed }
    | { kind: "array"; ref: unknown[]; items: unknown[]; children: Node[] }
    | { kind: "map"; ref: Map<unknown, unknown>; entries: [unknown, unknown][]; children: Node[] }
    | { kind: "set"; ref: Set<unknown>; items: unknown[]; children: Node[] }
    | {
          kind: "object";
          ref: Record<string, unknown>;
          keys: Set<string>;
          values: [string, unknown][];
          children: Node[];
      };

export class FieldSnapshot {
    private readonly nodes: Node[];

    private constructor(nodes: Node[]) {
        this.nodes = nodes;
    }

    /** Record `roots` and everything reachable from them (see the file header). */
    static take(roots: object[], shared: object[], skip: ArrayBufferLike): FieldSnapshot {
        const seen = new Set<object>(shared);
        const nodes: Node[] = [];
        for (const r of roots) {
            const n = record(r, seen, skip);
            if (n) nodes.push(n);
        }
        return new FieldSnapshot(nodes);
    }

    /** Put every recorded field, element and byte back. */
    restore(): void {
        for (const n of this.nodes) restore(n);
    }
}

function record(v: unknown, seen: Set<object>, skip: ArrayBufferLike): Node | undefined {
    if (v === null || typeof v !== "object" || seen.has(v)) return undefined;
    seen.add(v);
    if (ArrayBuffer.isView(v)) {
        if (v instanceof DataView || v.buffer === skip) return undefined;
        const t = v as unknown as Typed;
        return { kind: "typed", ref: t, copy: t.slice() };
    }
    if (v instanceof ArrayBuffer || v instanceof WebAssembly.Memory) return undefined;
    const children = (items: Iterable<unknown>) => {
        const out: Node[] = [];
        for (const x of items) {
            const n = record(x, seen, skip);
            if (n) out.push(n);
        }
        return out;
    };
    if (Array.isArray(v)) return { kind: "array", ref: v, items: [...v], children: children(v) };
    if (v instanceof Map) {
        const entries = [...v.entries()];
        return { kind: "map", ref: v, entries, children: children(entries.flat()) };
    }
    if (v instanceof Set) return { kind: "set", ref: v, items: [...v], children: children(v) };
    const o = v as Record<string, unknown>;
    const values = Object.keys(o).map((k): [string, unknown] => [k, o[k]]);
    return {
        kind: "object",
        ref: o,
        keys: new Set(values.map(([k]) => k)),
        values,
        children: children(values.map(([, x]) => x)),
    };
}

function restore(n: Node): void {
    switch (n.kind) {
        case "typed":
            n.ref.set(n.copy);
            return;
        case "array":
            n.ref.length = n.items.length;
            for (let i = 0; i < n.items.length; i++) n.ref[i] = n.items[i];
            break;
        case "map":
            n.ref.clear();
            for (const [k, x] of n.entries) n.ref.set(k, x);
            break;
        case "set":
            n.ref.clear();
            for (const x of n.items) n.ref.add(x);
            break;
        case "object":
            for (const k of Object.keys(n.ref)) if (!n.keys.has(k)) delete n.ref[k];
            for (const [k, x] of n.values) n.ref[k] = x;
            break;
    }
    for (const c of n.children) restore(c);
}
