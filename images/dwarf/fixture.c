/*
 * images/dwarf/fixture.c — a DWARF test fixture, not a guest: built with
 * gcc -m32 in DWARF 2, 4 and 5 (images/Makefile), never run. lib/debuginfo
 * and lib/gnumach's unit tests read its types from the DWARF and its
 * initialised data from the ELF file, and compare them with what the
 * compiler itself computed (the `checks` table: offsetof/sizeof values).
 *
 * It holds C features the reader must get right (typedef chains, arrays of
 * several dimensions, bitfields across storage units, signed bitfields,
 * anonymous members, enums with negative and large values, qualifiers,
 * self-referential lists) and, under GNU Mach's member names, small
 * instances of the structures lib/gnumach reads: a vm_map with entries and a
 * submap, a kmem_cache list, and a zone list laid out as kern/zalloc.h of
 * 2011 declares struct zone (the zone era has no kernel with DWARF at hand).
 */
#include <stddef.h>

typedef unsigned int u32;
typedef u32 vm_offset_t;
typedef vm_offset_t vm_size_t;
typedef vm_size_t kernel_size_t; /* a typedef chain four deep */
typedef int boolean_t;
typedef int vm_prot_t;
typedef unsigned int vm_inherit_t;

/* ---- C features -------------------------------------------------------- */

enum color { RED = -2, GREEN = 0, BLUE = 7, HUGE_COLOR = 0x7fffffff };

struct bits {
    unsigned int a : 3;
    unsigned int b : 1;
    unsigned int c : 15;
    unsigned int d : 13; /* fills the first word exactly */
    int s : 5;           /* signed, in the second word */
    unsigned char tail;
    unsigned long long wide : 40; /* crosses a 32-bit boundary */
};

struct nested {
    char tag;
    union {
        int as_int;
        struct {
            unsigned short lo, hi;
        };
    };
    struct bits inner;
    const volatile kernel_size_t qualified;
    int grid[3][5];
    char name[24];
    enum color color;
    struct nested *self;
    void (*fn)(int);
};

struct bits the_bits = { .a = 5, .b = 1, .c = 12345, .d = 8000, .s = -3, .tail = 0xab, .wide = 0x9876543210ULL };
struct nested the_nested = {
    .tag = 'N',
    .hi = 0x1234,
    .lo = 0x5678,
    .inner = { .a = 2, .s = 15 },
    .qualified = 0xdeadbeef,
    .grid = { [2][4] = 42, [1][0] = -7 },
    .name = "fixture",
    .color = RED,
    .self = &the_nested,
};
static int file_static_a = 11; /* two file statics of one name come from fixture2.c */
const char *const greeting = "hello from the fixture";
long long big_value = -5;
_Bool flag = 1;
signed char small_neg = -100;
short shorty = -2;

/* ---- GNU Mach shaped structures (member names as in vm/vm_map.h) -------- */

struct vm_map_links {
    struct vm_map_entry *prev, *next;
    vm_offset_t start, end;
};
typedef union vm_map_object {
    struct vm_object *vm_object;
    struct vm_map *sub_map;
} vm_map_object_t;
struct vm_map_entry {
    struct vm_map_links links;
    union vm_map_object object;
    vm_offset_t offset;
    unsigned int is_shared : 1, is_sub_map : 1, in_transition : 1, needs_wakeup : 1, needs_copy : 1;
    vm_prot_t protection, max_protection;
    vm_inherit_t inheritance;
    unsigned short wired_count, user_wired_count;
};
struct vm_map_header {
    struct vm_map_links links;
    int nentries;
    boolean_t entries_pageable;
};
struct vm_map {
    int lock;
    struct vm_map_header hdr;
    void *pmap;
    vm_size_t size;
    int ref_count;
};
typedef struct vm_map *vm_map_t;
struct vm_object {
    int ref_count;
};
typedef struct vm_object *vm_object_t;

struct vm_object kernel_object_store = { 1 };
vm_object_t kernel_object = &kernel_object_store;

