/* Writes "hello" at the top left of the VGA text screen (0xB8000, grey on
 * black), "second row" at row 1, column 10, says so on COM1, and halts
 * (cli; hlt). Nothing else on the screen is written. */
#include "kern.h"

static void put_at(u32 row, u32 col, const char *s)
{
    volatile u16 *cell = (volatile u16 *)0xB8000 + row * 80 + col;
    while (*s)
        *cell++ = (u16)(0x0700 | (u8)*s++);
}

int kmain(u32 magic, struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    put_at(0, 0, "hello");
    put_at(1, 10, "second row");
    puts("screen written\n");
    for (;;)
        __asm__ volatile("cli; hlt");
}
