/*
 * The stub's path table: the instance's host mounts, so that the stat family on an absolute
 * path, and an open for reading on a mount no file check applies to, are answered here when
 * the host can resolve the path without any judgement of the LibOS's -- inside one mount (a
 * ".." only where the walk stays below the mount's point and passes through no other mount's:
 * checked here, as the steps go), no symlink (the kernel checks: RESOLVE_NO_SYMLINKS) but a
 * last one naming an entry of its own directory (followed there) or an absolute path (looked
 * up in the table again, as the walk would from the instance's root). A relative path likewise
 * (no ".."), below a working directory the worker vouched for (g_stub.cwd_beneath), and an
 * absolute one naming that directory where the mount's walk may not pass (below); readlink of
 * a host mount's link, and getcwd of that working directory while its path still names it.
 * Anything else (a symlink on the way, a ".." at or across a mount point, a pseudo tree, a
 * relative path elsewhere, a write, a directory with mount points in it or one asked for with
 * O_DIRECTORY, a FIFO or device opened without O_NONBLOCK) goes to the worker, whose walk is
 * the authority. On a writable mount no file check applies to (GTS_PATH_STUB_WRITES) the stub
 * also opens regular files for writing, creates them and unlinks them, the same way, as the
 * process's host identity: what the host refuses it (EACCES) is the worker's to judge. The
 * worker sends the table with each HELLO; a chroot drops it. The table also names the host
 * devices the instance has as themselves (/dev/null), which an open of that very path gets
 * anew from the stub, for reading or writing.
 */
#include <asm-generic/errno-base.h>
#include <asm-generic/errno.h>

#include "abi.h"
#include "raw.h"
#include "stub.h"
#include "trap.h"
#include "util.h"

#define O_ACCMODE 03
#define O_WRONLY 01
#define O_CREAT 0100
#define O_EXCL 0200
#define O_TRUNC 01000
#define O_APPEND 02000
#define O_NOCTTY 0400
#define O_NONBLOCK 04000
#define O_LARGEFILE 0100000
#define O_DIRECTORY 0200000
#define O_NOFOLLOW 0400000
#define O_NOATIME 01000000
#define O_CLOEXEC 02000000
#define O_PATH 010000000
#define F_SETFL 4
#define S_IFMT 0170000
#define S_IFREG 0100000
#define S_IFDIR 0040000
#define S_IFLNK 0120000
#define S_ISUID 04000
#define S_ISGID 02000
#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_EMPTY_PATH 0x1000
#define AT_EACCESS 0x200
#define AT_NO_AUTOMOUNT 0x800 /* (the host mounts no automount point here) */
#define AT_STATX_SYNC_TYPE 0x6000
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS 0x04
#define RESOLVE_BENEATH 0x08
#define PATH_MAX STUB_PATH_MAX

struct mount_entry {
    char prefix[256];
    unsigned int len;
    int fd; /* a reserved slot with an O_PATH fd of the mount's root, or -1: the worker's */
    unsigned int flags; /* GTS_PATH_* */
    /* an alias (GTS_PATH_ALIAS): its target below the root of the mount holding it, whose fd it shares */
    char target[64];
    unsigned int target_len;
    const struct mount_entry *holder; /* an alias's: the mount its link is in (whose root fd it shares) */
};

static struct mount_entry mounts[GTS_PATH_TABLE_MAX];
static unsigned int n_mounts;
/* the table as the HELLO reply had it (in its buffer, which lasts as long as the image), for an exec here */
static struct {
    const char *data;
    unsigned long len;
} installed;
/* directories with mount points in them (canonical instance paths): the worker opens those */
static struct mount_entry parents[GTS_PATH_TABLE_MAX];
static unsigned int n_parents;

/* The entry holding absolute path `p` (the longest prefix), entries with a flag of `skip` aside, or 0. */
static const struct mount_entry *mount_of(const char *p, unsigned int skip)
{
    const struct mount_entry *best = 0;
    for (unsigned int i = 0; i < n_mounts; i++) {
        const struct mount_entry *m = &mounts[i];
        if ((m->flags & skip) || (best && m->len <= best->len))
            continue;
        if (memcmp(p, m->prefix, m->len) != 0)
            continue;
        if (m->len == 1 || p[m->len] == '/' || p[m->len] == 0)
            best = m;
    }
    return best;
}

/*
 * The working directory the worker vouched for, by its instance path: an absolute path below
 * it that the walk from the mount's root may not take (EACCES: a root instance's app identity
 * may not search a directory of mode 0700 on the way, root's home) is resolved from it, as a
 * relative path would be. The directory's own search permission is the app's. A chdir on one
 * thread changes it while another may read it: readers look at `seq` before and after and
 * forward if it moved or a change was under way (`writers`).
 */
static struct {
    volatile unsigned int seq, writers;
    /* the `seq` of a cwd the walk from the mount's root could not reach: its paths go from it first */
    volatile unsigned int walk_refused;
    unsigned long len; /* 0: no path (the route is closed) */
    char path[STUB_PATH_MAX];
} cwd;

long paths_move_cwd(int fd, int vouched, const char *path, unsigned long len)
{
    __atomic_add_fetch(&cwd.writers, 1, __ATOMIC_SEQ_CST);
    unsigned int mine = __atomic_add_fetch(&cwd.seq, 1, __ATOMIC_SEQ_CST);
    g_stub.cwd_beneath = 0;
    g_stub.cwd_writes = 0;
    long moved = fd >= 0 ? raw1(__NR_fchdir, fd) : 0;
    int named = vouched && moved == 0 && len > 1 && len < sizeof(cwd.path) && path[0] == '/';
    for (unsigned long i = 0; named && i < len; i++)
        named = path[i] != 0;
    if (named) {
        memcpy(cwd.path, path, len);
        cwd.path[len] = 0;
    }
    cwd.len = named ? len : 0;
    const struct mount_entry *m = named ? mount_of(cwd.path, GTS_PATH_DEVICE) : 0;
    /* a chdir of another thread meanwhile: which host cwd goes with which path is unknown */
    int alone = __atomic_load_n(&cwd.seq, __ATOMIC_SEQ_CST) == mine;
    g_stub.cwd_beneath = vouched && moved == 0 && alone;
    /* (the worker vouched for a mount that opens; a writable one is named in the table) */
    g_stub.cwd_writes = g_stub.cwd_beneath && m && (m->flags & GTS_PATH_STUB_WRITES);
    __atomic_add_fetch(&cwd.seq, 1, __ATOMIC_SEQ_CST);
    __atomic_sub_fetch(&cwd.writers, 1, __ATOMIC_SEQ_CST);
    return moved;
}

void paths_drop(void)
{
    g_stub.cwd_beneath = 0;
    g_stub.cwd_writes = 0;
    installed.len = 0;
    for (unsigned int i = 0; i < n_mounts; i++)
        if (mounts[i].fd >= 0 && !(mounts[i].flags & GTS_PATH_ALIAS))
            raw1(__NR_close, mounts[i].fd);
    n_mounts = n_parents = 0;
}

