/*
 * Escape attempts: every spelling of a path we could think of that might reach a file outside
 * the instance's mounts. The test (test/integration/escape.test.ts) lays out a scratch dir
 *
 *   SCRATCH/root/      fs.root of the instance: inside.txt, this program, bin lib lib64 -> usr/...,
 *                      and planted symlinks: abs -> SCRATCH/outside/secret, rel -> ../outside/secret,
 *                      sub/chain -> ../../../../../../../../<SCRATCH/outside/secret>, updir -> ..,
 *                      hostdir -> SCRATCH, wabs -> SCRATCH/outside/created-abs,
 *                      wrel -> ../outside/created-rel; and inside-mine-{1,2,3} (to move out)
 *   SCRATCH/data/      mounted at /data: data.txt, up -> ../outside/secret, updir -> ..
 *   SCRATCH/outside/   secret (its first line is the secret), secret-copy (the same), run.sh
 *                      (prints the secret)
 *
 * and runs `fs_escape ROOT DATA SCRATCH [HANDLE]`: under gramine-ts with ROOT "/" and DATA
 * "/data" (and the host path of SCRATCH, which must be invisible), natively with the host paths
 * of SCRATCH/root and SCRATCH/data, as a control that shows each attempt is a real way to the
 * secret when nothing confines the program. HANDLE is the secret's file handle, "TYPE:HEX", from
 * `fs_escape handle PATH` (run natively: name_to_handle_at).
 *
 * One line per attempt: "name: ERRNAME" when it failed, "name: content=<first line>" when it
 * opened something (under gramine-ts only the instance's own files may show up there), or
 * "name: ok" for a step that succeeded without opening anything.
 */
#include "fs.h"
#include <sys/syscall.h>
#include <sys/wait.h>

static const char *ROOT, *DATA, *SCR;
static char HS[4200];         /* SCRATCH/outside/secret, a host path */
static const char *HSR;       /* the same without its leading slash */

/* `p` (absolute) under ROOT: p itself when ROOT is "/" (rotating static buffers). */
static const char *R(const char *p)
{
    static char buf[4][4200];
    static int k;
    char *b = buf[k++ & 3];
    if (strcmp(ROOT, "/") == 0)
        snprintf(b, sizeof(buf[0]), "%s", p);
    else
        snprintf(b, sizeof(buf[0]), "%s%s", ROOT, p);
    return b;
}

static const char *D(const char *p)
{
    static char buf[4][4200];
    static int k;
    char *b = buf[k++ & 3];
    snprintf(b, sizeof(buf[0]), "%s%s", DATA, p);
    return b;
}

static const char *cat(const char *a, const char *b)
{
    static char buf[4][8400];
    static int k;
    char *r = buf[k++ & 3];
    snprintf(r, sizeof(buf[0]), "%s%s", a, b);
    return r;
}

/* "name: content=<first line>" of an open fd (closed here), or "name: ERRNAME" for fd < 0. */
static void report(const char *name, int fd)
{
    int e = errno;
    if (fd < 0) {
        say("%s: %s", name, ename(e));
        return;
    }
    char buf[256];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    e = errno;
    close(fd);
    if (n < 0) {
        say("%s: opened, read %s", name, ename(e));
        return;
    }
    buf[n] = 0;
    char *nl = strchr(buf, '\n');
    if (nl)
        *nl = 0;
    say("%s: content=%s", name, buf);
}

static void try_open(const char *name, int dirfd, const char *path)
{
    errno = 0;
    report(name, (int)syscall(SYS_openat, dirfd, path, O_RDONLY | O_CLOEXEC, 0));
}

static void try_step(const char *name, long r)
{
    if (r < 0)
        say("%s: %s", name, ename(errno));
    else
        say("%s: ok", name);
}

/* stat of a path: "name: exists" or the error. */
static void try_stat(const char *name, const char *path)
{
    struct stat st;
    errno = 0;
    if (syscall(SYS_stat, path, &st) == 0)
        say("%s: exists", name);
    else
        say("%s: %s", name, ename(errno));
}

