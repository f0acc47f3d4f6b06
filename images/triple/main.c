/* Every IDT gate is zero (not present, and type 0, which is no valid gate
 * type, so the CPU reports #GP(0x02) rather than #NP): #DE, then #GP
 * while delivering it; two contributory faults make #DF, whose gate is
 * just as bad -> triple fault (shutdown). Linked with crt0-noidt.o. */
#include "kern.h"

struct idt_ptr {
    u16 limit;
    u32 base;
} __attribute__((packed));

/* 32 zeroed gates; kept in .data so the zeros do not depend on the loader
 * clearing .bss. */
static u8 dead_idt[32 * 8] __attribute__((aligned(8), section(".data")));

int kmain(u32 magic, struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    struct idt_ptr ip = { sizeof(dead_idt) - 1, (u32)dead_idt };

    memset(dead_idt, 0, sizeof(dead_idt));
    puts("about to triple fault\n");
    __asm__ volatile("lidt %0" : : "m"(ip));
    /* divide by zero, kept out of the optimiser's reach */
    __asm__ volatile("xorl %%ecx, %%ecx\n\t"
                     "movl $1, %%eax\n\t"
                     "xorl %%edx, %%edx\n\t"
                     "divl %%ecx"
                     : : : "eax", "ecx", "edx", "cc");
    puts("triple: ERROR: survived divide by zero\n");
    return 1;
}
