/*
 * signalfd and signalfd4: the host's, on a mask without the stub's signals (a read of it must
 * never take a doorbell or a SIGSYS). Signals from other processes arrive as real host signals
 * with their virtual siginfo (the doorbell raises them), so a read shows them as on Linux --
 * but for SIGCHLD, whose siginfo the host writes with the child's host pid, and SIGCONT from
 * another process (see siginfo.c). A signalfd for either is moved to one of the signalfd slots
 * (the app's highest fds) and a second seccomp filter makes reads of those slots trap: the stub
 * reads the records itself and puts the virtual values in.
 */
#include <asm-generic/errno.h>

#include "abi.h"
#include "raw.h"
#include "stub.h"
#include "trap.h"
#include "util.h"

#define K_F_GETFD 1
#define K_O_CLOEXEC 02000000
#define SIGNALFD_RECORD STUB_SIGNALFD_RECORD
#define RECORDS_READ STUB_SIGNALFD_RECORDS

static int first_slot(void) { return g_stub.reserved_fd_base - GTS_SIGNALFD_SLOTS; }

static int in_slots(long fd)
{
    unsigned int f = (unsigned int)fd;
    return f >= (unsigned int)first_slot() && f < (unsigned int)g_stub.reserved_fd_base;
}

/*
 * Whether this process already has the second filter. It outlives exec, and so does the fd the
 * stub keeps in GTS_SIGNALFD_FILTER_SLOT from when it installed it (/proc/self/status would
 * say too, but it is not the app process's to open: only its mounts are).
 */
static int signalfd_filter_installed(void)
{
    return raw2(__NR_fcntl, g_stub.reserved_fd_base + GTS_SIGNALFD_FILTER_SLOT, K_F_GETFD) >= 0;
}

static long install_signalfd_filter_once(void)
{
    long r = install_signalfd_filter();
    if (r < 0)
        return r;
    long marker = raw2(__NR_eventfd2, 0, 0);
    if (marker >= 0) {
        raw3(__NR_dup3, marker, g_stub.reserved_fd_base + GTS_SIGNALFD_FILTER_SLOT, 0);
        raw1(__NR_close, marker);
    }
    return r;
}

/*
 * Move the new signalfd `fd` to a free signalfd slot, with the second filter in place: its
 * number there, or `fd` itself if that cannot be done (it then shows host pids, as before).
 */
static long to_slot(long fd, int cloexec)
{
    long placed = fd;
    stub_lock(&g_stub.lock); /* one thread at a time picks a slot (and installs the filter) */
    if (signalfd_filter_installed() || install_signalfd_filter_once() >= 0) {
        for (int slot = first_slot(); slot < g_stub.reserved_fd_base; slot++) {
            if (raw2(__NR_fcntl, slot, K_F_GETFD) >= 0)
                continue; /* taken */
            if (raw3(__NR_dup3, fd, slot, cloexec ? K_O_CLOEXEC : 0) == slot) {
                raw1(__NR_close, fd);
                placed = slot;
                break;
            }
        }
    }
    stub_unlock(&g_stub.lock);
    return placed;
}

long sys_signalfd(long nr, const long *a)
{
    unsigned long mask;
    if ((int)a[0] != -1 && is_reserved_fd(a[0]))
        return -EBADF;
    if (a[2] != 8)
        return -EINVAL;
    long r = copy_from_app(&mask, (const void *)a[1], sizeof(mask));
    if (r)
        return r;
    mask &= ~RESERVED_SIGNALS;
    r = nr == __NR_signalfd ? raw3(nr, a[0], &mask, 8) : raw4(nr, a[0], &mask, 8, a[3]);
    if (r < 0 || (int)a[0] != -1 || !(mask & (SIGBIT(K_SIGCHLD) | SIGBIT(K_SIGCONT))))
        return r;
    return to_slot(r, nr == __NR_signalfd4 && (a[3] & K_SFD_CLOEXEC));
}

/* Is `fd` a signalfd? (A slot can hold anything the app put there since.) */
static int is_signalfd(long fd)
{
    static const char dir[] = "/proc/self/fd/";
    char path[sizeof(dir) + 21], link[32];
    char *num = format_decimal((unsigned int)fd, path + sizeof(path) - 1);
    char *p = num - (sizeof(dir) - 1);
    memcpy(p, dir, sizeof(dir) - 1);
    long n = raw4(__NR_readlinkat, -100, p, link, sizeof(link));
    static const char want[] = "anon_inode:[signalfd]";
    return n == sizeof(want) - 1 && !memcmp(link, want, sizeof(want) - 1);
}

/* Scatter `n` bytes of `buf` into the app's iovecs. */
static long scatter(const struct k_iovec *iov, long niov, const char *buf, long n)
{
    for (long i = 0; i < niov && n > 0; i++) {
        long part = (long)iov[i].len < n ? (long)iov[i].len : n;
        long e = copy_to_app(iov[i].base, buf, (unsigned long)part);
        if (e)
            return e;
        buf += part;
        n -= part;
    }
    return 0;
}

long signalfd_slot_read(long nr, const long *a, struct k_ucontext *uc)
{
    if (!in_slots(a[0]) || !is_signalfd(a[0]))
        return SLOT_NOT_SIGNALFD;
    char *buf = current_thread()->signalfd_records;
    struct k_iovec iov[8];
    long niov = 0, want;
    if (nr == __NR_readv) {
        niov = a[2];
        if (niov < 0 || niov > 1024)
            return -EINVAL;
        if (niov > 8)
            niov = 8;
        long e = copy_from_app(iov, (const void *)a[1], (unsigned long)niov * sizeof(iov[0]));
        if (e)
            return e;
        want = 0;
        for (long i = 0; i < niov; i++)
            want += (long)iov[i].len;
    } else {
        want = a[2];
    }
    if (want > RECORDS_READ * SIGNALFD_RECORD)
        want = RECORDS_READ * SIGNALFD_RECORD;
    /* blocking as the app's own read would: its handlers run, SA_RESTART decides */
    long r = with_app_mask(uc, 2, __NR_read, a[0], (long)buf, want, 0, 0, 0);
    if (r <= 0)
        return r;
    for (long off = 0; off + SIGNALFD_RECORD <= r; off += SIGNALFD_RECORD)
        signalfd_record_to_virtual(buf + off);
    long e = nr == __NR_readv ? scatter(iov, niov, buf, r) : copy_to_app((void *)a[1], buf, (unsigned long)r);
    return e ? e : r;
}
