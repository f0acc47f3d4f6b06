/*
 * mach86.h — the system-call interface of mach86's modelled GNU Mach kernel,
 * user side. Programs in images/user/ are i386 ELF32 executables loaded by
 * the boot script ($(task-create) $(task-resume)) and run in ring 3.
 *
 * ABI: `int $0x80`, EAX = call number, arguments in EBX, ECX, EDX, ESI,
 * EDI; the result (a kern_return_t unless said otherwise) comes back in
 * EAX. No other register is changed. Out-parameters are pointers into the
 * caller's memory, copied out by the kernel: a bad pointer gives
 * KERN_INVALID_ADDRESS, an unknown call number KERN_INVALID_ARGUMENT.
 *
 * These are Mach's calls (names and argument order of GNU Mach's RPCs)
 * made into traps, not MIG messages: mach86 has no IPC message path.
 * `thread_create_running` stands for thread_create + thread_set_state +
 * thread_resume; `task_exit` for the exit a C library does by terminating
 * its own task.
 */
#ifndef MACH86_USER_H
#define MACH86_USER_H

typedef unsigned int   u32;
typedef unsigned int   size_t;
typedef unsigned int   vm_address_t;
typedef unsigned int   vm_size_t;
typedef int            vm_prot_t;
typedef int            kern_return_t;
typedef int            boolean_t;
typedef unsigned int   mach_port_t;
typedef mach_port_t    task_t;

#define KERN_SUCCESS             0
#define KERN_INVALID_ADDRESS     1
#define KERN_PROTECTION_FAILURE  2
#define KERN_NO_SPACE            3
#define KERN_INVALID_ARGUMENT    4
#define KERN_FAILURE             5
#define KERN_RESOURCE_SHORTAGE   6

#define VM_PROT_NONE     0
#define VM_PROT_READ     1
#define VM_PROT_WRITE    2
#define VM_PROT_EXECUTE  4

#define MACH_PORT_RIGHT_RECEIVE  1

#define SYS_mach_task_self          0
#define SYS_console_write           1
#define SYS_task_exit               2
#define SYS_vm_allocate             3
#define SYS_vm_deallocate           4
#define SYS_vm_protect              5
#define SYS_task_create             6
#define SYS_task_terminate          7
#define SYS_thread_create_running   8
#define SYS_mach_port_allocate      9
#define SYS_mach_port_deallocate    10
#define SYS_host_slab_info          11
#define SYS_vm_statistics           12
#define SYS_thread_switch           13
#define SYS_task_info               14

/* task_info flavors (Mach's mach/task_info.h) */
#define TASK_BASIC_INFO  1

/* One cache, as GNU Mach's slab_info() prints it (host_slab_info). 64 bytes. */
struct mach86_slab_info {
    char name[32];
    u32 flags;          /* 'V' verify, 'O' off-slab data, 'C' CPU pools: bits 0, 1, 2 */
    u32 obj_size;
    u32 slab_size;
    u32 bufs_per_slab;
    u32 nr_objs;        /* in use */
    u32 nr_bufs;        /* total */
    u32 total;          /* bytes: nr_slabs * slab_size */
    u32 reclaimable;    /* bytes: nr_free_slabs * slab_size */
};

/* vm_statistics: counts in pages. 14 words. */
struct mach86_vm_statistics {
    u32 pagesize;
    u32 free_count;
    u32 active_count;
    u32 inactive_count;
    u32 wire_count;
    u32 zero_fill_count;
    u32 faults;
    u32 cow_faults;
    u32 pageins;
    u32 pageouts;
    u32 reactivations;
    u32 swap_total;     /* pages of the default pager's backing store (0: none) */
    u32 swap_free;
    u32 free_reserved;  /* vm_page_free_reserved */
};

/*
 * task_info(task, TASK_BASIC_INFO, out): as kern/task.c fills it, without
 * Mach's base_priority and times. 3 words. A task that has ended (exited,
 * terminated, killed) or another flavor: KERN_INVALID_ARGUMENT.
 */
struct mach86_task_basic_info {
    u32 suspend_count;  /* task_suspend is not modelled: always 0 */
    u32 virtual_size;   /* bytes: the task map's size (the sum of its entries) */
    u32 resident_size;  /* bytes: pages its pmap maps (pmap_resident_count) x 4096 */
};

static inline int mach86_syscall(int n, u32 a, u32 b, u32 c, u32 d, u32 e)
{
    int r;
    __asm__ volatile ("int $0x80"
                      : "=a"(r)
                      : "a"(n), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e)
                      : "memory");
    return r;
}

static inline task_t mach_task_self(void)
{ return (task_t)mach86_syscall(SYS_mach_task_self, 0, 0, 0, 0, 0); }
static inline kern_return_t console_write(const char *buf, size_t len)
{ return mach86_syscall(SYS_console_write, (u32)buf, len, 0, 0, 0); }
static inline void task_exit(int code) __attribute__((noreturn));
static inline void task_exit(int code)
{ mach86_syscall(SYS_task_exit, (u32)code, 0, 0, 0, 0); for (;;) ; }
static inline kern_return_t vm_allocate(task_t t, vm_address_t *addr, vm_size_t size, boolean_t anywhere)
{ return mach86_syscall(SYS_vm_allocate, t, (u32)addr, size, (u32)anywhere, 0); }
static inline kern_return_t vm_deallocate(task_t t, vm_address_t addr, vm_size_t size)
{ return mach86_syscall(SYS_vm_deallocate, t, addr, size, 0, 0); }
static inline kern_return_t vm_protect(task_t t, vm_address_t addr, vm_size_t size, boolean_t set_max, vm_prot_t prot)
{ return mach86_syscall(SYS_vm_protect, t, addr, size, (u32)set_max, (u32)prot); }
static inline kern_return_t task_create(task_t parent, boolean_t inherit_memory, task_t *child)
{ return mach86_syscall(SYS_task_create, parent, (u32)inherit_memory, (u32)child, 0, 0); }
static inline kern_return_t task_terminate(task_t t)
{ return mach86_syscall(SYS_task_terminate, t, 0, 0, 0, 0); }
static inline kern_return_t thread_create_running(task_t t, vm_address_t eip, vm_address_t esp, u32 arg)
{ return mach86_syscall(SYS_thread_create_running, t, eip, esp, arg, 0); }
static inline kern_return_t mach_port_allocate(task_t t, u32 right, mach_port_t *name)
{ return mach86_syscall(SYS_mach_port_allocate, t, right, (u32)name, 0, 0); }
static inline kern_return_t mach_port_deallocate(task_t t, mach_port_t name)
{ return mach86_syscall(SYS_mach_port_deallocate, t, name, 0, 0, 0); }
static inline kern_return_t host_slab_info(struct mach86_slab_info *buf, u32 max, u32 *count)
{ return mach86_syscall(SYS_host_slab_info, (u32)buf, max, (u32)count, 0, 0); }
static inline kern_return_t vm_statistics(struct mach86_vm_statistics *out)
{ return mach86_syscall(SYS_vm_statistics, (u32)out, 0, 0, 0, 0); }
static inline kern_return_t thread_switch(void)
{ return mach86_syscall(SYS_thread_switch, 0, 0, 0, 0, 0); }
static inline kern_return_t task_info(task_t t, u32 flavor, struct mach86_task_basic_info *out)
{ return mach86_syscall(SYS_task_info, t, flavor, (u32)out, 0, 0); }

#endif
