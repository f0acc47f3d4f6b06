/* Prints everything the loader put in the multiboot info structure, one
 * field per line, in a format host tests can grep. */
#include "kern.h"

#define MAX_STR 4096u

/* Probe for the loader clearing .bss (ELF p_memsz > p_filesz). */
static volatile u8 bss_probe[4096];

static void put_field_hex(const char *name, u32 v)
{
    puts(name);
    puts("=0x");
    puthex32(v);
    putc('\n');
}

/* A quoted string with control/non-ASCII bytes shown as '.', so one field
 * stays on one line. */
static void put_quoted(u32 addr)
{
    putc('\'');
    if (addr) {
        const char *s = (const char *)addr;
        for (u32 i = 0; i < MAX_STR && s[i]; i++) {
            char c = s[i];
            putc((c >= 0x20 && c < 0x7F) ? c : '.');
        }
    }
    putc('\'');
}

static void print_modules(const struct mb_info *mbi)
{
    puts("mods_count=");
    putdec(mbi->mods_count);
    putc('\n');
    put_field_hex("mods_addr", mbi->mods_addr);

    const struct mb_module *m = (const struct mb_module *)mbi->mods_addr;
    for (u32 i = 0; i < mbi->mods_count; i++) {
        u32 start = m[i].mod_start, end = m[i].mod_end;
        u32 size = end >= start ? end - start : 0;
        const u8 *p = (const u8 *)start;

        puts("mod[");
        putdec(i);
        puts("] start=0x");
        puthex32(start);
        puts(" end=0x");
        puthex32(end);
        puts(" size=");
        putdec(size);
        puts(" string=");
        put_quoted(m[i].string);
        puts(" head='");
        for (u32 j = 0; j < 8 && j < size; j++)
            putc((p[j] >= 0x20 && p[j] < 0x7F) ? (char)p[j] : '.');
        puts("' sum=0x");
        u32 sum = 0;
        for (u32 j = 0; j < size; j++)
            sum += p[j];
        puthex32(sum);
        putc('\n');
    }
}

static void print_mmap(const struct mb_info *mbi)
{
    puts("mmap_addr=0x");
    puthex32(mbi->mmap_addr);
    puts(" mmap_length=");
    putdec(mbi->mmap_length);
    putc('\n');

    u32 p = mbi->mmap_addr, end = mbi->mmap_addr + mbi->mmap_length;
    while (p + sizeof(struct mb_mmap_entry) <= end) {
        const struct mb_mmap_entry *e = (const struct mb_mmap_entry *)p;
        if (e->size < 20) {
            puts("mmap bad entry size=");
            putdec(e->size);
            putc('\n');
            break;
        }
        puts("mmap base=0x");
        puthex32(e->base_hi);
        puthex32(e->base_lo);
        puts(" len=0x");
        puthex32(e->len_hi);
        puthex32(e->len_lo);
        puts(" type=");
        putdec(e->type);
        putc('\n');
        p += e->size + 4;
    }
}

int kmain(u32 magic, struct mb_info *mbi)
{
    if (magic != MB_BOOTLOADER_MAGIC) {
        puts("magic=0x");
        puthex32(magic);
        puts(" BAD (expected 0x2badb002)\n");
        return 1;
    }
    puts("magic=0x2badb002\n");
    put_field_hex("mbi_addr", (u32)mbi);

    u32 f = mbi->flags;
    put_field_hex("flags", f);

    if (f & MBI_MEM) {
        puts("mem_lower=");
        putdec(mbi->mem_lower);
        puts(" KiB\nmem_upper=");
        putdec(mbi->mem_upper);
        puts(" KiB\n");
    }
    if (f & MBI_BOOTDEV)
        put_field_hex("boot_device", mbi->boot_device);
    if (f & MBI_CMDLINE) {
        puts("cmdline=");
        put_quoted(mbi->cmdline);
        putc('\n');
    }
    if (f & MBI_MODS)
        print_modules(mbi);
    if (f & MBI_AOUT_SYMS) {
        puts("aout_sym tabsize=");
        putdec(mbi->syms[0]);
        puts(" strsize=");
        putdec(mbi->syms[1]);
        puts(" addr=0x");
        puthex32(mbi->syms[2]);
        putc('\n');
    }
    if (f & MBI_ELF_SHDR) {
        puts("elf_sec num=");
        putdec(mbi->syms[0]);
        puts(" size=");
        putdec(mbi->syms[1]);
        puts(" addr=0x");
        puthex32(mbi->syms[2]);
        puts(" shndx=");
        putdec(mbi->syms[3]);
        putc('\n');
    }
    if (f & MBI_MMAP)
        print_mmap(mbi);
    if (f & MBI_DRIVES) {
        puts("drives_addr=0x");
        puthex32(mbi->drives_addr);
        puts(" drives_length=");
        putdec(mbi->drives_length);
        putc('\n');
    }
    if (f & MBI_CONFIG)
        put_field_hex("config_table", mbi->config_table);
    if (f & MBI_LOADER) {
        puts("loader=");
        put_quoted(mbi->boot_loader_name);
        putc('\n');
    }
    if (f & MBI_APM)
        put_field_hex("apm_table", mbi->apm_table);
    if (f & MBI_VBE) {
        puts("vbe control_info=0x");
        puthex32(mbi->vbe_control_info);
        puts(" mode_info=0x");
        puthex32(mbi->vbe_mode_info);
        puts(" mode=0x");
        puthex16(mbi->vbe_mode);
        puts(" seg=0x");
        puthex16(mbi->vbe_interface_seg);
        puts(" off=0x");
        puthex16(mbi->vbe_interface_off);
        puts(" len=");
        putdec(mbi->vbe_interface_len);
        putc('\n');
    }
    if (f & MBI_FRAMEBUFFER) {
        puts("framebuffer addr=0x");
        puthex32(mbi->fb_addr_hi);
        puthex32(mbi->fb_addr_lo);
        puts(" pitch=");
        putdec(mbi->fb_pitch);
        puts(" width=");
        putdec(mbi->fb_width);
        puts(" height=");
        putdec(mbi->fb_height);
        puts(" bpp=");
        putdec(mbi->fb_bpp);
        puts(" type=");
        putdec(mbi->fb_type);
        putc('\n');
    }

    u32 nonzero = 0;
    for (u32 i = 0; i < sizeof(bss_probe); i++)
        nonzero |= bss_probe[i];
    puts(nonzero ? "bss_clear=no\n" : "bss_clear=yes\n");

    puts("mbinfo done\n");
    return 0;
}
