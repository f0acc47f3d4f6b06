/*
 * buildmix N: N rounds of a build-like mix, deterministic (an LCG with a
 * fixed seed, printed at start).
 *
 * Each round:
 *   - 3..8 vm_allocate()s of 4 KiB … 1 MiB (a power of two), each touched
 *     partially (a random subset of its pages written, one word per page,
 *     plus its first and last word); the regions go into a table of 24
 *     live ones, like a compiler's heap, and a random half of the table is
 *     vm_deallocate()d every round (the whole table when it is full);
 *   - 1..4 receive rights allocated with mach_port_allocate and released
 *     with mach_port_deallocate;
 *   - every 4th round one child task (task_create inheriting memory +
 *     thread_create_running) that writes a few pages and exits; the parent
 *     yields twice and task_terminate()s it;
 *   - some compute: a hash over the words just written, checked against
 *     the values stored.
 * The final checksum depends only on the seed and N (no addresses in it).
 * Exit 0, or 1 with a message if a call fails or memory reads back wrong.
 */
#include "ulib.h"

#define SEED        0x6D616368u     /* "mach" */
#define LIVE_MAX    24
#define STACK_SIZE  (16 * 1024)

struct region { vm_address_t addr; vm_size_t size; u32 tag; };

static struct region live[LIVE_MAX];
static u32 nlive;
static u32 checksum = 0x811C9DC5u;
static u8 child_pages[3 * 4096];

static void fail(const char *what, u32 round, kern_return_t kr)
{
    die("round %u: %s failed: kr=%d (%s)", round, what, kr, kr_name(kr));
}

static void mix(u32 v)
{
    checksum = (checksum ^ v) * 0x01000193u;
}

static void release(u32 idx, u32 round)
{
    struct region *r = &live[idx];
    /* the first and last words still hold the tag: a cheap consistency check */
    volatile u32 *w = (volatile u32 *)r->addr;
    u32 last = r->size / 4 - 1;
    if (w[0] != r->tag || w[last] != ~r->tag)
        die("round %u: region of %u KiB lost its contents (0x%08x, 0x%08x)", round, r->size >> 10, w[0], w[last]);
    kern_return_t kr = vm_deallocate(mach_task_self(), r->addr, r->size);
    if (kr != KERN_SUCCESS)
        fail("vm_deallocate", round, kr);
    live[idx] = live[--nlive];
}

static int child_main(u32 arg)
{
    for (u32 p = 0; p < ARRAY_SIZE(child_pages) / 4096; p++)
        ((volatile u32 *)child_pages)[p * 1024] = arg + p;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        die("usage: buildmix N");
    u32 rounds = strtoul(argv[1], NULL, 0);
    task_t self = mach_task_self();
    struct lcg g = { SEED };
    printf("buildmix: %u rounds, seed 0x%08x\n", rounds, SEED);

    vm_address_t stack = 0;
    kern_return_t kr = vm_allocate(self, &stack, STACK_SIZE, 1);
    if (kr != KERN_SUCCESS)
        fail("vm_allocate(stack)", 0, kr);

    u32 nalloc = 0, nfree = 0, nports = 0, ntasks = 0, touched_pages = 0, peak_kib = 0;
    for (u32 round = 0; round < rounds; round++) {
        /* memory: allocate and touch */
        u32 n = 3 + lcg_below(&g, 6);
        for (u32 k = 0; k < n; k++) {
            if (nlive == LIVE_MAX)
                release(lcg_below(&g, nlive), round), nfree++;
            vm_size_t size = 4096u << lcg_below(&g, 9);     /* 4 KiB … 1 MiB */
            vm_address_t a = 0;
            kr = vm_allocate(self, &a, size, 1);
            if (kr != KERN_SUCCESS)
                fail("vm_allocate", round, kr);
            u32 tag = lcg_next(&g);
            volatile u32 *w = (volatile u32 *)a;
            u32 pages = size / 4096;
            w[0] = tag;
            w[size / 4 - 1] = ~tag;
            u32 stride = 1 + lcg_below(&g, 4);              /* every 1st … 4th page */
            u32 h = 0;
            for (u32 p = 1; p < pages; p += stride) {
                u32 off = p * 1024 + lcg_below(&g, 1023);
                u32 v = tag * p + off;
                w[off] = v;
                h = (h ^ w[off]) * 0x01000193u;
                touched_pages++;
            }
            mix(h);
            mix(size);
            live[nlive++] = (struct region){ a, size, tag };
            nalloc++;
        }
        u32 kib = 0;
        for (u32 i = 0; i < nlive; i++)
            kib += live[i].size >> 10;
        if (kib > peak_kib)
            peak_kib = kib;

        /* memory: free a random half */
        for (u32 k = nlive / 2; k; k--)
            release(lcg_below(&g, nlive), round), nfree++;

        /* ports */
        mach_port_t names[4];
        u32 np = 1 + lcg_below(&g, 4);
        for (u32 k = 0; k < np; k++) {
            kr = mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &names[k]);
            if (kr != KERN_SUCCESS)
                fail("mach_port_allocate", round, kr);
        }
        for (u32 k = 0; k < np; k++) {
            kr = mach_port_deallocate(self, names[k]);
            if (kr != KERN_SUCCESS)
                fail("mach_port_deallocate", round, kr);
        }
        nports += np;

        /* a child task every 4th round */
        if (round % 4 == 3) {
            task_t child = 0;
            const char *which = "";
            kr = spawn_task(child_main, round, stack, STACK_SIZE, &child, &which);
            if (kr != KERN_SUCCESS)
                fail(which, round, kr);
            thread_switch();
            thread_switch();
            kr = task_terminate(child);
            if (kr != KERN_SUCCESS && kr != KERN_INVALID_ARGUMENT)
                fail("task_terminate", round, kr);
            ntasks++;
        }

        /* compute */
        u32 h = checksum;
        for (u32 i = 0, m = 20000 + lcg_below(&g, 20000); i < m; i++) {
            h ^= i;
            h *= 0x01000193u;
            h ^= h >> 13;
        }
        mix(h);

        if ((round + 1) % 10 == 0 || round + 1 == rounds) {
            kib = 0;
            for (u32 i = 0; i < nlive; i++)
                kib += live[i].size >> 10;
            printf("buildmix: round %u: %u live regions (%u KiB), checksum 0x%08x\n",
                   round + 1, nlive, kib, checksum);
        }
    }
    while (nlive)
        release(nlive - 1, rounds), nfree++;
    vm_deallocate(self, stack, STACK_SIZE);

    char line[200];
    vm_stats_line(line, sizeof(line));
    printf("buildmix: %s\n", line);
    printf("buildmix: %u rounds: %u vm_allocate, %u vm_deallocate, %u pages touched, peak %u KiB, "
           "%u ports, %u tasks\n", rounds, nalloc, nfree, touched_pages, peak_kib, nports, ntasks);
    printf("buildmix: checksum 0x%08x\n", checksum);
    return 0;
}
