/*
 * mach86-kernel: the i386 stub of mach86's modelled GNU Mach kernel.
 *
 * The loader enters _start at its physical address (flat 32-bit protected
 * mode, paging off, IF=0, EAX=0x2BADB002, EBX=MBI). The stub:
 *
 *   1. loads its own GDT and a boot stack, prints a banner on COM1;
 *   2. asks the host for KERNELBASE and boot_ptps (HC_PARAMS);
 *   3. builds a boot page directory whose first boot_ptps page tables map
 *      physical [0, boot_ptps * 4 MiB) both at 0 and at KERNELBASE;
 *   4. turns paging on and continues at KERNELBASE + its physical address;
 *   5. reloads the GDT and loads an IDT through their high-half addresses;
 *   6. clears [_bss_pad_start, bss_end_addr) where bss_end_addr is read
 *      from its own loaded multiboot header (mach86 may have padded it);
 *   7. hands over to the host (HC_BOOT), switches CR3 to the host-built
 *      kernel page directory, reads each test word (HC_CHECK), HC_DONE;
 *   8. if the host says so, starts the timer and runs user programs
 *      (run_user, HC_RUN): from then on every trap goes to the host
 *      (HC_TRAP) with its frame, and the host answers with the frame to
 *      resume from (trap_return). The host switches threads by handing
 *      back a frame on another kernel stack and rewriting the TSS's esp0.
 *
 * Everything is linked at its physical address (link.ld). KERNELBASE is
 * chosen at run time, so after the jump to the high half every memory
 * reference to the stub's own data is written sym(%esi) with
 * %esi = KERNELBASE: the displacement is the physical address, the base
 * register turns it into the high-half virtual address. Code addresses that
 * end up in the CPU (IDT gates, jump targets) are computed the same way.
 *
 * Protocol and memory layout: README.md.
 */
#include "multiboot.h"
#include "hypercall.h"

#define MB_FLAGS        (MB_HF_PAGE_ALIGN | MB_HF_MEMINFO | MB_HF_AOUT_KLUDGE)

#define KCODE           KERNEL_CS
#define KDATA           KERNEL_DS

#define BOOT_PTPS_MAX   16
#define STACK_SIZE      16384
#define IDT_ENTRIES     256

#define PG_P            0x001
#define PG_W            0x002
#define PDE_SHIFT       22
#define PDE_MASK        0xFFC00000

#define CR0_WP          0x00010000
#define CR0_PG          0x80000000

/* Gate attributes (high dword, bits 8..15): P, DPL, 32-bit interrupt gate. */
#define GATE_KERN       0x8E00
#define GATE_USER       0xEE00

#define COM1_PORT       0x3F8
#define EXIT_PORT       0xF4

/* 8259A PICs and the 8254 PIT, as a PC has them. */
#define PIC1_CMD        0x20
#define PIC1_DATA       0x21
#define PIC2_CMD        0xA0
#define PIC2_DATA       0xA1
#define PIC_EOI         0x20            /* OCW2: non-specific EOI */
#define IRQ_BASE        0x20            /* IRQ 0-7 -> 0x20-0x27, 8-15 -> 0x28-0x2F */
#define PIT_CH0         0x40
#define PIT_CMD         0x43
#define PIT_CH0_RATE    0x34            /* channel 0, lobyte/hibyte, mode 2, binary */

/* Without a hypercall host (QEMU, or a mach86 that has not registered the
 * port) an OUT to HC_PORT does nothing and HC_PARAMS comes back with EAX
 * still HC_PARAMS, which is not a 4 MiB-aligned KERNELBASE. The stub then
 * runs the same path with these values, says so on COM1 and exits. */
#ifndef NOHOST_KERNELBASE
#define NOHOST_KERNELBASE   0xC0000000
#endif
#ifndef NOHOST_BOOT_PTPS
#define NOHOST_BOOT_PTPS    1
#endif
#define NOHOST_EXIT         0x7E

/* ---------------------------------------------------------------------
 * Multiboot header, a.out kludge. First bytes of .text (0x100000).
 * --------------------------------------------------------------------- */
    .section .multiboot, "a"
    .align 4
    .globl mb_header, mb_bss_end_addr
