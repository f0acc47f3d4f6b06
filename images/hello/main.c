#include "kern.h"

int kmain(u32 magic, struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    puts("Hello from mach86!\n");
    return 0;
}
