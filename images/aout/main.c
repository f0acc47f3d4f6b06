#include "kern.h"

int kmain(u32 magic, struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    puts("Hello from an a.out kludge kernel!\n");
    return 0;
}