mb_header:
    .long MB_HEADER_MAGIC
    .long MB_FLAGS
    .long -(MB_HEADER_MAGIC + MB_FLAGS)
    .long mb_header         /* header_addr */
    .long _kernel_start     /* load_addr = 0x100000 */
    .long _edata            /* load_end_addr: end of .data */
mb_bss_end_addr:
    .long _bss_pad_start    /* bss_end_addr: end of .bss; mach86 may raise it */
    .long _start            /* entry_addr */

/* ---------------------------------------------------------------------
 * Entry, paging off: every address is physical = link-time.
 * --------------------------------------------------------------------- */
    .text
    .globl _start
    .type _start, @function
_start:
    cli
    cld
    movl %ebx, %edi                 /* MBI physical address */

    lgdt gdt_desc                   /* base = physical gdt for now */
    ljmp $KCODE, $1f
1:  movw $KDATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movw %ax, %ss
    movl $boot_stack_top, %esp
    pushl $0x2                      /* EFLAGS: IF=0, DF=0 */
    popfl
    movl %edi, stub_mbi

    movl $banner, %ebx
    call cons_puts

    /* HC_PARAMS -> EAX = KERNELBASE, EBX = boot_ptps, ECX = 0,
     * EDX = PIT divisor */
    movl $HC_PARAMS, %eax
    xorl %ebx, %ebx
    xorl %ecx, %ecx
    xorl %ebp, %ebp
    xorl %esi, %esi
    xorl %edi, %edi
    HCALL
    /* EDX = PIT divisor, but EDX also held the port for the OUT, and a
     * host that gives no divisor leaves the port there. 0x5A0 would be a
     * legal divisor, yet it only ever means "not set", so it counts as 0:
     * no timer. With no host at all this is what happens too. */
    cmpl $HC_PORT, %edx
    jne 1f
    xorl %edx, %edx
1:  movl %edx, stub_pit_divisor
    cmpl $HC_PARAMS, %eax
    jne 2f
    movl $1, stub_no_host           /* nobody answered */
    movl $NOHOST_KERNELBASE, %eax
    movl $NOHOST_BOOT_PTPS, %ebx
2:  andl $PDE_MASK, %eax
    movl %eax, %esi                 /* %esi = KERNELBASE from here on */

    /* boot_ptps: at least 1, at most BOOT_PTPS_MAX, and the high alias must
     * not run past PDE 1023. */
    cmpl $1, %ebx
    jae 3f
    movl $1, %ebx
3:  cmpl $BOOT_PTPS_MAX, %ebx
    jbe 4f
    movl $BOOT_PTPS_MAX, %ebx
4:  movl %esi, %ecx
    shrl $PDE_SHIFT, %ecx
    negl %ecx
    addl $1024, %ecx                /* PDEs from KERNELBASE's to the last */
    cmpl %ecx, %ebx
    jbe 5f
    movl %ecx, %ebx
5:  movl %esi, stub_kernelbase
    movl %ebx, stub_boot_ptps

    /* Boot page directory: all 1024 PDEs clear ... */
    movl $boot_pd, %edi
    xorl %eax, %eax
    movl $1024, %ecx
    rep stosl

    /* ... the page tables: they are contiguous, so PTE k counted across
     * all of them maps physical page k (4 KiB pages, P|W) ... */
    movl $boot_ptps, %edi
    movl $(PG_P | PG_W), %eax
    movl %ebx, %ecx
    shll $10, %ecx
6:  stosl
    addl $0x1000, %eax
    loop 6b

    /* ... and PTP i at PDE i (identity) and at PDE (KERNELBASE >> 22) + i. */
    movl $(boot_ptps + PG_P + PG_W), %eax
    movl %esi, %edx
    shrl $PDE_SHIFT, %edx
    leal boot_pd(,%edx,4), %edx     /* &boot_pd[KERNELBASE >> 22] */
    xorl %ecx, %ecx
7:  movl %eax, boot_pd(,%ecx,4)
    movl %eax, (%edx,%ecx,4)
    addl $0x1000, %eax
    incl %ecx
    cmpl %ebx, %ecx
    jb 7b

    /* Paging on, then continue in the high half. */
    movl $boot_pd, %eax
    movl %eax, %cr3
    movl %cr0, %eax
    orl $(CR0_PG | CR0_WP), %eax
    movl %eax, %cr0
    leal high(%esi), %eax
    jmp *%eax

