/* Machine exit: a 32-bit write of V to port 0xF4 stops mach86; V is the
 * run's result (mach86 exits 0 for V = 0, else 1; V & 0xFF with
 * --exit-code guest). QEMU's isa-debug-exit turns it into (V << 1) | 1. If
 * nothing listens on the port we park the CPU with interrupts off. */
#include "kern.h"
#include "io.h"

void halt_forever(void)
{
    for (;;)
        __asm__ volatile("cli; hlt");
}

void exit(u32 code)
{
    outl(EXIT_PORT, code);
    halt_forever();
}
