/*
 * An execve the stub makes alone: a program it can open itself (a path the path table
 * resolves on a mount no file check applies to, as its own opens: beneath the mount's root,
 * through no symlink), an ELF file with an execute bit and no set-user-id or set-group-id bit,
 * whose interpreter it opens the same way, run by the instance's root or by a process that is
 * still the host user a non-root instance runs as (the kernel judges its X_OK: paths.c). The stub re-executes
 * itself as the worker's exec does, but the new image's HELLO reply is the one this image
 * makes: its program's and interpreter's fds, the path table and its roots, the working
 * directory, the ids, the umask and RLIMIT_NOFILE, all as this image has them, in a socket left in GTS_LOCAL_HELLO_SLOT
 * across the exec. The worker hears of it when the new image first says anything to it
 * (GTS_REQ_EXECED, channel.c): a forked child that runs a short program making only calls the
 * stub answers (/bin/true, a shell's builtin-free command) needs no worker at all.
 *
 * What stays the worker's: scripts (#!), set-user-id programs, paths the walk must judge, other
 * users than the instance's root or (in a non-root instance) the host user it runs as, a
 * process with threads, System V segments attached, trace and strace modes. A failure here before the exec is no answer either: the worker's exec says.
 */
#include <asm-generic/errno-base.h>

#include "abi.h"
#include "raw.h"
#include "stub.h"
#include "trap.h"
#include "util.h"

_Static_assert(GTS_LOCAL_HELLO_SLOT < GTS_SIGNALFD_FILTER_SLOT, "the local HELLO slot is a free reserved one");

#define AT_FDCWD (-100)
#define AT_EMPTY_PATH 0x1000
#define O_PATH 010000000
#define O_CLOEXEC 02000000
#define K_AF_UNIX 1
#define K_SOCK_SEQPACKET 5
#define K_SOCK_CLOEXEC 02000000
#define PT_INTERP 3
#define ELF_HEADER_SIZE 64
#define PHDR_SIZE 56
#define PHDRS_MAX 64

/* One exec at a time (a process with threads is the worker's): these are this image's last words. */
static struct {
    char filename[STUB_PATH_MAX];
    char interp[STUB_PATH_MAX];
    unsigned char phdrs[PHDRS_MAX * PHDR_SIZE];
    struct gts_reply reply;
    char payload[STUB_HELLO_MAX];
} x;

