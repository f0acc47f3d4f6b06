/*
 * bench/native/compute_mb.S — the loop of images/user/compute.c as a bare
 * multiboot kernel: the reference for "guest MIPS of a user program under
 * the kernel" with the same instruction mix (bench/run.ts builds it with
 * -DMILLIONS=N and runs it on bare v86 through bench/mips_child.ts).
 *
 * MILLIONS million iterations of compute's 9 instructions (xor, imul, mov,
 * shr, xor, add, inc, cmp, jne), the same hash with the same outer loop
 * (h = hash_million(h ^ r), h starts at the FNV offset basis), so the
 * result printed is compute's ("compute 200" -> 0xfeb11a3f). Prints
 * "spin done acc=0x<h>" on COM1 (mips_child waits for "spin done") and
 * writes 0 to the exit port 0xF4. No stack, no IDT, interrupts off.
 */
#ifndef MILLIONS
#define MILLIONS 40
#endif

#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x3            /* page-aligned modules, memory info */

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .text
    .globl _start
_start:
    cli
    movl $0x811C9DC5, %eax      /* h */
    xorl %ebx, %ebx             /* r */
    movl $1000000, %edi         /* n */
outer:
    xorl %ebx, %eax             /* h ^= r */
    xorl %ecx, %ecx             /* i = 0 */
1:  xorl %ecx, %eax
    imull $0x01000193, %eax, %eax
    movl %eax, %edx
    shrl $15, %edx
    xorl %edx, %eax
    addl $0x9E3779B9, %eax
    incl %ecx
    cmpl %ecx, %edi
    jne 1b
    incl %ebx
    cmpl $MILLIONS, %ebx
    jne outer

    /* "spin done acc=0x" then 8 hex digits of h, "\n" */
    movl %eax, %ebp
    movl $msg, %esi
    movw $0x3F8, %dx
2:  movb (%esi), %al
    testb %al, %al
    jz 3f
    outb %al, %dx
    incl %esi
    jmp 2b
3:  movl $8, %ecx
4:  roll $4, %ebp
    movl %ebp, %eax
    andl $0xF, %eax
    movb hex(%eax), %al
    outb %al, %dx
    decl %ecx
    jnz 4b
    movb $'\n', %al
    outb %al, %dx
    xorl %eax, %eax
    movw $0xF4, %dx
    outl %eax, %dx
5:  hlt
    jmp 5b

    .section .rodata
msg: .asciz "spin done acc=0x"
hex: .ascii "0123456789abcdef"

    .section .note.GNU-stack, "", @progbits
