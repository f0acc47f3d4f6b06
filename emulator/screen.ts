/*
 * emulator/screen.ts — the VGA text screen as text.
 *
 * The machine's VGA is in text mode 3 (80x25 at 0xB8000, as a PC BIOS
 * leaves it); each cell is a character byte and an attribute byte. Here a
 * screen snapshot becomes 25 lines of 80 characters in code page 437 (the
 * VGA's built-in font), trailing blanks trimmed; cell 0x00 shows as a blank.
 */

export const SCREEN_COLS = 80;
export const SCREEN_ROWS = 25;
export const SCREEN_BYTES = SCREEN_COLS * SCREEN_ROWS * 2;

/** Code page 437: the glyphs of bytes 0x00–0x1F and 0x7F–0xFF (0x20–0x7E are ASCII). */
const CP437_LOW = " ☺☻♥♦♣♠•◘○◙♂♀♪♫☼►◄↕‼¶§▬↨↑↓→←∟↔▲▼";
const CP437_HIGH =
    "⌂ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■ ";

/** The glyph of every byte (built once: a screen has 2000 cells; each table split once). */
const LOW = [...CP437_LOW];
const HIGH = [...CP437_HIGH];
const GLYPHS: readonly string[] = Array.from({ length: 256 }, (_, b) =>
    b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : b < 0x20 ? LOW[b]! : HIGH[b - 0x7f]!,
);

function cp437(b: number): string {
    return GLYPHS[b]!;
}

/** A copy of the text screen: cells as the VGA holds them, and the text. */
export interface TextScreen {
    /** 25 lines, trailing blanks removed. */
    lines: string[];
    /** The 4000 raw bytes (character, attribute, …). */
    cells: Uint8Array;
}

export function screen_from_cells(cells: Uint8Array): TextScreen {
    const lines: string[] = [];
    for (let r = 0; r < SCREEN_ROWS; r++) {
        let line = "";
        for (let c = 0; c < SCREEN_COLS; c++) line += cp437(cells[2 * (r * SCREEN_COLS + c)]!);
        lines.push(line.trimEnd());
    }
    return { lines, cells };
}

/** The screen as one string: its lines up to the last non-blank one, each ending in "\n". */
export function screen_text(s: TextScreen): string {
    let n = s.lines.length;
    while (n > 0 && s.lines[n - 1] === "") n--;
    return s.lines
        .slice(0, n)
        .map((l) => `${l}\n`)
        .join("");
}
