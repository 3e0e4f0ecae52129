/*
 * Directories and names: mkdir (and a `mkdir -p`-like nested creation), rmdir, unlink,
 * rename/renameat/renameat2 (RENAME_NOREPLACE, RENAME_EXCHANGE, over directories), getdents64
 * (sorted names with d_type, a large directory through a small buffer, rewinding), chdir/
 * getcwd/fchdir, and `..` walks inside the scratch directory. argv[1]: an empty scratch
 * directory.
 */
#include "fs.h"

#include <sys/wait.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#define RENAME_EXCHANGE (1 << 1)
#endif

static int xopen(const char *path, int flags)
{
    int fd = (int)syscall(SYS_openat, AT_FDCWD, path, flags | O_CLOEXEC, 0644);
    if (fd < 0)
        die(path);
    return fd;
}

/* mkdir -p: each component in turn, EEXIST for the ones that exist (as `mkdir -p` sees them). */
static void mkdir_p(const char *path)
{
    char buf[256], label[300];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == 0) {
            char c = *p;
            *p = 0;
            snprintf(label, sizeof(label), "mkdir -p %s: mkdir(%s)", path, buf);
            T(label, mkdir(buf, 0755));
            *p = c;
            if (c == 0)
                break;
        }
    }
}

static void mkdirs(void)
{
    T("mkdir(a)", mkdir("a", 0755));
    T("mkdir(a) again", mkdir("a", 0755));
    T("mkdir(missing/x)", mkdir("missing/x", 0755));
    put_file("file", "file");
    T("mkdir(file/x)", mkdir("file/x", 0755));
    T("mkdir(file)", mkdir("file", 0755));
    T("mkdir(b/) trailing slash", mkdir("b/", 0755));
    T("mkdir(\"\")", mkdir("", 0755));
    T("mkdir(.)", mkdir(".", 0755));
    T("mkdir(a/..)", mkdir("a/..", 0755));
    T("symlink(nowhere, dangle)", symlink("nowhere", "dangle"));
    T("mkdir(dangle) over a dangling symlink", mkdir("dangle", 0755));
    mkdir_p("p/q/r/s/t");
    mkdir_p("p/q/r/s/t");
    mkdir_p("p/q/x/y");
    do_stat("stat(p)", "p");
    do_stat("stat(p/q)", "p/q");
    do_stat("stat(p/q/r/s/t)", "p/q/r/s/t");
    int dfd = xopen("a", O_RDONLY | O_DIRECTORY);
    T("mkdirat(a, in, 0700)", syscall(SYS_mkdirat, dfd, "in", 0700));
    T("mkdirat(a, ../atop, 0711)", syscall(SYS_mkdirat, dfd, "../atop", 0711));
    do_stat("stat(a/in)", "a/in");
    do_stat("stat(atop)", "atop");
    do_stat("stat(a) nlink counts subdirs", "a");
    int ffd = xopen("file", O_RDONLY);
    T("mkdirat(file fd, x)", syscall(SYS_mkdirat, ffd, "x", 0755));
    close(ffd);
    close(dfd);
}

