#include "kern.h"

#define DEFAULT_ITERS 400000000u

u32 spin_loop(u32 iters);

int kmain(u32 magic, struct mb_info *mbi)
{
    u32 iters;
    if (!cmdline_get_u32(mbi_cmdline(magic, mbi), "iters", &iters))
        iters = DEFAULT_ITERS;
    puts("spin iters=");
    putdec(iters);
    putc('\n');
    u32 acc = spin_loop(iters);
    puts("spin done acc=0x");
    puthex32(acc);
    putc('\n');
    return 0;
}