/*
 * Install the table of a HELLO reply, with the roots that came along (`roots`, `n_roots` fds,
 * each closed here); an entry that cannot be set up is left to the worker.
 */
void paths_install(const char *data, unsigned long len, const int *roots, int n_roots)
{
    paths_drop();
    installed.data = data;
    installed.len = len;
    unsigned long off = 0;
    int next_root = 0;
    int slots[GTS_PATH_TABLE_MAX], placed[GTS_PATH_TABLE_MAX]; /* each root's slot, and its mount (n_mounts bounds them) */
    while (off + sizeof(struct gts_path_entry) <= len) {
        const struct gts_path_entry *e = (const struct gts_path_entry *)(data + off);
        unsigned long need = sizeof(*e) + e->prefix_len + 1;
        if (off + need > len || e->prefix_len >= sizeof(mounts[0].prefix))
            break;
        const char *prefix = data + off + sizeof(*e);
        off += (need + 7) & ~7UL;
        int parent = (e->flags & GTS_PATH_MOUNT_PARENT) != 0;
        if (parent ? n_parents >= GTS_PATH_TABLE_MAX : n_mounts >= GTS_PATH_TABLE_MAX)
            break;
        struct mount_entry *m = parent ? &parents[n_parents++] : &mounts[n_mounts];
        memcpy(m->prefix, prefix, e->prefix_len);
        m->prefix[e->prefix_len] = 0;
        m->len = e->prefix_len;
        m->fd = -1;
        m->flags = e->flags;
        m->target_len = 0;
        if (parent)
            continue;
        if (e->flags & GTS_PATH_ALIAS) {
            /* "link\0target": the root fd is the holding mount's, found once all are in */
            m->len = 0;
            while (m->len < e->prefix_len && m->prefix[m->len])
                m->len++;
            unsigned long t = e->prefix_len > m->len ? e->prefix_len - m->len - 1 : 0;
            if (t == 0 || t >= sizeof(m->target))
                continue; /* malformed: left out (its paths go to the holding mount, and then the worker) */
            memcpy(m->target, m->prefix + m->len + 1, t);
            m->target[t] = 0;
            m->target_len = (unsigned int)t;
            m->prefix[m->len] = 0;
            n_mounts++;
            continue;
        }
        if ((e->flags & GTS_PATH_ROOT_FD) && next_root < n_roots) {
            placed[next_root] = (int)n_mounts;
            slots[next_root++] = g_stub.reserved_fd_base + GTS_PATH_SLOT_FIRST + (int)n_mounts;
        }
        n_mounts++;
    }
    /* the reserved slots are above the app's RLIMIT_NOFILE: all in one lift of it */
    if (next_root > 0 && place_fds(next_root, roots, slots, O_CLOEXEC) == 0)
        for (int i = 0; i < next_root; i++)
            mounts[placed[i]].fd = slots[i];
    else
        for (int i = 0; i < next_root; i++)
            raw1(__NR_close, slots[i]); /* (any placed before the one that failed) */
    for (int i = 0; i < n_roots; i++)
        raw1(__NR_close, roots[i]);
    /* an alias shares the root fd and flags of the (real) mount its link is in */
    for (unsigned int i = 0; i < n_mounts; i++) {
        struct mount_entry *a = &mounts[i];
        if (!(a->flags & GTS_PATH_ALIAS))
            continue;
        const struct mount_entry *holder = mount_of(a->prefix, GTS_PATH_ALIAS);
        a->holder = holder;
        a->fd = holder ? holder->fd : -1;
        a->flags = GTS_PATH_ALIAS | (holder ? holder->flags & GTS_PATH_STUB_OPENS : 0);
    }
}

int paths_root(unsigned int i, unsigned int *flags, const char **prefix)
{
    if (i >= n_mounts)
        return -2;
    *flags = mounts[i].flags;
    *prefix = mounts[i].prefix;
    return mounts[i].fd;
}

/* A NUL-terminated path from the app (its length, or -errno). */
static long copy_path(char *dst, const char *src)
{
    long n = copy_string_from_app(dst, src, PATH_MAX);
    return n == -ERANGE ? -ENAMETOOLONG : n;
}

/* Does the path have a ".." component (whose meaning at a mount's root is the LibOS's)? */
static int has_dotdot(const char *p)
{
    for (const char *c = p; *c; c++)
        if (c[0] == '.' && c[1] == '.' && (c == p || c[-1] == '/') && (c[2] == '/' || c[2] == 0))
            return 1;
    return 0;
}

/*
 * Does path `p` have a ".", "..", or empty ("//") component after its first? Then an absolute
 * one's mount is not the one its literal prefix names ("/w//in/f" is below a mount at "/w/in"):
 * it is walked step by step (dotdot_stays_in).
 */
static int is_roundabout(const char *p)
{
    for (const char *c = p; *c; c++)
        if (c[0] == '/' && (c[1] == '/' || (c[1] == '.' && (c[2] == '/' || c[2] == 0 || (c[2] == '.' && (c[3] == '/' || c[3] == 0))))))
            return 1;
    return 0;
}

/*
 * Absolute path `p` without "." components, extra "/" or ".." (each takes the one before it
 * away), into `canon`: where the walk is after each step is what `visit` is told (0 stops the
 * walk and returns -1). The length, or -1 (too long, or ".." above "/").
 */
static long canonical(const char *p, char *canon, int (*visit)(const char *canon, unsigned long n, const void *arg), const void *arg)
{
    unsigned long n = 0;
    for (const char *c = p; *c;) {
        while (*c == '/')
            c++;
        const char *end = c;
        while (*end && *end != '/')
            end++;
        unsigned long len = (unsigned long)(end - c);
        if (len == 2 && c[0] == '.' && c[1] == '.') {
            if (n == 0)
                return -1;
            while (n > 0 && canon[--n] != '/')
                ;
        } else if (len > 0 && !(len == 1 && c[0] == '.')) {
            if (n + 1 + len >= PATH_MAX)
                return -1;
            canon[n++] = '/';
            memcpy(canon + n, c, len);
            n += len;
        } else {
            c = end;
            continue;
        }
        canon[n] = 0;
        if (visit && !visit(canon, n, arg))
            return -1;
        c = end;
    }
    if (n == 0)
        canon[n++] = '/';
    canon[n] = 0;
    return (long)n;
}

/* a step of the walk of a path with "..": below mount `arg`'s point, and at no other entry of the table */
static int stays_in_mount(const char *canon, unsigned long n, const void *arg)
{
    const struct mount_entry *m = arg;
    if (m->len > 1 && (n < m->len || memcmp(canon, m->prefix, m->len) != 0 || (n > m->len && canon[m->len] != '/')))
        return 0; /* above its point: ".." at its root is the LibOS's */
    for (unsigned int i = 0; i < n_mounts; i++)
        if (&mounts[i] != m && mounts[i].len == n && !memcmp(mounts[i].prefix, canon, n))
            return 0; /* through another mount's point: the host's tree there is not the instance's */
    return 1;
}

