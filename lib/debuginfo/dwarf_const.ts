/*
 * lib/debuginfo/dwarf_const.ts — the DWARF 2–5 codes mach86's reader uses
 * (values from the DWARF 5 standard, section 7; the ones DWARF 2–4 define
 * are unchanged there). Only what a reader of C types and global variables
 * needs: no call frames, no location lists, no macros.
 */

export const DW_TAG = {
    array_type: 0x01,
    enumeration_type: 0x04,
    member: 0x0d,
    pointer_type: 0x0f,
    compile_unit: 0x11,
    structure_type: 0x13,
    subroutine_type: 0x15,
    typedef: 0x16,
    union_type: 0x17,
    subrange_type: 0x21,
    base_type: 0x24,
    const_type: 0x26,
    enumerator: 0x28,
    subprogram: 0x2e,
    variable: 0x34,
    volatile_type: 0x35,
    restrict_type: 0x37,
    partial_unit: 0x3c,
    atomic_type: 0x47,
    skeleton_unit: 0x4a,
} as const;

export const DW_AT = {
    sibling: 0x01,
    location: 0x02,
    name: 0x03,
    byte_size: 0x0b,
    bit_offset: 0x0c,
    bit_size: 0x0d,
    const_value: 0x1c,
    upper_bound: 0x2f,
    count: 0x37,
    data_member_location: 0x38,
    declaration: 0x3c,
    encoding: 0x3e,
    external: 0x3f,
    specification: 0x47,
    type: 0x49,
    data_bit_offset: 0x6b,
    str_offsets_base: 0x72,
    addr_base: 0x73,
} as const;

export const DW_FORM = {
    addr: 0x01,
    block2: 0x03,
    block4: 0x04,
    data2: 0x05,
    data4: 0x06,
    data8: 0x07,
    string: 0x08,
    block: 0x09,
    block1: 0x0a,
    data1: 0x0b,
    flag: 0x0c,
    sdata: 0x0d,
    strp: 0x0e,
    udata: 0x0f,
    ref_addr: 0x10,
    ref1: 0x11,
    ref2: 0x12,
    ref4: 0x13,
    ref8: 0x14,
    ref_udata: 0x15,
    indirect: 0x16,
    sec_offset: 0x17,
    exprloc: 0x18,
    flag_present: 0x19,
    strx: 0x1a,
    addrx: 0x1b,
    ref_sup4: 0x1c,
    strp_sup: 0x1d,
    data16: 0x1e,
    line_strp: 0x1f,
    ref_sig8: 0x20,
    implicit_const: 0x21,
    loclistx: 0x22,
    rnglistx: 0x23,
    ref_sup8: 0x24,
    strx1: 0x25,
    strx2: 0x26,
    strx3: 0x27,
    strx4: 0x28,
    addrx1: 0x29,
    addrx2: 0x2a,
    addrx3: 0x2b,
    addrx4: 0x2c,
} as const;

/** DW_UT_* unit types (DWARF 5 unit headers). */
export const DW_UT = {
    compile: 0x01,
    type: 0x02,
    partial: 0x03,
    skeleton: 0x04,
    split_compile: 0x05,
    split_type: 0x06,
} as const;

/** DW_OP_* used in a global variable's DW_AT_location. */
export const DW_OP = {
    addr: 0x03,
    addrx: 0xa1,
} as const;

/** DW_ATE_* base type encodings that matter for decoding a value. */
export const DW_ATE = {
    boolean: 0x02,
    float: 0x04,
    signed: 0x05,
    signed_char: 0x06,
    unsigned: 0x07,
    unsigned_char: 0x08,
} as const;
