/* Raw system calls for the freestanding stub: no libc, no errno, no TLS. */
#ifndef GRAMINE_TS_RAW_H
#define GRAMINE_TS_RAW_H

#include <stddef.h>
#include <stdint.h>
#include <asm/unistd_64.h>

static inline long raw_syscall6(long nr, long a, long b, long c, long d, long e, long f)
{
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

#define raw0(nr) raw_syscall6((nr), 0, 0, 0, 0, 0, 0)
#define raw1(nr, a) raw_syscall6((nr), (long)(a), 0, 0, 0, 0, 0)
#define raw2(nr, a, b) raw_syscall6((nr), (long)(a), (long)(b), 0, 0, 0, 0)
#define raw3(nr, a, b, c) raw_syscall6((nr), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define raw4(nr, a, b, c, d) raw_syscall6((nr), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define raw5(nr, a, b, c, d, e) \
    raw_syscall6((nr), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)
#define raw6(nr, a, b, c, d, e, f) \
    raw_syscall6((nr), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

/* the kernel's struct pollfd (poll, ppoll) */
struct k_pollfd {
    int fd;
    short events, revents;
};

/* the kernel's struct rlimit (prlimit64) */
struct k_rlimit {
    unsigned long cur, max;
};

/* the kernel's struct iovec, struct msghdr (sendmsg, recvmsg) and struct cmsghdr */
struct k_iovec {
    void *base;
    unsigned long len;
};

struct k_msghdr {
    void *name;
    int namelen;
    int pad0;
    struct k_iovec *iov;
    unsigned long iovlen;
    void *control;
    unsigned long controllen;
    int flags;
    int pad1;
};

struct k_cmsghdr {
    unsigned long len;
    int level;
    int type;
};

struct k_mmsghdr {
    struct k_msghdr hdr;
    unsigned int len;
    int pad;
};

#define K_SOL_SOCKET 1
#define K_SCM_RIGHTS 1
#define K_SCM_CREDENTIALS 2

static inline int raw_is_error(long ret) { return (unsigned long)ret > (unsigned long)-4096; }

#endif
