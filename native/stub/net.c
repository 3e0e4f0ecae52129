/*
 * The socket calls that carry an address or an identity. The host does the work on the app's
 * own sockets; what crosses here is what names things:
 *   - IP (and other host-scoped) addresses are the host's: the call is made as given;
 *   - an abstract UNIX name is the instance's: the host's carries the instance's prefix after
 *     its NUL (added on the way in, taken off on the way out), so instances and the host never
 *     meet; an autobind picks one with the prefix, as the kernel would without it;
 *   - a UNIX path is resolved by the worker's walk: a bind gets the address the host binds
 *     (the app's own when the host finds the same directory by it, else one below the
 *     instance's labelled mount roots), a connect or send the socket file itself, as an O_PATH
 *     fd reached through /proc/self/fd; names the host reports that are such labels go back to
 *     the worker to become instance paths again;
 *   - a netlink socket bound with port id 0 gets a random one (the kernel would use the host pid);
 *   - peer credentials (SO_PEERCRED, SCM_CREDENTIALS) are translated by the worker, and
 *     SCM_RIGHTS may not carry the stub's reserved fds.
 * Calls that may block are made with the app's signal mask (with_app_mask), so that signals
 * end or restart them as on Linux.
 */
#include <stddef.h>
#include <asm-generic/errno.h>

#include "abi.h"
#include "raw.h"
#include "stub.h"
#include "trap.h"
#include "util.h"

#define K_AF_UNIX 1
#define K_AF_INET 2
#define K_AF_INET6 10
#define K_AF_NETLINK 16
#define K_SO_PEERCRED 17
#define K_SO_DOMAIN 39
#define K_SO_PASSPIDFD 76
#define K_SO_PEERPIDFD 77
#define K_MSG_EOR 0x80
#define SUN_PATH 2            /* offset of sun_path */
#define SOCKADDR_UN_MAX 110   /* sizeof(struct sockaddr_un) */
#define SOCKADDR_MAX 128      /* sizeof(struct sockaddr_storage) */
#define AUTOBIND_HEX 5        /* the kernel's autobind names: 5 hex digits */

struct k_sockaddr {
    unsigned short family;
    unsigned char data[SOCKADDR_MAX - 2];
};


struct k_ucred {
    int pid;
    unsigned int uid, gid;
};

/* An address for the host, made from the app's. */
struct host_addr {
    struct k_sockaddr sa;
    int len;
    int given;  /* pass the app's own pointer and length: the kernel judges them as they are */
    int target; /* an O_PATH fd of the socket file the worker found (closed after the call), or -1 */
};

/*
 * take_addr for a bind to a UNIX path: the worker has bound the socket itself (the app process
 * may make no file anywhere: its Landlock domain lets it only read).
 */
#define BOUND_BY_WORKER 1

static void host_addr_done(struct host_addr *h)
{
    if (h->target >= 0)
        raw1(__NR_close, h->target);
}

/* A random number from the host (for names and port ids nobody else should pick). */
static unsigned long random_bits(void)
{
    unsigned long v = 0;
    raw3(__NR_getrandom, &v, sizeof(v), 0);
    return v;
}

static void put_hex(unsigned char *out, unsigned long v, int digits)
{
    for (int i = digits - 1; i >= 0; i--, v >>= 4)
        out[i] = (unsigned char)"0123456789abcdef"[v & 15];
}

enum addr_use { FOR_BIND, FOR_CONNECT /* connect, or the destination of a send */ };

/*
 * A UNIX path: the worker walks it. A bind it makes itself (BOUND_BY_WORKER); for a connect or
 * a send it says which socket file the host is to use.
 */
static long unix_path(enum addr_use use, long fd, struct host_addr *h)
{
    long a[6] = {fd, (long)&h->sa, h->len, 0, 0, 0};
    struct gts_reply reply;
    int target = -1;
    int nfds = call_worker(use == FOR_BIND ? __NR_bind : __NR_connect, a, 0, &reply, 0, 0, &target, 1);
    if (use == FOR_BIND || reply.ret < 0 || !(reply.flags & GTS_REPLY_TARGET)) {
        if (nfds == 1)
            raw1(__NR_close, target);
        return reply.ret < 0 ? reply.ret : use == FOR_BIND ? BOUND_BY_WORKER : -EIO;
    }
    if (nfds != 1)
        return -EMFILE; /* no fd free for it */
    h->target = target;
    h->sa.family = K_AF_UNIX;
    char num[24];
    const char *n = format_decimal((unsigned long)target, num + sizeof(num) - 1);
    static const char proc_fd[] = "/proc/self/fd/";
    memcpy(h->sa.data, proc_fd, sizeof(proc_fd) - 1);
    unsigned long l = strlen(n);
    memcpy(h->sa.data + sizeof(proc_fd) - 1, n, l + 1);
    h->len = (int)(SUN_PATH + sizeof(proc_fd) - 1 + l + 1);
    return 0;
}

