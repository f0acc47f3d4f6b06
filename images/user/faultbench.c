/*
 * faultbench N [CHUNK]: page-fault round trips (user #PF -> the kernel's
 * vm_fault -> back to the faulting instruction), for bench/run.ts.
 *
 * Two phases, each between a "start" and a "done" line (the benchmark
 * times the window between the two lines on the console):
 *
 *  zero-fill  N pages: vm_allocate CHUNK pages (default 4096 = 16 MiB),
 *             write one word in each page (one zero-fill fault per page),
 *             vm_deallocate, again until N pages were touched.
 *  refault    N faults on resident pages: one CHUNK region, touched once
 *             before the window; then rounds of vm_protect(READ),
 *             vm_protect(READ|WRITE) and a write to each page. Raising the
 *             protection leaves the PTEs read-only (pmap_protect is lazy),
 *             so every write takes a protection fault that vm_fault
 *             resolves without a new page.
 *
 * The "done" lines give the faults and zero fills the kernel counted in the
 * window (vm_statistics before and after). Exit 0, or 1 if a call fails or
 * a page does not read back what was written.
 */
#include "ulib.h"

#define DEFAULT_CHUNK 4096u

static struct mach86_vm_statistics stats_now(void)
{
    struct mach86_vm_statistics st;
    kern_return_t kr = vm_statistics(&st);
    if (kr != KERN_SUCCESS)
        die("vm_statistics failed: kr=%d (%s)", kr, kr_name(kr));
    return st;
}

static vm_address_t region(task_t self, u32 pages)
{
    vm_address_t base = 0;
    kern_return_t kr = vm_allocate(self, &base, pages * PAGE_SIZE, 1);
    if (kr != KERN_SUCCESS)
        die("vm_allocate(%u pages) failed: kr=%d (%s)", pages, kr, kr_name(kr));
    return base;
}

static void release(task_t self, vm_address_t base, u32 pages)
{
    kern_return_t kr = vm_deallocate(self, base, pages * PAGE_SIZE);
    if (kr != KERN_SUCCESS)
        die("vm_deallocate failed: kr=%d (%s)", kr, kr_name(kr));
}

/* One write per page: page p gets (its address ^ key) in its first word. */
static void touch(vm_address_t base, u32 pages, u32 key)
{
    for (u32 p = 0; p < pages; p++) {
        volatile u32 *w = (volatile u32 *)(base + p * PAGE_SIZE);
        *w = (u32)w ^ key;
    }
}

static u32 check(vm_address_t base, u32 pages, u32 key)
{
    u32 bad = 0;
    for (u32 p = 0; p < pages; p++) {
        volatile u32 *w = (volatile u32 *)(base + p * PAGE_SIZE);
        if (*w != ((u32)w ^ key) || w[1] != 0)
            bad++;
    }
    return bad;
}

static void done(const char *phase, u32 n, const struct mach86_vm_statistics *a,
                 const struct mach86_vm_statistics *b)
{
    printf("faultbench: %s done: %u pages, %u faults, %u zero fills\n", phase, n,
           b->faults - a->faults, b->zero_fill_count - a->zero_fill_count);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        die("usage: faultbench N [CHUNK]   (N pages per phase, CHUNK pages per region)");
    u32 n = strtoul(argv[1], NULL, 0);
    u32 chunk = argc > 2 ? strtoul(argv[2], NULL, 0) : DEFAULT_CHUNK;
    if (!n || !chunk || chunk > 0x10000)
        die("bad N or CHUNK");
    task_t self = mach_task_self();
    u32 bad = 0;

    /* zero-fill: every write is the first touch of a fresh page */
    printf("faultbench: zero-fill start: %u pages, %u-page regions\n", n, chunk);
    struct mach86_vm_statistics a = stats_now();
    for (u32 left = n; left; ) {
        u32 pages = left < chunk ? left : chunk;
        vm_address_t base = region(self, pages);
        touch(base, pages, 0x5a5a5a5au);
        bad += check(base, pages, 0x5a5a5a5au);
        release(self, base, pages);
        left -= pages;
    }
    struct mach86_vm_statistics b = stats_now();
    done("zero-fill", n, &a, &b);

    /* refault: write-protect, unprotect, write again */
    u32 pages = n < chunk ? n : chunk;
    vm_address_t base = region(self, pages);
    touch(base, pages, 0);
    printf("faultbench: refault start: %u faults on %u resident pages\n", n, pages);
    a = stats_now();
    u32 round = 0;
    for (u32 left = n; left; round++) {
        u32 todo = left < pages ? left : pages;
        kern_return_t kr = vm_protect(self, base, pages * PAGE_SIZE, 0, VM_PROT_READ);
        if (kr == KERN_SUCCESS)
            kr = vm_protect(self, base, pages * PAGE_SIZE, 0, VM_PROT_READ | VM_PROT_WRITE);
        if (kr != KERN_SUCCESS)
            die("vm_protect failed: kr=%d (%s)", kr, kr_name(kr));
        touch(base, todo, round + 1);
        bad += check(base, todo, round + 1);
        left -= todo;
    }
    b = stats_now();
    done("refault", n, &a, &b);
    release(self, base, pages);

    if (bad)
        die("%u pages read back wrong", bad);
    printf("faultbench: done\n");
    return 0;
}
