/*
 * The instance's kernel boundary (docs/security.md). The seccomp trap is the layer of
 * virtualization, not of security: the app can always jump to a `syscall` instruction of the
 * stub's, which the filter allows. So before the app's first instruction, the first process of
 * the instance takes what every app process then inherits (fork and exec keep both):
 *
 *  - a Landlock domain: by path, the app process may only read below the roots of the mounts
 *    whose files the stub opens itself, and write, create and remove regular files below
 *    those of the writable ones no file check applies to (everything else it holds came as an
 *    fd from its worker, which walked the path and checked it), and execute the stub's own image (exec
 *    re-executes the stub); it may neither signal nor ptrace a process outside the domain --
 *    the workers, the leader, the host --, nor connect to an abstract UNIX socket bound outside
 *    it. All processes of the instance are in the one domain, so they signal each other and
 *    reach each other's abstract sockets as before.
 *  - no capabilities, none to gain back (no_new_privs, root gets nothing at exec): no raw or
 *    packet sockets, no network configuration, no reads or writes past file permissions. What
 *    an honest app may do that needs a privilege, its worker does.
 *  - in a root instance, not host root either: uid and gid GTS_APP_HOST_ID, which no account
 *    has, so that what it reaches by path is judged as any other user's (a root-owned file
 *    of mode 0600 is not its to read), and no host process but its own is its to act on.
 *
 * On a kernel without Landlock (or without its scoping, ABI < 6) the app process gets what the
 * kernel has and a one-line warning: docs/security.md describes that weaker mode.
 */
#include <linux/prctl.h>
#include <linux/securebits.h>
#include <linux/capability.h>
#include <asm-generic/errno.h>

#include "raw.h"
#include "stub.h"
#include "trap.h"
#include "util.h"

/* Landlock's ABI (linux/landlock.h; the build host's copy may be older than ABI 6) */
struct k_landlock_ruleset_attr {
    unsigned long long handled_access_fs, handled_access_net, scoped;
};
struct k_landlock_path_beneath_attr {
    unsigned long long allowed_access;
    int parent_fd;
} __attribute__((packed));
#define K_LANDLOCK_CREATE_RULESET_VERSION 1
#define K_LANDLOCK_RULE_PATH_BENEATH 1
#define K_LANDLOCK_ACCESS_FS_EXECUTE (1ULL << 0)
#define K_LANDLOCK_ACCESS_FS_WRITE_FILE (1ULL << 1)
#define K_LANDLOCK_ACCESS_FS_READ_FILE (1ULL << 2)
#define K_LANDLOCK_ACCESS_FS_READ_DIR (1ULL << 3)
#define K_LANDLOCK_ACCESS_FS_REMOVE_FILE (1ULL << 5)
#define K_LANDLOCK_ACCESS_FS_MAKE_REG (1ULL << 8)
#define K_LANDLOCK_ACCESS_FS_ABI1 ((1ULL << 13) - 1) /* EXECUTE ... MAKE_SYM */
#define K_LANDLOCK_ACCESS_FS_REFER (1ULL << 13)        /* ABI 2 */
#define K_LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)     /* ABI 3 */
#define K_LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)    /* ABI 5 */
#define K_LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0) /* ABI 6 */
#define K_LANDLOCK_SCOPE_SIGNAL (1ULL << 1)               /* ABI 6 */
#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_add_rule 445
#define __NR_landlock_restrict_self 446
#endif

#define O_RDONLY 0
#define O_DIRECTORY 0200000
#define O_NOFOLLOW 0400000
#define O_PATH 010000000
#define O_CLOEXEC 02000000
#define AT_FDCWD (-100)

/* what the app process may do below the roots of the mounts the stub opens files of */
#define READ_RIGHTS (K_LANDLOCK_ACCESS_FS_READ_FILE | K_LANDLOCK_ACCESS_FS_READ_DIR)
/* ...and of those it writes, creates and unlinks regular files on (GTS_PATH_STUB_WRITES) */
#define WRITE_RIGHTS (READ_RIGHTS | K_LANDLOCK_ACCESS_FS_WRITE_FILE | K_LANDLOCK_ACCESS_FS_TRUNCATE | \
                      K_LANDLOCK_ACCESS_FS_MAKE_REG | K_LANDLOCK_ACCESS_FS_REMOVE_FILE)
