/* Prints everything the loader and the firmware left for the kernel, so the
 * same kernel can be run under QEMU and mach86 and the outputs compared line
 * by line: the machine state at entry (crt0-probe keeps it), every MBI word,
 * the command line byte for byte, the modules with their first bytes, the
 * memory map, the BIOS data area, the EBDA, which low pages hold anything,
 * the PIC masks and the A20 line. */
#include "kern.h"
#include "io.h"

/* Filled by crt0-probe before anything else runs (see lib/crt0.S). */
extern struct {
    u32 eax, ebx, ecx, edx, esi, edi, ebp, esp;
    u16 cs, ds, es, fs, gs, ss;
    u32 cr0, cr3, cr4;
    u16 gdtr_limit;
    u32 gdtr_base;
    u16 pad0;
    u16 idtr_limit;
    u32 idtr_base;
    u16 pad1;
    u32 eflags;
} __attribute__((packed)) probe_entry;

#define MAX_STR 4096u

/* Low physical addresses through an opaque integer, so the compiler does not
 * take them for null-pointer arithmetic. */
static const u8 *low_ptr(u32 pa)
{
    __asm__("" : "+r"(pa));
    return (const u8 *)pa;
}

static u16 peek16(u32 pa)
{
    return *(const u16 *)low_ptr(pa);
}

static void kv_hex(const char *name, u32 v)
{
    puts(name);
    puts("=0x");
    puthex32(v);
}

static void hexbyte(u8 b)
{
    static const char hex[] = "0123456789abcdef";
    putc(hex[b >> 4]);
    putc(hex[b & 15]);
}

static void hexbytes(const u8 *p, u32 n)
{
    for (u32 i = 0; i < n; i++) {
        if (i)
            putc(' ');
        hexbyte(p[i]);
    }
}

static void quoted(u32 addr)
{
    putc('\'');
    const char *s = (const char *)addr;
    for (u32 i = 0; addr && i < MAX_STR && s[i]; i++)
        putc((s[i] >= 0x20 && s[i] < 0x7F) ? s[i] : '.');
    putc('\'');
}

static void print_entry(void)
{
    kv_hex("entry eax", probe_entry.eax);
    kv_hex(" ebx", probe_entry.ebx);
    kv_hex(" ecx", probe_entry.ecx);
    kv_hex(" edx", probe_entry.edx);
    putc('\n');
    kv_hex("entry esi", probe_entry.esi);
    kv_hex(" edi", probe_entry.edi);
    kv_hex(" ebp", probe_entry.ebp);
    kv_hex(" esp", probe_entry.esp);
    putc('\n');
    kv_hex("entry eflags", probe_entry.eflags);
    puts(" cs=0x");
    puthex16(probe_entry.cs);
    puts(" ds=0x");
    puthex16(probe_entry.ds);
    puts(" es=0x");
    puthex16(probe_entry.es);
    puts(" fs=0x");
    puthex16(probe_entry.fs);
    puts(" gs=0x");
    puthex16(probe_entry.gs);
    puts(" ss=0x");
    puthex16(probe_entry.ss);
    putc('\n');
    kv_hex("entry cr0", probe_entry.cr0);
    kv_hex(" cr3", probe_entry.cr3);
    kv_hex(" cr4", probe_entry.cr4);
    putc('\n');
    kv_hex("entry gdtr", probe_entry.gdtr_base);
    puts("/0x");
    puthex16(probe_entry.gdtr_limit);
    kv_hex(" idtr", probe_entry.idtr_base);
    puts("/0x");
    puthex16(probe_entry.idtr_limit);
    putc('\n');
    /* The loader's GDT (it is still there: the kernel has not written low memory). */
    u32 n = ((u32)probe_entry.gdtr_limit + 1) / 8;
    const u32 *g = (const u32 *)probe_entry.gdtr_base;
    for (u32 i = 0; i < n && i < 8; i++) {
        puts("gdt[");
        putdec(i);
        puts("]=0x");
        puthex32(g[2 * i + 1]);
        puthex32(g[2 * i]);
        putc('\n');
    }
}

