/* Faults with no usable IDT: #UD -> vector 6 lies beyond the IDT limit
 * -> #GP -> #DF -> triple fault (shutdown). Linked with crt0-noidt.o. */
#include "kern.h"

struct idt_ptr {
    u16 limit;
    u32 base;
} __attribute__((packed));

int kmain(u32 magic, struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    static const struct idt_ptr empty = { 0, 0 };

    puts("about to fault\n");
    __asm__ volatile("lidt %0" : : "m"(empty));
    __asm__ volatile("ud2");
    puts("noidt: ERROR: survived ud2\n");
    return 1;
}
