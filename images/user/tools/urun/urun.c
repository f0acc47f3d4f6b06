/*
 * urun — a small multiboot kernel that runs mach86 user programs in ring 3
 * under qemu-system-i386 (or any multiboot loader), with a stand-in for the
 * system calls of ../../mach86.h. It is NOT the mach86 kernel model: it is
 * there to test the user programs on their own, so that a program bug can
 * be told apart from a kernel-model bug (make -C images user-qemu-check).
 *
 * Each multiboot module is an ELF32 user program; its module string is
 * "<file> <argv0> <args…>" (QEMU's -initrd "file args"): the first token is
 * dropped, and so are boot-script tokens "$(…)". Modules run one after the
 * other, each on a fresh copy of its ELF, until task_exit or an exception.
 *
 * Memory: identity paging. 0-4 MiB kernel (supervisor), 0x08000000-0x083fffff
 * user 4 KiB pages (text pages read-only; the main stack is the top MiB),
 * 0x10000000-0x2fffffff the vm_allocate heap (bump allocator, zero-filled),
 * 0x30000000-0x3bffffff snapshots (supervisor). Needs -m 1G.
 *
 * The stand-ins: mach_task_self = 1 + module index (children: 1000…);
 * vm_deallocate/vm_protect/thread_switch/mach_port_deallocate succeed and
 * do nothing; vm_statistics reports 8192 free pages minus what was
 * allocated; host_slab_info returns three made-up caches. Bad out-pointers
 * give KERN_INVALID_ADDRESS, unknown calls KERN_INVALID_ARGUMENT.
 *
 * No real address spaces: thread_create_running runs the child at once and
 * to completion, on a snapshot of the parent's writable memory (data+bss,
 * the main stack from ESP up, the vm_allocate'd region holding the child's
 * ESP) that is restored when the child ends — copy-on-write as far as the
 * programs here can tell. The child's registers are zero except EDX=0xD00D:
 * the arg is deliberately delivered nowhere, to check that spawn_task does
 * not depend on it. A child may not create tasks.
 *
 * Test hook: a module string containing "CORRUPT" flips a bit of the heap
 * at the 4th vm_statistics call (memhog's mismatch path).
 */
typedef unsigned int u32; typedef unsigned short u16; typedef unsigned char u8;

struct frame {
    u32 gs, fs, es, ds;
    u32 edi, esi, ebp, kesp, ebx, edx, ecx, eax;
    u32 vec, err;
    u32 eip, cs, eflags, esp, ss;
};

extern u32 gdt[];
extern char kstack_top[];
extern void enter_frame(struct frame *f) __attribute__((noreturn));
#define X(n) extern void isr##n(void);
X(0)X(1)X(2)X(3)X(4)X(5)X(6)X(7)X(8)X(9)X(10)X(11)X(12)X(13)X(14)X(15)
X(16)X(17)X(18)X(19)X(20)X(21)X(22)X(23)X(24)X(25)X(26)X(27)X(28)X(29)X(30)X(31)X(128)

static inline void outb(u16 p, u8 v) { __asm__ volatile("outb %0,%1" :: "a"(v), "Nd"(p)); }
static inline void outl(u16 p, u32 v) { __asm__ volatile("outl %0,%1" :: "a"(v), "Nd"(p)); }
static void putc(char c) { outb(0x3F8, (u8)c); }
static void puts(const char *s) { while (*s) putc(*s++); }
static void puthex(u32 v) { puts("0x"); for (int i = 28; i >= 0; i -= 4) putc("0123456789abcdef"[(v >> i) & 15]); }
static void putdec(u32 v) { char b[12]; int n = 0; do b[n++] = '0' + v % 10; while (v /= 10); while (n) putc(b[--n]); }
static void putsdec(int v) { if (v < 0) { putc('-'); putdec((u32)-v); } else putdec((u32)v); }
void *memset(void *d, int c, u32 n) { u8 *p = d; while (n--) *p++ = (u8)c; return d; }
void *memcpy(void *d, const void *s, u32 n) { u8 *p = d; const u8 *q = s; while (n--) *p++ = *q++; return d; }
static void halt(u32 code) { outl(0xF4, code); for (;;) __asm__ volatile("cli; hlt"); }

/* ---- paging ---- */
static u32 pd[1024] __attribute__((aligned(4096)));
static u32 pt_user[1024] __attribute__((aligned(4096)));   /* 0x08000000-0x083fffff */
#define UBASE     0x08000000u
#define UTOP      0x08400000u
#define USTACK_LO 0x08300000u
#define HEAP_BASE 0x10000000u
#define HEAP_TOP  0x30000000u
#define SAVE_BASE 0x30000000u
#define SAVE_TOP  0x3C000000u

