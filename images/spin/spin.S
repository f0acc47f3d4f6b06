/* u32 spin_loop(u32 iters): exactly 'iters' passes of a 5-instruction
 * body (add, rol, xor, dec, jnz). Returns the accumulator in EAX. */
    .text
    .globl spin_loop
spin_loop:
    movl 4(%esp), %ecx
    movl $0x12345678, %eax
    movl $0x9e3779b9, %edx
    testl %ecx, %ecx
    jz 2f
1:  addl %edx, %eax
    roll $5, %eax
    xorl %eax, %edx
    decl %ecx
    jnz 1b
2:  ret

    .section .note.GNU-stack, "", @progbits
