/*
 * taskchurn N: create and destroy N tasks, one at a time.
 *
 * Each round: task_create(self, inherit_memory = 1) — the child gets a
 * copy-on-write copy of this task's memory, including a 16 KiB stack area
 * allocated once before the loop — and thread_create_running() on
 * child_main (see spawn_task in lib/ulib.h). The child writes a few pages
 * of a static buffer (copy-on-write / zero-fill faults in the child) and
 * task_exit(0)s. The parent yields twice with thread_switch() and then
 * task_terminate()s the child: KERN_SUCCESS (it was still there) or
 * KERN_INVALID_ARGUMENT (it had exited) are both fine.
 *
 * Child 0 prints where the kernel put thread_create_running's argument.
 * Exit 0 after "taskchurn: N tasks created", 1 if a call failed.
 */
#include "ulib.h"

#define STACK_SIZE  (16 * 1024)
#define CHILD_PAGES 4
#define ARG_TAG     0x7A5C0000u     /* arg = ARG_TAG | i: easy to recognise */

static u8 child_buf[CHILD_PAGES * 4096];    /* bss: zero-fill in both tasks */
static u32 parent_word = 0x5EED0000u;       /* data: COW-shared with children */

static int child_main(u32 arg)
{
    u32 i = arg & 0xFFFF;
    if (i == 0) {
        const struct spawn_regs *r = spawn_entry_regs();
        printf("taskchurn: child 0 (task %u) runs: arg 0x%08x found in %s; entry eax=0x%x ebx=0x%x "
               "ecx=0x%x edx=0x%x esp=0x%08x\n",
               mach_task_self(), arg, spawn_arg_location(arg), r->eax, r->ebx, r->ecx, r->edx, r->esp);
    }
    /* Touch a few pages: write, then read back. */
    for (u32 p = 0; p < CHILD_PAGES; p++) {
        volatile u32 *w = (volatile u32 *)&child_buf[p * 4096];
        w[0] = arg ^ p;
        w[1023] = ~arg;
        if (w[0] != (arg ^ p) || w[1023] != ~arg) {
            printf("taskchurn: child %u: page %u does not read back\n", i, p);
            return 2;
        }
    }
    if (parent_word != 0x5EED0000u) {
        printf("taskchurn: child %u: inherited data word is 0x%08x\n", i, parent_word);
        return 3;
    }
    parent_word = arg;      /* a COW fault: the parent must not see it */
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        die("usage: taskchurn N");
    u32 n = strtoul(argv[1], NULL, 0);
    task_t self = mach_task_self();

    vm_address_t stack = 0;
    kern_return_t kr = vm_allocate(self, &stack, STACK_SIZE, 1);
    if (kr != KERN_SUCCESS)
        die("vm_allocate(stack) failed: kr=%d (%s)", kr, kr_name(kr));
    printf("taskchurn: %u tasks, child stack 0x%08x-0x%08x\n", n, stack, stack + STACK_SIZE);

    u32 terminated = 0, gone = 0;
    for (u32 i = 0; i < n; i++) {
        task_t child = 0;
        const char *which = "";
        kr = spawn_task(child_main, ARG_TAG | (i & 0xFFFF), stack, STACK_SIZE, &child, &which);
        if (kr != KERN_SUCCESS) {
            printf("taskchurn: %s failed at task %u: kr=%d (%s)\n", which, i, kr, kr_name(kr));
            return 1;
        }
        thread_switch();
        thread_switch();
        kr = task_terminate(child);
        if (kr == KERN_SUCCESS)
            terminated++;
        else if (kr == KERN_INVALID_ARGUMENT)
            gone++;
        else {
            printf("taskchurn: task_terminate(%u) of task %u failed: kr=%d (%s)\n", child, i, kr, kr_name(kr));
            return 1;
        }
        if (parent_word != 0x5EED0000u) {
            printf("taskchurn: the parent sees a child's write: 0x%08x\n", parent_word);
            return 1;
        }
        if ((i + 1) % 50 == 0 && i + 1 < n)
            printf("taskchurn: %u tasks so far\n", i + 1);
    }

    char line[200];
    vm_stats_line(line, sizeof(line));
    printf("taskchurn: %s\n", line);
    printf("taskchurn: terminated %u still running, %u had already exited\n", terminated, gone);
    printf("taskchurn: %u tasks created\n", n);
    vm_deallocate(self, stack, STACK_SIZE);
    return 0;
}