static void print_words(const struct mb_info *mbi)
{
    const u32 *w = (const u32 *)low_ptr((u32)(const void *)mbi);
    for (u32 i = 0; i < 22; i += 11) {
        puts(i ? "mbi words 11-21:" : "mbi words 0-10:");
        for (u32 j = i; j < i + 11; j++) {
            puts(" ");
            puthex32(w[j]);
        }
        putc('\n');
    }
}

static void print_cmdline(u32 addr)
{
    puts("cmdline=");
    quoted(addr);
    puts("\ncmdline bytes=");
    const u8 *s = (const u8 *)addr;
    u32 n = 0;
    while (n < MAX_STR && s[n])
        n++;
    putdec(n);
    puts(" last=");
    hexbytes(n > 8 ? s + n - 8 : s, n > 8 ? 9 : n + 1);
    putc('\n');
}

static void print_modules(const struct mb_info *mbi)
{
    puts("mods_count=");
    putdec(mbi->mods_count);
    kv_hex(" mods_addr", mbi->mods_addr);
    putc('\n');
    const struct mb_module *m = (const struct mb_module *)mbi->mods_addr;
    for (u32 i = 0; i < mbi->mods_count && i < 64; i++) {
        u32 start = m[i].mod_start, end = m[i].mod_end;
        u32 size = end >= start ? end - start : 0;
        const u8 *p = (const u8 *)start;
        u32 sum = 0;
        for (u32 j = 0; j < size; j++)
            sum += p[j];
        puts("mod[");
        putdec(i);
        kv_hex("] start", start);
        kv_hex(" end", end);
        puts(" size=");
        putdec(size);
        kv_hex(" string", m[i].string);
        kv_hex(" reserved", m[i].reserved);
        kv_hex(" sum", sum);
        puts("\nmod[");
        putdec(i);
        puts("] string=");
        quoted(m[i].string);
        puts(" head=");
        hexbytes(p, size < 16 ? size : 16);
        putc('\n');
    }
}

static void print_mmap(const struct mb_info *mbi)
{
    kv_hex("mmap_addr", mbi->mmap_addr);
    puts(" mmap_length=");
    putdec(mbi->mmap_length);
    putc('\n');
    u32 p = mbi->mmap_addr, end = mbi->mmap_addr + mbi->mmap_length;
    while (p + 24 <= end) {
        const struct mb_mmap_entry *e = (const struct mb_mmap_entry *)p;
        puts("mmap size=");
        putdec(e->size);
        puts(" base=0x");
        puthex32(e->base_hi);
        puthex32(e->base_lo);
        puts(" len=0x");
        puthex32(e->len_hi);
        puthex32(e->len_lo);
        puts(" type=");
        putdec(e->type);
        putc('\n');
        if (e->size < 20)
            break;
        p += e->size + 4;
    }
}

/* The section header table GRUB hands over, one line a section. */
static void print_sections(const struct mb_info *mbi)
{
    const u32 *sh = (const u32 *)mbi->syms[2];
    u32 step = mbi->syms[1] / 4;
    for (u32 i = 0; i < mbi->syms[0] && i < 64 && step >= 10; i++, sh += step) {
        puts("shdr[");
        putdec(i);
        kv_hex("] type", sh[1]);
        kv_hex(" flags", sh[2]);
        kv_hex(" addr", sh[3]);
        kv_hex(" size", sh[5]);
        u32 sum = 0;
        if (sh[1] != 8 && sh[3])
            for (u32 j = 0; j < sh[5]; j++)
                sum += ((const u8 *)sh[3])[j];
        kv_hex(" sum", sum);
        putc('\n');
    }
}

/* Words 22-29 (framebuffer), meaningful with flag 12 (GRUB sets it for EGA text). */
static void print_framebuffer(const struct mb_info *mbi)
{
    const u32 *w = (const u32 *)low_ptr((u32)(const void *)mbi);
    puts("mbi words 22-29:");
    for (u32 j = 22; j < 30; j++) {
        puts(" ");
        puthex32(w[j]);
    }
    putc('\n');
    const u32 *vbe = (const u32 *)mbi->vbe_control_info;
    u32 sum = 0;
    for (u32 i = 0; vbe && i < 128; i++)
        sum += vbe[i];
    kv_hex("vbe control_info sum", sum);
    vbe = (const u32 *)mbi->vbe_mode_info;
    sum = 0;
    for (u32 i = 0; vbe && i < 64; i++)
        sum += vbe[i];
    kv_hex(" mode_info sum", sum);
    putc('\n');
}