static void paging_init(void)
{
    pd[0] = 0x00000083;                             /* 4 MiB, supervisor RW */
    pd[UBASE >> 22] = (u32)pt_user | 7;
    for (u32 i = 0; i < 1024; i++) pt_user[i] = (UBASE + i * 4096) | 7;
    for (u32 a = HEAP_BASE; a < HEAP_TOP; a += 0x400000) pd[a >> 22] = a | 0x87;   /* user 4 MiB */
    for (u32 a = SAVE_BASE; a < SAVE_TOP; a += 0x400000) pd[a >> 22] = a | 0x83;   /* supervisor */
    __asm__ volatile("movl %%cr4,%%eax; orl $0x10,%%eax; movl %%eax,%%cr4" ::: "eax");
    __asm__ volatile("movl %0,%%cr3" :: "r"(pd));
    __asm__ volatile("movl %%cr0,%%eax; orl $0x80000000,%%eax; andl $~0x10000,%%eax; movl %%eax,%%cr0" ::: "eax"); /* PG, WP=0 */
}
static void flush_tlb(void) { __asm__ volatile("movl %%cr3,%%eax; movl %%eax,%%cr3" ::: "eax"); }

/* ---- GDT TSS / IDT ---- */
static u32 tss[26];
static u32 idt[256 * 2];
static void set_gate(int n, void (*h)(void), int dpl)
{
    u32 a = (u32)h;
    idt[n * 2] = (a & 0xFFFF) | (0x08 << 16);
    idt[n * 2 + 1] = (a & 0xFFFF0000) | 0x8E00 | (dpl << 13);
}
static void cpu_init(void)
{
    tss[1] = (u32)kstack_top; tss[2] = 0x10; tss[25] = 104 << 16;
    u32 b = (u32)tss, l = 103;
    gdt[10] = (l & 0xFFFF) | ((b & 0xFFFF) << 16);
    gdt[11] = ((b >> 16) & 0xFF) | 0x8900 | (l & 0xF0000) | (b & 0xFF000000);
    __asm__ volatile("ltr %w0" :: "r"(0x28));
    void (*v[32])(void) = { isr0,isr1,isr2,isr3,isr4,isr5,isr6,isr7,isr8,isr9,isr10,isr11,isr12,isr13,isr14,isr15,
        isr16,isr17,isr18,isr19,isr20,isr21,isr22,isr23,isr24,isr25,isr26,isr27,isr28,isr29,isr30,isr31 };
    for (int i = 0; i < 32; i++) set_gate(i, v[i], 0);
    set_gate(0x80, isr128, 3);
    struct { u16 lim; u32 base; } __attribute__((packed)) p = { sizeof(idt) - 1, (u32)idt };
    __asm__ volatile("lidt %0" :: "m"(p));
}

/* ---- tasks ---- */
struct mod { u32 start, end, string, res; };
static struct mod *mods; static u32 nmods, cur_mod;
static u32 corrupt, task_self_id, data_lo, data_hi, heap_bump, nalloc_pages, syscalls, nports;
static struct { u32 addr, size; } allocs[8192]; static u32 nallocs;
#define MAXCHILD 64
static struct { u32 id, state; } kids[MAXCHILD];    /* 1 pending, 2 exited */
static u32 next_child = 1000, running_child;
static struct frame parent_frame;
static struct { u32 lo, hi, save; } snaps[4]; static u32 nsnaps;

static int user_ok(u32 a, u32 len)
{
    if (a + len < a) return 0;
    if (a >= 0x08048000 && a + len <= UTOP) return 1;
    if (a >= HEAP_BASE && a + len <= heap_bump) return 1;
    return 0;
}

static void run_module(void);

static void task_done(int code, const char *how)
{
    if (running_child) {
        for (u32 i = 0; i < nsnaps; i++) memcpy((void *)snaps[i].lo, (void *)snaps[i].save, snaps[i].hi - snaps[i].lo);
        for (int i = 0; i < MAXCHILD; i++) if (kids[i].id == running_child) kids[i].state = 2;
        if (code) { puts("[urun] child task "); putdec(running_child); puts(" "); puts(how); puts(" "); putsdec(code); puts("\n"); }
        running_child = 0;
        parent_frame.eax = 0;
        enter_frame(&parent_frame);
    }
    puts("[urun] task "); putdec(task_self_id); puts(" "); puts(how); puts(" "); putsdec(code); puts("\n");
    cur_mod++;
    run_module();
}