static void removals(void)
{
    put_file("a/in/f", "x");
    T("rmdir(a/in) not empty", rmdir("a/in"));
    T("rmdir(file)", rmdir("file"));
    T("rmdir(missing)", rmdir("missing"));
    T("rmdir(.)", rmdir("."));
    T("rmdir(a/..)", rmdir("a/.."));
    T("rmdir(a/in/.)", rmdir("a/in/."));
    T("rmdir(p/q/x/y/) trailing slash", rmdir("p/q/x/y/"));
    T("symlink(p/q/x, xlink)", symlink("p/q/x", "xlink"));
    T("rmdir(xlink) a symlink", rmdir("xlink"));
    T("unlink(a/in) a dir", unlink("a/in"));
    T("unlink(a/in/f)", unlink("a/in/f"));
    T("unlink(a/in/f) again", unlink("a/in/f"));
    T("unlink(file/x)", unlink("file/x"));
    T("unlink(xlink) removes the link", unlink("xlink"));
    do_stat("stat(p/q/x) still there", "p/q/x");
    T("rmdir(a/in) now empty", rmdir("a/in"));
    do_stat("stat(a/in)", "a/in");
    int dfd = xopen("p/q", O_RDONLY | O_DIRECTORY);
    T("unlinkat(p/q, x, AT_REMOVEDIR)", syscall(SYS_unlinkat, dfd, "x", AT_REMOVEDIR));
    put_file("p/q/g", "g");
    T("unlinkat(p/q, g, AT_REMOVEDIR) a file", syscall(SYS_unlinkat, dfd, "g", AT_REMOVEDIR));
    T("unlinkat(p/q, r, 0) a dir", syscall(SYS_unlinkat, dfd, "r", 0));
    T("unlinkat(p/q, g, 0)", syscall(SYS_unlinkat, dfd, "g", 0));
    T("unlinkat(p/q, g, bad flag)", syscall(SYS_unlinkat, dfd, "g", 0x1));
    close(dfd);

    /* an open file outlives its name */
    put_file("gone", "still readable");
    int fd = xopen("gone", O_RDWR);
    T("unlink(gone) while open", unlink("gone"));
    do_fstat("fstat(gone fd)", fd);
    show_read("read(gone fd)", fd, 40);
    T("write(gone fd)", write(fd, "+", 1));
    close(fd);
    do_stat("stat(gone)", "gone");

    /* an open directory outlives its name */
    T("mkdir(gd)", mkdir("gd", 0755));
    int gd = xopen("gd", O_RDONLY | O_DIRECTORY);
    T("rmdir(gd) while open", rmdir("gd"));
    do_fstat("fstat(removed dir fd)", gd);
    list_fd("getdents64(removed dir)", gd, 4096, 1);
    T("openat(removed dir, new, O_CREAT)", syscall(SYS_openat, gd, "new", O_WRONLY | O_CREAT, 0644));
    close(gd);
}

static void renames(void)
{
    put_file("r1", "one");
    put_file("r2", "two");
    T("rename(r1, r1b)", rename("r1", "r1b"));
    do_stat("stat(r1)", "r1");
    show_file("content of r1b", "r1b");
    T("rename(r1b, r2) replaces", rename("r1b", "r2"));
    show_file("content of r2", "r2");
    T("rename(r2, r2) itself", rename("r2", "r2"));
    T("rename(missing, x)", rename("missing", "x"));
    T("rename(r2, missing/x)", rename("r2", "missing/x"));
    T("rename(r2, file/x)", rename("r2", "file/x"));
    T("mkdir(rd)", mkdir("rd", 0755));
    T("mkdir(rd/sub)", mkdir("rd/sub", 0755));
    put_file("rd/sub/deep", "deep");
    T("rename(r2, rd) file over dir", rename("r2", "rd"));
    T("rename(rd, r2) dir over file", rename("rd", "r2"));
    T("mkdir(empty)", mkdir("empty", 0755));
    T("mkdir(full)", mkdir("full", 0755));
    put_file("full/x", "x");
    T("rename(rd, full) over a non-empty dir", rename("rd", "full"));
    T("rename(rd, empty) over an empty dir", rename("rd", "empty"));
    show_file("content of empty/sub/deep", "empty/sub/deep");
    do_stat("stat(rd)", "rd");
    T("rename(empty, empty/sub/in) into itself", rename("empty", "empty/sub/in"));
    T("rename(empty/sub, empty) onto its parent", rename("empty/sub", "empty"));
    T("rename(., x)", rename(".", "x"));
    T("rename(empty/sub, .)", rename("empty/sub", "."));
    T("rename(r2/, r3) trailing slash on a file", rename("r2/", "r3"));
    T("rename(full/, fuller/) trailing slashes on a dir", rename("full/", "fuller/"));
    T("symlink(r2, rl)", symlink("r2", "rl"));
    T("rename(rl, rl2) moves the link", rename("rl", "rl2"));
    do_lstat("lstat(rl2)", "rl2");
    show_file("content through rl2", "rl2");
    T("rename(r2, rl2) over the link", rename("r2", "rl2"));
    do_lstat("lstat(rl2)", "rl2");

    /* renameat2 */
    put_file("n1", "n1");
    put_file("n2", "n2");
    T("renameat2(n1, n2, RENAME_NOREPLACE)", syscall(SYS_renameat2, AT_FDCWD, "n1", AT_FDCWD, "n2", RENAME_NOREPLACE));
    T("renameat2(n1, n3, RENAME_NOREPLACE)", syscall(SYS_renameat2, AT_FDCWD, "n1", AT_FDCWD, "n3", RENAME_NOREPLACE));
    show_file("content of n3", "n3");
    T("renameat2(n3, n2, RENAME_EXCHANGE)", syscall(SYS_renameat2, AT_FDCWD, "n3", AT_FDCWD, "n2", RENAME_EXCHANGE));
    show_file("content of n2", "n2");
    show_file("content of n3", "n3");
    T("renameat2(n2, missing, RENAME_EXCHANGE)",
      syscall(SYS_renameat2, AT_FDCWD, "n2", AT_FDCWD, "missing", RENAME_EXCHANGE));
    T("renameat2(n2, fuller, RENAME_EXCHANGE) file and dir",
      syscall(SYS_renameat2, AT_FDCWD, "n2", AT_FDCWD, "fuller", RENAME_EXCHANGE));
    do_lstat("lstat(n2) now the dir", "n2");
    do_lstat("lstat(fuller) now the file", "fuller");
    show_file("content of n2/x", "n2/x");
    T("renameat2(n2, n3, NOREPLACE|EXCHANGE)",
      syscall(SYS_renameat2, AT_FDCWD, "n2", AT_FDCWD, "n3", RENAME_NOREPLACE | RENAME_EXCHANGE));
    T("renameat2(n3, n4, bad flag)", syscall(SYS_renameat2, AT_FDCWD, "n3", AT_FDCWD, "n4", 1 << 10));
    T("renameat2(n2, n2/x/y, RENAME_NOREPLACE) below a file",
      syscall(SYS_renameat2, AT_FDCWD, "n2", AT_FDCWD, "n2/x/y", RENAME_NOREPLACE));
    int a = xopen("a", O_RDONLY | O_DIRECTORY);
    int p = xopen("p", O_RDONLY | O_DIRECTORY);
    T("renameat(AT_FDCWD, n3, a, moved)", syscall(SYS_renameat, AT_FDCWD, "n3", a, "moved"));
    T("renameat(a, moved, p, moved2)", syscall(SYS_renameat, a, "moved", p, "moved2"));
    show_file("content of p/moved2", "p/moved2");
    T("renameat(p, q, a, q) a dir between dirfds", syscall(SYS_renameat, p, "q", a, "q"));
    do_stat("stat(a/q/r/s/t)", "a/q/r/s/t");
    close(a);
    close(p);

    /* an open file keeps reading after its rename */
    int fd = xopen("fuller", O_RDONLY);
    T("rename(fuller, fullest) while open", rename("fuller", "fullest"));
    show_read("read(fd opened before the rename)", fd, 20);
    close(fd);
}

