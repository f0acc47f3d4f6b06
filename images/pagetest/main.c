/* Paging smoke test: identity-map 0..8 MiB with 4 KiB pages (two page
 * tables), add one 4 MiB PSE page VA 0x40000000 -> PA 0x00400000, turn
 * paging on and check that both views see the same memory. */
#include "kern.h"

#define PTE_P   0x001u
#define PTE_RW  0x002u
#define PDE_PS  0x080u

#define CR0_PG  0x80000000u
#define CR4_PSE 0x00000010u

#define BIG_VA  0x40000000u
#define BIG_PA  0x00400000u

static u32 page_dir[1024] __attribute__((aligned(4096)));
static u32 page_tables[2][1024] __attribute__((aligned(4096)));

static void fail(const char *what, u32 expected, u32 got)
{
    puts("pagetest FAIL ");
    puts(what);
    puts(" expected=0x");
    puthex32(expected);
    puts(" got=0x");
    puthex32(got);
    putc('\n');
    exit(1);
}

int kmain(u32 magic, struct mb_info *mbi)
{
    /* PA 0x400000..0x400017 must be RAM: mem_upper counts KiB above 1 MiB. */
    if (magic == MB_BOOTLOADER_MAGIC && mbi && (mbi->flags & MBI_MEM) &&
        mbi->mem_upper < (BIG_PA + 4096 - 0x100000) / 1024)
        fail("mem_upper_kib", (BIG_PA + 4096 - 0x100000) / 1024, mbi->mem_upper);

    for (u32 i = 0; i < 2048; i++)
        page_tables[i / 1024][i % 1024] = (i << 12) | PTE_P | PTE_RW;
    for (u32 i = 0; i < 1024; i++)
        page_dir[i] = 0;
    page_dir[0] = (u32)page_tables[0] | PTE_P | PTE_RW;
    page_dir[1] = (u32)page_tables[1] | PTE_P | PTE_RW;
    page_dir[BIG_VA >> 22] = BIG_PA | PDE_PS | PTE_P | PTE_RW;

    /* Seed the physical words before paging so stale values cannot pass. */
    volatile u32 *phys = (volatile u32 *)(BIG_PA + 0x10);
    phys[0] = 0;
    phys[1] = 0;

    u32 r;
    __asm__ volatile("movl %%cr4, %0" : "=r"(r));
    __asm__ volatile("movl %0, %%cr4" : : "r"(r | CR4_PSE) : "memory");
    __asm__ volatile("movl %0, %%cr3" : : "r"((u32)page_dir) : "memory");
    __asm__ volatile("movl %%cr0, %0" : "=r"(r));
    __asm__ volatile("movl %0, %%cr0\n\t"
                     "jmp 1f\n"
                     "1:"
                     : : "r"(r | CR0_PG) : "memory");

    __asm__ volatile("movl %%cr0, %0" : "=r"(r));
    if (!(r & CR0_PG))
        fail("cr0.pg", CR0_PG, r);

    volatile u32 *virt = (volatile u32 *)(BIG_VA + 0x10);

    /* write through the 4 MiB page, read through the identity map */
    virt[0] = 0xCAFEBABEu;
    if (phys[0] != 0xCAFEBABEu)
        fail("va->pa", 0xCAFEBABEu, phys[0]);

    /* and the other way round */
    phys[1] = 0x5EED1234u;
    if (virt[1] != 0x5EED1234u)
        fail("pa->va", 0x5EED1234u, virt[1]);

    puts("pagetest ok\n");
    return 0;
}