/*
 * Does absolute path `p`, which has "..", walk only below the point of mount `m` (the one its
 * literal start is in) and through no other mount point of the instance? Then the host,
 * resolving it beneath that mount's root through no symlink (so that ".." undoes what the step
 * before it did, as it does here), finds what the walk finds.
 */
static int dotdot_stays_in(struct path_scratch *scratch, const struct mount_entry *m, const char *p)
{
    return !(m->flags & GTS_PATH_ALIAS) && canonical(p, scratch->canon, stays_in_mount, m) >= 0;
}


/*
 * Absolute path `path`, which alias `a` holds, rewritten in place as the path of the alias's
 * target ("/lib/x" as "/usr/lib/x"): 1, or 0 if that does not fit.
 */
static int alias_to_target(char *path, const struct mount_entry *a)
{
    if (!a->holder)
        return 0;
    unsigned long holder_len = a->holder->len == 1 ? 0 : a->holder->len; /* "/": none */
    unsigned long rest = strlen(path + a->len), at = holder_len + 1 + a->target_len;
    if (at + rest >= PATH_MAX)
        return 0;
    memmove(path + at, path + a->len, rest + 1);
    memcpy(path, a->holder->prefix, holder_len);
    path[holder_len] = '/';
    memcpy(path + holder_len + 1, a->target, a->target_len);
    return 1;
}

/* the resolution of every open here: beneath the start, through no symlink of any kind */
#define STUB_RESOLVE (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)

struct open_how_k {
    unsigned long flags, mode, resolve;
};

/*
 * Absolute path `path` (no "..") below the working directory (`cwd`, above), opened from there;
 * or PATH_FORWARD. `refused`: the walk from the mount's root was (EACCES), and will be again
 * for this cwd, if this route works.
 */
static long open_below_cwd(const char *path, const struct open_how_k *how, int refused)
{
    unsigned int seq = __atomic_load_n(&cwd.seq, __ATOMIC_ACQUIRE);
    if (__atomic_load_n(&cwd.writers, __ATOMIC_ACQUIRE) || !g_stub.cwd_beneath)
        return PATH_FORWARD;
    unsigned long n = cwd.len;
    if (n == 0 || memcmp(path, cwd.path, n) != 0 || (path[n] != '/' && path[n] != 0))
        return PATH_FORWARD;
    const char *rel = path + n;
    while (*rel == '/')
        rel++;
    long fd = raw4(__NR_openat2, AT_FDCWD, *rel ? rel : ".", how, sizeof(*how));
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (__atomic_load_n(&cwd.seq, __ATOMIC_RELAXED) != seq) {
        if (fd >= 0)
            raw1(__NR_close, fd);
        return PATH_FORWARD; /* the cwd moved meanwhile: the path may have named another directory */
    }
    if (refused && fd != -EACCES)
        __atomic_store_n(&cwd.walk_refused, seq, __ATOMIC_RELAXED);
    return fd;
}

/* Was the walk from the mount's root to the present working directory refused (open_below_cwd)? */
static int cwd_walk_refused(void)
{
    unsigned int seq = __atomic_load_n(&cwd.seq, __ATOMIC_ACQUIRE);
    return seq != 0 && __atomic_load_n(&cwd.walk_refused, __ATOMIC_RELAXED) == seq;
}

/* links to entries of their own directory followed one after another (Linux follows up to 40) */
#define SIBLING_HOPS 8

/* A symlink's target that names an entry of the link's own directory: no "/", not "." or "..". */
static int is_plain_name(const char *t, long n)
{
    if (n <= 0 || (t[0] == '.' && (n == 1 || (n == 2 && t[1] == '.'))))
        return 0;
    for (long i = 0; i < n; i++)
        if (t[i] == '/' || t[i] == 0)
            return 0;
    return 1;
}

/*
 * Would the walk enter another mount at `target`, an entry of the directory of `rel` below the
 * root of mount `m`? Said for a `rel` with "." or "//" in it, which is not compared.
 */
static int sibling_leaves_mount(struct path_scratch *scratch, const struct mount_entry *m, const char *rel, const char *target, long n)
{
    unsigned long dir_len = 0;
    for (unsigned long i = 0; rel[i]; i++) {
        int starts = i == 0 || rel[i - 1] == '/';
        if ((rel[i] == '/' && starts) || (starts && rel[i] == '.' && (rel[i + 1] == '/' || rel[i + 1] == 0)))
            return 1;
        if (rel[i] == '/')
            dir_len = i + 1;
    }
    unsigned long root_len = m->len == 1 ? 0 : m->len; /* "/": none */
    if (root_len + 1 + dir_len + (unsigned long)n >= PATH_MAX)
        return 1;
    char *t = scratch->canon;
    memcpy(t, m->prefix, root_len);
    t[root_len] = '/';
    memcpy(t + root_len + 1, rel, dir_len);
    unsigned long len = root_len + 1 + dir_len;
    memcpy(t + len, target, (unsigned long)n);
    len += (unsigned long)n;
    t[len] = 0;
    if (mount_of(t, 0) != m)
        return 1; /* a mount point there, or an alias */
    for (unsigned int i = 0; i < n_parents; i++)
        if (parents[i].len == len && !memcmp(parents[i].prefix, t, len))
            return 1; /* a directory with mount points in it: its listing is the worker's */
    return 0;
}

/*
 * `rel` below `base` ended at a symlink (ELOOP) whose target may be a plain name in the link's
 * own directory (a library's soname, libz.so.1 -> libz.so.1.2.13; gcc -> gcc-12, itself a link
 * to x86_64-linux-gnu-gcc-12): opened from that directory, beneath it, it is what the walk
 * finds; a chain of such links is followed too. In
 * mount `m` (null: below the working directory, where no mount point is), not where another
 * mount is. The fd, an error that is the answer, or -ELOOP (the worker's).
 */