/* the rights a rule on a file (not a directory) may hold */
#define FILE_RIGHTS (K_LANDLOCK_ACCESS_FS_READ_FILE | K_LANDLOCK_ACCESS_FS_WRITE_FILE | K_LANDLOCK_ACCESS_FS_TRUNCATE)
/* ...and on the stub's own image */
#define STUB_IMAGE_RIGHTS (K_LANDLOCK_ACCESS_FS_EXECUTE | K_LANDLOCK_ACCESS_FS_READ_FILE)
/* a host device the instance has as itself (GTS_PATH_DEVICE: /dev/null), which the stub opens anew */
#define DEVICE_RIGHTS (K_LANDLOCK_ACCESS_FS_READ_FILE | K_LANDLOCK_ACCESS_FS_WRITE_FILE | K_LANDLOCK_ACCESS_FS_TRUNCATE | K_LANDLOCK_ACCESS_FS_IOCTL_DEV)

/* The file-system rights Landlock ABI `abi` knows: all of them are handled (denied unless granted). */
static unsigned long long fs_rights_of(long abi)
{
    unsigned long long rights = K_LANDLOCK_ACCESS_FS_ABI1;
    if (abi >= 2)
        rights |= K_LANDLOCK_ACCESS_FS_REFER;
    if (abi >= 3)
        rights |= K_LANDLOCK_ACCESS_FS_TRUNCATE;
    if (abi >= 5)
        rights |= K_LANDLOCK_ACCESS_FS_IOCTL_DEV;
    return rights;
}