static void print_mbi(const struct mb_info *mbi)
{
    kv_hex("mbi_addr", (u32)mbi);
    putc('\n');
    print_words(mbi);
    u32 f = mbi->flags;
    kv_hex("flags", f);
    putc('\n');
    if (f & MBI_MEM) {
        puts("mem_lower=");
        putdec(mbi->mem_lower);
        puts(" mem_upper=");
        putdec(mbi->mem_upper);
        putc('\n');
    }
    if (f & MBI_BOOTDEV) {
        kv_hex("boot_device", mbi->boot_device);
        putc('\n');
    }
    if (f & MBI_CMDLINE)
        print_cmdline(mbi->cmdline);
    if (f & MBI_MODS)
        print_modules(mbi);
    if (f & (MBI_AOUT_SYMS | MBI_ELF_SHDR)) {
        puts(f & MBI_ELF_SHDR ? "elf_sec num=" : "aout_syms tabsize=");
        putdec(mbi->syms[0]);
        puts(" size=");
        putdec(mbi->syms[1]);
        kv_hex(" addr", mbi->syms[2]);
        puts(" shndx=");
        putdec(mbi->syms[3]);
        putc('\n');
        if (f & MBI_ELF_SHDR)
            print_sections(mbi);
    } else {
        puts("no symbols or section headers\n");
    }
    if (f & MBI_MMAP)
        print_mmap(mbi);
    if (f & MBI_LOADER) {
        puts("loader=");
        quoted(mbi->boot_loader_name);
        putc('\n');
    }
    if (f & (MBI_VBE | MBI_FRAMEBUFFER))
        print_framebuffer(mbi);
}

/* The BIOS data area (0x400-0x4FF), 16 bytes a line, and the EBDA it points at. */
static void print_bios_areas(void)
{
    const u8 *bda = low_ptr(0x400);
    for (u32 off = 0; off < 0x100; off += 16) {
        puts("bda ");
        puthex16(0x400 + off);
        puts(": ");
        hexbytes(bda + off, 16);
        putc('\n');
    }
    u32 ebda = (u32)peek16(0x40E) << 4;
    kv_hex("ebda", ebda);
    if (ebda >= 0x80000 && ebda < 0xA0000) {
        puts(" size_kib=");
        putdec(*(const u8 *)ebda);
        puts(" head=");
        hexbytes((const u8 *)ebda, 16);
    }
    putc('\n');
    u32 sum = 0;
    for (u32 i = 0; i < 256; i++)
        sum += ((const u32 *)low_ptr(0))[i];
    kv_hex("ivt sum", sum);
    putc('\n');
}

/* One character per 4 KiB page of conventional memory: '#' holds a nonzero byte. */
static void print_low_pages(void)
{
    puts("low pages 0x00000-0x9ffff: ");
    for (u32 page = 0; page < 0xA0; page++) {
        const u32 *p = (const u32 *)low_ptr(page << 12);
        u32 any = 0;
        for (u32 i = 0; i < 1024; i++)
            any |= p[i];
        putc(any ? '#' : '.');
    }
    putc('\n');
}

static void print_devices(void)
{
    puts("pic mask master=0x");
    puthex16(inb(0x21));
    puts(" slave=0x");
    puthex16(inb(0xA1));
    putc('\n');
    /* A20: do 0x000500 and 0x100500 alias? (0x500 is scratch in the BDA's neighbourhood) */
    volatile u32 *lo = (volatile u32 *)low_ptr(0x7f0);
    volatile u32 *hi = (volatile u32 *)low_ptr(0x1007f0);
    u32 save_lo = *lo, save_hi = *hi;
    *lo = 0x12345678;
    *hi = 0x9abcdef0;
    puts(*lo == 0x9abcdef0 ? "a20=off\n" : "a20=on\n");
    *lo = save_lo;
    *hi = save_hi;
}

int kmain(u32 magic, struct mb_info *mbi)
{
    puts("probe v1\n");
    print_entry();
    if (magic != MB_BOOTLOADER_MAGIC) {
        puts("magic BAD\n");
        return 1;
    }
    print_low_pages();
    print_bios_areas();
    print_mbi(mbi);
    print_devices();
    puts("probe done\n");
    return 0;
}
