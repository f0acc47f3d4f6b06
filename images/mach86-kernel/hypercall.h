/*
 * The mach86 hypercall interface, guest side (see README.md).
 *
 * One 32-bit port. The call number goes in EAX, arguments in EBX, ECX,
 * HC_ARG3 (EBP), ESI, EDI; EDX must hold the port number for `outl %eax,%dx`
 * (0x5A0 does not fit the 8-bit immediate form), so it cannot carry an
 * argument. The host handles the call inside the OUT and may rewrite EAX,
 * EBX, ECX and EDX with results.
 */
#ifndef MACH86_HYPERCALL_H
#define MACH86_HYPERCALL_H

#define HC_PORT     0x5A0

#define HC_PARAMS   1   /* -> EAX=KERNELBASE, EBX=boot_ptps, ECX=0 (PAE, reserved) */
#define HC_BOOT     2   /* EBX=MBI pa, ECX=boot PD pa, ARG3=bss_end_addr
                           -> EAX=CR3 (0: panicked), EBX=test table va, ECX=count */
#define HC_CHECK    3   /* EBX=va, ECX=value read, ARG3=index */
#define HC_DONE     4   /* no arguments; does not return */
#define HC_TRAP     5   /* EBX=vector, ECX=error code, ARG3=EIP, ESI=CR2,
                           EDI=ESP after the CPU pushed its frame */

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
