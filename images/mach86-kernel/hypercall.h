/*
 * The mach86 hypercall interface, guest side (see README.md).
 *
 * One 32-bit port. The call number goes in EAX, arguments in EBX, ECX,
 * HC_ARG3 (EBP), ESI, EDI; EDX must hold the port number for `outl %eax,%dx`
 * (0x5A0 does not fit the 8-bit immediate form), so it cannot carry an
 * argument. The host handles the call inside the OUT and may rewrite EAX,
 * EBX, ECX and EDX with results.
 *
 * A call nobody answered comes back with EAX still the call number (and
 * EDX still HC_PORT). The stub reads it that way: HC_PARAMS -> no host;
 * HC_PARAMS' EDX == HC_PORT -> no timer; HC_DONE, HC_TRAP, HC_RUN -> halt.
 */
#ifndef MACH86_HYPERCALL_H
#define MACH86_HYPERCALL_H

#define HC_PORT     0x5A0

#define HC_PARAMS   1   /* -> EAX=KERNELBASE, EBX=boot_ptps, ECX=0 (PAE, reserved),
                           EDX=PIT divisor (0, or HC_PORT left as it was: no timer) */
#define HC_BOOT     2   /* EBX=MBI pa, ECX=boot PD pa, ARG3=bss_end_addr
                           -> EAX=CR3 (0: panicked), EBX=test table va, ECX=count */
#define HC_CHECK    3   /* EBX=va, ECX=value read, ARG3=index */
#define HC_DONE     4   /* no arguments -> EAX=0: halt, 1: run_user (else halt) */
#define HC_TRAP     5   /* EBX=vector, ECX=error code, ARG3=EIP, ESI=CR2,
                           EDI=trap frame (ESP after pushal)
                           -> EAX=trap frame to resume from (0: halt) */
#define HC_RUN      6   /* EDI=empty trap frame on the boot stack, ESI=TSS va
                           -> EAX=trap frame to resume from (0: halt) */

/* Segment selectors. User mode runs with CS=USER_CS and DS=ES=FS=GS=SS=USER_DS. */
#define KERNEL_CS   0x08
#define KERNEL_DS   0x10
#define USER_CS     0x1B    /* GDT entry 0x18, RPL 3 */
#define USER_DS     0x23    /* GDT entry 0x20, RPL 3 */
#define TSS_SEL     0x28

/* The TSS: the host rewrites esp0 on every context switch. */
#define TSS_ESP0    4
#define TSS_SS0     8
#define TSS_IOMAP   102     /* 16-bit I/O map base; = TSS_SIZE: no bitmap */
#define TSS_SIZE    104

/* The trap frame (HC_TRAP's EDI, HC_RUN's EDI and result, trap_return's
 * ESP), from its base upwards: pushal, vector, error code, the CPU's frame. */
#define TF_EDI      0
#define TF_ESI      4
#define TF_EBP      8
#define TF_ESP      12      /* pushal's ESP (ignored by popal) */
#define TF_EBX      16
#define TF_EDX      20
#define TF_ECX      24
#define TF_EAX      28
#define TF_VECTOR   32
#define TF_ERR      36
#define TF_EIP      40
#define TF_CS       44
#define TF_EFLAGS   48
#define TF_USER_ESP 52      /* only when (CS & 3) != 0 */
#define TF_USER_SS  56      /* only when (CS & 3) != 0 */
#define TF_SIZE     60      /* a ring-3 frame; a ring-0 frame uses 52 */

#ifdef __ASSEMBLER__
/* The register that carries the third argument. */
#define HC_ARG3     %ebp

/* Make the hypercall whose number and arguments are already in place. */
.macro HCALL
    movl $HC_PORT, %edx
    outl %eax, %dx
.endm
#endif

#endif