static long add_path_rule(int ruleset, int dir_fd, unsigned long long rights)
{
    struct k_landlock_path_beneath_attr rule = {.allowed_access = rights, .parent_fd = dir_fd};
    return raw4(__NR_landlock_add_rule, ruleset, K_LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
}

/*
 * Where instance path `p` (`n` bytes) lies against the path table's mounts other than `self`:
 * SHADOWED if one is mounted at it, HOLDS_MOUNTS if one is mounted below it, else 0.
 */
enum { HOLDS_MOUNTS = 1, SHADOWED = 2 };
static int mounts_at(const char *p, unsigned long n, unsigned int self)
{
    int found = 0;
    unsigned int flags;
    const char *q;
    for (unsigned int i = 0; paths_root(i, &flags, &q) != -2; i++) {
        unsigned long qn = strlen(q);
        if (i == self || (flags & GTS_PATH_ALIAS) || qn < n || memcmp(q, p, n) != 0)
            continue;
        if (qn == n)
            return SHADOWED;
        if (q[n] == '/' || n == 1) /* every other mount is below "/" */
            found = HOLDS_MOUNTS;
    }
    return found;
}

#define K_DT_LNK 10
#define MAX_DEPTH 32

/*
 * `rights` below host directory `dir` (an O_RDONLY fd), which is instance path `path`
 * (`len` bytes) of mount `self`, except below the places where the instance mounts something
 * else: Landlock's rules add rights to a whole subtree, so the directories on the way to such a
 * place get a rule for each of their other entries instead of one for themselves. (Mounted
 * over, the host's /proc, /dev or /sys below a mount of the host's root would otherwise be
 * readable through the gadget: a raw disk, other processes' cmdlines.) An entry made there
 * later has no rule: the stub's open of it fails and goes to the worker, as does one of these
 * directories itself. Symlinks get none: what they point to is judged where it lies. An entry
 * that cannot be opened or ruled is left out: that grants less, never more.
 */
static long grant_around_mounts(int ruleset, int dir, char *path, unsigned long len, unsigned int self,
                                unsigned long long rights, int depth)
{
    char buf[512];
    for (;;) {
        long n = raw3(__NR_getdents64, dir, buf, sizeof(buf));
        if (n <= 0)
            return n;
        for (long off = 0; off < n;) {
            struct {
                unsigned long long ino;
                long long off;
                unsigned short reclen;
                unsigned char type;
                char name[];
            } *d = (void *)(buf + off);
            off += d->reclen;
            const char *nm = d->name;
            if (d->type == K_DT_LNK || (nm[0] == '.' && (nm[1] == 0 || (nm[1] == '.' && nm[2] == 0))))
                continue;
            unsigned long nl = strlen(d->name), at = len == 1 ? 1 : len + 1;
            /* a longer path than any prefix has no mount at or below it */
            int where = 0;
            if (at + nl <= GTS_PATH_PREFIX_MAX) {
                path[at - 1] = '/';
                memcpy(path + at, d->name, nl + 1);
                where = mounts_at(path, at + nl, self);
            }
            if (where == SHADOWED)
                continue;
            if (where == HOLDS_MOUNTS) {
                long sub = raw4(__NR_openat, dir, d->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
                long r = sub >= 0 && depth < MAX_DEPTH ? grant_around_mounts(ruleset, (int)sub, path, at + nl, self, rights, depth + 1) : 0;
                if (sub >= 0)
                    raw1(__NR_close, (int)sub);
                if (r < 0 && r != -EACCES)
                    return r;
                continue;
            }
            long fd = raw4(__NR_openat, dir, d->name, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
            if (fd < 0)
                continue;
            /* a file takes only a file's rights */
            if (add_path_rule(ruleset, (int)fd, rights) == -EINVAL)
                add_path_rule(ruleset, (int)fd, rights & FILE_RIGHTS);
            raw1(__NR_close, (int)fd);
        }
    }
}

/* `rights` on mount `i`'s host directory `root`, but not where the instance mounts other things. */
static long grant_mount(int ruleset, int root, unsigned int i, const char *prefix, unsigned long long rights)
{
    unsigned long len = strlen(prefix);
    if (!(mounts_at(prefix, len, i) & HOLDS_MOUNTS))
        return add_path_rule(ruleset, root, rights);
    long dir = raw4(__NR_openat, root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (dir < 0)
        return dir == -EACCES ? 0 : dir;
    char path[GTS_PATH_PREFIX_MAX + 1];
    memcpy(path, prefix, len + 1);
    long r = grant_around_mounts(ruleset, (int)dir, path, len, i, rights, 0);
    raw1(__NR_close, (int)dir);
    return r;
}

/* The Landlock domain: the Landlock ABI it used (0: none on this kernel), or -errno. */
static long enter_landlock(void)
{
    long abi = raw3(__NR_landlock_create_ruleset, 0, 0, K_LANDLOCK_CREATE_RULESET_VERSION);
    if (abi == -ENOSYS || abi == -EOPNOTSUPP)
        return 0;
    if (abi < 0)
        return abi;
    unsigned long long fs = fs_rights_of(abi);
    struct k_landlock_ruleset_attr attr = {.handled_access_fs = fs};
    if (abi >= 6)
        attr.scoped = K_LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | K_LANDLOCK_SCOPE_SIGNAL;
    /* the kernels before ABI 6 know a shorter struct (the rest must be zero, and is) */
    unsigned long size = abi >= 6 ? sizeof(attr) : abi >= 4 ? 16 : 8;
    long ruleset = raw3(__NR_landlock_create_ruleset, &attr, size, 0);
    if (ruleset < 0)
        return ruleset;
    long r = 0;
    unsigned int flags;
    const char *prefix;
    int root;
    for (unsigned int i = 0; r == 0 && (root = paths_root(i, &flags, &prefix)) != -2; i++)
        if (root >= 0 && (flags & GTS_PATH_DEVICE))
            r = add_path_rule((int)ruleset, root, DEVICE_RIGHTS & fs);
        else if (root >= 0 && (flags & GTS_PATH_STUB_OPENS) && !(flags & GTS_PATH_ALIAS))
            r = grant_mount((int)ruleset, root, i, prefix, ((flags & GTS_PATH_STUB_WRITES) ? WRITE_RIGHTS : READ_RIGHTS) & fs);
    long image = raw4(__NR_openat, AT_FDCWD, "/proc/self/exe", O_PATH | O_CLOEXEC, 0);
    if (r == 0)
        r = image < 0 ? image : add_path_rule((int)ruleset, (int)image, STUB_IMAGE_RIGHTS);
    if (image >= 0)
        raw1(__NR_close, image);
    if (r == 0)
        r = raw5(__NR_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (r == 0)
        r = raw2(__NR_landlock_restrict_self, ruleset, 0);
    raw1(__NR_close, ruleset);
    return r < 0 ? r : abi;
}

/*
 * No capabilities, now or after any exec: root's own are not given back (SECBIT_NOROOT), the
 * bounding and ambient sets are empty, none can be raised again. A process not started as root
 * has nothing to drop (and no CAP_SETPCAP for the securebits and the bounding set). The stub's
 * own opens that its host user may not make (a directory it may not search) go to the worker,
 * which judges by the instance's credentials.
 */
static long drop_capabilities(void)
{
    long r = raw5(__NR_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    if (r < 0 && r != -EINVAL)
        return r;
    raw5(__NR_prctl, PR_SET_SECUREBITS,
         SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED, 0, 0, 0);
    for (int cap = 0; cap < 64; cap++) {
        r = raw5(__NR_prctl, PR_CAPBSET_DROP, cap, 0, 0, 0);
        if (r == -EINVAL)
            break; /* past the last capability the kernel knows */
        if (r < 0 && r != -EPERM)
            return r;
    }
    return 0;
}

/*
 * Host root's identity for GTS_APP_HOST_ID (while CAP_SETUID and CAP_SETGID are still held).
 * A change of ids clears the parent-death signal and dumpability; both are set again (the
 * worker reads the process's /proc files; a first process dies with its worker, which it
 * checks was not gone before).
 */
static long take_app_identity(void)
{
    int parent = (int)raw0(__NR_getppid);
    unsigned long deathsig = 0;
    raw5(__NR_prctl, PR_GET_PDEATHSIG, &deathsig, 0, 0, 0);
    long r = raw2(__NR_setgroups, 0, 0);
    if (r == 0)
        r = raw3(__NR_setresgid, GTS_APP_HOST_ID, GTS_APP_HOST_ID, GTS_APP_HOST_ID);
    if (r == 0)
        r = raw3(__NR_setresuid, GTS_APP_HOST_ID, GTS_APP_HOST_ID, GTS_APP_HOST_ID);
    if (r < 0)
        return r;
    raw5(__NR_prctl, PR_SET_DUMPABLE, 1, 0, 0, 0);
    if (deathsig) {
        raw5(__NR_prctl, PR_SET_PDEATHSIG, deathsig, 0, 0, 0);
        if (raw0(__NR_getppid) != parent)
            raw2(__NR_kill, raw0(__NR_getpid), (long)deathsig);
    }
    return 0;
}

static long clear_capabilities(void)
{
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct none[2] = {{0, 0, 0}, {0, 0, 0}};
    return raw2(__NR_capset, &header, none);
}

static void warn(const char *what)
{
    static const char head[] = "gramine-ts: warning: ";
    static const char tail[] = " (the weaker mode of docs/security.md)\n";
    raw3(__NR_write, 2, head, sizeof(head) - 1);
    raw3(__NR_write, 2, what, strlen(what));
    raw3(__NR_write, 2, tail, sizeof(tail) - 1);
}

/*
 * Root the process in the instance's file tree (`root`, an fd the worker holds too) and work in
 * `cwd`, a directory of that tree: a path the app names past the trap (the gadget) then reaches
 * only what the mounts grant, and no directory fd or working directory of the process lies
 * outside the tree for `..` to climb from. Both fds are closed.
 */
void enter_instance_tree(int root, int cwd)
{
    long r = raw1(__NR_fchdir, root);
    if (r == 0)
        r = raw1(__NR_chroot, ".");
    if (r == 0)
        r = raw1(__NR_fchdir, cwd);
    if (r < 0)
        stub_die("entering the instance's file tree", r);
    raw1(__NR_close, root);
    raw1(__NR_close, cwd);
}

long enter_sandbox(int app_identity)
{
    long abi = enter_landlock();
    if (abi < 0)
        stub_die("Landlock", abi);
    if (abi == 0)
        warn("this kernel has no Landlock: a program that bypasses the trap reaches the host's files, processes and abstract sockets with the instance's host identity");
    else if (abi < 6)
        warn("this kernel's Landlock has no scoping (ABI < 6): a program that bypasses the trap may signal host processes of its host user and reach host abstract sockets");
    long r = drop_capabilities();
    if (r < 0)
        stub_die("dropping capabilities", r);
    if (app_identity && (r = take_app_identity()) < 0)
        stub_die("taking the app's host identity", r);
    if ((r = clear_capabilities()) < 0)
        stub_die("dropping capabilities", r);
    return abi;
}