static long open_sibling_target(struct path_scratch *scratch, long base, const char *rel, const struct open_how_k *how,
                                const struct mount_entry *m)
{
    const char *last = rel;
    for (const char *c = rel; *c; c++)
        if (*c == '/')
            last = c + 1;
    if (!*last || (last[0] == '.' && !last[1]))
        return -ELOOP;
    long dirfd = base;
    if (last != rel) {
        unsigned long n = (unsigned long)(last - rel);
        memcpy(scratch->canon, rel, n);
        scratch->canon[n] = 0;
        struct open_how_k dir_how = {O_PATH | O_DIRECTORY | O_CLOEXEC, 0, STUB_RESOLVE};
        dirfd = raw4(__NR_openat2, base, scratch->canon, &dir_how, sizeof(dir_how));
        if (dirfd < 0)
            return -ELOOP;
    }
    struct open_how_k link_how = {O_PATH | O_NOFOLLOW | O_CLOEXEC, 0, STUB_RESOLVE};
    char names[2][256]; /* the link being read, the target it names: a chain in the one directory is followed too */
    const char *name = last;
    long fd = -ELOOP;
    for (int hop = 0; hop < SIBLING_HOPS && fd == -ELOOP; hop++) {
        char *target = names[hop & 1];
        long lfd = raw4(__NR_openat2, dirfd, name, &link_how, sizeof(link_how));
        long n = lfd < 0 ? lfd : raw4(__NR_readlinkat, lfd, "", target, sizeof(names[0]));
        if (lfd >= 0)
            raw1(__NR_close, lfd);
        if (n <= 0 || n >= (long)sizeof(names[0]) || !is_plain_name(target, n) || (m && sibling_leaves_mount(scratch, m, rel, target, n)))
            break;
        target[n] = 0;
        fd = raw4(__NR_openat2, dirfd, target, how, sizeof(*how));
        name = target;
    }
    /* the app's fd is the lowest free one, as natively: where the directory's was, if below */
    if (dirfd != base && fd > dirfd && raw3(__NR_dup3, fd, dirfd, how->flags & O_CLOEXEC) == dirfd) {
        raw1(__NR_close, fd);
        return dirfd;
    }
    if (dirfd != base)
        raw1(__NR_close, dirfd);
    return fd;
}

/*
 * Open the path in scratch->path (open_beneath puts the app's `path_arg` there; relative to
 * `dirfd`, which the app gave) as openat2 with
 * `flags` and STUB_RESOLVE: an absolute path below its mount's root (or below the working
 * directory, when it names that directory and the walk from the root was refused); a relative
 * one (AT_FDCWD) below the working directory, when the worker said the stub may
 * (g_stub.cwd_beneath: a mount of GTS_PATH_STUB_OPENS, no mount point below it). The fd, an error that is the answer (the
 * first missing component), or PATH_FORWARD. `need` are the GTS_PATH_* flags the mount must have.
 */
static long open_beneath_copied(struct path_scratch *scratch, long dirfd, unsigned long flags, unsigned long mode, unsigned int need)
{
    char *path = scratch->path;
    int dotdot = has_dotdot(path);
    if (n_mounts == 0 || (dotdot && path[0] != '/'))
        return PATH_FORWARD;
    struct open_how_k how = {flags, (flags & O_CREAT) ? mode : 0, STUB_RESOLVE};
    long fd;
    if (path[0] != '/') {
        if ((int)dirfd != AT_FDCWD || !g_stub.cwd_beneath || ((need & GTS_PATH_STUB_WRITES) && !g_stub.cwd_writes))
            return PATH_FORWARD;
        scratch->stub_opens = 1; /* below the cwd: such a mount, or the worker would not have vouched for it */
        scratch->stub_writes = g_stub.cwd_writes;
        fd = raw4(__NR_openat2, AT_FDCWD, path, &how, sizeof(how));
        if (fd == -ELOOP && !(flags & O_NOFOLLOW))
            fd = open_sibling_target(scratch, AT_FDCWD, path, &how, 0);
    } else {
        const struct mount_entry *m = mount_of(path, GTS_PATH_DEVICE);
        /* (a ".", "..", "//" on the way: the walk, step by step, must stay below that mount's point) */
        int roundabout = dotdot || is_roundabout(path);
        if (m && roundabout && (m->flags & GTS_PATH_ALIAS)) {
            /* the link is followed before a ".." after it goes up ("/lib/.." is "/usr"): from its target's path */
            if (!alias_to_target(path, m))
                return PATH_FORWARD;
            m = mount_of(path, GTS_PATH_DEVICE);
        }
        if (!m || m->fd < 0 || (m->flags & need) != need || (roundabout && !dotdot_stays_in(scratch, m, path)))
            return PATH_FORWARD;
        scratch->stub_opens = (m->flags & GTS_PATH_STUB_OPENS) != 0; /* an alias's are its holder's */
        scratch->stub_writes = (m->flags & GTS_PATH_STUB_WRITES) != 0;
        const char *rel = path + m->len;
        while (*rel == '/')
            rel++;
        if (m->flags & GTS_PATH_ALIAS) {
            /* below the link, as below its target: "target/rest" (the link itself is the worker's) */
            unsigned long rest = strlen(rel);
            if (rest == 0 || m->target_len + 1 + rest >= PATH_MAX)
                return PATH_FORWARD;
            memmove(path + m->target_len + 1, rel, rest + 1);
            memcpy(path, m->target, m->target_len);
            path[m->target_len] = '/';
            rel = path;
        }
        /* below a working directory the app identity may search, where it could not come from the root */
        int below_cwd = !(m->flags & GTS_PATH_ALIAS) && g_stub.cwd_beneath && !dotdot;
        fd = below_cwd && cwd_walk_refused() ? open_below_cwd(path, &how, 0) : PATH_FORWARD;
        if (fd == PATH_FORWARD) {
            fd = raw4(__NR_openat2, m->fd, *rel ? rel : ".", &how, sizeof(how));
            /* an alias's path is below the root of the mount its link is in */
            const struct mount_entry *root = (m->flags & GTS_PATH_ALIAS) ? m->holder : m;
            if (fd == -ELOOP && !(flags & O_NOFOLLOW) && root && !dotdot)
                fd = open_sibling_target(scratch, m->fd, rel, &how, root);
        }
        if (fd == -EACCES && below_cwd) {
            long below = open_below_cwd(path, &how, 1);
            if (below != PATH_FORWARD)
                fd = below; /* (not below it: the walk's EACCES stands) */
        }
    }
    /*
     * as the walk would find: the first missing component is the answer (and a name an exclusive
     * create finds taken). Not EACCES in general: the app process has no capabilities and a
     * Landlock domain, the worker may well be allowed. But an O_PATH open, which Landlock does
     * not judge, refused by a process that is the host user the worker is too, is refused the
     * worker's walk as well: a directory on the way that user may not search.
     */
    if (fd == -ENOENT || fd == -ENOTDIR || fd == -ENAMETOOLONG || fd == -EEXIST ||
        (fd == -EACCES && (flags & O_PATH) && runs_as_host_user()))
        return fd;
    return fd < 0 ? PATH_FORWARD : fd; /* a symlink on the way (ELOOP), "..", or anything unusual */
}

/* symlinks to absolute paths followed one after another by open_following (Linux follows up to 40) */
#define ABSOLUTE_HOPS 8

/*
 * open_beneath_copied, and where the path's last component is a symlink to an absolute path
 * (/usr/share/locale/locale.alias -> /etc/locale.alias, /bin/sh -> /bin/dash), that path
 * opened the same way, from the instance's root as the walk does (the table is there only
 * while the root is the instance's). Not with O_NOFOLLOW, whose answer is the worker's.
 * scratch->link keeps the path being opened (an alias's open rewrites scratch->path).
 */
