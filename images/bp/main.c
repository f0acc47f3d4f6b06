/* A breakpoint target: bp_target() is called LOOPS times from a loop (hot
 * enough for v86 to JIT-compile both), counting its calls in bp_count; then
 * it prints "bp done count=N" and exits 0. A host breakpoint at bp_target
 * stops the machine with bp_count = the calls made so far. */
#include "kern.h"

#define LOOPS 3000000u

volatile u32 bp_count;

__attribute__((noinline)) void bp_target(void)
{
    bp_count = bp_count + 1;
}

int kmain(u32 magic, struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    puts("bp start\n");
    for (u32 i = 0; i < LOOPS; i++)
        bp_target();
    puts("bp done count=");
    putdec(bp_count);
    putc('\n');
    return 0;
}
