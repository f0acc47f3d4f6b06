/*
 * makej J N: a `make -jJ` that runs N build jobs, deterministic (an LCG
 * with a fixed seed, printed at start).
 *
 * The parent keeps up to J jobs running. Each job is a child task
 * (spawn_task: task_create inheriting memory + thread_create_running)
 * whose argument is its job index. Its spec is drawn from the LCG in job
 * order and written into a table just before the spawn, so the child
 * reads it from its copy-on-write copy of the parent's memory; a check
 * word tells it the copy is the one the parent wrote.
 *
 * A job is a "compiler run":
 *   - 2..8 receive rights (its files and pipes); every 16th job is a
 *     "link" step with 300, so its IPC table grows past a page;
 *   - a heap of 64 KiB..1 MiB (vm_allocate), every 1st..4th page of it
 *     written in full from a xorshift stream whose hash it keeps;
 *   - task_info on itself: the heap is in its virtual size;
 *   - the pages read back and checked word by word against the stream,
 *     hashed again: the hash must be the one it wrote. The work is
 *     proportional to the heap, so jobs live for different times;
 *   - the heap vm_deallocate()d, half of the rights mach_port_deallocate()d
 *     (the others go with the task), task_exit(0) — exit 1 with a message
 *     on any failure.
 *
 * The parent polls: thread_switch(), then task_info() on each running job.
 * KERN_SUCCESS: still running. KERN_INVALID_ARGUMENT: it has ended; its
 * name is deallocated and the slot starts the next job. It never
 * task_terminate()s a job. Before the run it checks task_info's errors
 * (bad flavor, bad pointer); at the end it prints how many task_info calls
 * saw a running job and how many an ended one (N), and a checksum of the
 * specs that depends only on the seed, J and N.
 * Exit 0, or 1 with a message if a call fails.
 */
#include "ulib.h"

#define SEED        0x6D616B65u     /* "make" */
#define J_MAX       32
#define N_MAX       4096
#define LINK_EVERY  16
#define LINK_RIGHTS 300
#define STACK_SIZE  (16 * 1024)

struct job {
    u32 rights;         /* receive rights to allocate */
    u32 pages;          /* heap size in pages: 16..256 */
    u32 stride;         /* write every stride-th page: 1..4 */
    u32 seed;           /* of the xorshift stream (never 0) */
    u32 check;          /* spec_check(): the child's copy is the parent's */
};

static struct job jobs[N_MAX];
static mach_port_t rights[LINK_RIGHTS];     /* the child's names */

static u32 spec_check(const struct job *s, u32 i)
{
    u32 h = 0x811C9DC5u ^ i;
    h = (h ^ s->rights) * 0x01000193u;
    h = (h ^ s->pages) * 0x01000193u;
    h = (h ^ s->stride) * 0x01000193u;
    h = (h ^ s->seed) * 0x01000193u;
    return h;
}

static u32 xorshift(u32 x)
{
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return x;
}

/* One job, in the child task. */
static int job_main(u32 i)
{
    const struct job *s = &jobs[i];
    task_t self = mach_task_self();
    kern_return_t kr;
    if (s->check != spec_check(s, i)) {
        printf("makej: job %u: spec does not match its check word\n", i);
        return 1;
    }
    for (u32 k = 0; k < s->rights; k++)
        if ((kr = mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &rights[k])) != KERN_SUCCESS) {
            printf("makej: job %u: mach_port_allocate %u of %u: %s\n", i, k, s->rights, kr_name(kr));
            return 1;
        }

    vm_address_t heap = 0;
    vm_size_t size = s->pages * PAGE_SIZE;
    if ((kr = vm_allocate(self, &heap, size, 1)) != KERN_SUCCESS) {
        printf("makej: job %u: vm_allocate(%u KiB): %s\n", i, size >> 10, kr_name(kr));
        return 1;
    }
    /* write: every stride-th page, every word */
    u32 x = s->seed, wrote = 0x811C9DC5u;
    for (u32 p = 0; p < s->pages; p += s->stride) {
        u32 *w = (u32 *)(heap + p * PAGE_SIZE);
        for (u32 k = 0; k < PAGE_SIZE / 4; k++) {
            x = xorshift(x);
            w[k] = x;
            wrote = (wrote ^ x) * 0x01000193u;
        }
    }
    struct mach86_task_basic_info bi;
    if ((kr = task_info(self, TASK_BASIC_INFO, &bi)) != KERN_SUCCESS || bi.virtual_size < size
        || bi.resident_size > bi.virtual_size || bi.suspend_count != 0) {
        printf("makej: job %u: task_info(self): %s, suspend %u, virtual 0x%x, resident 0x%x (heap 0x%x)\n",
               i, kr_name(kr), bi.suspend_count, bi.virtual_size, bi.resident_size, size);
        return 1;
    }
    /* read back: the same stream, word by word, and the same hash */
    u32 read = 0x811C9DC5u;
    x = s->seed;
    for (u32 p = 0; p < s->pages; p += s->stride) {
        const volatile u32 *w = (const volatile u32 *)(heap + p * PAGE_SIZE);
        for (u32 k = 0; k < PAGE_SIZE / 4; k++) {
            x = xorshift(x);
            u32 v = w[k];
            if (v != x) {
                printf("makej: job %u: heap word at 0x%08x reads 0x%08x, wrote 0x%08x\n", i, (u32)&w[k], v, x);
                return 1;
            }
            read = (read ^ v) * 0x01000193u;
        }
    }
    if (read != wrote) {
        printf("makej: job %u: hash 0x%08x read back, 0x%08x written\n", i, read, wrote);
        return 1;
    }
    if ((kr = vm_deallocate(self, heap, size)) != KERN_SUCCESS) {
        printf("makej: job %u: vm_deallocate: %s\n", i, kr_name(kr));
        return 1;
    }
    /* close every other "file"; the rest go with the task */
    for (u32 k = 0; k < s->rights; k += 2)
        if ((kr = mach_port_deallocate(self, rights[k])) != KERN_SUCCESS) {
            printf("makej: job %u: mach_port_deallocate: %s\n", i, kr_name(kr));
            return 1;
        }
    return 0;
}

