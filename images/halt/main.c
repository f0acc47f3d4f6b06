#include "kern.h"

int kmain(u32 magic, struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    puts("halting\n");
    for (;;)
        __asm__ volatile("cli; hlt");
}