static long open_following(struct path_scratch *scratch, long dirfd, unsigned long flags, unsigned long mode, unsigned int need)
{
    char *name = scratch->link;
    unsigned long n = strlen(scratch->path);
    memcpy(name, scratch->path, n + 1);
    long fd = open_beneath_copied(scratch, dirfd, flags, mode, need);
    for (int hop = 0; fd == PATH_FORWARD && !(flags & O_NOFOLLOW) && hop < ABSOLUTE_HOPS; hop++) {
        memcpy(scratch->path, name, n + 1);
        long link = open_beneath_copied(scratch, dirfd, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0, need);
        if (link < 0)
            return PATH_FORWARD;
        long len = raw4(__NR_readlinkat, link, "", name, PATH_MAX - 1);
        raw1(__NR_close, link);
        if (len <= 1 || name[0] != '/')
            return PATH_FORWARD; /* no symlink, or one the walk follows otherwise */
        name[len] = 0;
        n = (unsigned long)len;
        if (strlen(name) != n)
            return PATH_FORWARD;
        memcpy(scratch->path, name, n + 1);
        dirfd = AT_FDCWD;
        fd = open_beneath_copied(scratch, dirfd, flags, mode, need);
    }
    return fd;
}

/* open_following of the app's path `path_arg`, copied into scratch->path */
static long open_beneath(struct path_scratch *scratch, long dirfd, long path_arg, unsigned long flags, unsigned int need)
{
    if (n_mounts == 0)
        return PATH_FORWARD;
    long n = copy_path(scratch->path, (const char *)path_arg);
    if (n <= 0)
        return PATH_FORWARD; /* errors are the worker's to report */
    return open_following(scratch, dirfd, flags, 0, need);
}

/*
 * stat, lstat, newfstatat (AT_FDCWD or an absolute path) and statx of an absolute path on a
 * host mount. Returns PATH_FORWARD when the worker must answer.
 */
long paths_stat(struct path_scratch *scratch, long nr, const long *a)
{
    long path_arg, flags = 0;
    switch (nr) {
    case __NR_stat:
        path_arg = a[0];
        break;
    case __NR_lstat:
        path_arg = a[0];
        flags = AT_SYMLINK_NOFOLLOW;
        break;
    case __NR_newfstatat:
    case __NR_statx:
        path_arg = a[1];
        flags = nr == __NR_newfstatat ? a[3] : a[2];
        if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE))
            return PATH_FORWARD;
        break;
    default:
        return PATH_FORWARD;
    }
    long dirfd = (nr == __NR_newfstatat || nr == __NR_statx) ? a[0] : AT_FDCWD;
    long fd = open_beneath(scratch, dirfd, path_arg, O_PATH | O_CLOEXEC | ((flags & AT_SYMLINK_NOFOLLOW) ? O_NOFOLLOW : 0), 0);
    if (fd < 0)
        return fd;
    long r;
    if (nr == __NR_statx)
        r = raw5(__NR_statx, fd, "", AT_EMPTY_PATH | (flags & AT_STATX_SYNC_TYPE), a[3], a[4]);
    else
        r = raw4(__NR_newfstatat, fd, "", nr == __NR_newfstatat ? a[2] : a[1], AT_EMPTY_PATH);
    raw1(__NR_close, fd);
    return r ? r : owner_as_instance_root((void *)(nr == __NR_statx ? a[4] : nr == __NR_newfstatat ? a[2] : a[1]), nr == __NR_statx);
}

/*
 * A stat the host made into app memory at `buf` (a struct statx, or a struct stat): a file of
 * the app processes' own host identity (GTS_APP_HOST_ID: a socket file the worker bound for
 * one) is shown as the instance's root's, whose it would be natively. 0, or -EFAULT.
 */
long owner_as_instance_root(void *buf, int statx)
{
    if (!g_stub.app_identity)
        return 0;
    unsigned int ids[2];
    char *at = (char *)buf + (statx ? 20 : 28); /* stx_uid, stx_gid; st_uid, st_gid */
    long r = copy_from_app(ids, at, sizeof(ids));
    if (r || (ids[0] != GTS_APP_HOST_ID && ids[1] != GTS_APP_HOST_ID))
        return r;
    for (int i = 0; i < 2; i++)
        if (ids[i] == GTS_APP_HOST_ID)
            ids[i] = 0;
    return copy_to_app(at, ids, sizeof(ids));
}

/* open flags of a plain read the stub may make itself (nothing created, truncated or written) */
#define STUB_OPEN_FLAGS (O_NOCTTY | O_NONBLOCK | O_LARGEFILE | O_NOFOLLOW | O_NOATIME | O_CLOEXEC)

/* Is absolute path `p` a directory with mount points in it? Compared without ".", ".." and extra "/". */
static int is_mount_parent(struct path_scratch *scratch, const char *p)
{
    char *canon = scratch->canon;
    long n = canonical(p, canon, 0, 0);
    if (n < 0)
        return 1; /* (not a path the stub opens: the worker's) */
    for (unsigned int i = 0; i < n_parents; i++)
        if (parents[i].len == (unsigned long)n && !memcmp(parents[i].prefix, canon, (unsigned long)n))
            return 1;
    return 0;
}

#define R_OK 4
#define W_OK 2
#define X_OK 1

/* The mode (type and permission bits) of what fd `fd` is, or -errno. */
static long mode_of(long fd)
{
    struct {
        unsigned long dev, ino, nlink;
        unsigned int mode;
        char rest[120];
    } st;
    long r = raw4(__NR_newfstatat, fd, "", &st, AT_EMPTY_PATH);
    return r < 0 ? r : (long)st.mode;
}

/*
 * Whether the instance's root may read and run (R_OK, X_OK) the regular file or directory
 * `fd` (O_PATH) is, the app's path `path_arg` resolved again for reading: 0, -EACCES, or
 * PATH_FORWARD. Root reads what anyone may: the stub, whose host identity is no one's in
 * particular, opening it for reading shows it may (where it may not, the worker judges); root
 * runs a directory, or a file with an execute bit.
 */
static long root_may(struct path_scratch *scratch, long fd, long dirfd, long path_arg, long mode, unsigned long nofollow)
{
    long st_mode = scratch->stub_opens ? mode_of(fd) : -1;
    if (st_mode < 0)
        return PATH_FORWARD;
    long type = st_mode & S_IFMT;
    if (type != S_IFREG && type != S_IFDIR)
        return PATH_FORWARD; /* a device or FIFO: not opened here, even to see */
    if ((mode & X_OK) && type != S_IFDIR && !(st_mode & 0111))
        return -EACCES;
    if (mode & R_OK) {
        long rfd = open_beneath(scratch, dirfd, path_arg, O_NONBLOCK | O_NOCTTY | O_CLOEXEC | nofollow, GTS_PATH_STUB_OPENS);
        if (rfd < 0)
            return PATH_FORWARD;
        raw1(__NR_close, rfd);
    }
    return 0;
}