static u32 sys(struct frame *f)
{
    u32 a = f->ebx, b = f->ecx, c = f->edx;
    syscalls++;
    switch (f->eax) {
    case 0: return running_child ? running_child : task_self_id;
    case 1: if (!user_ok(a, b)) return 1; for (u32 i = 0; i < b; i++) putc(((char *)a)[i]); return 0;
    case 2: task_done((int)a, "exited with"); return 0;
    case 3: {
        if (!user_ok(b, 4)) return 1;
        u32 size = (c + 4095) & ~4095u;
        if (!size || heap_bump + size > HEAP_TOP || heap_bump + size < heap_bump) return 3;
        u32 addr = heap_bump; heap_bump += size;
        memset((void *)addr, 0, size);
        nalloc_pages += size / 4096;
        if (nallocs < 8192) { allocs[nallocs].addr = addr; allocs[nallocs].size = size; nallocs++; }
        *(u32 *)b = addr; return 0;
    }
    case 4: case 5: case 13: return 0;
    case 6: {
        if (running_child) return 5;
        if (!user_ok(c, 4)) return 1;
        for (int i = 0; i < MAXCHILD; i++) if (!kids[i].id) { kids[i].id = next_child++; kids[i].state = 1; *(u32 *)c = kids[i].id; return 0; }
        return 6;
    }
    case 7:
        if (a == task_self_id || (running_child && a == running_child)) task_done(0, "terminated itself, code");
        for (int i = 0; i < MAXCHILD; i++) if (kids[i].id == a && a) {
            u32 st = kids[i].state; kids[i].id = 0; return st == 1 ? 0 : 4;
        }
        return 4;
    case 8: {
        int k = -1;
        for (int i = 0; i < MAXCHILD; i++) if (kids[i].id == a && a && kids[i].state == 1) k = i;
        if (k < 0 || running_child) return 4;
        /* snapshot: data/bss, main stack from esp, the allocation holding the child's esp */
        nsnaps = 0;
        u32 save = SAVE_BASE;
        u32 ranges[3][2] = { { data_lo, data_hi }, { f->esp & ~4095u, UTOP }, { 0, 0 } };
        for (u32 i = 0; i < nallocs; i++) if (c > allocs[i].addr && c <= allocs[i].addr + allocs[i].size) {
            ranges[2][0] = allocs[i].addr; ranges[2][1] = allocs[i].addr + allocs[i].size; }
        for (int i = 0; i < 3; i++) if (ranges[i][1] > ranges[i][0]) {
            snaps[nsnaps].lo = ranges[i][0]; snaps[nsnaps].hi = ranges[i][1]; snaps[nsnaps].save = save;
            memcpy((void *)save, (void *)ranges[i][0], ranges[i][1] - ranges[i][0]);
            save += (ranges[i][1] - ranges[i][0] + 4095) & ~4095u; nsnaps++;
        }
        parent_frame = *f;
        running_child = a;
        f->eip = b; f->esp = c;
        f->eax = f->ebx = f->ecx = f->edx = f->esi = f->edi = f->ebp = 0;
        f->edx = 0xD00D;    /* the arg deliberately nowhere useful */
        kids[k].state = 3;
        enter_frame(f);
    }
    case 9:
        if (b != 1) return 4;
        if (!user_ok(c, 4)) return 1;
        if (nports >= 200000) return 3;
        *(u32 *)c = 0x100 + 2 * nports++; return 0;
    case 10: return 0;
    case 11: {
        static const char *names[] = { "vm_object", "ipc_port", "task" };
        if (!user_ok(c, 4) || !user_ok(a, b * 64)) return 1;
        u32 n = b < 3 ? b : 3;
        for (u32 i = 0; i < n; i++) {
            u32 *r = (u32 *)(a + i * 64); memset(r, 0, 64);
            const char *s = names[i]; for (int j = 0; s[j]; j++) ((char *)r)[j] = s[j];
            r[8] = i; r[9] = 64 << i; r[10] = 4096; r[11] = 4096 / (64 << i); r[12] = 10 + i + nports;
            r[13] = 64; r[14] = 4 * 4096; r[15] = 4096 * i;
        }
        *(u32 *)c = 3; return 0;
    }
    case 12: {
        if (!user_ok(a, 56)) return 1;
        u32 *s = (u32 *)a; memset(s, 0, 56);
        u32 fake_free = 8192;
        static u32 nst; if (corrupt && ++nst == 4) ((u8 *)HEAP_BASE)[0x1235] ^= 0x40;
        s[0] = 4096; s[1] = nalloc_pages < fake_free ? fake_free - nalloc_pages : 0;
        s[2] = 100; s[4] = 300; s[5] = nalloc_pages; s[6] = syscalls; s[13] = 64;
        return 0;
    }
    }
    return 4;
}

