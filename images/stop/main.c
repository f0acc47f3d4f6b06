/* Leaves the machine one way, chosen with "how=N" on the command line, after
 * printing "stop N"; any text after that ("after") must never appear, since
 * every one of these stops the machine before the next instruction:
 *   1  8042 reset: command 0xFE to port 0x64
 *   2  8042 reset: command 0xD1, then output port 0xFE (reset line low) to 0x60
 *   3  PIIX reset control: 0x06 to port 0xCF9
 *   4  PIIX reset control: 0x0E to port 0xCF9
 *   5  0x02 to port 0xCF9 (no reset: bit 2 clear), then exit 5 with outb
 *   6  ACPI S5: outw 0x2000 to PM1a_CNT (0x604)
 *   7  exit with a 16-bit outw of 0x1234 to 0xF4
 *   8  exit with an 8-bit outb of 7 to 0xF4
 *   9  triple fault: ud2 with an empty IDT (limit 0)
 *  10  double fault: ud2 with only gate 8 valid; the #DF handler prints
 *      "double fault" and exits 8
 * Linked with crt0-noidt. */
#include "kern.h"
#include "io.h"

struct idt_ptr {
    u16 limit;
    u32 base;
} __attribute__((packed));

static u32 gates[64] __attribute__((aligned(8), section(".data")));

static inline void outw(u16 port, u16 v)
{
    __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

void df_handler(void);
__asm__(".globl df_handler\n"
        "df_handler:\n"
        "    call df_report\n"
        "1:  cli\n"
        "    hlt\n"
        "    jmp 1b\n");

void df_report(void)
{
    puts("double fault\n");
    exit(8);
}

static void lidt(u32 base, u16 limit)
{
    struct idt_ptr ip = { limit, base };
    __asm__ volatile("lidt %0" : : "m"(ip));
}

static void ud2(void)
{
    __asm__ volatile("ud2");
}

int kmain(u32 magic, struct mb_info *mbi)
{
    u32 how = 0;
    cmdline_get_u32(mbi_cmdline(magic, mbi), "how", &how);
    puts("stop ");
    putdec(how);
    putc('\n');
    switch (how) {
    case 1:
        outb(0x64, 0xFE);
        break;
    case 2:
        outb(0x64, 0xD1);
        outb(0x60, 0xFE);
        break;
    case 3:
        outb(0xCF9, 0x06);
        break;
    case 4:
        outb(0xCF9, 0x0E);
        break;
    case 5:
        outb(0xCF9, 0x02);
        puts("no reset\n");
        outb(EXIT_PORT, 5);
        break;
    case 6:
        outw(0x604, 0x2000);
        break;
    case 7:
        outw(EXIT_PORT, 0x1234);
        break;
    case 8:
        outb(EXIT_PORT, 7);
        break;
    case 9:
        lidt(0, 0);
        ud2();
        break;
    case 10: {
        u32 h = (u32)df_handler;
        memset(gates, 0, sizeof(gates));
        gates[16] = (0x08 << 16) | (h & 0xFFFF);
        gates[17] = (h & 0xFFFF0000) | 0x8E00;
        lidt((u32)gates, sizeof(gates) - 1);
        ud2();
        break;
    }
    default:
        puts("unknown how\n");
        return 1;
    }
    puts("after\n");
    for (;;)
        __asm__ volatile("cli; hlt");
}
