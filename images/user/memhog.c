/*
 * memhog SIZE [passes]: allocate SIZE of anonymous memory, fill it and
 * check it, `passes` times (default 1).
 *
 * SIZE:  N or NM   N MiB          NK      N KiB
 *        Kx        K × the free memory that vm_statistics reports at start
 *        K.Dx      the same with one decimal (1.5x)
 *
 * Each pass writes every 32-bit word with (address ^ pass·0x9E3779B9),
 * then reads every word back and compares it (so every byte is checked).
 * A page that was paged out and back in with the wrong contents, or lost,
 * or shared with another page, shows up as a mismatch. Progress is printed
 * every 25% of each phase with the paging counters; the end prints
 * vm_statistics and "memhog: verified N KiB, E errors".
 *
 * Exit 0 if everything verified, 1 on a mismatch or a failed call.
 */
#include "ulib.h"

#define GOLDEN 0x9E3779B9u

static void stats(const char *what)
{
    char line[200];
    vm_stats_line(line, sizeof(line));
    printf("memhog: %s %s\n", what, line);
}

/* SIZE in pages, or die. free_pages is vm_statistics' free_count. */
static u32 parse_size(const char *s, u32 free_pages, u32 page_size)
{
    char *end;
    u32 whole = strtoul(s, &end, 10);
    u32 tenths = 0;
    if (*end == '.' && end[1] >= '0' && end[1] <= '9') {
        tenths = (u32)(end[1] - '0');
        end += 2;
    }
    if (end == s)
        die("bad SIZE '%s'", s);
    u32 pages_per_mib = MiB(1) / page_size;
    if ((*end == 'x' || *end == 'X') && !end[1]) {
        /* whole.tenths × free_pages, in 32 bits: free_pages < 2^20 here */
        if (whole > 400)
            die("SIZE factor %s too large", s);
        u32 pages = whole * free_pages + (tenths * free_pages) / 10;
        if (whole && pages / whole < free_pages)
            die("SIZE %s overflows", s);
        return pages;
    }
    if (tenths)
        die("bad SIZE '%s' (decimals only with x)", s);
    if (!*end || ((*end == 'M' || *end == 'm') && !end[1])) {
        if (whole >= 4096)
            die("SIZE %s too large", s);
        return whole * pages_per_mib;
    }
    if ((*end == 'K' || *end == 'k') && !end[1])
        return (whole + page_size / 1024 - 1) / (page_size / 1024);
    die("bad SIZE '%s' (N, NM, NK, Kx or K.Dx)", s);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        die("usage: memhog SIZE [passes]   SIZE: N (MiB), NK, Kx (K x free memory)");
    u32 passes = argc > 2 ? strtoul(argv[2], NULL, 0) : 1;
    if (!passes)
        passes = 1;

    task_t self = mach_task_self();
    struct mach86_vm_statistics st;
    kern_return_t kr = vm_statistics(&st);
    if (kr != KERN_SUCCESS)
        die("vm_statistics failed: kr=%d (%s)", kr, kr_name(kr));
    u32 ps = st.pagesize ? st.pagesize : PAGE_SIZE;
    u32 kib_per_page = ps / 1024;
    printf("memhog: start: pagesize=%u free=%u pages (%u KiB) active=%u inactive=%u wired=%u "
           "reserved=%u swap=%u/%u pages\n",
           ps, st.free_count, st.free_count * kib_per_page, st.active_count, st.inactive_count,
           st.wire_count, st.free_reserved, st.swap_free, st.swap_total);

    u32 pages = parse_size(argv[1], st.free_count, ps);
    if (!pages)
        die("SIZE %s is 0 pages", argv[1]);
    if (pages > 0x7FFFFFFFu / ps)
        die("SIZE %s (%u pages) does not fit in the address space", argv[1], pages);
    vm_size_t size = pages * ps;
    u32 kib = pages * kib_per_page;

    vm_address_t base = 0;
    kr = vm_allocate(self, &base, size, 1);
    if (kr != KERN_SUCCESS)
        die("vm_allocate(%u KiB) failed: kr=%d (%s)", kib, kr, kr_name(kr));
    printf("memhog: %s = %u KiB (%u pages) at 0x%08x-0x%08x, %u pass%s\n",
           argv[1], kib, pages, base, base + size, passes, passes == 1 ? "" : "es");

    u32 words = size / 4;
    u32 quarter = words / 4;
    u32 errors = 0;
    for (u32 pass = 1; pass <= passes; pass++) {
        u32 key = pass * GOLDEN;
        volatile u32 *w = (volatile u32 *)base;

        /* write, in four quarters */
        for (u32 q = 0; q < 4; q++) {
            u32 lo = q * quarter, hi = q == 3 ? words : lo + quarter;
            for (u32 i = lo; i < hi; i++)
                w[i] = (u32)&w[i] ^ key;
            char what[40];
            snprintf(what, sizeof(what), "pass %u/%u write %3u%%", pass, passes, (q + 1) * 25);
            stats(what);
        }

        /* verify */
        u32 pass_errors = 0;
        for (u32 q = 0; q < 4; q++) {
            u32 lo = q * quarter, hi = q == 3 ? words : lo + quarter;
            for (u32 i = lo; i < hi; i++) {
                u32 want = (u32)&w[i] ^ key;
                u32 got = w[i];
                if (got == want)
                    continue;
                if (!pass_errors++) {
                    u32 b = 0;      /* the first differing byte in the word */
                    while (b < 3 && ((got ^ want) >> (8 * b) & 0xFF) == 0)
                        b++;
                    printf("memhog: MISMATCH pass %u at 0x%08x (byte 0x%08x): expected 0x%08x found 0x%08x\n",
                           pass, (u32)&w[i], (u32)&w[i] + b, want, got);
                }
            }
            char what[40];
            snprintf(what, sizeof(what), "pass %u/%u verify %3u%%", pass, passes, (q + 1) * 25);
            stats(what);
        }
        errors += pass_errors;
        if (pass_errors) {
            printf("memhog: pass %u: %u bad words\n", pass, pass_errors);
            break;
        }
    }

    kr = vm_statistics(&st);
    if (kr == KERN_SUCCESS)
        printf("memhog: end: free=%u pages, pageins=%u, pageouts=%u, faults=%u, zero fills=%u, "
               "cow faults=%u, reactivations=%u, swap free=%u/%u pages\n",
               st.free_count, st.pageins, st.pageouts, st.faults, st.zero_fill_count,
               st.cow_faults, st.reactivations, st.swap_free, st.swap_total);
    printf("memhog: verified %u KiB, %u errors\n", kib, errors);

    kr = vm_deallocate(self, base, size);
    if (kr != KERN_SUCCESS)
        die("vm_deallocate failed: kr=%d (%s)", kr, kr_name(kr));
    return errors ? 1 : 0;
}
