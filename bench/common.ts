/* bench/common.ts — what bench/run.ts and bench/user.ts share: a table row and the median. */

export interface Row {
    name: string;
    value: number;
    unit: string;
    reference?: number;
    refName?: string;
    note?: string;
}

export function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
