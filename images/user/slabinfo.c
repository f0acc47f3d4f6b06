/*
 * slabinfo: the kernel's slab caches, as GNU Mach's slab_info() prints
 * them (kern/slab.c), with a flags column: V = verify, O = off-slab data,
 * C = CPU pools (host_slab_info's flag bits 0, 1, 2). Memory columns are
 * in KiB: total = slabs × slab size, reclaimable = free slabs × slab size.
 */
#include "ulib.h"

#define MAX_CACHES 128

static struct mach86_slab_info info[MAX_CACHES];

int main(void)
{
    u32 count = 0;
    kern_return_t kr = host_slab_info(info, MAX_CACHES, &count);
    if (kr != KERN_SUCCESS)
        die("host_slab_info failed: kr=%d (%s)", kr, kr_name(kr));
    u32 shown = count < MAX_CACHES ? count : MAX_CACHES;

    printf("%s\n%s\n",
           "cache                            obj slab  bufs   objs   bufs    total reclaimable",
           "name                    flags   size size /slab  usage  count   memory      memory");
    u32 total = 0, reclaimable = 0;
    for (u32 i = 0; i < shown; i++) {
        const struct mach86_slab_info *c = &info[i];
        char name[sizeof(c->name) + 1];
        memcpy(name, c->name, sizeof(c->name));
        name[sizeof(c->name)] = 0;
        char flags[4] = {
            c->flags & 1 ? 'V' : '-', c->flags & 2 ? 'O' : '-', c->flags & 4 ? 'C' : '-', 0,
        };
        printf("%-23s %-5s %6u %3uk  %4u %6u %6u %7uk %10uk\n",
               name, flags, c->obj_size, c->slab_size >> 10, c->bufs_per_slab,
               c->nr_objs, c->nr_bufs, c->total >> 10, c->reclaimable >> 10);
        total += c->total >> 10;
        reclaimable += c->reclaimable >> 10;
    }
    if (count > shown)
        printf("slabinfo: %u more caches not shown\n", count - shown);
    printf("slabinfo: %u caches, %uk memory, %uk reclaimable\n", shown, total, reclaimable);
    return 0;
}
