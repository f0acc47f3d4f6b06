/* hello [args…]: the first user program. Prints its task port name, argc
 * and each argument (and environment string), then exits 0. If crt0 took
 * a repeated module file name off the front of argv (see ulib.h), the
 * vector as the kernel gave it is printed too. */
#include "ulib.h"

int main(int argc, char **argv, char **envp)
{
    printf("hello from user task %u: argc=%d\n", mach_task_self(), argc);
    for (int i = 0; i < argc; i++)
        printf("  argv[%d] = \"%s\"\n", i, argv[i]);
    for (int i = 0; envp && envp[i]; i++)
        printf("  envp[%d] = \"%s\"\n", i, envp[i]);
    if (__argc_raw != argc)
        printf("  (from the kernel: argc=%d, argv[0] = \"%s\", dropped as the module's file name)\n",
               __argc_raw, __argv_raw[0]);
    printf("hello: done\n");
    return 0;
}
