/* bench/table.ts — print bench/common.ts rows (the extras' single-figure rows) as a Markdown table. */
import type { Row } from "./common.ts";

export function printRows(rows: Row[]): void {
    const table = rows.map((r) => {
        const ref =
            r.reference !== undefined
                ? `${r.reference.toFixed(1)} ${r.unit} (${r.refName})${r.note ? `; ${r.note}` : ""}`
                : (r.note ?? "-");
        const ratio = r.reference !== undefined ? (r.value / r.reference).toFixed(2) + "x" : "-";
        return `| ${r.name} | ${r.value.toFixed(1)} ${r.unit} | ${ref} | ${ratio} |`;
    });
    console.log(
        "| benchmark | mach86 | reference | ratio |\n|---|---|---|---|\n" + table.join("\n"),
    );
}
