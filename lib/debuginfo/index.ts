/*
 * lib/debuginfo/index.ts — a kernel's symbols and C types from its ELF file
 * (.symtab + DWARF 2–5). See debuginfo.ts for the entry point.
 */
export { DebugInfo, type Variable } from "./debuginfo.ts";
export { Dwarf, type Die } from "./dwarf.ts";
export { Elf32, type ElfSection, type ElfSymbol } from "./elf32.ts";
export { DebugInfoError } from "./errors.ts";
export { VOID, strip, typeName, type CType, type Member, type StructType } from "./types.ts";