/* ---------------------------------------------------------------------
 * High half: EIP = KERNELBASE + link address. Own data is sym(%esi).
 * --------------------------------------------------------------------- */
high:
    addl %esi, %esp

    /* The TSS, before the GDT that describes it is loaded: its base is
     * KERNELBASE + tss, known only now, and goes into the descriptor in
     * three pieces (bits 15..0, 23..16, 31..24). esp0 starts at the top of
     * the boot stack, so the first ring-3 trap lands where run_user puts
     * its empty frame. The host rewrites esp0 on each context switch. */
    leal tss(%esi), %eax
    movw %ax, gdt+TSS_SEL+2(%esi)
    shrl $16, %eax
    movb %al, gdt+TSS_SEL+4(%esi)
    movb %ah, gdt+TSS_SEL+7(%esi)
    leal boot_stack_top(%esi), %eax
    movl %eax, tss+TSS_ESP0(%esi)

    /* GDT through its high-half address: the host's page tables need not
     * keep the identity map, and an interrupt reads the GDT. */
    leal gdt(%esi), %eax
    movl %eax, gdt_desc+2(%esi)
    lgdt gdt_desc(%esi)
    leal 1f(%esi), %eax
    pushl $KCODE
    pushl %eax
    lret
1:  movw $KDATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movw %ax, %ss
    /* The task register: a trap from ring 3 takes SS:ESP from the TSS.
     * ltr marks the descriptor busy (type 0x8B) in the GDT. */
    movw $TSS_SEL, %ax
    ltr %ax

    /* IDT: one gate per trap_vectors entry {vector, stub pa, attributes}. */
    leal idt(%esi), %edi
    leal trap_vectors(%esi), %ebx
2:  movl (%ebx), %ecx               /* vector; -1 ends the table */
    cmpl $-1, %ecx
    je 3f
    movl 4(%ebx), %eax
    addl %esi, %eax                 /* stub virtual address */
    movl %eax, %edx
    andl $0xFFFF0000, %edx
    orl 8(%ebx), %edx               /* offset 31..16 | P DPL type */
    andl $0x0000FFFF, %eax
    orl $(KCODE << 16), %eax        /* selector | offset 15..0 */
    movl %eax, (%edi,%ecx,8)
    movl %edx, 4(%edi,%ecx,8)
    addl $12, %ebx
    jmp 2b
3:  movl %edi, idt_desc+2(%esi)
    lidt idt_desc(%esi)

    /* Clear [_bss_pad_start, bss_end_addr): the kernel touching its static
     * data. bss_end_addr comes from the header as loaded, not from the link:
     * mach86 pads it. Past the boot mapping this faults (#PF, HC_TRAP). */
    movl mb_bss_end_addr(%esi), %ecx
    movl %ecx, stub_bss_end(%esi)
    subl $_bss_pad_start, %ecx
    jbe 4f                          /* no padding */
    leal _bss_pad_start(%esi), %edi
    xorl %eax, %eax
    movl %ecx, %edx
    shrl $2, %ecx
    rep stosl
    movl %edx, %ecx
    andl $3, %ecx
    rep stosb
4:
    cmpl $0, stub_no_host(%esi)
    jne no_host

    /* HC_BOOT: the host runs the kernel bootstrap. */
    movl stub_mbi(%esi), %ebx
    movl $boot_pd, %ecx
    movl stub_bss_end(%esi), HC_ARG3
    movl $HC_BOOT, %eax
    HCALL
    testl %eax, %eax
    jz halt                         /* the kernel panicked */
    movl %eax, %cr3                 /* the host's kernel page directory */

    /* HC_CHECK for each {va, expected}: read va through the CPU. The loop
     * needs ESI, so KERNELBASE waits on the stack for run_user. */
    pushl %esi                      /* 4(%esp) = KERNELBASE */
    movl %ebx, %esi                 /* test table (kernel va) */
    movl %ecx, %edi                 /* entries left */
    pushl $0                        /* (%esp) = index */
