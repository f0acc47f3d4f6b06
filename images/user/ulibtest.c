/* ulibtest: checks ulib's formatting and string functions; prints
 * "ulibtest: N checks, 0 failed" and exits 0, or the failures and 1. */
#include "ulib.h"

static u32 checks, failed;

static void expect_str(const char *got, const char *want, int line)
{
    checks++;
    if (strcmp(got, want)) {
        failed++;
        printf("ulibtest: line %d: got \"%s\", want \"%s\"\n", line, got, want);
    }
}

static void expect_u32(u32 got, u32 want, int line)
{
    checks++;
    if (got != want) {
        failed++;
        printf("ulibtest: line %d: got 0x%x, want 0x%x\n", line, got, want);
    }
}

#define FMT(want, ...) do { char b[96]; snprintf(b, sizeof(b), __VA_ARGS__); expect_str(b, want, __LINE__); } while (0)
#define EQ(got, want) expect_u32((u32)(got), (u32)(want), __LINE__)

int main(void)
{
    FMT("hello", "hello");
    FMT("[42]", "[%d]", 42);
    FMT("[-42]", "[%d]", -42);
    FMT("[-2147483648]", "[%d]", (int)0x80000000u);
    FMT("[4294967295]", "[%u]", 0xFFFFFFFFu);
    FMT("[   42]", "[%5u]", 42u);
    FMT("[42   ]", "[%-5u]", 42u);
    FMT("[00042]", "[%05u]", 42u);
    FMT("[  -42]", "[%5d]", -42);
    FMT("[-0042]", "[%05d]", -42);
    FMT("[0000beef]", "[%08x]", 0xBEEFu);
    FMT("[DEADBEEF]", "[%X]", 0xDEADBEEFu);
    FMT("[0]", "[%x]", 0u);
    FMT("[0x08048000]", "[%p]", (void *)0x08048000);
    FMT("[ab   |]", "[%-5s|]", "ab");
    FMT("[   ab]", "[%5s]", "ab");
    {
        const char *volatile null = 0;      /* hidden from -Wformat-overflow */
        FMT("[(null)]", "[%s]", null);
    }
    FMT("[x]", "[%c]", 'x');
    FMT("[100%]", "[%d%%]", 100);
    FMT("[  7]", "[%*d]", 3, 7);
    FMT("[12]", "[%lu]", 12ul);
    {   /* truncation: returns the full length, NUL-terminates */
        char b[6];
        int n = snprintf(b, sizeof(b), "%s", "abcdefgh");
        EQ(n, 8);
        expect_str(b, "abcde", __LINE__);
    }
    EQ(strlen(""), 0);
    EQ(strlen("abc"), 3);
    EQ(strcmp("abc", "abc") == 0, 1);
    EQ(strcmp("abc", "abd") < 0, 1);
    EQ(strcmp("b", "abc") > 0, 1);
    EQ(strncmp("abcx", "abcy", 3), 0);
    EQ(strtoul("123", 0, 0), 123);
    EQ(strtoul("0x1F", 0, 0), 0x1F);
    EQ(strtoul("ff", 0, 16), 0xFF);
    EQ(strtoul("99999999999", 0, 10), 0xFFFFFFFFu);
    {
        char *end;
        EQ(strtoul("42x", &end, 10), 42);
        EQ(*end, 'x');
    }
    EQ(atoi("-17"), (u32)-17);
    {
        u8 a[16], b[16];
        memset(a, 0xA5, sizeof(a));
        memcpy(b, a, sizeof(b));
        EQ(memcmp(a, b, sizeof(a)), 0);
        b[9] = 0;
        EQ(memcmp(a, b, sizeof(a)) > 0, 1);
    }
    {
        struct lcg g = { 1 };
        EQ(lcg_next(&g), (1u * 1664525u + 1013904223u) >> 8);
    }
    EQ(strcmp(kr_name(KERN_INVALID_ADDRESS), "KERN_INVALID_ADDRESS"), 0);
    EQ(strcmp(kr_name(99), "?"), 0);
    EQ(__argc >= 1, 1);
    EQ(strcmp(progname(), "ulibtest"), 0);
    printf("ulibtest: %u checks, %u failed\n", checks, failed);
    return failed ? 1 : 0;
}
