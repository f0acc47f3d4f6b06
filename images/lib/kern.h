/* The tiny runtime every mach86 test kernel links against (libk.a). */
#ifndef MACH86_KERN_H
#define MACH86_KERN_H

#include "types.h"
#include "multiboot.h"

/* Port conventions of the mach86 test machine. */
#define COM1_PORT  0x3F8
#define EXIT_PORT  0xF4

/* Entry point each image provides; called by crt0 with EAX and EBX as
 * the loader left them. Returning from it exits with the returned code. */
int kmain(u32 magic, struct mb_info *mbi);

/* console.c: COM1 output. */
void putc(char c);
void puts(const char *s);                 /* no newline appended */
void puthex32(u32 v);                     /* 8 lowercase hex digits, no 0x */
void puthex16(u32 v);                     /* 4 lowercase hex digits, no 0x */
void putdec(u32 v);                       /* unsigned decimal */
void putstrn(const char *s, u32 max);     /* at most max chars of a C string */

/* exit.c: stop the machine via port 0xF4; never returns. */
void exit(u32 code) __attribute__((noreturn));
void halt_forever(void) __attribute__((noreturn));

/* util.c */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
size_t strlen(const char *s);
/* Looks for a whitespace-separated token "key=N" (N decimal) in cmdline.
 * Returns 1 and stores N on success, 0 when absent or malformed. */
int cmdline_get_u32(const char *cmdline, const char *key, u32 *out);
/* The MBI command line, or "" when the loader gave none. */
const char *mbi_cmdline(u32 magic, const struct mb_info *mbi);

#endif
