/*
 * sysbench N: N system-call round trips (int $0x80 -> the kernel -> iret),
 * for bench/run.ts. The call is mach_task_self, the cheapest one: no
 * argument, no copy in or out, the result (the task's own name, 1) in EAX.
 * The loop runs between a "start" and a "done" line (the benchmark times
 * the window between the two lines on the console). Exit 0, or 1 if a
 * call returned something else.
 */
#include "ulib.h"

int main(int argc, char **argv)
{
    if (argc < 2)
        die("usage: sysbench N   (N calls of mach_task_self)");
    u32 n = strtoul(argv[1], NULL, 0);
    task_t self = mach_task_self();
    printf("sysbench: start: %u calls of mach_task_self\n", n);
    u32 bad = 0;
    for (u32 i = 0; i < n; i++)
        bad += mach_task_self() != self;
    printf("sysbench: done: %u calls, %u bad results\n", n, bad);
    return bad ? 1 : 0;
}
