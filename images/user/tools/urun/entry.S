/* urun entry: multiboot header, GDT (kernel and DPL-3 user segments, TSS),
 * trap stubs for vectors 0-31 and 0x80 (int $0x80 is a DPL-3 gate), and
 * enter_frame(), which returns to user mode through a saved frame. */
    .section .multiboot, "a"
    .align 4
    .long 0x1BADB002
    .long 0x3
    .long -(0x1BADB002 + 0x3)

    .text
    .globl _start
_start:
    cli
    movl $kstack_top, %esp
    pushl %ebx
    lgdt gdt_ptr
    ljmp $0x08, $1f
1:  movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movw %ax, %ss
    call kmain
2:  cli
    hlt
    jmp 2b

/* trap entry: vectors 0-31 and 0x80 */
#define NOERR(n) .globl isr##n; isr##n: pushl $0; pushl $n; jmp common;;
#define ERR(n)   .globl isr##n; isr##n: pushl $n; jmp common;;
NOERR(0) NOERR(1) NOERR(2) NOERR(3) NOERR(4) NOERR(5) NOERR(6) NOERR(7)
ERR(8) NOERR(9) ERR(10) ERR(11) ERR(12) ERR(13) ERR(14) NOERR(15)
NOERR(16) ERR(17) NOERR(18) NOERR(19) NOERR(20) NOERR(21) NOERR(22) NOERR(23)
NOERR(24) NOERR(25) NOERR(26) NOERR(27) NOERR(28) NOERR(29) NOERR(30) NOERR(31)
NOERR(128)

common:
    pushal
    pushl %ds
    pushl %es
    pushl %fs
    pushl %gs
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    pushl %esp
    call trap
    addl $4, %esp
    .globl trap_return
trap_return:
    popl %gs
    popl %fs
    popl %es
    popl %ds
    popal
    addl $8, %esp
    iret

/* enter_frame(frame*): switch to the frame and return to user */
    .globl enter_frame
enter_frame:
    movl 4(%esp), %esp
    jmp trap_return

    .data
    .align 8
    .globl gdt
gdt:
    .quad 0
    .quad 0x00CF9A000000FFFF    /* 0x08 kcode */
    .quad 0x00CF92000000FFFF    /* 0x10 kdata */
    .quad 0x00CFFA000000FFFF    /* 0x18 ucode dpl3 */
    .quad 0x00CFF2000000FFFF    /* 0x20 udata dpl3 */
    .quad 0                     /* 0x28 tss, filled in */
gdt_end:
    .align 4
    .word 0
gdt_ptr:
    .word gdt_end - gdt - 1
    .long gdt

    .bss
    .align 16
    .skip 65536
    .globl kstack_top
kstack_top:
    .section .note.GNU-stack, "", @progbits
