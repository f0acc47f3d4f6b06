/* System-call numbers for assembly (crt0.S). They must equal the SYS_*
 * values of ../mach86.h, the ABI contract; ulib.c checks that at compile
 * time. */
#ifndef MACH86_SYS_H
#define MACH86_SYS_H
#define SYS_task_exit 2
#endif
