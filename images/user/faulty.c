/*
 * faulty MODE: misbehave on purpose.
 *
 *   null    read address 0                        -> page fault, killed
 *   text    write into its own text (R-X segment) -> page fault, killed
 *   kernel  read 0xC0000000 (kernel half)         -> page fault, killed
 *   badsys  system call 999: must return KERN_INVALID_ARGUMENT (4);
 *           exit 0 if it does, 1 otherwise
 *   badptr  vm_allocate with its address pointer = 0x10: must return
 *           KERN_INVALID_ADDRESS (1); exit 0 if it does, 1 otherwise
 *
 * The faulting modes print "faulty: about to <what>" first. The kernel
 * must kill the task at the fault; if the program gets past it, it prints
 * "faulty: survived" and exits 1.
 */
#include "ulib.h"

static volatile u32 sink;

static int survived(void)
{
    printf("faulty: survived (read 0x%08x)\n", sink);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        die("usage: faulty null|text|kernel|badsys|badptr");
    const char *mode = argv[1];

    if (!strcmp(mode, "null")) {
        printf("faulty: about to read address 0x00000000\n");
        sink = *(volatile u32 *)0;
        return survived();
    }
    if (!strcmp(mode, "text")) {
        volatile u32 *p = (volatile u32 *)(void *)&main;
        printf("faulty: about to write into my own text at 0x%08x\n", (u32)p);
        *p = 0xCCCCCCCCu;
        sink = *p;
        return survived();
    }
    if (!strcmp(mode, "kernel")) {
        printf("faulty: about to read kernel address 0xc0000000\n");
        sink = *(volatile u32 *)0xC0000000u;
        return survived();
    }
    if (!strcmp(mode, "badsys")) {
        kern_return_t kr = mach86_syscall(999, 0, 0, 0, 0, 0);
        printf("faulty: system call 999 returned kr=%d (%s), expected %d (KERN_INVALID_ARGUMENT)\n",
               kr, kr_name(kr), KERN_INVALID_ARGUMENT);
        return kr == KERN_INVALID_ARGUMENT ? 0 : 1;
    }
    if (!strcmp(mode, "badptr")) {
        kern_return_t kr = vm_allocate(mach_task_self(), (vm_address_t *)0x10, 4096, 1);
        printf("faulty: vm_allocate(addr pointer 0x10) returned kr=%d (%s), expected %d (KERN_INVALID_ADDRESS)\n",
               kr, kr_name(kr), KERN_INVALID_ADDRESS);
        return kr == KERN_INVALID_ADDRESS ? 0 : 1;
    }
    die("unknown MODE '%s' (null, text, kernel, badsys, badptr)", mode);
}
