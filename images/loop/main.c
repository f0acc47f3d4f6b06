#include "kern.h"

int kmain(u32 magic, struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    puts("looping forever\n");
    __asm__ volatile("1: jmp 1b");
    __builtin_unreachable();
}
