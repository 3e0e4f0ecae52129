/*
 * The target of the exec tests (mp_exec): prints exactly what it was given -- argv, envp and the
 * open file descriptors above 2 -- so that the exec'd program's view can be compared with what
 * the caller passed. Strings are printed C-escaped between quotes; a long argv is summarized
 * (count, total length, FNV-1a hash of every argument with its NUL, the last argument).
 */
#include "t.h"
#include <fcntl.h>
#include <sys/stat.h>

extern char **environ;

static void put_escaped(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", stdout);
        else if (*p == '\t')
            fputs("\\t", stdout);
        else if (*p < 0x20 || *p >= 0x7f)
            printf("\\x%02x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

static unsigned long long fnv(unsigned long long h, const char *s)
{
    /* the terminating NUL is hashed too: "ab","c" differs from "a","bc" */
    const unsigned char *p = (const unsigned char *)s;
    do {
        h ^= *p;
        h *= 1099511628211ULL;
    } while (*p++);
    return h;
}

static void show_fds(void)
{
    printf("open fds above 2:");
    for (int fd = 3; fd < 256; fd++) {
        int fl = fcntl(fd, F_GETFD);
        if (fl < 0)
            continue;
        struct stat st;
        const char *kind = "other";
        long off = -1;
        if (fstat(fd, &st) == 0) {
            if (S_ISREG(st.st_mode)) {
                kind = "file";
                off = (long)lseek(fd, 0, SEEK_CUR);
            } else if (S_ISFIFO(st.st_mode))
                kind = "pipe";
            else if (S_ISDIR(st.st_mode))
                kind = "dir";
            else if (S_ISCHR(st.st_mode))
                kind = "chr";
        }
        printf(" %d(%s%s", fd, kind, fl & FD_CLOEXEC ? ",cloexec" : "");
        if (off >= 0) {
            /* what is left to read from where the caller left the offset */
            char buf[64];
            ssize_t n = read(fd, buf, sizeof(buf) - 1);
            buf[n > 0 ? n : 0] = 0;
            if (n > 0 && buf[n - 1] == '\n')
                buf[n - 1] = 0;
            printf(",offset %ld,rest \"%s\"", off, buf);
        }
        putchar(')');
    }
    putchar('\n');
}

int main(int argc, char **argv)
{
    t_init();
    printf("argc = %d\n", argc);
    if (argc <= 64) {
        for (int i = 0; i < argc; i++) {
            printf("argv[%d] = ", i);
            put_escaped(argv[i]);
            putchar('\n');
        }
    } else {
        unsigned long long h = 14695981039346656037ULL;
        size_t total = 0;
        for (int i = 0; i < argc; i++) {
            h = fnv(h, argv[i]);
            total += strlen(argv[i]) + 1;
        }
        printf("argv: %zu bytes, fnv1a %016llx, last ", total, h);
        put_escaped(argv[argc - 1]);
        putchar('\n');
    }
    printf("argv[argc] is NULL: %s\n", argv[argc] == NULL ? "yes" : "no");
    int n = 0;
    for (char **e = environ; *e; e++)
        n++;
    printf("envc = %d\n", n);
    if (n <= 64) {
        for (int i = 0; i < n; i++) {
            printf("env[%d] = ", i);
            put_escaped(environ[i]);
            putchar('\n');
        }
    }
    show_fds();
    return 0;
}
