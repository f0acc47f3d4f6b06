/* ulib.c — see ulib.h. Freestanding: 32-bit arithmetic only, no libgcc. */
#include "ulib.h"
#include "mach86_sys.h"

_Static_assert(SYS_task_exit == 2, "mach86_sys.h disagrees with mach86.h");
_Static_assert(sizeof(struct mach86_slab_info) == 64, "slab info record is 64 bytes");
_Static_assert(sizeof(struct mach86_vm_statistics) == 14 * 4, "vm_statistics is 14 words");

/* ---- argv --------------------------------------------------------------- */

int    __argc;
char **__argv;

static const char *base_name(const char *s)
{
    const char *b = s;
    for (; *s; s++)
        if (*s == '/')
            b = s + 1;
    return b;
}

/*
 * Called by crt0 before main. GNU Mach's boot script (kern/boot_script.c)
 * makes argv[0] the first word of the module's string — the file name when
 * the boot loader puts it there, as mach86's loader does ("/bin/memhog
 * memhog 2x $(task-create) …") — and the args follow, so a module line
 * whose args start with the program's name (d-i style: "ext2fs --…")
 * gives argv = { "/bin/memhog", "memhog", "2x" }. When argv[1] is the
 * base name of argv[0], drop argv[0], so that main sees { "memhog", "2x" }
 * whichever way the loader and the kernel did it. The vector as given
 * stays in __argc_raw/__argv_raw.
 */
void __ulib_argv_fixup(void)
{
    __argc = __argc_raw;
    __argv = __argv_raw;
    if (__argc >= 2 && __argv[0] && __argv[1] && __argv[1][0]
        && !strcmp(base_name(__argv[0]), base_name(__argv[1]))) {
        __argc--;
        __argv++;
    }
}

/* ---- strings and memory ---------------------------------------------- */

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (int)(unsigned char)*a - (int)(unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (int)(unsigned char)*a - (int)(unsigned char)*b;
        if (!*a)
            break;
    }
    return 0;
}

void *memset(void *d, int c, size_t n)
{
    u8 *p = d;
    while (n--)
        *p++ = (u8)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    u8 *p = d;
    const u8 *q = s;
    while (n--)
        *p++ = *q++;
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const u8 *p = a, *q = b;
    for (; n; n--, p++, q++)
        if (*p != *q)
            return (int)*p - (int)*q;
    return 0;
}

static int digit_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return 99;
}

u32 strtoul(const char *s, char **end, int base)
{
    u32 v = 0;
    int any = 0, over = 0;

    while (*s == ' ' || *s == '\t')
        s++;
    if (*s == '+')
        s++;
    if ((base == 0 || base == 16) && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')
        && digit_value(s[2]) < 16) {
        s += 2;
        base = 16;
    }
    if (base == 0)
        base = 10;
    for (;; s++) {
        int d = digit_value(*s);
        if (d >= base)
            break;
        any = 1;
        if (v > (0xFFFFFFFFu - (u32)d) / (u32)base)
            over = 1;
        v = v * (u32)base + (u32)d;
    }
    if (end)
        *end = (char *)s;
    (void)any;
    return over ? 0xFFFFFFFFu : v;
}

int atoi(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s == '-')
        return -(int)strtoul(s + 1, NULL, 10);
    return (int)strtoul(s, NULL, 10);
}

/* ---- formatting --------------------------------------------------------- */

struct out {
    char *buf;
    size_t size;        /* capacity, 0: count only */
    size_t len;         /* characters produced so far (may exceed size) */
    int console;        /* flush to the console when full */
};

static void out_flush(struct out *o)
{
    if (o->console && o->len) {
        console_write(o->buf, o->len);
        o->len = 0;
    }
}

static void out_c(struct out *o, char c)
{
    if (o->console) {
        if (o->len == o->size)
            out_flush(o);
        o->buf[o->len++] = c;
        return;
    }
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void out_pad(struct out *o, char c, int n)
{
    while (n-- > 0)
        out_c(o, c);
}

static void do_format(struct out *o, const char *fmt, va_list ap)
{
    static const char lower[] = "0123456789abcdef";
    static const char upper[] = "0123456789ABCDEF";

    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            out_c(o, *fmt);
            continue;
        }
        fmt++;
        int left = 0, zero = 0, width = 0;
        for (;; fmt++) {
            if (*fmt == '-') left = 1;
            else if (*fmt == '0') zero = 1;
            else break;
        }
        if (*fmt == '*') {
            width = va_arg(ap, int);
            if (width < 0) { left = 1; width = -width; }
            fmt++;
        } else {
            while (*fmt >= '0' && *fmt <= '9')
                width = width * 10 + (*fmt++ - '0');
        }
        while (*fmt == 'l' || *fmt == 'h' || *fmt == 'z')
            fmt++;                          /* all 32 bits here */

        char tmp[12];
        const char *s = tmp;
        int n = 0, neg = 0;
        u32 v;
        switch (*fmt) {
        case 'c':
            tmp[0] = (char)va_arg(ap, int);
            n = 1;
            break;
        case 's':
            s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            n = (int)strlen(s);
            break;
        case 'd': case 'i': {
            int x = va_arg(ap, int);
            neg = x < 0;
            v = neg ? 0u - (u32)x : (u32)x;
            goto decimal;
        }
        case 'u':
            v = va_arg(ap, u32);
        decimal:
            n = 12;
            do {
                tmp[--n] = (char)('0' + v % 10);
                v /= 10;
            } while (v);
            s = tmp + n;
            n = 12 - n;
            break;
        case 'p':
            v = (u32)va_arg(ap, void *);
            out_c(o, '0');
            out_c(o, 'x');
            width = 8;
            zero = 1;
            left = 0;
            goto hex;
        case 'x': case 'X':
            v = va_arg(ap, u32);
        hex: {
            const char *digits = *fmt == 'X' ? upper : lower;
            n = 12;
            do {
                tmp[--n] = digits[v & 15];
                v >>= 4;
            } while (v);
            s = tmp + n;
            n = 12 - n;
            break;
        }
        case '%':
            tmp[0] = '%';
            n = 1;
            break;
        case 0:
            fmt--;                          /* "%" at the end: print it */
            tmp[0] = '%';
            n = 1;
            break;
        default:                            /* unknown: print it verbatim */
            tmp[0] = '%';
            tmp[1] = *fmt;
            n = 2;
            break;
        }
        int pad = width - n - neg;
        if (!left && !zero)
            out_pad(o, ' ', pad);
        if (neg)
            out_c(o, '-');
        if (!left && zero)
            out_pad(o, '0', pad);
        for (int i = 0; i < n; i++)
            out_c(o, s[i]);
        if (left)
            out_pad(o, ' ', pad);
    }
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0, 0 };
    do_format(&o, fmt, ap);
    if (size)
        buf[o.len < size ? o.len : size - 1] = 0;
    return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

