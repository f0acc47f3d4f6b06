/* portleak N: allocate N receive rights and never deallocate them — the
 * fakeroot port leak. Each right is a port in the kernel (an ipc_port
 * object and an entry in the task's IPC space), so this grows the kernel's
 * port zone/cache and the space's table. */
#include "ulib.h"

int main(int argc, char **argv)
{
    if (argc < 2)
        die("usage: portleak N");
    u32 n = strtoul(argv[1], NULL, 0);
    task_t self = mach_task_self();
    printf("portleak: allocating %u receive rights in task %u\n", n, self);
    for (u32 i = 0; i < n; i++) {
        mach_port_t name = 0;
        kern_return_t kr = mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &name);
        if (kr != KERN_SUCCESS) {
            printf("portleak: mach_port_allocate failed after %u ports: kr=%d (%s)\n", i, kr, kr_name(kr));
            return 1;
        }
        if ((i + 1) % 1000 == 0)
            printf("portleak: %u ports, last name 0x%x\n", i + 1, name);
    }
    printf("portleak: %u ports\n", n);
    return 0;
}
