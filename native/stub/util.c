/* The few libc routines the compiler may call into, and the stub's fatal-error path. */
#include "util.h"
#include "raw.h"

/* rep movsb/stosb: the CPU's fast string copy (the xsave area a gadget call moves is ~3 KiB) */
void *memcpy(void *dst, const void *src, size_t n)
{
    void *d = dst;
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    void *d = dst;
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
    return dst;
}

/* overlapping copies (names moved within their buffer) */
void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d <= s || d >= s + n)
        return memcpy(dst, src, n);
    while (n--)
        d[n] = s[n];
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static void put(const char *s) { raw3(__NR_write, 2, s, strlen(s)); }

char *format_decimal(unsigned long v, char *end)
{
    *end = 0;
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

void stub_die(const char *what, long err)
{
    char num[24];
    put("gramine-ts stub: ");
    put(what);
    put(" (errno ");
    put(format_decimal(err < 0 ? (unsigned long)-err : (unsigned long)err, num + sizeof(num) - 1));
    put(")\n");
    raw1(__NR_exit_group, 127);
    __builtin_unreachable();
}

void stub_die_killed(void)
{
    raw2(__NR_kill, raw0(__NR_getpid), 9 /* SIGKILL */);
    raw1(__NR_exit_group, 137);
    __builtin_unreachable();
}

long now_ns(void)
{
    struct {
        long tv_sec, tv_nsec;
    } t;
    raw2(__NR_clock_gettime, 1 /* CLOCK_MONOTONIC */, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

#define K_FUTEX_WAIT_PRIVATE 128
#define K_FUTEX_WAKE_PRIVATE 129

void stub_lock(volatile int *lock)
{
    int c = 0;
    if (__atomic_compare_exchange_n(lock, &c, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return;
    if (c != 2)
        c = __atomic_exchange_n(lock, 2, __ATOMIC_ACQUIRE);
    while (c != 0) {
        raw4(__NR_futex, lock, K_FUTEX_WAIT_PRIVATE, 2, 0);
        c = __atomic_exchange_n(lock, 2, __ATOMIC_ACQUIRE);
    }
}

void stub_unlock(volatile int *lock)
{
    if (__atomic_exchange_n(lock, 0, __ATOMIC_RELEASE) == 2)
        raw3(__NR_futex, lock, K_FUTEX_WAKE_PRIVATE, 1);
}