5:  testl %edi, %edi
    jz 6f
    movl (%esi), %ebx               /* va */
    movl (%ebx), %ecx               /* the word there */
    movl (%esp), HC_ARG3
    movl $HC_CHECK, %eax
    HCALL
    addl $8, %esi
    incl (%esp)
    decl %edi
    jmp 5b
6:  addl $4, %esp                  /* the index */
    popl %esi                       /* KERNELBASE; ESP = top of the boot stack */
    /* HC_DONE -> EAX = 0: stop here; 1: run user programs. Anything else
     * (4: nobody answered) also stops. */
    movl $HC_DONE, %eax
    HCALL
    cmpl $1, %eax
    je run_user
    .globl halt
halt:
    cli
    hlt
    jmp halt

no_host:
    leal msg_no_host(%esi), %ebx
    call cons_puts
    movl $NOHOST_EXIT, %eax
    movw $EXIT_PORT, %dx
    outl %eax, %dx
    jmp halt
    .size _start, . - _start

/* ---------------------------------------------------------------------
 * run_user: ESI = KERNELBASE, ESP = KERNELBASE + boot_stack_top, IF=0.
 * Start the timer if the host asked for one, then give the host an empty
 * trap frame and resume whatever frame it hands back. The boot stack
 * becomes the first thread's kernel stack; the stub never returns here.
 * --------------------------------------------------------------------- */
    .globl run_user
    .type run_user, @function
run_user:
    movl stub_pit_divisor(%esi), %ecx
    testl %ecx, %ecx
    jz 1f

    /* 8259 PICs: remap IRQ 0-15 to 0x20-0x2F (the BIOS leaves IRQ 0-7 on
     * the CPU exception vectors 8-15). ICW1 edge, cascade, ICW4 follows;
     * ICW2 vector base; ICW3 slave on the master's IRQ 2; ICW4 8086 mode,
     * normal (not automatic) EOI, which the trap entry sends. */
    movb $0x11, %al
    outb %al, $PIC1_CMD
    outb %al, $PIC2_CMD
    movb $IRQ_BASE, %al
    outb %al, $PIC1_DATA
    movb $(IRQ_BASE + 8), %al
    outb %al, $PIC2_DATA
    movb $0x04, %al
    outb %al, $PIC1_DATA
    movb $0x02, %al
    outb %al, $PIC2_DATA
    movb $0x01, %al
    outb %al, $PIC1_DATA
    outb %al, $PIC2_DATA
    /* Only IRQ 0, the timer. Nothing else has a driver. */
    movb $0xFE, %al
    outb %al, $PIC1_DATA
    movb $0xFF, %al
    outb %al, $PIC2_DATA

    /* PIT channel 0, rate generator: IRQ 0 every divisor / 1.193182 MHz.
     * The low 16 bits are the count (0 = 65536). */
    movb $PIT_CH0_RATE, %al
    outb %al, $PIT_CMD
    movb %cl, %al
    outb %al, $PIT_CH0
    movb %ch, %al
    outb %al, $PIT_CH0

    /* An empty frame at the top of the boot stack: exactly where the CPU
     * and trap entry build one for a trap from ring 3 while esp0 is still
     * boot_stack_top. The host may use it for the first thread. Zeroed, so
     * what the host finds there does not depend on the boot path. */
1:  subl $TF_SIZE, %esp
    movl %esp, %edi
    xorl %eax, %eax
    movl $(TF_SIZE / 4), %ecx
    rep stosl
    movl %esp, %edi                 /* the frame */
    leal tss(%esi), %esi            /* the TSS, for the host to set esp0 */
    movl $HC_RUN, %eax
    HCALL
    /* EAX = the frame to resume: 0 or 6 (nobody answered) halts. */
    testl %eax, %eax
    jz halt
    cmpl $HC_RUN, %eax
    je halt
    movl %eax, %esp
    jmp trap_return
    .size run_user, . - run_user

/* Write the NUL-terminated string at %ebx on COM1. Clobbers EAX, EBX, EDX. */
    .type cons_puts, @function
cons_puts:
    movw $COM1_PORT, %dx
1:  movb (%ebx), %al
    testb %al, %al
    jz 2f
    outb %al, %dx
    incl %ebx
    jmp 1b
2:  ret
    .size cons_puts, . - cons_puts