/*
 * access, faccessat, faccessat2 of an absolute path on a host mount: a path that is not there
 * (ENOENT, ENOTDIR, ENAMETOOLONG: the first missing component) is answered here -- every
 * dynamic program's loader asks for /etc/ld.so.preload --, and so is one that is there, on a
 * mount no file check applies to, for the instance's root (root_may) and for a process that is
 * still the host user the instance runs as (the kernel's answer, as the worker's): a shell asks
 * of each program it runs whether it may read and run it, a compiler whether it may write its
 * temporary directory. Other ids, and writing but on a mount of GTS_PATH_STUB_WRITES, are the
 * worker's to judge, by the instance's credentials.
 */
long paths_access(struct path_scratch *scratch, long nr, const long *a)
{
    long dirfd = nr == __NR_access ? AT_FDCWD : a[0];
    long path_arg = nr == __NR_access ? a[0] : a[1];
    long mode = nr == __NR_access ? a[1] : a[2];
    long flags = nr == __NR_faccessat2 ? a[3] : 0;
    if ((int)dirfd != AT_FDCWD || (mode & ~7L) || (flags & ~(long)(AT_EACCESS | AT_SYMLINK_NOFOLLOW)))
        return PATH_FORWARD;
    unsigned long nofollow = (flags & AT_SYMLINK_NOFOLLOW) ? O_NOFOLLOW : 0;
    long fd = open_beneath(scratch, dirfd, path_arg, O_PATH | O_CLOEXEC | nofollow, 0);
    if (fd < 0)
        return fd;
    long r = PATH_FORWARD;
    /* writing: on a writable mount no file check applies to (elsewhere EROFS, or a check, may be the answer) */
    int judged = !(mode & W_OK) || scratch->stub_writes;
    /* access() asks for the real uid, AT_EACCESS for the effective one; F_OK for the file alone */
    if (judged && ids_known((flags & AT_EACCESS) ? __NR_geteuid : __NR_getuid) == 0) {
        r = root_may(scratch, fd, dirfd, path_arg, mode, nofollow); /* (root writes what it may read there) */
    } else if (judged && runs_as_host_user() && scratch->stub_opens) {
        /* the host user the worker is too, judged as the worker's walk judges it: by the kernel */
        r = raw4(__NR_faccessat2, fd, "", mode, AT_EMPTY_PATH | (flags & AT_EACCESS));
        if (r != 0 && r != -EACCES)
            r = PATH_FORWARD;
    }
    raw1(__NR_close, fd);
    return r;
}

/*
 * readlink, readlinkat (AT_FDCWD) of a path on a host mount that is no symlink: EINVAL, as the
 * walk finds it (gcc's realpath asks it of every directory on the way to each file), and the
 * first missing component. A symlink's text, and anything else, is the worker's to give.
 */
