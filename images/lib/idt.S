/* Exception entry stubs for vectors 0..31. Vectors without a CPU error
 * code push a 0 so every stub hands exc_common the same frame:
 *   0(%esp)=vector 4(%esp)=error code 8(%esp)=EIP 12=CS 16=EFLAGS */

.macro EXC_STUB n, has_err
    .globl exc_stub_\n
exc_stub_\n:
    .if \has_err == 0
    pushl $0
    .endif
    pushl $\n
    jmp exc_common
.endm

    .text
    EXC_STUB 0, 0
    EXC_STUB 1, 0
    EXC_STUB 2, 0
    EXC_STUB 3, 0
    EXC_STUB 4, 0
    EXC_STUB 5, 0
    EXC_STUB 6, 0
    EXC_STUB 7, 0
    EXC_STUB 8, 1
    EXC_STUB 9, 0
    EXC_STUB 10, 1
    EXC_STUB 11, 1
    EXC_STUB 12, 1
    EXC_STUB 13, 1
    EXC_STUB 14, 1
    EXC_STUB 15, 0
    EXC_STUB 16, 0
    EXC_STUB 17, 1
    EXC_STUB 18, 0
    EXC_STUB 19, 0
    EXC_STUB 20, 0
    EXC_STUB 21, 1
    EXC_STUB 22, 0
    EXC_STUB 23, 0
    EXC_STUB 24, 0
    EXC_STUB 25, 0
    EXC_STUB 26, 0
    EXC_STUB 27, 0
    EXC_STUB 28, 0
    EXC_STUB 29, 1
    EXC_STUB 30, 1
    EXC_STUB 31, 0

exc_common:
    cld
    movl %cr2, %eax
    movl 0(%esp), %ebx      /* vector */
    movl 4(%esp), %ecx      /* error code */
    movl 8(%esp), %edx      /* faulting EIP */
    pushl %eax
    pushl %edx
    pushl %ecx
    pushl %ebx
    call exc_handler        /* does not return */
1:  cli
    hlt
    jmp 1b

    .section .rodata
    .align 4
    .globl exc_stub_table
exc_stub_table:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .long exc_stub_\n
    .endr

    .section .note.GNU-stack, "", @progbits
