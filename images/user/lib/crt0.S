/* crt0 for mach86 user programs (ring 3).
 *
 * At _start the kernel has set up the initial stack the System V i386 way:
 *
 *   ESP ->  argc
 *           argv[0] ... argv[argc-1]
 *           0
 *           envp[0] ... 0
 *
 * No register is assumed to hold anything. _start clears EBP (end of the
 * frame chain), records the vector as given in __argc_raw/__argv_raw and
 * envp in environ, lets __ulib_argv_fixup (ulib.c) set __argc/__argv (the
 * same vector, minus a leading module file name that the boot script
 * repeats: see there), aligns the stack to 16 bytes at the call, calls
 * int main(int argc, char **argv, char **envp) and passes its return value
 * to task_exit(). If task_exit ever returned, the ud2 makes the kernel
 * kill the task rather than spin.
 *
 * __spawn_entry is where a thread started by spawn_task() (ulib.c) begins;
 * see the comment there. */
#include "mach86_sys.h"

    .section .text.start, "ax"
    .globl _start
    .type _start, @function
_start:
    xorl %ebp, %ebp
    movl (%esp), %eax               /* argc */
    leal 4(%esp), %ecx              /* argv */
    leal 8(%esp,%eax,4), %edx       /* envp = &argv[argc + 1] */
    movl %ecx, __argv_raw
    movl %eax, __argc_raw
    movl %edx, environ
    andl $-16, %esp
    call __ulib_argv_fixup          /* sets __argc/__argv (ulib.c) */
    subl $4, %esp                   /* 3 pushes: ESP % 16 == 0 at the call */
    pushl environ
    pushl __argv
    pushl __argc
    call main
    movl %eax, %ebx                 /* task_exit(main's return value) */
    movl $SYS_task_exit, %eax
    int $0x80
1:  ud2
    jmp 1b
    .size _start, . - _start

/* Entry of a thread made by spawn_task(). The kernel's thread_create_running
 * ABI does not say how `arg` is delivered, so nothing here depends on it:
 * the entry records the registers and the two stack words it was given
 * (for diagnostics: spawn_entry_regs()), then takes its stack, function and
 * argument from the copy of the parent's memory the task inherited. */
    .text
    .globl __spawn_entry
    .type __spawn_entry, @function
__spawn_entry:
    movl %eax, __spawn_regs + 0
    movl %ebx, __spawn_regs + 4
    movl %ecx, __spawn_regs + 8
    movl %edx, __spawn_regs + 12
    movl %esi, __spawn_regs + 16
    movl %edi, __spawn_regs + 20
    movl %esp, __spawn_regs + 24
    /* read [esp] and [esp+4] only if ESP is inside the prepared stack */
    movl __spawn_stack_lo, %eax
    cmpl %eax, %esp
    jb 2f
    movl __spawn_stack_hi, %eax
    subl $8, %eax
    cmpl %eax, %esp
    ja 2f
    movl (%esp), %eax
    movl %eax, __spawn_regs + 28
    movl 4(%esp), %eax
    movl %eax, __spawn_regs + 32
    movl $1, __spawn_regs + 36
2:  movl __spawn_esp, %esp
    xorl %ebp, %ebp
    pushl __spawn_arg
    call *__spawn_fn
    movl %eax, %ebx
    movl $SYS_task_exit, %eax
    int $0x80
3:  ud2
    jmp 3b
    .size __spawn_entry, . - __spawn_entry

    /* One initialised word, so that every program's RW segment has file
     * contents (p_filesz > 0), the common case for a loader. */
    .data
    .align 4
    .globl __ulib_data_marker
__ulib_data_marker:
    .long 0x6d383675                /* "u68m" */

    .bss
    .align 4
    .globl __argc_raw, __argv_raw, environ
__argc_raw: .skip 4
__argv_raw: .skip 4
environ:    .skip 4

    .section .note.GNU-stack, "", @progbits
