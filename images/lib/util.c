#include "kern.h"

/* gcc may emit calls to these even in freestanding mode. */
void *memset(void *d, int c, size_t n)
{
    u8 *p = d;
    while (n--)
        *p++ = (u8)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    u8 *p = d;
    const u8 *q = s;
    while (n--)
        *p++ = *q++;
    return d;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int cmdline_get_u32(const char *cmdline, const char *key, u32 *out)
{
    size_t klen = strlen(key);
    const char *p = cmdline;

    if (!p)
        return 0;
    while (*p) {
        while (is_space(*p))
            p++;
        if (!*p)
            break;
        /* p is at the start of a token */
        size_t i = 0;
        while (i < klen && p[i] == key[i])
            i++;
        if (i == klen && p[i] == '=') {
            const char *q = p + klen + 1;
            u32 v = 0;
            int digits = 0;
            while (*q >= '0' && *q <= '9') {
                u32 d = (u32)(*q - '0');
                if (v > 429496729u || (v == 429496729u && d > 5))
                    return 0;           /* does not fit in 32 bits */
                v = v * 10 + d;
                digits++;
                q++;
            }
            if (digits && (*q == 0 || is_space(*q))) {
                *out = v;
                return 1;
            }
            return 0;                   /* "key=" followed by junk */
        }
        while (*p && !is_space(*p))
            p++;
    }
    return 0;
}

const char *mbi_cmdline(u32 magic, const struct mb_info *mbi)
{
    if (magic != MB_BOOTLOADER_MAGIC || !mbi)
        return "";
    if (!(mbi->flags & MBI_CMDLINE) || !mbi->cmdline)
        return "";
    return (const char *)mbi->cmdline;
}
