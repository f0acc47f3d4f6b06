/* Exception IDT for vectors 0..31. Every exception prints one line on
 * COM1 and stops the machine with exit code 0x7F. */
#include "kern.h"

#define EXC_EXIT_CODE 0x7F

struct idt_gate {
    u16 off_lo;
    u16 sel;
    u8  zero;
    u8  type_attr;
    u16 off_hi;
} __attribute__((packed));

struct idt_ptr {
    u16 limit;
    u32 base;
} __attribute__((packed));

extern const u32 exc_stub_table[32];    /* idt.S */

static struct idt_gate idt[32] __attribute__((aligned(8)));

/* In .data, not .bss, so it is 0 even if a loader forgot to clear .bss. */
static volatile int in_exception __attribute__((section(".data")));

void idt_init(void)
{
    struct idt_ptr ip;
    for (int i = 0; i < 32; i++) {
        u32 a = exc_stub_table[i];
        idt[i].off_lo = (u16)(a & 0xFFFF);
        idt[i].sel = 0x08;
        idt[i].zero = 0;
        idt[i].type_attr = 0x8E;        /* present, DPL0, 32-bit interrupt gate */
        idt[i].off_hi = (u16)(a >> 16);
    }
    ip.limit = sizeof(idt) - 1;
    ip.base = (u32)idt;
    __asm__ volatile("lidt %0" : : "m"(ip));
}

void exc_handler(u32 vec, u32 err, u32 eip, u32 cr2) __attribute__((noreturn));
void exc_handler(u32 vec, u32 err, u32 eip, u32 cr2)
{
    if (in_exception)                   /* faulted while reporting: just stop */
        exit(EXC_EXIT_CODE);
    in_exception = 1;
    puts("EXC ");
    putdec(vec);
    puts(" err=0x");
    puthex32(err);
    puts(" eip=0x");
    puthex32(eip);
    puts(" cr2=0x");
    puthex32(cr2);
    putc('\n');
    exit(EXC_EXIT_CODE);
}