static void dents(void)
{
    T("mkdir(ls)", mkdir("ls", 0755));
    put_file("ls/reg", "");
    T("mkdir(ls/dir)", mkdir("ls/dir", 0755));
    T("symlink(reg, ls/lnk)", symlink("reg", "ls/lnk"));
    T("mkfifo(ls/fifo)", mkfifo("ls/fifo", 0644));
    put_file("ls/.hidden", "");
    put_file("ls/with space", "");
    list_path("getdents64(ls)", "ls");

    T("mkdir(big)", mkdir("big", 0755));
    for (int i = 0; i < 300; i++) {
        char name[64];
        snprintf(name, sizeof(name), "big/entry-%03d-%s", i, i % 2 ? "with-a-longer-name-to-vary-reclen" : "x");
        put_file(name, "");
    }
    int fd = xopen("big", O_RDONLY | O_DIRECTORY);
    list_fd("getdents64(big) 300 files, 512-byte buffer", fd, 512, 0);
    list_fd("getdents64(big) at the end", fd, 512, 0);
    T("lseek(big, 0, SEEK_SET)", lseek(fd, 0, SEEK_SET));
    list_fd("getdents64(big) after rewinding, 8 KiB buffer", fd, 8192, 0);
    char tiny[16];
    T("lseek(big, 0, SEEK_SET)", lseek(fd, 0, SEEK_SET));
    T("getdents64(big, 16-byte buffer)", syscall(SYS_getdents64, fd, tiny, sizeof(tiny)));
    close(fd);
    fd = xopen("file", O_RDONLY);
    T("getdents64(a file)", syscall(SYS_getdents64, fd, tiny, sizeof(tiny)));
    close(fd);
    T("getdents64(closed fd 99)", syscall(SYS_getdents64, 99, tiny, sizeof(tiny)));

    /* entries added and removed between two listings of one open directory */
    fd = xopen("ls", O_RDONLY | O_DIRECTORY);
    list_fd("getdents64(ls) first", fd, 4096, 1);
    put_file("ls/added", "");
    T("unlink(ls/reg)", unlink("ls/reg"));
    T("lseek(ls, 0, SEEK_SET)", lseek(fd, 0, SEEK_SET));
    list_fd("getdents64(ls) after rewinding", fd, 4096, 1);
    close(fd);
}

