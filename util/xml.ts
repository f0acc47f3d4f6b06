/*
 * XML escaping, one function for every XML or HTML text mach86 writes (the
 * report page and its SVG, JUnit files). util/ is the bottom layer: every
 * layer may use it.
 */

/**
 * Text or an attribute value, escaped for XML 1.0 and HTML5: the five
 * predefined entities, and control characters replaced by "?" (everything
 * below U+0020 but tab and newline, U+007F, U+FFFE, U+FFFF: the ones XML 1.0
 * forbids, plus carriage return, which parsers would turn into a newline),
 * so a guest's console bytes cannot make the file unreadable.
 */
export function xml_escape(s: string): string {
    return s
        .replace(/[\u0000-\u0008\u000b-\u001f\u007f\ufffe\uffff]/g, "?")
        .replace(/&/g, "&amp;")
        .replace(/</g, "&lt;")
        .replace(/>/g, "&gt;")
        .replace(/"/g, "&quot;")
        .replace(/'/g, "&apos;");
}