/* ---------------------------------------------------------------------
 * Trap stubs. Each pushes an error code (0 when the CPU pushes none) and
 * its vector, then reports through HC_TRAP. The frame, from the final ESP
 * up: pushal (EDI ESI EBP ESP EBX EDX ECX EAX, trap-time values), vector,
 * error code, then the CPU's EIP, CS, EFLAGS, and from ring 3 also the
 * user ESP and SS (TF_* in hypercall.h). Both kinds of stub leave the same
 * frame, so trap_noerr and trap_err are one piece of code.
 * --------------------------------------------------------------------- */
    .section .rodata
    .align 4
    .globl trap_vectors
trap_vectors:                       /* {vector, stub pa, gate attributes} */

.macro TRAP vec, err=0, gate=GATE_KERN
    .text
    .globl trap_\vec
trap_\vec:
    .if \err
    pushl $\vec
    jmp trap_err
    .else
    pushl $0
    pushl $\vec
    jmp trap_noerr
    .endif
    .section .rodata
    .long \vec, trap_\vec, \gate
.endm

    /* CPU exceptions; 8, 10-14, 17, 21, 29, 30 push an error code. */
    .irp v, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,22,23,24,25,26,27,28,31
    TRAP \v
    .endr
    .irp v, 8,10,11,12,13,14,17,21,29,30
    TRAP \v, 1
    .endr
    /* IRQ 0-15 (0x20-0x2F). */
    .irp v, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
    TRAP \v
    .endr
    /* The system call vector 0x80, reachable from user mode (DPL 3). */
    TRAP 128, 0, GATE_USER

    .section .rodata
    .long -1, 0, 0

    .text
    .globl trap_noerr, trap_err
    .type trap_noerr, @function
trap_noerr:                         /* (%esp): vector, 0 (ours), EIP, CS, EFLAGS [, ESP, SS] */
trap_err:                           /* (%esp): vector, error code, EIP, CS, EFLAGS [, ESP, SS] */
    pushal
    /* User mode runs with USER_DS in the data segments; the CPU loaded
     * only CS and SS (from the TSS). */
    movw $KDATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    cld
    movl TF_VECTOR(%esp), %ebx

    /* An IRQ: acknowledge it at the PIC(s) now, before the host runs and
     * maybe switches threads; the frame it resumes may be anywhere. IF is
     * 0 until the iret, so the next IRQ cannot nest. */
    movl %ebx, %eax
    subl $IRQ_BASE, %eax
    cmpl $16, %eax
    jae 2f                          /* not 0x20..0x2F */
    movb $PIC_EOI, %al
    cmpl $(IRQ_BASE + 8), %ebx
    jb 1f
    outb %al, $PIC2_CMD             /* IRQ 8-15: the slave too */
1:  outb %al, $PIC1_CMD

2:  movl TF_ERR(%esp), %ecx
    movl TF_EIP(%esp), HC_ARG3      /* faulting EIP */
    movl %cr2, %esi
    movl %esp, %edi                 /* the frame */
    movl $HC_TRAP, %eax
    HCALL
    /* EAX = the frame to resume: 0 or 5 (nobody answered) halts. The
     * halt keeps the registers of the call for a dump. */
    testl %eax, %eax
    jz 3f
    cmpl $HC_TRAP, %eax
    je 3f
    movl %eax, %esp
    jmp trap_return
3:  cli
    hlt
    jmp 3b
    .size trap_noerr, . - trap_noerr

/* Resume the trap frame at ESP (TF_* in hypercall.h): a frame trap entry
 * built, or one the host filled in. The data segments follow the ring the
 * frame returns to; iret loads CS, EFLAGS and, for ring 3, SS:ESP. The
 * pushal ESP slot is ignored. */
    .globl trap_return
    .type trap_return, @function
trap_return:
    movl $KDATA, %eax
    testb $3, TF_CS(%esp)
    jz 1f
    movl $USER_DS, %eax
1:  movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    popal
    addl $8, %esp                   /* vector, error code */
    iret
    .size trap_return, . - trap_return

    .section .rodata
banner:
    .asciz "mach86-kernel stub\n"
msg_no_host:
    .asciz "mach86-kernel stub: no hypercall host\n"