long paths_readlink(struct path_scratch *scratch, long nr, const long *a)
{
    long dirfd = nr == __NR_readlink ? AT_FDCWD : a[0];
    long path_arg = nr == __NR_readlink ? a[0] : a[1];
    long buf = nr == __NR_readlink ? a[1] : a[2];
    long size = nr == __NR_readlink ? a[2] : a[3];
    if ((int)dirfd != AT_FDCWD || size <= 0)
        return PATH_FORWARD;
    /* the last component itself, a symlink or not (O_PATH|O_NOFOLLOW under RESOLVE_NO_SYMLINKS) */
    long fd = open_beneath(scratch, dirfd, path_arg, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
    if (fd < 0)
        return fd;
    long st_mode = mode_of(fd);
    /* a host mount's link says what it says on the host, as the worker's readlink does */
    long n = st_mode >= 0 && (st_mode & S_IFMT) == S_IFLNK ? raw4(__NR_readlinkat, fd, "", scratch->canon, PATH_MAX) : -1;
    raw1(__NR_close, fd);
    if (st_mode >= 0 && (st_mode & S_IFMT) != S_IFLNK)
        return -EINVAL;
    if (n < 0)
        return PATH_FORWARD;
    if (n > size)
        n = size;
    return copy_to_app((void *)buf, scratch->canon, (unsigned long)n) ? -EFAULT : n;
}

/*
 * getcwd: the working directory's instance path the worker named (with the instance's root
 * as the process's), while that path still names the host's working directory (renamed or
 * removed since, by this process or another: the worker's to say). Its length with the NUL,
 * an error, or PATH_FORWARD.
 */
long paths_getcwd(struct path_scratch *scratch, const long *a)
{
    unsigned long n = n_mounts ? paths_cwd(scratch->path, PATH_MAX - 1) : 0;
    if (n == 0)
        return PATH_FORWARD;
    scratch->path[n] = 0;
    /* from the mount's root (not from the working directory, whose own path this is) */
    const struct mount_entry *m = mount_of(scratch->path, GTS_PATH_DEVICE);
    if (!m || m->fd < 0 || (m->flags & GTS_PATH_ALIAS))
        return PATH_FORWARD;
    const char *rel = scratch->path + m->len;
    while (*rel == '/')
        rel++;
    struct open_how_k how = {O_PATH | O_DIRECTORY | O_CLOEXEC, 0, STUB_RESOLVE};
    long fd = raw4(__NR_openat2, m->fd, *rel ? rel : ".", &how, sizeof(how));
    if (fd < 0)
        return PATH_FORWARD;
    struct {
        unsigned long dev, ino;
        char rest[128];
    } named, cwd_now;
    int same = raw2(__NR_fstat, fd, &named) == 0 &&
               raw4(__NR_newfstatat, AT_FDCWD, "", &cwd_now, AT_EMPTY_PATH) == 0 &&
               named.dev == cwd_now.dev && named.ino == cwd_now.ino;
    raw1(__NR_close, fd);
    /* and the same path still (a chdir of another thread meanwhile: the worker's to say) */
    if (!same || paths_cwd(scratch->canon, PATH_MAX - 1) != n || memcmp(scratch->canon, scratch->path, n) != 0)
        return PATH_FORWARD;
    if ((unsigned long)a[1] < n + 1)
        return -ERANGE;
    return copy_to_app((void *)a[0], scratch->path, n + 1) ? -EFAULT : (long)(n + 1);
}

/* open flags of a device open the stub makes itself: what makes no difference to such a device */
#define STUB_DEVICE_FLAGS (O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND | O_NOCTTY | O_NONBLOCK | O_LARGEFILE | O_NOFOLLOW | O_CLOEXEC)

/*
 * An open of a host device the instance has as itself (a GTS_PATH_DEVICE entry: /dev/null), by
 * its absolute path exactly (scratch->path, `len` bytes), with STUB_DEVICE_FLAGS only: opened
 * anew through the fd the worker sent (its magic link in /proc/self/fd), with the app's flags
 * -- its own open file, as the walk's open would be. The fd, or PATH_FORWARD (any other path,
 * or an open the host refuses here).
 */
static long open_device(struct path_scratch *scratch, long len, unsigned long flags)
{
    const struct mount_entry *dev = 0;
    for (unsigned int i = 0; i < n_mounts && !dev; i++)
        if ((mounts[i].flags & GTS_PATH_DEVICE) && mounts[i].fd >= 0)
            dev = &mounts[i];
    if (!dev || len != (long)dev->len || memcmp(scratch->path, dev->prefix, dev->len))
        return PATH_FORWARD;
    static const char dir[] = "/proc/self/fd/";
    char num[24], link[sizeof(dir) + sizeof(num)];
    const char *digits = format_decimal((unsigned long)dev->fd, num + sizeof(num) - 1);
    memcpy(link, dir, sizeof(dir) - 1);
    memcpy(link + sizeof(dir) - 1, digits, strlen(digits) + 1);
    /* the device is no symlink (O_NOFOLLOW), nor made (O_CREAT): neither applies to the link */
    long fd = raw4(__NR_openat, AT_FDCWD, link, flags & ~(unsigned long)(O_CREAT | O_NOFOLLOW), 0);
    return fd < 0 ? PATH_FORWARD : fd;
}

/* open flags of a write the stub may make itself (with O_WRONLY or O_RDWR, or O_RDONLY with O_CREAT or O_TRUNC) */
#define STUB_WRITE_FLAGS (STUB_OPEN_FLAGS | O_CREAT | O_EXCL | O_TRUNC | O_APPEND | O_ACCMODE)

/*
 * The app's path `path_arg` (in scratch->path already), looked at first (O_PATH) and opened
 * with `flags` (and `mode`) only if it is a regular file, or a directory (`dirs`): a FIFO
 * opened on the way, even without blocking, would let a writer's open that waits for a reader
 * go on (and see its reader gone), and a device is the worker's. The fd, an answer (the first
 * missing component), or PATH_FORWARD; one changed or gone between the look and the open is
 * the worker's to say.
 */
static long open_if_regular(struct path_scratch *scratch, long dirfd, long path_arg, unsigned long flags, unsigned long mode,
                            unsigned int need, int dirs)
{
    long there = open_following(scratch, dirfd, O_PATH | O_CLOEXEC | (flags & O_NOFOLLOW), 0, need);
    if (there < 0)
        return there;
    long st_mode = mode_of(there);
    raw1(__NR_close, there);
    long type = st_mode & S_IFMT;
    if (st_mode < 0 || (type != S_IFREG && !(dirs && type == S_IFDIR)) || copy_path(scratch->path, (const char *)path_arg) <= 0)
        return PATH_FORWARD;
    long fd = open_following(scratch, dirfd, flags, mode, need);
    return fd < 0 ? PATH_FORWARD : fd;
}

/*
 * An open that writes, creates or truncates, of the app's path `path_arg` (in scratch->path
 * already) on a mount of GTS_PATH_STUB_WRITES: a regular file (open_if_regular). One not there
 * is made here, and only made (O_EXCL: one made by someone else meanwhile, or a dangling
 * symlink, whose target Linux would make, is the worker's). The host applies the process's
 * umask (its own: GTS_HELLO_REPLY's); a set-id or sticky mode bit is the worker's to judge.
 * The fd, an answer, or PATH_FORWARD.
 */
static long open_for_writing(struct path_scratch *scratch, long dirfd, long path_arg, unsigned long flags, unsigned long mode)
{
    if ((flags & O_CREAT) && (mode & ~0777UL))
        return PATH_FORWARD;
    if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
        return open_following(scratch, dirfd, flags, mode, GTS_PATH_STUB_WRITES);
    long fd = open_if_regular(scratch, dirfd, path_arg, flags, mode, GTS_PATH_STUB_WRITES, 0);
    if (fd != -ENOENT || !(flags & O_CREAT) || copy_path(scratch->path, (const char *)path_arg) <= 0)
        return fd;
    fd = open_following(scratch, dirfd, flags | O_EXCL, mode, GTS_PATH_STUB_WRITES);
    return fd == -EEXIST ? PATH_FORWARD : fd;
}

/*
 * open, openat (AT_FDCWD or an absolute path) and creat. For reading, on a mount no file check
 * applies to: a regular file or a directory (open_if_regular; with O_NONBLOCK, which the app
 * asked for, any file), not a directory with mount points in it (and nothing asked for with
 * O_DIRECTORY), which is the worker's: it lists its mount points. For writing (or creating),
 * on a writable such mount: open_for_writing. The app's fd, an answer, or PATH_FORWARD.
 */
long paths_open(struct path_scratch *scratch, long nr, const long *a)
{
    long path_arg = nr == __NR_openat ? a[1] : a[0];
    long dirfd = nr == __NR_openat ? a[0] : AT_FDCWD;
    unsigned long flags = nr == __NR_creat ? O_CREAT | O_WRONLY | O_TRUNC : (unsigned long)(nr == __NR_open ? a[1] : a[2]) & 0xffffffffUL;
    unsigned long mode = (unsigned long)(nr == __NR_openat ? a[3] : nr == __NR_open ? a[2] : a[1]) & 07777UL;
    int device_flags = !(flags & ~(unsigned long)STUB_DEVICE_FLAGS) && (flags & O_ACCMODE) != O_ACCMODE;
    int read_flags = (flags & O_ACCMODE) == 0 && !(flags & ~(unsigned long)STUB_OPEN_FLAGS);
    int write_flags = !read_flags && (flags & O_ACCMODE) != O_ACCMODE && !(flags & ~(unsigned long)STUB_WRITE_FLAGS);
    if (!device_flags && !read_flags && !write_flags)
        return PATH_FORWARD;
    /* the path is copied once, for every kind of open */
    long len = n_mounts ? copy_path(scratch->path, (const char *)path_arg) : 0;
    if (len <= 0)
        return PATH_FORWARD; /* errors are the worker's to report */
    long dev = device_flags ? open_device(scratch, len, flags) : PATH_FORWARD;
    if (dev != PATH_FORWARD)
        return dev;
    if (write_flags)
        return open_for_writing(scratch, dirfd, path_arg, flags, mode);
    if (!read_flags)
        return PATH_FORWARD;
    long fd = (flags & O_NONBLOCK) ? open_following(scratch, dirfd, flags, 0, GTS_PATH_STUB_OPENS)
                                   : open_if_regular(scratch, dirfd, path_arg, flags, 0, GTS_PATH_STUB_OPENS, 1);
    if (fd >= 0 && is_mount_parent(scratch, scratch->path)) {
        raw1(__NR_close, fd);
        return PATH_FORWARD;
    }
    return fd;
}

/*
 * unlink, unlinkat (AT_FDCWD or an absolute path; no AT_REMOVEDIR) of a name in a directory of
 * a mount of GTS_PATH_STUB_WRITES: the directory opened as an open here would (beneath, through
 * no symlink), the name removed from it. Not a path with "..", "." or "//" in it, nor one whose
 * last component is a mount point (the walk's EBUSY). 0, an answer (ENOENT: not there, or a
 * missing directory on the way; EISDIR), or PATH_FORWARD.
 */
long paths_unlink(struct path_scratch *scratch, long nr, const long *a)
{
    long dirfd = nr == __NR_unlink ? AT_FDCWD : a[0];
    long path_arg = nr == __NR_unlink ? a[0] : a[1];
    if ((int)dirfd != AT_FDCWD || (nr == __NR_unlinkat && a[2] != 0) || n_mounts == 0)
        return PATH_FORWARD;
    long n = copy_path(scratch->path, (const char *)path_arg);
    if (n <= 0)
        return PATH_FORWARD;
    char *path = scratch->path;
    /* "//", ".", "..": the name and its directory are compared literally below, so not here */
    if (has_dotdot(path) || is_roundabout(path) || (path[0] == '.' && (path[1] == '/' || path[1] == 0)))
        return PATH_FORWARD;
    long last = -1;
    for (long i = 0; i < n; i++)
        if (path[i] == '/')
            last = i;
    if (last == n - 1)
        return PATH_FORWARD; /* a trailing "/": a directory's, the worker's */
    char name[256];
    unsigned long name_len = (unsigned long)(n - last - 1);
    if (name_len >= sizeof(name))
        return PATH_FORWARD;
    memcpy(name, path + last + 1, name_len + 1);
    const struct mount_entry *holder = path[0] == '/' ? mount_of(path, GTS_PATH_DEVICE) : 0;
    /* the directory: "/" of "/name", the working directory of a plain name, else what is before the last "/" */
    if (last < 0)
        memcpy(path, ".", 2);
    else
        path[last > 0 ? last : 1] = 0;
    if (path[0] == '/' && mount_of(path, GTS_PATH_DEVICE) != holder)
        return PATH_FORWARD; /* the name is a mount point (no mount point lies below a working directory the stub resolves in) */
    long dir = open_beneath_copied(scratch, AT_FDCWD, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, GTS_PATH_STUB_WRITES);
    if (dir < 0)
        return dir == -ENOENT || dir == -ENOTDIR ? dir : PATH_FORWARD;
    long r = raw3(__NR_unlinkat, dir, name, 0);
    raw1(__NR_close, dir);
    return r == 0 || r == -ENOENT || r == -EISDIR ? r : PATH_FORWARD;
}

/*
 * The program (or interpreter) an exec names, `path`, opened for reading as an open here would
 * (open_following); the fd of a regular file the process may run here (no set-user-id or
 * set-group-id bit to honour; for the instance's root, an execute bit; for a process that is
 * still the host user a non-root instance runs as, the kernel's judgement of that user's X_OK,
 * as the worker's would be); the walk's error (the O_PATH look's: -ENOENT, -ENOTDIR, -EACCES of a
 * directory on the way...); or PATH_FORWARD.
 */
long paths_open_program(struct path_scratch *scratch, const char *path)
{
    unsigned long n = strlen(path);
    if (n == 0 || n >= PATH_MAX)
        return PATH_FORWARD;
    memcpy(scratch->path, path, n + 1);
    long fd = open_if_regular(scratch, AT_FDCWD, (long)path, O_CLOEXEC, 0, GTS_PATH_STUB_OPENS, 0);
    if (fd < 0)
        return fd;
    long st_mode = mode_of(fd);
    int runs = ids_known(__NR_geteuid) == 0 ? (st_mode & 0111) != 0
                                            : runs_as_host_user() && raw4(__NR_faccessat2, fd, "", X_OK, AT_EMPTY_PATH | AT_EACCESS) == 0;
    if (st_mode < 0 || (st_mode & S_IFMT) != S_IFREG || !runs || (st_mode & (S_ISUID | S_ISGID))) {
        raw1(__NR_close, fd);
        return PATH_FORWARD;
    }
    return fd;
}

int runs_as_host_user(void)
{
    return !g_stub.app_identity && g_stub.host_ids[0] != 0 && ids_are_host_ids();
}

/*
 * What a new image of this process needs of the table to take it over (an exec here): the
 * table's bytes as installed, and the root fds in its order (`roots`, up to `max`). The count of
 * roots, or -1 if there is no table or a root was not set up (the new image would pair them
 * with the wrong mounts).
 */
int paths_for_exec(const char **table, unsigned long *len, int *roots, int max)
{
    if (installed.len == 0 || n_mounts == 0)
        return -1;
    int n = 0;
    for (unsigned int i = 0; i < n_mounts; i++) {
        const struct mount_entry *m = &mounts[i];
        if ((m->flags & GTS_PATH_ALIAS) || !(m->flags & GTS_PATH_ROOT_FD))
            continue;
        if (m->fd < 0 || n >= max)
            return -1;
        roots[n++] = m->fd;
    }
    *table = installed.data;
    *len = installed.len;
    return n;
}

/* The working directory's instance path, if relative paths are the stub's (g_stub.cwd_beneath): its length, or 0. */
unsigned long paths_cwd(char *out, unsigned long cap)
{
    unsigned int seq = __atomic_load_n(&cwd.seq, __ATOMIC_ACQUIRE);
    if (__atomic_load_n(&cwd.writers, __ATOMIC_ACQUIRE) || !g_stub.cwd_beneath || cwd.len == 0 || cwd.len > cap)
        return 0;
    unsigned long n = cwd.len;
    memcpy(out, cwd.path, n);
    return __atomic_load_n(&cwd.seq, __ATOMIC_ACQUIRE) == seq ? n : 0;
}

/*
 * umask: the host's, which is the process's own (the host applies it to what the stub creates:
 * open_for_writing), and the LibOS's (its creations apply it). With one thread, the stub sets it
 * alone, and its worker (or the leader, which holds a child that has asked nothing) hears of it
 * before the next thing the process says on its main channel (GTS_REQ_UMASK): a file the worker
 * makes, or a fork's state the worker seals, comes after that. With threads, another thread's
 * next word would go on its own channel first: the worker sets it, then the host.
 */
long stub_umask(const long *a, void *ip)
{
    unsigned int mask = (unsigned int)a[0] & 0777;
    long old = g_stub.umask;
    if (__atomic_load_n(&g_stub.threads_live, __ATOMIC_ACQUIRE) == 0 && !g_stub.trace && !g_stub.strace) {
        __atomic_store_n(&g_stub.umask_untold, 1, __ATOMIC_RELEASE);
    } else {
        old = worker_call(__NR_umask, a, ip);
        if (old < 0)
            return old;
    }
    g_stub.umask = mask;
    raw1(__NR_umask, mask);
    return old;
}