static u32 checksum = 0x811C9DC5u;
static void mix(u32 v) { checksum = (checksum ^ v) * 0x01000193u; }

int main(int argc, char **argv)
{
    if (argc < 3)
        die("usage: makej J N");
    u32 nj = strtoul(argv[1], NULL, 0), n = strtoul(argv[2], NULL, 0);
    if (nj < 1 || nj > J_MAX || n > N_MAX)
        die("J must be 1..%u and N at most %u", J_MAX, N_MAX);
    task_t self = mach_task_self();
    struct lcg g = { SEED };
    printf("makej: -j%u, %u jobs, seed 0x%08x\n", nj, n, SEED);

    /* task_info: itself, then its errors */
    struct mach86_task_basic_info bi;
    kern_return_t kr = task_info(self, TASK_BASIC_INFO, &bi);
    if (kr != KERN_SUCCESS || bi.virtual_size == 0 || bi.resident_size > bi.virtual_size)
        die("task_info(self): %s, virtual 0x%x, resident 0x%x", kr_name(kr), bi.virtual_size, bi.resident_size);
    kern_return_t bad_flavor = task_info(self, 2, &bi);
    kern_return_t bad_ptr = task_info(self, TASK_BASIC_INFO, (struct mach86_task_basic_info *)0x10);
    printf("makej: task_info(self): suspend %u, virtual %u KiB, resident %u KiB; flavor 2: %s; "
           "out pointer 0x10: %s\n", bi.suspend_count, bi.virtual_size >> 10, bi.resident_size >> 10,
           kr_name(bad_flavor), kr_name(bad_ptr));
    if (bad_flavor != KERN_INVALID_ARGUMENT || bad_ptr != KERN_INVALID_ADDRESS)
        die("task_info: wrong error codes");

    vm_address_t stack = 0;
    if ((kr = vm_allocate(self, &stack, STACK_SIZE, 1)) != KERN_SUCCESS)
        die("vm_allocate(stack): %s", kr_name(kr));

    task_t slot_task[J_MAX];
    u32 slot_job[J_MAX], busy = 0;
    for (u32 k = 0; k < nj; k++)
        slot_task[k] = 0;
    u32 next = 0, ended = 0, polls_live = 0, polls_ended = 0, max_busy = 0;
    u32 links = 0, nrights = 0, heap_kib = 0;
    mix(nj);
    mix(n);
    while (ended < n) {
        /* start jobs while there is a free slot */
        for (u32 k = 0; k < nj && next < n; k++) {
            if (slot_task[k])
                continue;
            struct job *s = &jobs[next];
            s->rights = next % LINK_EVERY == LINK_EVERY - 1 ? LINK_RIGHTS : 2 + lcg_below(&g, 7);
            s->pages = 16 + lcg_below(&g, 241);
            s->stride = 1 + lcg_below(&g, 4);
            s->seed = lcg_next(&g) | 1;
            s->check = spec_check(s, next);
            mix(s->check);
            links += s->rights == LINK_RIGHTS;
            nrights += s->rights;
            heap_kib += s->pages * 4;
            const char *which = "";
            if ((kr = spawn_task(job_main, next, stack, STACK_SIZE, &slot_task[k], &which)) != KERN_SUCCESS)
                die("job %u: %s: %s", next, which, kr_name(kr));
            slot_job[k] = next++;
            if (++busy > max_busy)
                max_busy = busy;
        }
        thread_switch();
        /* which jobs have ended? */
        for (u32 k = 0; k < nj; k++) {
            if (!slot_task[k])
                continue;
            kr = task_info(slot_task[k], TASK_BASIC_INFO, &bi);
            if (kr == KERN_SUCCESS) {
                polls_live++;
                if (bi.virtual_size == 0 || bi.resident_size > bi.virtual_size)
                    die("job %u: task_info: virtual 0x%x, resident 0x%x", slot_job[k], bi.virtual_size, bi.resident_size);
                continue;
            }
            if (kr != KERN_INVALID_ARGUMENT)
                die("job %u: task_info: %s", slot_job[k], kr_name(kr));
            polls_ended++;
            if ((kr = mach_port_deallocate(self, slot_task[k])) != KERN_SUCCESS)
                die("job %u: mach_port_deallocate(its name): %s", slot_job[k], kr_name(kr));
            slot_task[k] = 0;
            busy--;
            ended++;
        }
    }
    vm_deallocate(self, stack, STACK_SIZE);

    char line[200];
    vm_stats_line(line, sizeof(line));
    printf("makej: %s\n", line);
    printf("makej: task_info: %u calls saw a running job, %u an ended one; at most %u jobs at once\n",
           polls_live, polls_ended, max_busy);
    printf("makej: %u jobs (-j%u): %u link steps, %u receive rights, %u KiB of heap, checksum 0x%08x\n",
           n, nj, links, nrights, heap_kib, checksum);
    return 0;
}