/* An abstract name with the instance's prefix; an autobind (bind with no name) picks one. */
static long abstract_name(enum addr_use use, struct host_addr *h)
{
    int autobind = h->len == SUN_PATH;
    int name_len = autobind ? AUTOBIND_HEX : h->len - SUN_PATH - 1;
    if (SUN_PATH + 1 + GTS_ABSTRACT_PREFIX_LEN + name_len > SOCKADDR_UN_MAX)
        return -EINVAL; /* no room for the prefix: as a name too long */
    if (autobind && use != FOR_BIND)
        return 0; /* the kernel's EINVAL */
    if (autobind)
        put_hex(h->sa.data + 1 + GTS_ABSTRACT_PREFIX_LEN, random_bits(), AUTOBIND_HEX);
    else
        memmove(h->sa.data + 1 + GTS_ABSTRACT_PREFIX_LEN, h->sa.data + 1, (unsigned long)name_len);
    h->sa.data[0] = 0;
    memcpy(h->sa.data + 1, g_stub.abstract_prefix, GTS_ABSTRACT_PREFIX_LEN);
    h->len = SUN_PATH + 1 + GTS_ABSTRACT_PREFIX_LEN + name_len;
    h->given = 0;
    return 0;
}

/*
 * The host's address for the app's (`app`, `len`): 0 with `h` filled in, or -errno. What the
 * kernel would refuse as it is (a bad length) is passed as given, for the kernel to refuse.
 */
static long take_addr(enum addr_use use, long fd, const void *app, long len, struct host_addr *h)
{
    h->given = 1;
    h->target = -1;
    if (!app || len < (long)sizeof(h->sa.family) || len > SOCKADDR_MAX)
        return 0;
    long r = copy_from_app(&h->sa, app, (unsigned long)len);
    if (r)
        return r;
    h->len = (int)len;
    if (h->sa.family == K_AF_UNIX) {
        if (len > SOCKADDR_UN_MAX)
            return 0;
        if (len == SUN_PATH || h->sa.data[0] == 0)
            return abstract_name(use, h);
        h->given = 0;
        /* a path for a socket of another family: the kernel's error, not the walk's */
        int domain = 0, dlen = sizeof(domain);
        if (raw5(__NR_getsockopt, (unsigned int)fd, K_SOL_SOCKET, K_SO_DOMAIN, &domain, &dlen) < 0 || domain != K_AF_UNIX)
            return 0;
        return unix_path(use, fd, h);
    }
    h->given = 0; /* our copy: what the kernel reads is what was checked */
    return 0;
}

static const void *addr_ptr(const struct host_addr *h, const void *app) { return h->given ? app : &h->sa; }
static long addr_len(const struct host_addr *h, long app_len) { return h->given ? app_len : h->len; }

/*
 * A name the host reported, as the app must see it: an abstract name loses the instance's
 * prefix, a label of the worker's becomes the instance path. Returns the new length.
 */
static long fix_name(struct k_sockaddr *sa, long len)
{
    static const char label[] = "/proc/";
    if (len <= SUN_PATH || sa->family != K_AF_UNIX)
        return len;
    unsigned char *p = sa->data;
    if (p[0] == 0) {
        long rest = len - SUN_PATH - 1 - GTS_ABSTRACT_PREFIX_LEN;
        if (rest < 0 || memcmp(p + 1, g_stub.abstract_prefix, GTS_ABSTRACT_PREFIX_LEN))
            return len; /* not one of the instance's */
        memmove(p + 1, p + 1 + GTS_ABSTRACT_PREFIX_LEN, (unsigned long)rest);
        return SUN_PATH + 1 + rest;
    }
    if (len < SUN_PATH + (long)sizeof(label) - 1 || memcmp(p, label, sizeof(label) - 1))
        return len;
    struct k_sockaddr out;
    unsigned long got;
    long r = worker_request(GTS_REQ_UNIX_NAME, (long)sa, len, 0, 0, &out, sizeof(out), &got);
    if (r < SUN_PATH || r > (long)sizeof(out) || got != (unsigned long)r)
        return len;
    memcpy(sa, &out, (unsigned long)r);
    return r;
}

