/*
 * Hard and symbolic links: link/linkat (nlink, shared content, AT_SYMLINK_FOLLOW),
 * symlink/symlinkat, readlink/readlinkat (truncation, on a non-link), relative and absolute
 * targets, symlinks in the middle of a path and `..` after them, dangling links (stat ENOENT,
 * lstat fine), loops and the 40-link limit (ELOOP), and the /proc/self links (cwd, fd/N, exe).
 * argv[1]: an empty scratch directory.
 */
#include "fs.h"

static void hard_links(void)
{
    put_file("f", "first");
    T("link(f, g)", link("f", "g"));
    do_stat("stat(f)", "f");
    do_stat("stat(g)", "g");
    int fd = (int)syscall(SYS_openat, AT_FDCWD, "g", O_WRONLY | O_APPEND | O_CLOEXEC);
    T("write(g, +second)", write(fd, "+second", 7));
    close(fd);
    show_file("content of f", "f");
    T("chmod(g, 0600)", chmod("g", 0600));
    do_stat("stat(f) shares the mode", "f");
    T("link(f, g) again", link("f", "g"));
    T("link(missing, h)", link("missing", "h"));
    T("mkdir(d)", mkdir("d", 0755));
    T("link(d, dlink) a directory", link("d", "dlink"));
    T("link(f, missing/h)", link("f", "missing/h"));
    T("link(f, d/h)", link("f", "d/h"));
    do_stat("stat(f) nlink 3", "f");
    T("unlink(f)", unlink("f"));
    do_stat("stat(g) nlink 2", "g");
    show_file("content of d/h", "d/h");
    int dfd = (int)syscall(SYS_openat, AT_FDCWD, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    T("linkat(d, h, AT_FDCWD, f, 0)", syscall(SYS_linkat, dfd, "h", AT_FDCWD, "f", 0));
    do_stat("stat(f)", "f");
    T("symlink(g, sg)", symlink("g", "sg"));
    T("linkat(sg, hs, 0) links the symlink", syscall(SYS_linkat, AT_FDCWD, "sg", AT_FDCWD, "hs", 0));
    do_lstat("lstat(hs)", "hs");
    do_lstat("lstat(sg) nlink 2", "sg");
    T("linkat(sg, hf, AT_SYMLINK_FOLLOW) links the target",
      syscall(SYS_linkat, AT_FDCWD, "sg", AT_FDCWD, "hf", AT_SYMLINK_FOLLOW));
    do_lstat("lstat(hf)", "hf");
    do_stat("stat(g) nlink 4", "g");
    T("linkat(sg, x, bad flag)", syscall(SYS_linkat, AT_FDCWD, "sg", AT_FDCWD, "x", 0x1));
    int ffd = (int)syscall(SYS_openat, AT_FDCWD, "g", O_RDONLY | O_CLOEXEC);
    T("linkat(file fd, \"\", AT_EMPTY_PATH) without it", syscall(SYS_linkat, ffd, "", AT_FDCWD, "x", 0));
    close(ffd);
    close(dfd);
    T("rename(hf, g) two links of one file", rename("hf", "g"));
    do_lstat("lstat(hf) still there", "hf");
}

static void sym_links(void)
{
    T("mkdir(t)", mkdir("t", 0755));
    T("mkdir(t/in)", mkdir("t/in", 0755));
    put_file("t/in/file", "in file");
    put_file("top", "top");
    T("symlink(t/in/file, rel)", symlink("t/in/file", "rel"));
    T("symlink(../../top, t/in/up)", symlink("../../top", "t/in/up"));
    char abs[4200];
    snprintf(abs, sizeof(abs), "%s/t/in/file", S);
    T("symlink($S/t/in/file, abs)", symlink(abs, "abs"));
    T("symlink(t/in, dl) to a dir", symlink("t/in", "dl"));
    T("symlink(nowhere, dangling)", symlink("nowhere", "dangling"));
    T("symlink(x, rel) again", symlink("x", "rel"));
    T("symlink(\"\", empty)", symlink("", "empty"));
    T("symlink(x, missing/l)", symlink("x", "missing/l"));
    T("symlink(x, top/l) below a file", symlink("x", "top/l"));

    show_file("content of rel", "rel");
    show_file("content of t/in/up", "t/in/up");
    show_file("content of abs", "abs");
    show_file("content of dl/file", "dl/file");
    show_file("content of dl/up", "dl/up");
    show_readlink("readlink(rel)", AT_FDCWD, "rel", 100);
    show_readlink("readlink(abs)", AT_FDCWD, "abs", 4000);
    show_readlink("readlink(t/in/up)", AT_FDCWD, "t/in/up", 100);
    show_readlink("readlink(rel, 4-byte buffer) truncates", AT_FDCWD, "rel", 4);
    show_readlink("readlink(dl/) follows: not a link", AT_FDCWD, "dl/", 100);
    show_readlink("readlink(top) not a link", AT_FDCWD, "top", 100);
    show_readlink("readlink(missing)", AT_FDCWD, "missing", 100);
    show_readlink("readlink(dangling)", AT_FDCWD, "dangling", 100);
    show_readlink("readlink(rel, 0-byte buffer)", AT_FDCWD, "rel", 0);
    int tfd = (int)syscall(SYS_openat, AT_FDCWD, "t/in", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    show_readlink("readlinkat(t/in, up)", tfd, "up", 100);
    show_readlink("readlinkat(t/in, \"\") not a link", tfd, "", 100);
    T("symlinkat(file, t/in, again)", syscall(SYS_symlinkat, "file", tfd, "again"));
    show_file("content of t/in/again", "t/in/again");
    close(tfd);

    do_stat("stat(dangling)", "dangling");
    do_lstat("lstat(dangling)", "dangling");
    show_file("content of dangling", "dangling");
    {
        struct stat st;
        errno = 0;
        long r = syscall(SYS_lstat, "abs", &st);
        if (r != 0)
            show("lstat(abs) size is the target's length", r);
        else
            say("lstat(abs) size is the target's length = %s %s", ftype(st.st_mode),
                (size_t)st.st_size == strlen(abs) ? "yes" : "no");
    }
    do_stat("stat(dl)", "dl");
    do_lstat("lstat(dl)", "dl");
    do_lstat("lstat(dl/) follows", "dl/");
    /* `..` after a symlink to a directory is the target's parent */
    do_stat("stat(dl/..) is t", "dl/..");
    list_path("getdents64(dl/..)", "dl/..");
    show_file("content of dl/../../top", "dl/../../top");
    T("symlink(.., t/in/parent)", symlink("..", "t/in/parent"));
    list_path("getdents64(dl/parent/in/parent)", "dl/parent/in/parent");
    T("symlink(., self)", symlink(".", "self"));
    show_file("content of self/self/self/top", "self/self/self/top");

    /* loops and the 40-link limit */
    T("symlink(loop2, loop1)", symlink("loop2", "loop1"));
    T("symlink(loop1, loop2)", symlink("loop1", "loop2"));
    T("symlink(me, me)", symlink("me", "me"));
    do_stat("stat(loop1)", "loop1");
    do_lstat("lstat(loop1)", "loop1");
    do_stat("stat(me)", "me");
    T("open(loop1)", syscall(SYS_openat, AT_FDCWD, "loop1", O_RDONLY));
    T("open(loop1, O_CREAT)", syscall(SYS_openat, AT_FDCWD, "loop1", O_WRONLY | O_CREAT, 0644));
    do_stat("stat(loop1/x)", "loop1/x");
    T("chdir(loop1)", chdir("loop1"));
    T("access(me, F_OK)", access("me", F_OK));
    T("unlink(me) removes the loop", unlink("me"));
    put_file("c0", "end of chain");
    for (int i = 1; i <= 41; i++) {
        char from[16], to[16];
        snprintf(from, sizeof(from), "c%d", i - 1);
        snprintf(to, sizeof(to), "c%d", i);
        if (symlink(from, to) != 0)
            die("symlink chain");
    }
    say("symlink chain c41 -> c40 -> ... -> c1 -> c0 = made");
    show_file("content of c40 (40 links)", "c40");
    show_file("content of c41 (41 links)", "c41");
    do_stat("stat(c40)", "c40");
    do_stat("stat(c41)", "c41");
    do_lstat("lstat(c41)", "c41");

    /* operations on links */
    T("rename(rel, rel2)", rename("rel", "rel2"));
    show_file("content of rel2", "rel2");
    T("unlink(rel2)", unlink("rel2"));
    do_stat("stat(t/in/file) intact", "t/in/file");
    T("chmod(abs, 0600) through the link", chmod("abs", 0600));
    do_stat("stat(t/in/file)", "t/in/file");
    T("unlink(dl/) trailing slash", unlink("dl/"));
    T("rmdir(dl) a link", rmdir("dl"));
    T("mkdir(dl/new) through the link", mkdir("dl/new", 0755));
    do_stat("stat(t/in/new)", "t/in/new");
    T("open(dl/created, O_CREAT) through the link",
      ({
          int fd = (int)syscall(SYS_openat, AT_FDCWD, "dl/created", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
          if (fd >= 0)
              close(fd);
          fd < 0 ? -1 : 0;
      }));
    do_stat("stat(t/in/created)", "t/in/created");
}

static void proc_links(void)
{
    T("chdir(t/in)", chdir("t/in"));
    show_readlink("readlink(/proc/self/cwd)", AT_FDCWD, "/proc/self/cwd", 4000);
    show_file("content of /proc/self/cwd/file", "/proc/self/cwd/file");
    int fd = (int)syscall(SYS_openat, AT_FDCWD, "file", O_RDONLY | O_CLOEXEC);
    char p[64];
    snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
    show_readlink("readlink(/proc/self/fd/N) of t/in/file", AT_FDCWD, p, 4000);
    show_file("content of /proc/self/fd/N", p);
    T("rename(file, renamed) while open", rename("file", "renamed"));
    show_readlink("readlink(/proc/self/fd/N) after the rename", AT_FDCWD, p, 4000);
    T("unlink(renamed) while open", unlink("renamed"));
    show_readlink("readlink(/proc/self/fd/N) after unlink", AT_FDCWD, p, 4000);
    show_file("content of /proc/self/fd/N after unlink", p);
    close(fd);
    int dfd = (int)syscall(SYS_openat, AT_FDCWD, S, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    snprintf(p, sizeof(p), "/proc/self/fd/%d/top", dfd);
    show_file("content of /proc/self/fd/DIRFD/top", p);
    close(dfd);
    char exe[4200];
    errno = 0;
    long r = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (r < 0)
        show("readlink(/proc/self/exe) basename", r);
    else {
        exe[r] = 0;
        say("readlink(/proc/self/exe) basename = %s", strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe);
    }
    do_lstat("lstat(/proc/self/cwd)", "/proc/self/cwd");
    do_stat("stat(/proc/self/cwd)", "/proc/self/cwd");
    T("chdir($S)", chdir(S));
}

int main(int argc, char **argv)
{
    fs_init(argc, argv);
    hard_links();
    sym_links();
    proc_links();
    list_path("entries of $S", ".");
    list_path("entries of $S/t/in", "t/in");
    say("done");
    return 0;
}
