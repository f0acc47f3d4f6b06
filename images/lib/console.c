/* COM1 console: every byte goes straight to the THR at 0x3F8.
 * mach86 (and QEMU) accept a byte at any time, so no LSR polling. */
#include "kern.h"
#include "io.h"

void putc(char c)
{
    outb(COM1_PORT, (u8)c);
}

void puts(const char *s)
{
    while (*s)
        putc(*s++);
}

void putstrn(const char *s, u32 max)
{
    while (max-- && *s)
        putc(*s++);
}

static void puthex_digits(u32 v, int digits)
{
    static const char hex[] = "0123456789abcdef";
    while (digits--)
        putc(hex[(v >> (digits * 4)) & 0xF]);
}

void puthex32(u32 v)
{
    puthex_digits(v, 8);
}

void puthex16(u32 v)
{
    puthex_digits(v, 4);
}

void putdec(u32 v)
{
    char buf[10];   /* 4294967295 has 10 digits */
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10);   /* 32-bit division only */
        v /= 10;
    } while (v);
    while (n)
        putc(buf[--n]);
}
