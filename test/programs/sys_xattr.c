/*
 * Reading extended attributes (getxattr, lgetxattr, listxattr, llistxattr, fgetxattr,
 * flistxattr). argv[1] is a scratch directory; "prepare" (run natively by the test) creates the
 * files and sets their attributes, "check" reads them.
 */
#include "t.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

static void show_value(const char *label, long r, const char *buf)
{
    if (r < 0)
        show(label, r);
    else
        say("%s = %ld \"%.*s\"", label, r, (int)r, buf);
}

/* The NUL-separated list, sorted, as "a,b,c" (only user.* names: the rest depend on the host). */
static void show_list(const char *label, long r, const char *buf)
{
    if (r < 0) {
        show(label, r);
        return;
    }
    const char *names[32];
    int n = 0;
    for (const char *p = buf; p < buf + r && n < 32; p += strlen(p) + 1)
        if (strncmp(p, "user.", 5) == 0)
            names[n++] = p;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (strcmp(names[j], names[i]) < 0) {
                const char *t = names[i];
                names[i] = names[j];
                names[j] = t;
            }
    printf("%s = user names:", label);
    for (int i = 0; i < n; i++)
        printf(" %s", names[i]);
    printf("\n");
}

static int prepare(void)
{
    int fd = open("f", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || close(fd) != 0 || symlink("f", "l") != 0 || mkdir("d", 0755) != 0)
        die("prepare files");
    if (setxattr("f", "user.one", "1", 1, 0) != 0 || setxattr("f", "user.two", "second value", 12, 0) != 0 ||
        setxattr("d", "user.dir", "on a directory", 14, 0) != 0 || setxattr("f", "user.empty", "", 0, 0) != 0)
        die("setxattr");
    return 0;
}

static int check(void)
{
    char buf[256];
    char tiny[2];
    T("getxattr(f, user.one, size 0)", syscall(SYS_getxattr, "f", "user.one", NULL, 0));
    show_value("getxattr(f, user.two)", syscall(SYS_getxattr, "f", "user.two", buf, sizeof(buf)), buf);
    show_value("getxattr(f, user.empty)", syscall(SYS_getxattr, "f", "user.empty", buf, sizeof(buf)), buf);
    T("getxattr(f, user.two, buffer too small)", syscall(SYS_getxattr, "f", "user.two", tiny, sizeof(tiny)));
    T("getxattr(f, user.none)", syscall(SYS_getxattr, "f", "user.none", buf, sizeof(buf)));
    T("getxattr(missing, user.one)", syscall(SYS_getxattr, "missing", "user.one", buf, sizeof(buf)));
    T("getxattr(f/x, user.one)", syscall(SYS_getxattr, "f/x", "user.one", buf, sizeof(buf)));
    char longname[300];
    memset(longname, 'x', sizeof(longname));
    memcpy(longname, "user.", 5);
    longname[299] = 0;
    T("getxattr(f, 299-byte name)", syscall(SYS_getxattr, "f", longname, buf, sizeof(buf)));
    T("getxattr(f, \"\")", syscall(SYS_getxattr, "f", "", buf, sizeof(buf)));
    show_value("getxattr(l, user.two) follows the link", syscall(SYS_getxattr, "l", "user.two", buf, sizeof(buf)), buf);
    T("lgetxattr(l, user.two) on the link itself", syscall(SYS_lgetxattr, "l", "user.two", buf, sizeof(buf)));
    show_value("lgetxattr(f, user.one)", syscall(SYS_lgetxattr, "f", "user.one", buf, sizeof(buf)), buf);
    show_value("getxattr(d, user.dir)", syscall(SYS_getxattr, "d", "user.dir", buf, sizeof(buf)), buf);

    long need = syscall(SYS_listxattr, "f", NULL, 0);
    say("listxattr(f, size 0) >= user names: %s", need >= 29 ? "yes" : ename(errno));
    show_list("listxattr(f)", syscall(SYS_listxattr, "f", buf, sizeof(buf)), buf);
    T("listxattr(f, buffer too small)", syscall(SYS_listxattr, "f", tiny, sizeof(tiny)));
    T("listxattr(missing)", syscall(SYS_listxattr, "missing", buf, sizeof(buf)));
    show_list("listxattr(l) follows the link", syscall(SYS_listxattr, "l", buf, sizeof(buf)), buf);
    show_list("llistxattr(l) the link itself", syscall(SYS_llistxattr, "l", buf, sizeof(buf)), buf);
    show_list("llistxattr(f)", syscall(SYS_llistxattr, "f", buf, sizeof(buf)), buf);
    show_list("listxattr(d)", syscall(SYS_listxattr, "d", buf, sizeof(buf)), buf);

    int fd = open("f", O_RDONLY);
    show_value("fgetxattr(f, user.one)", syscall(SYS_fgetxattr, fd, "user.one", buf, sizeof(buf)), buf);
    show_list("flistxattr(f)", syscall(SYS_flistxattr, fd, buf, sizeof(buf)), buf);
    close(fd);
    T("fgetxattr(99)", syscall(SYS_fgetxattr, 99, "user.one", buf, sizeof(buf)));
    return 0;
}

int main(int argc, char **argv)
{
    t_init();
    if (argc < 3 || chdir(argv[1]) != 0)
        die("usage: sys_xattr DIR prepare|check");
    int r = strcmp(argv[2], "prepare") == 0 ? prepare() : check();
    say("done");
    return r;
}