/* ---------------------------------------------------------------------
 * Data (loaded from the file).
 * --------------------------------------------------------------------- */
    .data
    .align 8
    .globl gdt, gdt_desc, idt_desc
gdt:
    .quad 0x0000000000000000        /* 0x00 null */
    .quad 0x00CF9A000000FFFF        /* 0x08 code: base 0, 4 GiB, 32-bit, ring 0 */
    .quad 0x00CF92000000FFFF        /* 0x10 data: base 0, 4 GiB, 32-bit, ring 0 */
    .quad 0x00CFFA000000FFFF        /* 0x18 code: base 0, 4 GiB, 32-bit, ring 3 */
    .quad 0x00CFF2000000FFFF        /* 0x20 data: base 0, 4 GiB, 32-bit, ring 3 */
    .quad 0x0000890000000067        /* 0x28 32-bit TSS, limit 103, DPL 0;
                                       base KERNELBASE + tss set at run time */
gdt_end:
    .align 4
    .word 0                         /* so the base below is 4-aligned */
gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt                       /* physical; KERNELBASE + gdt once high */
    .word 0
idt_desc:
    .word IDT_ENTRIES * 8 - 1
    .long 0                         /* KERNELBASE + idt, set at run time */

    /* The one TSS. The CPU reads only ss0:esp0 (a trap from ring 3) and
     * the I/O map base: = the size, so there is no bitmap and, with IOPL 0,
     * user IN/OUT raise #GP. The host learns its address from HC_RUN. */
    .align 8
    .globl tss
    .type tss, @object
tss:
    .long 0                         /* 0 back link */
    .long boot_stack_top            /* 4 esp0: KERNELBASE + this at run time */
    .long KDATA                     /* 8 ss0 */
    .fill (100 - 12) / 4, 4, 0      /* 12..99 esp1 .. LDT, unused */
    .word 0                         /* 100 T flag */
    .word TSS_SIZE                  /* 102 I/O map base: no bitmap */
    .size tss, . - tss

    /* What the stub used, for dumps and debuggers. */
    .align 4
    .globl stub_kernelbase, stub_boot_ptps, stub_mbi, stub_bss_end, stub_no_host
    .globl stub_pit_divisor
stub_kernelbase:    .long 0
stub_boot_ptps:     .long 0
stub_mbi:           .long 0         /* EBX at entry */
stub_bss_end:       .long 0         /* bss_end_addr as read from the header */
stub_no_host:       .long 0         /* 1: HC_PARAMS went unanswered */
stub_pit_divisor:   .long 0         /* HC_PARAMS' EDX; 0: no timer */

/* ---------------------------------------------------------------------
 * The real bss (zeroed by the loader). Padding starts after it
 * (_bss_pad_start, link.ld).
 * --------------------------------------------------------------------- */
    .bss
    .balign 4096
    .globl boot_pd, boot_ptps, idt, boot_stack, boot_stack_top
boot_pd:
    .skip 4096
boot_ptps:
    .skip BOOT_PTPS_MAX * 4096
idt:
    .skip IDT_ENTRIES * 8
    .balign 16
boot_stack:
    .skip STACK_SIZE
boot_stack_top:

/* GNU Mach's resident-page globals (vm/vm_resident.c), under Mach's names.
 * The stub never touches them: the host kernel keeps them current with its
 * vm_page array (kernel/vm/vm_page_ram.ts), so a dump or a reader of Mach's
 * structures finds the queues the structs link into, and the counts. */
    .balign 4
    .globl vm_page_queue_free, vm_page_queue_active, vm_page_queue_inactive
    .globl vm_page_free_count, vm_page_active_count, vm_page_inactive_count
    .globl vm_page_wire_count
vm_page_queue_free:                 /* vm_page_t: LIFO through pageq.next */
    .skip 4
vm_page_queue_active:               /* queue_head_t {next, prev} */
    .skip 8
vm_page_queue_inactive:             /* queue_head_t {next, prev} */
    .skip 8
vm_page_free_count:
    .skip 4
vm_page_active_count:
    .skip 4
vm_page_inactive_count:
    .skip 4
vm_page_wire_count:
    .skip 4

    .section .note.GNU-stack, "", @progbits