/*
 * Hand a name to the app as the kernel's move_addr_to_user does: as much as fits in its buffer
 * (`room` bytes), and its whole length in *app_len.
 */
static long put_name_in(void *app, int *app_len, int room, const struct k_sockaddr *sa, long len)
{
    long r;
    if (room > len)
        room = (int)len;
    if (room < 0)
        return -EINVAL;
    if (room && (r = copy_to_app(app, sa, (unsigned long)room)))
        return r;
    int full = (int)len;
    return copy_to_app(app_len, &full, sizeof(full));
}

/* ... into a buffer whose size *app_len says */
static long put_name(void *app, int *app_len, const struct k_sockaddr *sa, long len)
{
    int room;
    long r = copy_from_app(&room, app_len, sizeof(room));
    return r ? r : put_name_in(app, app_len, room, sa, len);
}

long sys_bind(const long *a)
{
    struct host_addr h;
    if (is_reserved_fd(a[0]))
        return -EBADF;
    long r = take_addr(FOR_BIND, a[0], (const void *)a[1], (int)a[2], &h);
    if (r)
        return r == BOUND_BY_WORKER ? 0 : r;
    if (!h.given && h.sa.family == K_AF_NETLINK && h.len >= 12) {
        /* port id 0 asks the kernel for one, which would be the host pid: pick one ourselves */
        unsigned int *port = (unsigned int *)(h.sa.data + 2);
        if (*port == 0) {
            do {
                *port = (unsigned int)(-4096 - (long)(random_bits() & 0x3fffffff));
                r = raw3(__NR_bind, (unsigned int)a[0], &h.sa, h.len);
            } while (r == -EADDRINUSE);
            return r;
        }
    }
    r = raw3(__NR_bind, (unsigned int)a[0], addr_ptr(&h, (void *)a[1]), addr_len(&h, (int)a[2]));
    /* a port below 1024 needs a privilege the app process has not: its worker binds it for the instance's root */
    if (r == -EACCES && !h.given && (h.sa.family == K_AF_INET || h.sa.family == K_AF_INET6)) {
        struct gts_reply reply;
        call_worker(__NR_bind, a, 0, &reply, 0, 0, 0, 0);
        return reply.ret;
    }
    /* an autobind name another socket has: pick again, as the kernel does */
    while (r == -EADDRINUSE && (int)a[2] == SUN_PATH && h.sa.family == K_AF_UNIX && !h.given) {
        put_hex(h.sa.data + 1 + GTS_ABSTRACT_PREFIX_LEN, random_bits(), AUTOBIND_HEX);
        r = raw3(__NR_bind, (unsigned int)a[0], &h.sa, h.len);
    }
    return r;
}

long sys_connect(const long *a, struct k_ucontext *uc)
{
    struct host_addr h;
    if (is_reserved_fd(a[0]))
        return -EBADF;
    long r = take_addr(FOR_CONNECT, a[0], (const void *)a[1], (int)a[2], &h);
    if (r)
        return r;
    r = with_app_mask(uc, 2, __NR_connect, (unsigned int)a[0], (long)addr_ptr(&h, (void *)a[1]), addr_len(&h, (int)a[2]), 0, 0, 0);
    host_addr_done(&h);
    return r;
}

/* getsockname, getpeername: the host's answer, the name as the app sees it. */
long sys_sockname(long nr, const long *a)
{
    struct k_sockaddr sa;
    int len = sizeof(sa);
    if (is_reserved_fd(a[0]))
        return -EBADF;
    long r = raw3(nr, (unsigned int)a[0], &sa, &len);
    if (r)
        return r;
    return put_name((void *)a[1], (int *)a[2], &sa, fix_name(&sa, len));
}

/* accept, accept4 with an address (without one, the filter lets them through). */
long sys_accept(long nr, const long *a, struct k_ucontext *uc)
{
    struct k_sockaddr sa;
    int len = sizeof(sa);
    if (is_reserved_fd(a[0]))
        return -EBADF;
    if (!a[1])
        return with_app_mask(uc, 2, nr, (unsigned int)a[0], 0, a[2], a[3], 0, 0);
    long fd = with_app_mask(uc, 2, nr, (unsigned int)a[0], (long)&sa, (long)&len, a[3], 0, 0);
    if (fd < 0)
        return fd;
    /* as Linux: an address the app cannot take loses the connection */
    long r = put_name((void *)a[1], (int *)a[2], &sa, fix_name(&sa, len));
    if (r) {
        raw1(__NR_close, fd);
        return r;
    }
    return fd;
}

