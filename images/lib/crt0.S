/* Common entry for mach86 test kernels.
 *
 * Build variants (see images/Makefile):
 *   crt0.o        multiboot ELF header, installs the exception IDT
 *   crt0-noidt.o  same, but leaves the IDT alone (-DNO_IDT)
 *   crt0-aout.o   header with the a.out kludge (flag 16) and its address
 *                 fields taken from link.ld symbols (-DAOUT_KLUDGE)
 *
 * The loader enters at _start in flat 32-bit protected mode, paging off,
 * IF=0, EAX=0x2BADB002, EBX=MBI address, ESP unspecified. */
#include "multiboot.h"

#ifdef AOUT_KLUDGE
#define MB_FLAGS (MB_HF_PAGE_ALIGN | MB_HF_MEMINFO | MB_HF_AOUT_KLUDGE)
#else
#define MB_FLAGS (MB_HF_PAGE_ALIGN | MB_HF_MEMINFO)
#endif

#define STACK_SIZE 16384

    .section .multiboot, "a"
    .align 4
    .globl mb_header
mb_header:
    .long MB_HEADER_MAGIC
    .long MB_FLAGS
    .long -(MB_HEADER_MAGIC + MB_FLAGS)
#ifdef AOUT_KLUDGE
    .long mb_header         /* header_addr */
    .long __load_start      /* load_addr */
    .long __load_end        /* load_end_addr */
    .long __bss_end         /* bss_end_addr */
    .long _start            /* entry_addr */
#endif

    .text
    .globl _start
_start:
#ifdef PROBE_ENTRY
    /* Keep the machine state the loader left, before touching anything:
     * general registers, segments, control and descriptor-table registers
     * (the probe image prints them). EFLAGS needs a stack: taken after ESP. */
    movl %eax, probe_entry + 0
    movl %ebx, probe_entry + 4
    movl %ecx, probe_entry + 8
    movl %edx, probe_entry + 12
    movl %esi, probe_entry + 16
    movl %edi, probe_entry + 20
    movl %ebp, probe_entry + 24
    movl %esp, probe_entry + 28
    movw %cs, probe_entry + 32
    movw %ds, probe_entry + 34
    movw %es, probe_entry + 36
    movw %fs, probe_entry + 38
    movw %gs, probe_entry + 40
    movw %ss, probe_entry + 42
    movl %cr0, %eax
    movl %eax, probe_entry + 44
    movl %cr3, %eax
    movl %eax, probe_entry + 48
    movl %cr4, %eax
    movl %eax, probe_entry + 52
    sgdt probe_entry + 56
    sidt probe_entry + 64
    movl $stack_top, %esp
    pushfl
    popl probe_entry + 72
    movl probe_entry + 0, %eax
    movl probe_entry + 4, %ebx
#endif
    cli
    movl $stack_top, %esp   /* first thing: our own stack */
    movl %eax, %esi         /* multiboot magic */
    movl %ebx, %edi         /* MBI physical address */

    lgdt gdt_ptr
    ljmp $0x08, $1f
1:  movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movw %ax, %ss
    xorl %ebp, %ebp
    pushl $0x2              /* known EFLAGS: IF=0, DF=0 (bit 1 is reserved-1) */
    popfl

#ifndef NO_IDT
    call idt_init
#endif

    subl $8, %esp           /* keep 16-byte alignment at the call */
    pushl %edi
    pushl %esi
    call kmain              /* int kmain(u32 magic, struct mb_info *mbi) */
    addl $16, %esp
    pushl %eax
    call exit               /* exit(kmain's return value) */
2:  cli
    hlt
    jmp 2b

    .data
    .align 8
gdt:
    .quad 0x0000000000000000    /* 0x00 null */
    .quad 0x00CF9B000000FFFF    /* 0x08 code: base 0, 4 GiB, 32-bit, ring 0 */
    .quad 0x00CF93000000FFFF    /* 0x10 data: base 0, 4 GiB, 32-bit, ring 0 */
gdt_end:
    .align 4
    .word 0                     /* pad so the base below is 4-aligned */
gdt_ptr:
    .word gdt_end - gdt - 1
    .long gdt

#ifdef PROBE_ENTRY
    .align 4
    .globl probe_entry
probe_entry:
    .skip 76
#endif

    .bss
    .align 16
stack_bottom:
    .skip STACK_SIZE
    .globl stack_top
stack_top:

    .section .note.GNU-stack, "", @progbits