static unsigned long get_le(const unsigned char *p, int n)
{
    unsigned long v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/*
 * An x86-64 ELF program: 1 with its PT_INTERP path in x.interp (absolute), 0 for a static one,
 * -1 for anything else (a script, another machine, a malformed file: the worker's to say).
 */
static int elf_interpreter(long fd)
{
    unsigned char h[ELF_HEADER_SIZE];
    if (raw4(__NR_pread64, fd, h, sizeof(h), 0) != (long)sizeof(h))
        return -1;
    unsigned long type = get_le(h + 16, 2), machine = get_le(h + 18, 2);
    unsigned long phoff = get_le(h + 32, 8), phentsize = get_le(h + 54, 2), phnum = get_le(h + 56, 2);
    if (h[0] != 0x7f || h[1] != 'E' || h[2] != 'L' || h[3] != 'F' || h[4] != 2 /* 64-bit */ || h[5] != 1 /* LE */ ||
        (type != 2 && type != 3) || machine != 62 || phentsize != PHDR_SIZE || phnum == 0 || phnum > PHDRS_MAX)
        return -1;
    long size = (long)(phnum * PHDR_SIZE);
    if (raw4(__NR_pread64, fd, x.phdrs, size, phoff) != size)
        return -1;
    for (unsigned long i = 0; i < phnum; i++) {
        const unsigned char *ph = x.phdrs + i * PHDR_SIZE;
        if (get_le(ph, 4) != PT_INTERP)
            continue;
        unsigned long off = get_le(ph + 8, 8), len = get_le(ph + 32, 8);
        if (len < 2 || len > sizeof(x.interp) || raw4(__NR_pread64, fd, x.interp, len, off) != (long)len ||
            x.interp[len - 1] != 0 || strlen(x.interp) != len - 1 || x.interp[0] != '/')
            return -1;
        return 1;
    }
    return 0;
}

/*
 * The new image's HELLO reply, as the worker would make it for this process now (no flags of a
 * first process: an exec'd image keeps its boundary), in x.reply and x.payload. 0, or -1 if it
 * does not fit.
 */
static int make_hello(unsigned long execfn_len, int has_interp, const char *table, unsigned long table_len)
{
    struct gts_hello_reply *hello = (struct gts_hello_reply *)x.payload;
    memset(hello, 0, sizeof(*hello));
    char *execfn = x.payload + sizeof(*hello);
    unsigned long room = sizeof(x.payload) - sizeof(*hello);
    if (execfn_len + 1 > room)
        return -1;
    memcpy(execfn, x.filename, execfn_len + 1);
    unsigned long cwd_len = paths_cwd(execfn + execfn_len + 1, room - execfn_len - 1);
    struct {
        unsigned long dev, ino;
        char rest[128];
    } cwd;
    if (cwd_len && raw4(__NR_newfstatat, AT_FDCWD, "", &cwd, AT_EMPTY_PATH) != 0)
        cwd_len = 0;
    unsigned long table_at = (sizeof(*hello) + execfn_len + 1 + cwd_len + 7) & ~7UL;
    if (table_at + table_len > sizeof(x.payload))
        return -1;
    memset(x.payload + sizeof(*hello) + execfn_len + 1 + cwd_len, 0, table_at - (sizeof(*hello) + execfn_len + 1 + cwd_len));
    memcpy(x.payload + table_at, table, table_len);
    hello->abi_version = GTS_ABI_VERSION;
    hello->flags = (has_interp ? GTS_HELLO_HAS_INTERP : 0) | (cwd_len ? GTS_HELLO_CWD_BENEATH : 0) |
                   (__atomic_load_n(&g_stub.fork_untold, __ATOMIC_ACQUIRE) ? GTS_HELLO_FORK_UNTOLD : 0) |
                   (__atomic_load_n(&g_stub.umask_untold, __ATOMIC_ACQUIRE) ? GTS_HELLO_UMASK_UNTOLD : 0);
    hello->vpid = g_stub.vpid;
    hello->execfn_len = (uint32_t)(execfn_len + 1);
    memcpy(hello->abstract_prefix, g_stub.abstract_prefix, GTS_ABSTRACT_PREFIX_LEN);
    hello->cwd_dev = cwd_len ? cwd.dev : 0;
    hello->cwd_ino = cwd_len ? cwd.ino : 0;
    hello->cwd_path_len = (uint32_t)cwd_len;
    static const long id_calls[4] = {__NR_getuid, __NR_geteuid, __NR_getgid, __NR_getegid};
    for (int i = 0; i < 4; i++)
        hello->ids[i] = (uint32_t)ids_known(id_calls[i]);
    hello->umask = g_stub.umask;
    hello->ppid = g_stub.ppid;
    hello->parent_host_pid = g_stub.parent_host_pid;
    unsigned long cur, max;
    if (nofile_known(&cur, &max)) {
        hello->flags |= GTS_HELLO_NOFILE;
        hello->nofile_cur = cur;
        hello->nofile_max = max;
    }
    x.reply = (struct gts_reply){0, 0, (uint32_t)(table_at + table_len), 0};
    return 0;
}

/* Leave the reply and its fds in a socket at the local HELLO slot, which outlives the exec. 0 or -1. */
static int leave_hello(const int *fds, int nfds)
{
    int sv[2];
    if (raw4(__NR_socketpair, K_AF_UNIX, K_SOCK_SEQPACKET | K_SOCK_CLOEXEC, 0, sv) != 0)
        return -1;
    union {
        struct k_cmsghdr h;
        char buf[sizeof(struct k_cmsghdr) + (2 + GTS_PATH_TABLE_MAX) * sizeof(int) + 8];
    } control;
    control.h = (struct k_cmsghdr){sizeof(struct k_cmsghdr) + (unsigned long)nfds * sizeof(int), K_SOL_SOCKET, K_SCM_RIGHTS};
    memcpy(control.buf + sizeof(struct k_cmsghdr), fds, (unsigned long)nfds * sizeof(int));
    struct k_iovec iov[2] = {{&x.reply, sizeof(x.reply)}, {x.payload, x.reply.data_len}};
    struct k_msghdr msg = {0};
    msg.iov = iov;
    msg.iovlen = 2;
    msg.control = &control;
    msg.controllen = (sizeof(struct k_cmsghdr) + (unsigned long)nfds * sizeof(int) + 7) & ~7UL;
    long sent = raw3(__NR_sendmsg, sv[0], &msg, 0);
    raw1(__NR_close, sv[0]);
    long placed = sent == (long)(sizeof(x.reply) + x.reply.data_len)
                      ? place_fd(sv[1], g_stub.reserved_fd_base + GTS_LOCAL_HELLO_SLOT, 0 /* kept across the exec */)
                      : -1;
    raw1(__NR_close, sv[1]);
    return placed < 0 ? -1 : 0;
}

long exec_locally(const long *a, const struct k_ucontext *uc)
{
    if (g_stub.trace || g_stub.strace || __atomic_load_n(&g_stub.threads_live, __ATOMIC_ACQUIRE) != 0 ||
        shm_attached_any() || ids_known(__NR_getuid) < 0 || ids_known(__NR_getgid) < 0 || ids_known(__NR_getegid) < 0 ||
        (ids_known(__NR_geteuid) != 0 && !runs_as_host_user()))
        return PATH_FORWARD;
    long n = copy_string_from_app(x.filename, (const char *)a[0], sizeof(x.filename));
    if (n <= 0)
        return PATH_FORWARD; /* EFAULT, ENAMETOOLONG, ENOENT for "": the worker's to say */
    struct path_scratch *scratch = &current_thread()->trap_paths;
    int fds[2 + GTS_PATH_TABLE_MAX];
    long prog = paths_open_program(scratch, x.filename);
    /* the walk's answer too (EACCES: a directory on the way the host user may not search, a PATH's) */
    if (prog < 0)
        return prog == -ENOENT || prog == -ENOTDIR || prog == -EACCES ? prog : PATH_FORWARD;
    fds[0] = (int)prog;
    int nfds = 1;
    int interp = elf_interpreter(prog);
    if (interp == 1) {
        long ifd = paths_open_program(scratch, x.interp);
        if (ifd >= 0)
            fds[nfds++] = (int)ifd;
        else
            interp = -1;
    }
    const char *table;
    unsigned long table_len;
    int roots = interp < 0 ? -1 : paths_for_exec(&table, &table_len, fds + nfds, GTS_PATH_TABLE_MAX);
    if (roots >= 0 && make_hello((unsigned long)n, interp == 1, table, table_len) == 0 &&
        leave_hello(fds, nfds + roots) == 0) {
        /*
         * The doorbell stays blocked until the new image has its handler (its default action
         * would end the process): a worker that rings meanwhile is heard then.
         */
        unsigned long mask = app_sigmask(uc) | SIGBIT(GTS_DOORBELL_SIGNAL), all = STUB_HANDLER_MASK;
        raw4(__NR_rt_sigprocmask, 2 /* SIG_SETMASK */, &mask, 0, 8);
        /* by an fd, as the worker's exec: the host names the process after the stub's file then */
        long self = raw4(__NR_openat, AT_FDCWD, "/proc/self/exe", O_PATH | O_CLOEXEC, 0);
        if (self >= 0)
            raw5(__NR_execveat, self, "", a[1], a[2], AT_EMPTY_PATH);
        /* still here: the worker's exec says what is wrong (a bad argv: EFAULT) */
        if (self >= 0)
            raw1(__NR_close, self);
        raw4(__NR_rt_sigprocmask, 2, &all, 0, 8);
        raw1(__NR_close, g_stub.reserved_fd_base + GTS_LOCAL_HELLO_SLOT);
    }
    for (int i = 0; i < nfds; i++)
        raw1(__NR_close, fds[i]);
    return PATH_FORWARD;
}
