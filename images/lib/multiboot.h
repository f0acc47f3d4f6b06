/*
 * Multiboot v1 constants shared by assembly and C.
 * Written for mach86's guest test kernels.
 */
#ifndef MACH86_MULTIBOOT_H
#define MACH86_MULTIBOOT_H

#define MB_HEADER_MAGIC      0x1BADB002
#define MB_BOOTLOADER_MAGIC  0x2BADB002

/* Header flags (what the kernel asks of the loader). */
#define MB_HF_PAGE_ALIGN     (1 << 0)   /* modules aligned on 4 KiB  */
#define MB_HF_MEMINFO        (1 << 1)   /* mem_* and mmap_* wanted   */
#define MB_HF_AOUT_KLUDGE    (1 << 16)  /* address fields are valid  */

/* MBI flags (what the loader hands over). */
#define MBI_MEM          (1u << 0)
#define MBI_BOOTDEV      (1u << 1)
#define MBI_CMDLINE      (1u << 2)
#define MBI_MODS         (1u << 3)
#define MBI_AOUT_SYMS    (1u << 4)
#define MBI_ELF_SHDR     (1u << 5)
#define MBI_MMAP         (1u << 6)
#define MBI_DRIVES       (1u << 7)
#define MBI_CONFIG       (1u << 8)
#define MBI_LOADER       (1u << 9)
#define MBI_APM          (1u << 10)
#define MBI_VBE          (1u << 11)
#define MBI_FRAMEBUFFER  (1u << 12)

#ifndef __ASSEMBLER__
#include "types.h"

struct mb_info {
    u32 flags;              /*  0 */
    u32 mem_lower;          /*  4 */
    u32 mem_upper;          /*  8 */
    u32 boot_device;        /* 12 */
    u32 cmdline;            /* 16 */
    u32 mods_count;         /* 20 */
    u32 mods_addr;          /* 24 */
    u32 syms[4];            /* 28: a.out (tabsize,strsize,addr,0) or ELF (num,size,addr,shndx) */
    u32 mmap_length;        /* 44 */
    u32 mmap_addr;          /* 48 */
    u32 drives_length;      /* 52 */
    u32 drives_addr;        /* 56 */
    u32 config_table;       /* 60 */
    u32 boot_loader_name;   /* 64 */
    u32 apm_table;          /* 68 */
    u32 vbe_control_info;   /* 72 */
    u32 vbe_mode_info;      /* 76 */
    u16 vbe_mode;           /* 80 */
    u16 vbe_interface_seg;  /* 82 */
    u16 vbe_interface_off;  /* 84 */
    u16 vbe_interface_len;  /* 86 */
    u32 fb_addr_lo;         /* 88 */
    u32 fb_addr_hi;         /* 92 */
    u32 fb_pitch;           /* 96 */
    u32 fb_width;           /* 100 */
    u32 fb_height;          /* 104 */
    u8  fb_bpp;             /* 108 */
    u8  fb_type;            /* 109 */
} __attribute__((packed));

struct mb_module {
    u32 mod_start;
    u32 mod_end;
    u32 string;
    u32 reserved;
} __attribute__((packed));

/* One memory map entry; 'size' does not count itself. */
struct mb_mmap_entry {
    u32 size;
    u32 base_lo, base_hi;
    u32 len_lo, len_hi;
    u32 type;
} __attribute__((packed));
#endif

#endif