int vprintf(const char *fmt, va_list ap)
{
    char buf[512];
    struct out o = { buf, sizeof(buf), 0, 1 };
    do_format(&o, fmt, ap);
    out_flush(&o);
    return 0;
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    return 0;
}

void print(const char *s)
{
    console_write(s, strlen(s));
}

int puts(const char *s)
{
    printf("%s\n", s);
    return 0;
}

const char *progname(void)
{
    return __argv && __argc > 0 && __argv[0] ? __argv[0] : "user";
}

void die(const char *fmt, ...)
{
    char buf[512];
    int n = snprintf(buf, sizeof(buf), "%s: ", progname());
    va_list ap;
    va_start(ap, fmt);
    if (n < (int)sizeof(buf))
        n += vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(buf) - 2)
        n = (int)sizeof(buf) - 2;
    buf[n++] = '\n';
    console_write(buf, (size_t)n);
    task_exit(1);
}

const char *kr_name(kern_return_t kr)
{
    static const char *const names[] = {
        "KERN_SUCCESS", "KERN_INVALID_ADDRESS", "KERN_PROTECTION_FAILURE",
        "KERN_NO_SPACE", "KERN_INVALID_ARGUMENT", "KERN_FAILURE",
        "KERN_RESOURCE_SHORTAGE",
    };
    if (kr >= 0 && (u32)kr < ARRAY_SIZE(names))
        return names[kr];
    return "?";
}

kern_return_t vm_stats_line(char *buf, size_t size)
{
    struct mach86_vm_statistics st;
    kern_return_t kr = vm_statistics(&st);
    if (kr != KERN_SUCCESS) {
        snprintf(buf, size, "vm_statistics: kr=%d", kr);
        return kr;
    }
    snprintf(buf, size, "free=%u pageins=%u pageouts=%u faults=%u zero_fill=%u cow=%u swap_free=%u/%u",
             st.free_count, st.pageins, st.pageouts, st.faults, st.zero_fill_count,
             st.cow_faults, st.swap_free, st.swap_total);
    return kr;
}

/* ---- spawn_task ---------------------------------------------------------- */

/* Read by __spawn_entry (crt0.S) in the child's inherited copy. */
int (*__spawn_fn)(u32);
u32 __spawn_arg;
u32 __spawn_esp;
u32 __spawn_stack_lo, __spawn_stack_hi;
struct spawn_regs __spawn_regs;            /* written by the child */
extern void __spawn_entry(void);

kern_return_t spawn_task(int (*fn)(u32), u32 arg, vm_address_t stack, vm_size_t stack_size,
                         task_t *child, const char **which)
{
    u32 *frame = (u32 *)(stack + stack_size - 16);
    frame[0] = 0;           /* return address: fn must not return through it */
    frame[1] = arg;
    frame[2] = 0;
    frame[3] = 0;
    __spawn_fn = fn;
    __spawn_arg = arg;
    __spawn_esp = (u32)frame;
    __spawn_stack_lo = stack;
    __spawn_stack_hi = stack + stack_size;

    kern_return_t kr = task_create(mach_task_self(), 1, child);
    if (kr != KERN_SUCCESS) {
        if (which) *which = "task_create";
        return kr;
    }
    kr = thread_create_running(*child, (vm_address_t)__spawn_entry, (vm_address_t)frame, arg);
    if (kr != KERN_SUCCESS) {
        if (which) *which = "thread_create_running";
        task_terminate(*child);
        return kr;
    }
    return KERN_SUCCESS;
}

const struct spawn_regs *spawn_entry_regs(void)
{
    return &__spawn_regs;
}

const char *spawn_arg_location(u32 arg)
{
    const struct spawn_regs *r = &__spawn_regs;
    if (r->eax == arg) return "eax";
    if (r->ebx == arg) return "ebx";
    if (r->ecx == arg) return "ecx";
    if (r->edx == arg) return "edx";
    if (r->esi == arg) return "esi";
    if (r->edi == arg) return "edi";
    if (r->stack_valid && r->esp == __spawn_esp && r->stack1 == arg)
        return "[esp+4] (the frame spawn_task wrote; ESP as requested)";
    if (r->stack_valid && r->stack0 == arg) return "[esp] (pushed by the kernel)";
    if (r->stack_valid && r->stack1 == arg) return "[esp+4] (pushed by the kernel)";
    return "nowhere";
}
