/* Writes to the debug console (port 0xE9: QEMU -device isa-debugcon, Bochs
 * port_e9_hack) and to COM1, reads port 0xE9 back, writes a 16-bit word to
 * 0xE9, and exits 0. */
#include "kern.h"
#include "io.h"

#define DEBUGCON 0xE9

static void dputs(const char *s)
{
    while (*s)
        outb(DEBUGCON, (u8)*s++);
}

int kmain(u32 magic, struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    dputs("debugcon: hello from port 0xe9\n");
    puts("serial: hello from COM1\n");
    puts("port 0xe9 reads 0x");
    puthex16(inb(DEBUGCON));
    putc('\n');
    __asm__ volatile("outw %0, %1" : : "a"((u16)0x0a41), "Nd"((u16)DEBUGCON));
    dputs("debugcon: done\n");
    return 0;
}