static void cwd(void)
{
    show_cwd("getcwd at start");
    T("mkdir(w)", mkdir("w", 0755));
    T("mkdir(w/x)", mkdir("w/x", 0755));
    T("mkdir(w/x/y)", mkdir("w/x/y", 0755));
    T("chdir(w/x/y)", chdir("w/x/y"));
    show_cwd("getcwd");
    put_file("here", "here");
    show_file("content of ../../x/y/here", "../../x/y/here");
    T("chdir(..)", chdir(".."));
    show_cwd("getcwd");
    T("chdir(./y/../../x/.)", chdir("./y/../../x/."));
    show_cwd("getcwd");
    T("chdir(missing)", chdir("missing"));
    T("chdir(y/here) a file", chdir("y/here"));
    T("chdir(\"\")", chdir(""));
    show_cwd("getcwd after failures");
    int top = xopen(S, O_RDONLY | O_DIRECTORY);
    int y = xopen("y", O_RDONLY | O_DIRECTORY);
    T("fchdir(top)", fchdir(top));
    show_cwd("getcwd");
    T("fchdir(y)", fchdir(y));
    show_cwd("getcwd");
    int f = xopen("here", O_RDONLY);
    T("fchdir(a file fd)", fchdir(f));
    T("fchdir(closed fd 99)", fchdir(99));
    close(f);
    char small[4];
    T("getcwd(4-byte buffer)", syscall(SYS_getcwd, small, sizeof(small)));
    T("getcwd(0-byte buffer)", syscall(SYS_getcwd, small, 0));
    T("symlink(w/x/y, ylink) in $S", symlinkat("w/x/y", top, "ylink"));
    T("fchdir(top)", fchdir(top));
    T("chdir(ylink)", chdir("ylink"));
    show_cwd("getcwd after chdir through a symlink (physical)");
    T("chdir(..) from there", chdir(".."));
    show_cwd("getcwd");
    T("chdir($S absolute)", chdir(S));
    show_cwd("getcwd");
    close(top);
    close(y);
}

static void dotdot(void)
{
    put_file("w/x/y/leaf", "leaf");
    do_stat("stat(w/x/y/../y/./leaf)", "w/x/y/../y/./leaf");
    do_stat("stat(w/x/../x/y/../../x)", "w/x/../x/y/../../x");
    do_stat("stat(w//x///y)", "w//x///y");
    show_file("content of w/x/y/../../x/y/leaf", "w/x/y/../../x/y/leaf");
    show_file("content of ./w/./x/./y/./leaf", "./w/./x/./y/./leaf");
    do_stat("stat(file/..) through a file", "file/..");
    do_stat("stat(missing/..)", "missing/..");
    do_stat("stat(w/x/y/leaf/..)", "w/x/y/leaf/..");
    int fd = xopen("w/x/y", O_RDONLY | O_DIRECTORY);
    do_fstatat("fstatat(w/x/y, ../../x/y/leaf)", fd, "../../x/y/leaf", 0);
    do_fstatat("fstatat(w/x/y, ..)", fd, "..", 0);
    int up = (int)syscall(SYS_openat, fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    list_fd("getdents64(openat(w/x/y, ..))", up, 4096, 1);
    int up2 = (int)syscall(SYS_openat, up, "../..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    T("fchdir(openat(.., ../..))", fchdir(up2));
    show_cwd("getcwd");
    close(up);
    close(up2);
    close(fd);
    /* `..` of the scratch dir is its parent: only the walk back down is printed */
    char path[4200];
    snprintf(path, sizeof(path), "%s/w/../../%s/w/x", S, strrchr(S, '/') + 1);
    do_stat("stat($S/w/../../<scratch name>/w/x)", path);
}

/* chroot (as root, as natively) in a child: "/" is the scratch dir, ".." stays in it. */
static void chroot_child(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        T("chroot(.)", syscall(SYS_chroot, "."));
        T("chdir(/)", chdir("/"));
        show_cwd("getcwd after chroot");
        show_file("read /../file", "/../file");
        T("access(/a)", access("/a", F_OK));
        T("chroot(missing)", syscall(SYS_chroot, "missing"));
        T("chroot(file)", syscall(SYS_chroot, "file"));
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    T("chroot child exit status", WEXITSTATUS(status));
}

int main(int argc, char **argv)
{
    fs_init(argc, argv);
    mkdirs();
    removals();
    renames();
    dents();
    cwd();
    dotdot();
    chroot_child();
    list_path("entries of $S", ".");
    say("done");
    return 0;
}