/*
 * accept, accept4 and recvfrom at a patched site (patch.c): without an address, or with one on
 * a socket that is not a UNIX one, there is no name to translate: the host's call as the app
 * made it. PATH_FORWARD for a UNIX socket's name (which may need the worker), or for an fd
 * that is no socket (the trap's to answer).
 */
long socket_call_without_names(long nr, const long *a)
{
    int domain;
    int len = sizeof(domain);
    if (is_reserved_fd(a[0]))
        return -EBADF;
    /* without an address (a native call, until its site was patched): no name either */
    int named = nr == __NR_recvfrom ? a[4] != 0 : a[1] != 0;
    if (named && (raw5(__NR_getsockopt, (unsigned int)a[0], K_SOL_SOCKET, K_SO_DOMAIN, &domain, &len) < 0 ||
                  domain == K_AF_UNIX))
        return PATH_FORWARD;
    return raw6(nr, (unsigned int)a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* recvfrom with an address. */
long sys_recvfrom(const long *a, struct k_ucontext *uc)
{
    struct k_sockaddr sa;
    int len = sizeof(sa);
    if (is_reserved_fd(a[0]))
        return -EBADF;
    if (!a[4])
        return with_app_mask(uc, 2, __NR_recvfrom, (unsigned int)a[0], a[1], a[2], a[3], 0, a[5]);
    long n = with_app_mask(uc, 2, __NR_recvfrom, (unsigned int)a[0], a[1], a[2], a[3], (long)&sa, (long)&len);
    if (n < 0)
        return n;
    long r = put_name((void *)a[4], (int *)a[5], &sa, fix_name(&sa, len));
    return r ? r : n;
}

/* sendto with an address. */
long sys_sendto(const long *a, struct k_ucontext *uc)
{
    struct host_addr h;
    if (is_reserved_fd(a[0]))
        return -EBADF;
    long r = take_addr(FOR_CONNECT, a[0], (const void *)a[4], (int)a[5], &h);
    if (r)
        return r;
    r = with_app_mask(uc, 2, __NR_sendto, (unsigned int)a[0], a[1], a[2], a[3], (long)addr_ptr(&h, (void *)a[4]),
                      addr_len(&h, (int)a[5]));
    host_addr_done(&h);
    return r;
}

/* Credentials in a control message or SO_PEERCRED, translated by the worker one way or the other. */
static long translate_ucred(int direction, struct k_ucred *c)
{
    int out[3];
    unsigned long got;
    long r = worker_request(GTS_REQ_UCRED, direction, c->pid, c->uid, c->gid, out, sizeof(out), &got);
    if (r < 0)
        return r;
    if (got != sizeof(out))
        return -EIO;
    c->pid = out[0];
    c->uid = (unsigned int)out[1];
    c->gid = (unsigned int)out[2];
    return 0;
}

#define CMSG_ALIGN(n) (((n) + 7UL) & ~7UL)

/*
 * Walk the control messages of `buf` (`len` bytes): outgoing ones may not pass a reserved fd
 * and send the host's credentials for the app's; incoming credentials become the app's.
 * *credentials (if given) says whether there were credentials.
 */
static long fix_control(unsigned char *buf, unsigned long len, int direction, int *credentials)
{
    for (unsigned long at = 0; at + sizeof(struct k_cmsghdr) <= len;) {
        struct k_cmsghdr *c = (struct k_cmsghdr *)(buf + at);
        if (c->len < sizeof(*c) || c->len > len - at)
            break; /* the kernel's to refuse (EINVAL) or to have cut (MSG_CTRUNC) */
        unsigned long data_len = c->len - sizeof(*c);
        unsigned char *data = buf + at + sizeof(*c);
        if (c->level == K_SOL_SOCKET && c->type == K_SCM_RIGHTS && direction == GTS_UCRED_TO_HOST) {
            for (unsigned long i = 0; i + sizeof(int) <= data_len; i += sizeof(int)) {
                int fd;
                memcpy(&fd, data + i, sizeof(fd));
                if (is_reserved_fd(fd))
                    return -EBADF;
            }
        } else if (c->level == K_SOL_SOCKET && c->type == K_SCM_CREDENTIALS && data_len >= sizeof(struct k_ucred)) {
            struct k_ucred cred;
            memcpy(&cred, data, sizeof(cred));
            if (credentials)
                *credentials = 1;
            long r = translate_ucred(direction, &cred);
            if (r)
                return r;
            memcpy(data, &cred, sizeof(cred));
        }
        at += CMSG_ALIGN(c->len);
    }
    return 0;
}


/* One sendmsg: the destination and the control data made the host's; 0 or -errno in `*err`. */
static long send_one(long fd, const struct k_msghdr *app_msg, long flags, struct k_ucontext *uc)
{
    struct k_msghdr m;
    struct host_addr h = {.given = 1, .target = -1};
    int credentials = 0;
    long r = copy_from_app(&m, app_msg, sizeof(m));
    if (r)
        return r;
    if (m.name && m.namelen) {
        r = take_addr(FOR_CONNECT, fd, m.name, m.namelen, &h);
        if (r)
            return r;
        m.name = (void *)addr_ptr(&h, m.name);
        m.namelen = (int)addr_len(&h, m.namelen);
    }
    if (m.control && m.controllen) {
        unsigned char *control_buf = current_thread()->control;
        if (m.controllen > STUB_CONTROL_MAX) {
            host_addr_done(&h);
            return -ENOBUFS;
        }
        r = copy_from_app(control_buf, m.control, m.controllen);
        if (!r)
            r = fix_control(control_buf, m.controllen, GTS_UCRED_TO_HOST, &credentials);
        if (r) {
            host_addr_done(&h);
            return r;
        }
        m.control = control_buf; /* what was checked is what the kernel reads */
    }
    r = with_app_mask(uc, 2, __NR_sendmsg, (unsigned int)fd, (long)&m, flags, 0, 0, 0);
    host_addr_done(&h);
    /*
     * Credentials of another process or identity need privileges the app process has not (an
     * app that is root in the instance has them there): its worker sends such a message.
     */
    if (r == -EPERM && credentials && !m.name) {
        long a[6] = {fd, (long)&m, flags, 0, 0, 0};
        struct gts_reply reply;
        call_worker(__NR_sendmsg, a, 0, &reply, 0, 0, 0, 0);
        r = reply.ret;
    }
    return r;
}

long sys_sendmsg(const long *a, struct k_ucontext *uc)
{
    if (is_reserved_fd(a[0]))
        return -EBADF;
    return send_one(a[0], (const struct k_msghdr *)a[1], a[2], uc);
}

/* sendmmsg: a sendmsg per message, as the kernel's own loop, counting those sent. */
long sys_sendmmsg(const long *a, struct k_ucontext *uc)
{
    struct k_mmsghdr *v = (struct k_mmsghdr *)a[1];
    unsigned int vlen = (unsigned int)a[2] > STUB_UIO_MAXIOV ? STUB_UIO_MAXIOV : (unsigned int)a[2];
    unsigned int sent = 0;
    long r = 0;
    if (is_reserved_fd(a[0]))
        return -EBADF;
    for (; sent < vlen; sent++) {
        int mflags;
        r = copy_from_app(&mflags, &v[sent].hdr.flags, sizeof(mflags));
        if (!r)
            r = send_one(a[0], &v[sent].hdr, a[3] | (mflags & K_MSG_EOR), uc);
        if (r < 0)
            break;
        unsigned int n = (unsigned int)r;
        if ((r = copy_to_app(&v[sent].len, &n, sizeof(n))))
            break;
    }
    return sent ? (long)sent : r;
}

/* Credentials among the control messages the kernel wrote to the app (`len` bytes at `app`). */
static long fix_received_control(void *app, unsigned long len)
{
    if (!app || !len)
        return 0;
    unsigned char *control_buf = current_thread()->control;
    if (len > STUB_CONTROL_MAX)
        len = STUB_CONTROL_MAX;
    long r = copy_from_app(control_buf, app, len);
    if (!r && !(r = fix_control(control_buf, len, GTS_UCRED_SENT, 0)))
        r = copy_to_app(app, control_buf, len);
    return r;
}

long sys_recvmsg(const long *a, struct k_ucontext *uc)
{
    struct k_msghdr m, app;
    struct k_sockaddr sa;
    struct k_msghdr *app_msg = (struct k_msghdr *)a[1];
    if (is_reserved_fd(a[0]))
        return -EBADF;
    long r = copy_from_app(&app, app_msg, sizeof(app));
    if (r)
        return r;
    m = app;
    if (app.name) {
        m.name = &sa;
        m.namelen = sizeof(sa);
    }
    long n = with_app_mask(uc, 2, __NR_recvmsg, (unsigned int)a[0], (long)&m, a[2], 0, 0, 0);
    if (n < 0)
        return n;
    /* what the kernel writes back into the msghdr: the name's length, the control's, the flags */
    if ((r = copy_to_app(&app_msg->controllen, &m.controllen, sizeof(m.controllen))) ||
        (r = copy_to_app(&app_msg->flags, &m.flags, sizeof(m.flags))) ||
        (app.name && (r = put_name_in(app.name, &app_msg->namelen, app.namelen, &sa, fix_name(&sa, m.namelen)))) ||
        (r = fix_received_control(app.control, m.controllen)))
        return r;
    return n;
}


/*
 * recvmmsg: the host's call into the app's messages; then each name and control message is
 * put right where the kernel wrote it (a name longer than the app's buffer was cut by the
 * host, and stays as it is).
 */
long sys_recvmmsg(const long *a, struct k_ucontext *uc)
{
    unsigned long vlen = (unsigned int)a[2] > STUB_UIO_MAXIOV ? STUB_UIO_MAXIOV : (unsigned int)a[2];
    struct k_mmsghdr *mmsg_before = current_thread()->mmsg_before, *mmsg_after = current_thread()->mmsg_after;
    if (is_reserved_fd(a[0]))
        return -EBADF;
    /* the sizes of the app's name buffers, which the kernel overwrites */
    if (vlen && copy_from_app(mmsg_before, (void *)a[1], vlen * sizeof(mmsg_before[0])))
        vlen = 0; /* the kernel's EFAULT to give */
    long n = with_app_mask(uc, 2, __NR_recvmmsg, (unsigned int)a[0], a[1], a[2], a[3], a[4], 0);
    if (n <= 0 || copy_from_app(mmsg_after, (void *)a[1], (unsigned long)n * sizeof(mmsg_after[0])))
        return n;
    struct k_mmsghdr *v = (struct k_mmsghdr *)a[1];
    for (long i = 0; i < n; i++) {
        struct k_msghdr *m = &mmsg_after[i].hdr;
        int room = mmsg_before[i].hdr.namelen;
        struct k_sockaddr sa;
        long got = m->namelen < room ? m->namelen : room;
        if (m->name && got > 0 && got <= (long)sizeof(sa) && got == m->namelen && !copy_from_app(&sa, m->name, (unsigned long)got))
            put_name_in(m->name, &v[i].hdr.namelen, room, &sa, fix_name(&sa, got));
        fix_received_control(m->control, m->controllen);
    }
    return n;
}

/* getsockopt of the peer's credentials: the host's, with its pid and ids as the instance's. */
long sys_getsockopt(const long *a)
{
    if (is_reserved_fd(a[0]))
        return -EBADF;
    if ((int)a[1] != K_SOL_SOCKET || ((int)a[2] != K_SO_PEERCRED && (int)a[2] != K_SO_PEERPIDFD))
        return raw5(__NR_getsockopt, (unsigned int)a[0], a[1], a[2], a[3], a[4]); /* trace mode traps them all */
    if ((int)a[2] == K_SO_PEERPIDFD)
        return -ENOPROTOOPT; /* a pidfd of a host process: never the app's */
    struct k_ucred cred;
    int len = sizeof(cred);
    long r = raw5(__NR_getsockopt, (unsigned int)a[0], a[1], a[2], &cred, &len);
    if (r)
        return r;
    if (cred.pid > 0 && (r = translate_ucred(GTS_UCRED_PEER, &cred)))
        return r;
    int room;
    if ((r = copy_from_app(&room, (void *)a[4], sizeof(room))))
        return r;
    if (room < 0)
        return -EINVAL;
    if (room > len)
        room = len;
    if ((r = copy_to_app((void *)a[3], &cred, (unsigned long)room)))
        return r;
    return copy_to_app((void *)a[4], &room, sizeof(room));
}

/* setsockopt: SO_PASSPIDFD would bring pidfds of host processes: as a kernel without it. */
long sys_setsockopt(const long *a)
{
    if (is_reserved_fd(a[0]))
        return -EBADF;
    if ((int)a[1] == K_SOL_SOCKET && (int)a[2] == K_SO_PASSPIDFD)
        return -ENOPROTOOPT;
    return raw5(__NR_setsockopt, (unsigned int)a[0], a[1], a[2], a[3], a[4]);
}
