/* compute N: N million iterations of an integer hash, no system call
 * inside the loop; prints the result (a fixed function of N) and exits 0.
 * Used to measure the emulated CPU's speed on user code (MIPS): the loop
 * is written in assembly so that an iteration is exactly 9 instructions
 * (xor, imul, mov, shr, xor, add, inc, cmp, jne), N million iterations
 * = 9·N million instructions, whatever the compiler does. */
#include "ulib.h"

#define INSNS_PER_ITER 9

/* One million iterations:
 *   h ^= i; h *= 0x01000193 (FNV prime); h ^= h >> 15; h += 0x9E3779B9 */
static u32 hash_million(u32 h)
{
    u32 i = 0, t;
    __asm__ volatile(
        "1:\n\t"
        "xorl %[i], %[h]\n\t"
        "imull $0x01000193, %[h], %[h]\n\t"
        "movl %[h], %[t]\n\t"
        "shrl $15, %[t]\n\t"
        "xorl %[t], %[h]\n\t"
        "addl $0x9E3779B9, %[h]\n\t"
        "incl %[i]\n\t"
        "cmpl %[i], %[n]\n\t"
        "jne 1b"
        : [h] "+r"(h), [i] "+r"(i), [t] "=&r"(t)
        : [n] "r"(1000000u)
        : "cc");
    return h;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        die("usage: compute N   (N million iterations)");
    u32 n = strtoul(argv[1], NULL, 0);
    printf("compute: %u million iterations, %u instructions each\n", n, INSNS_PER_ITER);
    u32 h = 0x811C9DC5u;        /* FNV offset basis */
    for (u32 r = 0; r < n; r++)
        h = hash_million(h ^ r);
    printf("compute: result 0x%08x after %u million iterations\n", h, n);
    return 0;
}
