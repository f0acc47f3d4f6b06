#include "kern.h"

#define DEFAULT_CODE 42

int kmain(u32 magic, struct mb_info *mbi)
{
    u32 code;
    if (!cmdline_get_u32(mbi_cmdline(magic, mbi), "code", &code))
        code = DEFAULT_CODE;
    puts("exiting with ");
    putdec(code);
    putc('\n');
    exit(code);
}