/* Sorted names of a directory: "name: names=a b c", or the error. */
static void try_list(const char *name, const char *path)
{
    errno = 0;
    int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        say("%s: %s", name, ename(errno));
        return;
    }
    char buf[8192];
    char *names[256];
    int n = 0;
    for (;;) {
        long r = syscall(SYS_getdents64, fd, buf, sizeof(buf));
        if (r <= 0)
            break;
        for (long off = 0; off < r;) {
            struct dirent64 *d = (struct dirent64 *)(buf + off);
            if (n < 256 && strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
                names[n++] = strdup(d->d_name);
            off += d->d_reclen;
        }
    }
    close(fd);
    qsort(names, (size_t)n, sizeof(names[0]), compare_strs);
    printf("%s: names=", name);
    for (int i = 0; i < n; i++) {
        printf("%s%s", i ? " " : "", names[i]);
        free(names[i]);
    }
    printf("\n");
}

/*
 * Run `fn` in a child whose stdout goes to a pipe; print "name: " and the first line the child
 * wrote ("content=..." or an error name) -- so that an exec'ed program's output is reported the
 * same way.
 */
static void in_child(const char *name, void (*fn)(void))
{
    int p[2];
    if (pipe(p) != 0)
        die("pipe");
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        say("%s: fork %s", name, ename(errno));
        return;
    }
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        setvbuf(stdout, NULL, _IONBF, 0);
        fn();
        _exit(0);
    }
    close(p[1]);
    char buf[512];
    size_t n = 0;
    for (;;) {
        ssize_t k = read(p[0], buf + n, sizeof(buf) - 1 - n);
        if (k <= 0)
            break;
        n += (size_t)k;
        if (n == sizeof(buf) - 1)
            break;
    }
    close(p[0]);
    int status;
    waitpid(pid, &status, 0);
    buf[n] = 0;
    char *nl = strchr(buf, '\n');
    if (nl)
        *nl = 0;
    say("%s: %s", name, n ? buf : "(no output)");
}

static const char *exec_path;

static void child_exec(void)
{
    char *argv[] = { (char *)exec_path, NULL };
    char *envp[] = { "PATH=/usr/bin:/bin", NULL };
    execve(exec_path, argv, envp);
    printf("%s\n", ename(errno));
}