extern struct vm_map sub_store, kmap_store;
extern struct vm_map_entry ke[3], se[1];
/* kernel_map [0x1000, 0x20000): entries [0x1000,0x3000) [0x4000,0x8000) submap [0x8000,0x10000) */
struct vm_map_entry ke[3] = {
    { { (struct vm_map_entry *)&kmap_store.hdr.links, &ke[1], 0x1000, 0x3000 }, { 0 }, 0, 0, 0, 0, 0, 0, 3, 7, 1, 1, 0 },
    { { &ke[0], &ke[2], 0x4000, 0x8000 }, { .vm_object = &kernel_object_store }, 0x4000, 0, 0, 0, 0, 0, 3, 7, 1, 2, 0 },
    { { &ke[1], (struct vm_map_entry *)&kmap_store.hdr.links, 0x8000, 0x10000 }, { .sub_map = &sub_store }, 0, 0, 1, 0, 0, 0, 3, 7, 1, 0, 0 },
};
/* the submap [0x8000, 0x10000): one entry [0xa000, 0xb000) */
struct vm_map_entry se[1] = {
    { { (struct vm_map_entry *)&sub_store.hdr.links, (struct vm_map_entry *)&sub_store.hdr.links, 0xa000, 0xb000 }, { 0 }, 0, 0, 0, 0, 0, 0, 3, 7, 1, 1, 0 },
};
struct vm_map kmap_store = { 0, { { &ke[2], &ke[0], 0x1000, 0x20000 }, 3, 0 }, 0, 0x2000 + 0x4000 + 0x8000, 1 };
struct vm_map sub_store = { 0, { { &se[0], &se[0], 0x8000, 0x10000 }, 1, 0 }, 0, 0x1000, 1 };
vm_map_t kernel_map = &kmap_store;
vm_map_t kmem_map = &sub_store;

/* ---- kern/slab.h shaped caches (kern/list.h links) ---------------------- */

struct list {
    struct list *prev, *next;
};
struct kmem_cache {
    int lock;
    struct list node;
    int flags;
    size_t slab_size;
    unsigned long bufs_per_slab, nr_objs, nr_free_slabs;
    size_t obj_size, align, buf_size;
    unsigned long nr_bufs, nr_slabs;
    char name[24];
};
extern struct kmem_cache cache_a, cache_b;
static struct list kmem_cache_list = { &cache_b.node, &cache_a.node };
struct kmem_cache cache_a = { 0, { &kmem_cache_list, &cache_b.node }, 0x10, 4096, 56, 100, 1, 68, 8, 72, 112, 2, "vm_map" };
struct kmem_cache cache_b = { 0, { &cache_a.node, &kmem_cache_list }, 0x02, 8192, 8, 3, 0, 1024, 8, 1024, 8, 1, "large" };

/* ---- kern/zalloc.h (2011) shaped zones ---------------------------------- */

struct zone {
    int lock;
    vm_offset_t free_elements;
    vm_size_t cur_size, max_size, elem_size, align, alloc_size;
    boolean_t doing_alloc;
    char *zone_name;
    unsigned int type;
    int complex_lock;
    struct zone *next_zone;
};
typedef struct zone *zone_t;
vm_offset_t free_elems[3] = { (vm_offset_t)&free_elems[1], (vm_offset_t)&free_elems[2], 0 };
struct zone zone_b = { 0, 0, 8192, 65536, 128, 0, 4096, 0, "ipc ports", 0x1 | 0x2, 0, 0 };
struct zone zone_a = { 0, (vm_offset_t)&free_elems[0], 4096, 16384, 64, 0, 4096, 0, "vm objects", 0x4 | 0x8, 0, &zone_b };
zone_t first_zone = &zone_a;

/* ---- what the compiler says: offsetof / sizeof / values ----------------- */

struct check {
    const char *what;
    unsigned int value;
};
#define OFF(T, m) { "offsetof(" #T ", " #m ")", offsetof(T, m) }
#define SIZE(T) { "sizeof(" #T ")", sizeof(T) }
const struct check checks[] = {
    OFF(struct nested, tag), OFF(struct nested, as_int), OFF(struct nested, lo), OFF(struct nested, hi),
    OFF(struct nested, inner), OFF(struct nested, qualified), OFF(struct nested, grid), OFF(struct nested, name),
    OFF(struct nested, color), OFF(struct nested, self), OFF(struct nested, fn),
    OFF(struct bits, tail),
    OFF(struct vm_map, hdr), OFF(struct vm_map, size), OFF(struct vm_map_entry, object),
    OFF(struct vm_map_entry, offset), OFF(struct vm_map_entry, protection), OFF(struct vm_map_entry, wired_count),
    OFF(struct kmem_cache, node), OFF(struct kmem_cache, name), OFF(struct zone, next_zone), OFF(struct zone, zone_name),
    SIZE(struct bits), SIZE(struct nested), SIZE(struct vm_map), SIZE(struct vm_map_entry), SIZE(struct kmem_cache),
    SIZE(struct zone), SIZE(enum color), SIZE(kernel_size_t), SIZE(long long), SIZE(union vm_map_object),
};
const unsigned int nchecks = sizeof checks / sizeof checks[0];

void _start(void) {}