void trap(struct frame *f)
{
    if (f->vec == 0x80) { f->eax = sys(f); return; }
    u32 cr2; __asm__ volatile("movl %%cr2,%0" : "=r"(cr2));
    puts("[urun] EXC "); putdec(f->vec); puts(" err="); puthex(f->err); puts(" eip="); puthex(f->eip); puts(" cr2="); puthex(cr2);
    if (!(f->cs & 3)) { puts(" in the harness!\n"); halt(0xEE); }
    puts("\n");
    task_done(-(int)f->vec, "killed by exception, code");
}

/* ---- ELF loading ---- */
static void run_module(void)
{
    if (cur_mod >= nmods) { puts("[urun] all tasks done\n"); halt(0); }
    struct mod *m = &mods[cur_mod];
    u8 *elf = (u8 *)m->start;
    const char *cmd = (const char *)m->string;
    task_self_id = 1 + cur_mod;
    corrupt = 0; for (const char *q = cmd; *q; q++) if (q[0] == 'C' && q[1] == 'O' && q[2] == 'R') corrupt = 1;
    heap_bump = HEAP_BASE; nalloc_pages = 0; nallocs = 0; nports = 0;
    for (int i = 0; i < MAXCHILD; i++) kids[i].id = 0;
    if (*(u32 *)elf != 0x464C457F) { puts("[urun] module is not ELF\n"); halt(3); }
    for (u32 i = 0x08048000 >> 12 & 1023; i < 1024; i++) pt_user[i] = (UBASE + i * 4096) | 7;
    flush_tlb();
    memset((void *)0x08048000, 0, USTACK_LO - 0x08048000);
    u32 entry = *(u32 *)(elf + 24), phoff = *(u32 *)(elf + 28);
    u16 phnum = *(u16 *)(elf + 44), phent = *(u16 *)(elf + 42);
    data_lo = data_hi = 0;
    for (u32 i = 0; i < phnum; i++) {
        u32 *ph = (u32 *)(elf + phoff + i * phent);
        if (ph[0] != 1) continue;
        u32 off = ph[1], va = ph[2], fsz = ph[4], msz = ph[5], fl = ph[6];
        if (va < 0x08048000 || va + msz > USTACK_LO) { puts("[urun] bad PT_LOAD\n"); halt(3); }
        memcpy((void *)va, elf + off, fsz);
        memset((void *)(va + fsz), 0, msz - fsz);
        if (!(fl & 2)) for (u32 a = va & ~4095u; a < va + msz; a += 4096) pt_user[(a >> 12) & 1023] &= ~2u;
        else { data_lo = va & ~4095u; data_hi = (va + msz + 4095) & ~4095u; }
    }
    flush_tlb();
    /* argv: the module string minus the first token (qemu's file path) and $(…) tokens */
    static char strs[1024]; static u32 argoff[64]; u32 argc = 0, n = 0;
    const char *p = cmd;
    while (*p && *p != ' ') p++;
    for (;;) {
        while (*p == ' ') p++;
        if (!*p) break;
        const char *s = p; while (*p && *p != ' ') p++;
        if (s[0] == '$' && s[1] == '(') continue;
        argoff[argc++] = n; while (s < p) strs[n++] = *s++; strs[n++] = 0;
    }
    static const char env0[] = "MACH86_HARNESS=urun";
    u32 top = UTOP - 16, sp;
    u32 slen = n + sizeof(env0);
    u32 str_at = (top - slen) & ~15u;
    memcpy((void *)str_at, strs, n); memcpy((void *)(str_at + n), env0, sizeof(env0));
    sp = str_at - 4 * (argc + 4);
    sp &= ~15u; sp -= 4;    /* misalign on purpose: crt0 must realign */
    u32 *w = (u32 *)sp;
    w[0] = argc;
    for (u32 i = 0; i < argc; i++) w[1 + i] = str_at + argoff[i];
    w[1 + argc] = 0; w[2 + argc] = str_at + n; w[3 + argc] = 0;
    puts("[urun] task "); putdec(task_self_id); puts(": "); puts(cmd); puts("\n");
    static struct frame f;
    memset(&f, 0, sizeof(f));
    f.eax = 0xBAD1; f.ebx = 0xBAD2; f.ecx = 0xBAD3; f.edx = 0xBAD4; f.esi = 0xBAD5; f.edi = 0xBAD6; f.ebp = 0xBAD7;
    f.gs = f.fs = f.es = f.ds = 0x23; f.cs = 0x1B; f.ss = 0x23; f.eip = entry; f.esp = sp; f.eflags = 0x2;
    enter_frame(&f);
}

void kmain(u32 *mbi)
{
    cpu_init();
    paging_init();
    if (!(mbi[0] & 8) || !mbi[5]) { puts("[urun] no modules\n"); halt(3); }
    nmods = mbi[5]; mods = (struct mod *)mbi[6];
    run_module();
}