/* The classic chroot escape: chroot into a subdirectory while the cwd stays above it. */
static void child_chroot(void)
{
    if (mkdir("jailx", 0755) != 0 && errno != EEXIST) {
        printf("mkdir %s\n", ename(errno));
        return;
    }
    if (chroot("jailx") != 0) {
        printf("chroot %s\n", ename(errno));
        return;
    }
    for (int i = 0; i < 30; i++)
        if (chdir("..") != 0) {
            printf("chdir %s\n", ename(errno));
            return;
        }
    if (chroot(".") != 0) {
        printf("chroot(.) %s\n", ename(errno));
        return;
    }
    int fd = (int)syscall(SYS_openat, AT_FDCWD, HS, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        printf("%s\n", ename(errno));
        return;
    }
    char buf[256];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = 0;
    char *nl = strchr(buf, '\n');
    if (nl)
        *nl = 0;
    printf("content=%s\n", buf);
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void by_handle(const char *spec)
{
    /* a handle of one of the instance's own files: allowed or not, it must show nothing else */
    struct {
        struct file_handle h;
        unsigned char bytes[MAX_HANDLE_SZ];
    } fh;
    int mount_id;
    fh.h.handle_bytes = MAX_HANDLE_SZ;
    errno = 0;
    long r = name_to_handle_at(AT_FDCWD, R("/inside.txt"), &fh.h, &mount_id, 0);
    try_step("name-to-handle-inside", r);
    int mfd = (int)syscall(SYS_openat, AT_FDCWD, R("/"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (r == 0) {
        errno = 0;
        report("open-by-handle-inside", open_by_handle_at(mfd, &fh.h, O_RDONLY));
    }
    if (!spec) {
        say("open-by-handle-secret: no handle given");
        close(mfd);
        return;
    }
    /* the secret's handle, as name_to_handle_at gave it natively */
    const char *colon = strchr(spec, ':');
    if (!colon) {
        say("open-by-handle-secret: bad handle");
        close(mfd);
        return;
    }
    fh.h.handle_type = atoi(spec);
    size_t n = 0;
    for (const char *c = colon + 1; c[0] && c[1] && n < MAX_HANDLE_SZ; c += 2)
        fh.h.f_handle[n++] = (unsigned char)(hexval(c[0]) * 16 + hexval(c[1]));
    fh.h.handle_bytes = (unsigned)n;
    errno = 0;
    report("open-by-handle-secret", open_by_handle_at(mfd, &fh.h, O_RDONLY));
    close(mfd);
}

/* `fs_escape handle PATH`: PATH's file handle as "TYPE:HEX" (a helper for the test). */
static int print_handle(const char *path)
{
    struct {
        struct file_handle h;
        unsigned char bytes[MAX_HANDLE_SZ];
    } fh;
    int mount_id;
    fh.h.handle_bytes = MAX_HANDLE_SZ;
    if (name_to_handle_at(AT_FDCWD, path, &fh.h, &mount_id, 0) != 0)
        die("name_to_handle_at");
    printf("%d:", fh.h.handle_type);
    for (unsigned i = 0; i < fh.h.handle_bytes; i++)
        printf("%02x", fh.h.f_handle[i]);
    printf("\n");
    return 0;
}

int main(int argc, char **argv)
{
    t_init();
    if (argc == 3 && strcmp(argv[1], "handle") == 0)
        return print_handle(argv[2]);
    if (argc < 4) {
        fprintf(stderr, "usage: %s ROOT DATA SCRATCH [HANDLE] | %s handle PATH\n", argv[0], argv[0]);
        return 2;
    }
    ROOT = argv[1];
    DATA = argv[2];
    SCR = argv[3];
    snprintf(HS, sizeof(HS), "%s/outside/secret", SCR);
    HSR = HS + 1;
    char up[4200] = "";
    for (int i = 0; i < 12; i++)
        strcat(up, "../");
    if (chdir(ROOT) != 0)
        die("chdir ROOT");

    /* the instance's own files are there (so that the test can fail) */
    try_open("inside", AT_FDCWD, "inside.txt");
    try_open("inside-abs", AT_FDCWD, R("/inside.txt"));
    try_open("inside-via-dotdot", AT_FDCWD, R("/sub/../inside.txt"));
    try_open("data-file", AT_FDCWD, D("/data.txt"));
    try_list("list-root", R("/"));
    try_list("list-root-dotdot", R("/.."));
    try_list("list-data-dotdot", D("/.."));

    /* `..` and absolute paths */
    try_open("dotdot", AT_FDCWD, "../outside/secret");
    try_open("dotdot-from-root", AT_FDCWD, R("/../outside/secret"));
    try_open("dotdot-twice-from-root", AT_FDCWD, R("/../../outside/secret"));
    try_open("slash-dotdot-dotdot", AT_FDCWD, "/../../outside/secret");
    try_open("dotdots-to-host-path", AT_FDCWD, cat(up, HSR));
    try_open("host-path", AT_FDCWD, HS);
    try_open("sub-dotdots-to-host-path", AT_FDCWD, cat("sub/", cat(up, HSR)));

    /* symlinks planted in the root by the host */
    try_open("abs-symlink", AT_FDCWD, "abs");
    try_open("rel-symlink", AT_FDCWD, "rel");
    try_open("rel-symlink-chain", AT_FDCWD, "sub/chain");
    try_open("dir-symlink-dotdot", AT_FDCWD, "updir/outside/secret");
    try_open("dir-symlink-host", AT_FDCWD, "hostdir/outside/secret");

    /* through a second mount */
    try_open("mount-dotdot", AT_FDCWD, D("/../outside/secret"));
    try_open("mount-dotdots-to-host-path", AT_FDCWD, cat(D("/"), cat(up, HSR)));
    try_open("mount-rel-symlink", AT_FDCWD, D("/up"));
    try_open("mount-dir-symlink", AT_FDCWD, D("/updir/outside/secret"));
    try_open("usr-dotdot-to-host-path", AT_FDCWD, cat("/usr/", cat(up, HSR)));

    /* /proc */
    try_open("proc-root-dotdot", AT_FDCWD, "/proc/self/root/../outside/secret");
    try_open("proc-root-host-path", AT_FDCWD, cat("/proc/self/root", HS));
    try_open("proc-cwd-dotdot", AT_FDCWD, "/proc/self/cwd/../outside/secret");
    try_open("proc-1-root-host-path", AT_FDCWD, cat("/proc/1/root", HS));
    {
        int fd = (int)syscall(SYS_openat, AT_FDCWD, R("/"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        char p[64];
        snprintf(p, sizeof(p), "/proc/self/fd/%d/../outside/secret", fd);
        try_open("proc-fd-dotdot", AT_FDCWD, p);
        close(fd);
    }

    /* dirfds */
    {
        int root = (int)syscall(SYS_openat, AT_FDCWD, R("/"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int slash = (int)syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int dotdot = (int)syscall(SYS_openat, AT_FDCWD, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int data = (int)syscall(SYS_openat, AT_FDCWD, DATA, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        try_open("dirfd-root-dotdot", root, "../outside/secret");
        try_open("dirfd-slash-dotdot", slash, "../outside/secret");
        try_open("dirfd-slash-host-path", slash, HSR);
        try_open("dirfd-dotdot", dotdot, "outside/secret");
        try_open("dirfd-data-dotdot", data, "../outside/secret");
        try_open("dirfd-data-dotdots-to-host-path", data, cat(up, HSR));
        close(root);
        close(slash);
        close(dotdot);
        close(data);
    }

    /* O_PATH fds, climbing with openat(fd, "..") */
    {
        int fd = (int)syscall(SYS_openat, AT_FDCWD, R("/"), O_PATH | O_DIRECTORY | O_CLOEXEC);
        int once = (int)syscall(SYS_openat, fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
        try_open("opath-climb-once", once, "outside/secret");
        close(once);
        for (int i = 0; i < 12; i++) {
            int next = (int)syscall(SYS_openat, fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
            if (next < 0)
                break;
            close(fd);
            fd = next;
        }
        try_open("opath-climb-to-host-path", fd, HSR);
        close(fd);
        fd = (int)syscall(SYS_openat, AT_FDCWD, DATA, O_PATH | O_DIRECTORY | O_CLOEXEC);
        once = (int)syscall(SYS_openat, fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
        try_open("opath-data-climb-once", once, "outside/secret");
        close(once);
        close(fd);
    }

    /* the working directory */
    {
        int root = (int)syscall(SYS_openat, AT_FDCWD, R("/"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        try_step("fchdir-root", fchdir(root));
        try_step("chdir-dotdot", chdir(".."));
        try_open("cwd-dotdot-once", AT_FDCWD, "outside/secret");
        for (int i = 0; i < 12; i++)
            chdir("..");
        try_open("cwd-climbed-host-path", AT_FDCWD, HSR);
        int slash = (int)syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        try_step("fchdir-slash", fchdir(slash));
        try_step("fchdir-slash-chdir-dotdot", chdir(".."));
        try_open("fchdir-slash-host-path", AT_FDCWD, HSR);
        try_step("chdir-data-dotdot", chdir(D("/..")));
        try_open("chdir-data-dotdot-secret", AT_FDCWD, "outside/secret");
        fchdir(root);
        close(root);
        close(slash);
    }

    /* new links made by the program */
    try_step("symlink-slash-dotdot", symlink("/..", "newup"));
    try_open("symlink-slash-dotdot-host-path", AT_FDCWD, cat("newup", HS));
    try_step("symlink-dotdot", symlink("..", "newrel"));
    try_open("symlink-dotdot-secret", AT_FDCWD, "newrel/outside/secret");
    try_step("symlink-host-path", symlink(HS, "newabs"));
    try_open("symlink-host-path-secret", AT_FDCWD, "newabs");
    {
        int root = (int)syscall(SYS_openat, AT_FDCWD, R("/"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        try_step("symlinkat-dotdots", syscall(SYS_symlinkat, cat(up, HSR), root, "newchain"));
        try_open("symlinkat-dotdots-secret", root, "newchain");
        close(root);
    }
    try_step("link-host-path", link(HS, "hard1"));
    try_open("link-host-path-secret", AT_FDCWD, "hard1");
    try_step("link-dotdot", link("../outside/secret", "hard2"));
    try_open("link-dotdot-secret", AT_FDCWD, "hard2");
    {
        int slash = (int)syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        try_step("linkat-slash-host-path", syscall(SYS_linkat, slash, HSR, AT_FDCWD, "hard3", 0));
        try_open("linkat-slash-host-path-secret", AT_FDCWD, "hard3");
        try_step("linkat-follow-abs-symlink", syscall(SYS_linkat, AT_FDCWD, "abs", AT_FDCWD, "hard4", AT_SYMLINK_FOLLOW));
        try_open("linkat-follow-abs-symlink-secret", AT_FDCWD, "hard4");
        close(slash);
    }

    /* writes out of the root: nothing may appear in SCRATCH/outside */
    {
        errno = 0;
        int fd = (int)syscall(SYS_openat, AT_FDCWD, "../outside/created-dotdot", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        try_step("create-dotdot", fd);
        close(fd);
        errno = 0;
        fd = (int)syscall(SYS_openat, AT_FDCWD, "wabs", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        try_step("create-through-abs-symlink", fd);
        close(fd);
        errno = 0;
        fd = (int)syscall(SYS_openat, AT_FDCWD, "wrel", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        try_step("create-through-rel-symlink", fd);
        close(fd);
        errno = 0;
        fd = (int)syscall(SYS_openat, AT_FDCWD, cat(SCR, "/outside/created-host-path"), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        try_step("create-host-path", fd);
        close(fd);
        try_step("mkdir-dotdot", mkdir("../outside/made-dir", 0755));
        try_step("symlink-into-outside", symlink("x", "../outside/made-link"));
        try_step("rename-out-dotdot", rename("inside-mine-1", "../outside/moved-dotdot"));
        try_step("rename-out-host-path", rename("inside-mine-2", cat(SCR, "/outside/moved-host-path")));
        try_step("rename-out-through-dir-symlink", rename("inside-mine-3", "updir/outside/moved-updir"));
    }

    /* a scan of every fd number: only the program's own fds may answer */
    {
        int reached = 0;
        for (int fd = 3; fd < 1024 && !reached; fd++) {
            const char *paths[] = { "../outside/secret", HSR, "outside/secret", "secret" };
            for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
                int f = (int)syscall(SYS_openat, fd, paths[i], O_RDONLY | O_CLOEXEC);
                if (f >= 0) {
                    report("fd-scan", f);
                    reached = 1;
                    break;
                }
            }
        }
        if (!reached)
            say("fd-scan: nothing");
    }

    /* file handles */
    by_handle(argc > 4 ? argv[4] : NULL);

    /* in a child: chroot into a subdirectory, climb out of it */
    in_child("chroot-climb", child_chroot);

    /* execve of programs outside */
    exec_path = cat(SCR, "/outside/run.sh");
    in_child("exec-host-path", child_exec);
    exec_path = "../outside/run.sh";
    in_child("exec-dotdot", child_exec);

    /* the host's files around the root are invisible */
    try_stat("invisible-scratch", SCR);
    try_stat("invisible-outside", cat(SCR, "/outside"));
    try_stat("invisible-secret", HS);
    try_stat("invisible-tmp", "/tmp");
    try_stat("invisible-etc-passwd", "/etc/passwd");
    try_stat("invisible-home", "/home");

    /* last (natively it moves the secret): rename it in */
    try_step("rename-in-dotdot", rename("../outside/secret", "stolen"));
    try_open("rename-in-dotdot-secret", AT_FDCWD, "stolen");
    try_step("rename-in-host-path", rename(cat(SCR, "/outside/secret-copy"), "stolen2"));
    try_open("rename-in-host-path-secret", AT_FDCWD, "stolen2");
    say("done");
    return 0;
}
