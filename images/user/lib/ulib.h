/*
 * ulib.h — a tiny freestanding C library for mach86 user programs.
 *
 * Output goes through console_write(); every printf() call is formatted
 * into a buffer and written with one console_write (a long output is
 * written in 512-byte pieces), so a line printed with one call is never
 * interleaved with another task's output.
 *
 * printf conversions: %s %d %i %u %x %X %p %c %%, with the flags '-' and
 * '0', a field width (or '*'), and an 'l' length modifier that is accepted
 * and ignored (long is 32 bits). No floating point, no 64-bit arithmetic.
 */
#ifndef MACH86_ULIB_H
#define MACH86_ULIB_H

#include "mach86.h"

#define NULL ((void *)0)

typedef unsigned char  u8;
typedef unsigned short u16;
typedef int            s32;

typedef __builtin_va_list va_list;
#define va_start(ap, last) __builtin_va_start(ap, last)
#define va_arg(ap, type)   __builtin_va_arg(ap, type)
#define va_end(ap)         __builtin_va_end(ap)

#define PAGE_SIZE 4096u
#define KiB(x) ((u32)(x) << 10)
#define MiB(x) ((u32)(x) << 20)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Set by crt0 before main. __argc_raw/__argv_raw: the vector the kernel
 * put on the stack. __argc/__argv (what main gets): the same without a
 * leading module file name that the boot script repeats — when argv[1]'s
 * base name equals argv[0]'s, argv[0] is dropped (see ulib.c). */
extern int    __argc_raw;
extern char **__argv_raw;
extern int    __argc;
extern char **__argv;
extern char **environ;

/* Output */
int  printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int  vprintf(const char *fmt, va_list ap);
int  snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int  vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int  puts(const char *s);           /* s and "\n", one console_write */
void print(const char *s);          /* s as is */
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
                                    /* "<argv[0]>: <msg>\n", task_exit(1) */
const char *progname(void);
const char *kr_name(kern_return_t kr);  /* "KERN_SUCCESS", … or "?" */

/* Strings and memory (gcc may also emit calls to memset/memcpy) */
size_t strlen(const char *s);
int    strcmp(const char *a, const char *b);
int    strncmp(const char *a, const char *b, size_t n);
void  *memset(void *d, int c, size_t n);
void  *memcpy(void *d, const void *s, size_t n);
int    memcmp(const void *a, const void *b, size_t n);
/* base 0: 0x… hex, else decimal; *end (if end) is set to the first
 * unparsed character. Overflow saturates at 0xFFFFFFFF. */
u32    strtoul(const char *s, char **end, int base);
int    atoi(const char *s);

/* Small deterministic PRNG (an LCG, Numerical Recipes constants). */
struct lcg { u32 state; };
static inline u32 lcg_next(struct lcg *g)
{
    g->state = g->state * 1664525u + 1013904223u;
    return g->state >> 8;           /* the low bits of an LCG are weak */
}
static inline u32 lcg_below(struct lcg *g, u32 n) { return n ? lcg_next(g) % n : 0; }

/* vm_statistics in one line: "free=… faults=…" into buf. */
kern_return_t vm_stats_line(char *buf, size_t size);

/*
 * spawn_task: a child task that runs fn(arg) on a stack in its inherited
 * copy of the parent's memory, then task_exit(fn's return value).
 *
 *   task_create(mach_task_self(), inherit_memory = 1, child)
 *   thread_create_running(*child, __spawn_entry, stack + stack_size - 16, arg)
 *
 * `stack` is an area of the parent's (e.g. from vm_allocate), at least
 * 4 KiB. Before task_create the parent writes there a frame as if the
 * child had been called as fn(arg) — [esp] = 0 (return address),
 * [esp+4] = arg — and records fn, arg and the stack in globals. The child
 * gets copy-on-write copies of both. __spawn_entry (crt0.S) does not rely
 * on how the kernel passes `arg`: it uses the inherited globals. What the
 * kernel did deliver is in spawn_entry_regs() (in the child).
 *
 * On failure of thread_create_running the child task is terminated.
 * Returns the first failing call's kern_return_t; *which names it.
 */
kern_return_t spawn_task(int (*fn)(u32), u32 arg, vm_address_t stack, vm_size_t stack_size,
                         task_t *child, const char **which);

struct spawn_regs {
    u32 eax, ebx, ecx, edx, esi, edi, esp;
    u32 stack0, stack1;     /* [esp], [esp+4] at entry, if stack_valid */
    u32 stack_valid;
};
const struct spawn_regs *spawn_entry_regs(void);
/* Where the kernel put thread_create_running's arg: a register ("eax", …)
 * if one holds it, else a stack word,
 * or "nowhere" (the child's view; only meaningful inside a spawned child). */
const char *spawn_arg_location(u32 arg);

#endif
