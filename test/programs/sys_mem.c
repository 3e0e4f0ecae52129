/*
 * Memory calls (mmap, munmap, mprotect, mremap, madvise, mbind and the memory policies,
 * pkey_mprotect, brk, msync, mincore, mlock*) on the app's own memory, and a fault caught by a handler. argv[1] is a scratch
 * directory.
 */
#include "t.h"
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

static long page;
static sigjmp_buf jump;
static volatile void *fault_addr;
static volatile int fault_code;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    fault_addr = si->si_addr;
    fault_code = si->si_code;
    siglongjmp(jump, 1);
}

/* Reads one byte; "ok B", or the signal it raised. */
static void probe_read(const char *label, volatile char *p)
{
    if (sigsetjmp(jump, 1) == 0) {
        char c = *p;
        say("%s = readable 0x%02x", label, (unsigned char)c);
    } else {
        say("%s = SIGSEGV %s at the address: %s", label, fault_code == SEGV_ACCERR ? "SEGV_ACCERR" : "SEGV_MAPERR",
            fault_addr == p ? "yes" : "no");
    }
}

static void probe_write(const char *label, volatile char *p)
{
    if (sigsetjmp(jump, 1) == 0) {
        *p = 'w';
        say("%s = writable", label);
    } else {
        say("%s = SIGSEGV %s at the address: %s", label, fault_code == SEGV_ACCERR ? "SEGV_ACCERR" : "SEGV_MAPERR",
            fault_addr == p ? "yes" : "no");
    }
}

static void *mm(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

static void show_map(const char *label, void *p)
{
    if (p == MAP_FAILED)
        show(label, -1);
    else
        say("%s = mapped", label);
}

int main(int argc, char **argv)
{
    t_init();
    if (argc < 2 || chdir(argv[1]) != 0)
        die("chdir scratch");
    page = sysconf(_SC_PAGESIZE);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);

    /* anonymous memory */
    errno = 0;
    char *a = mm(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    show_map("mmap(4 pages, anonymous)", a);
    say("page aligned: %s", ((unsigned long)a & (page - 1)) == 0 ? "yes" : "no");
    probe_read("fresh anonymous page", a);
    for (long i = 0; i < 4 * page; i++)
        a[i] = (char)(i / page + 'A');
    T("mprotect(page 1, PROT_READ)", syscall(SYS_mprotect, a + page, page, PROT_READ));
    probe_read("read page 1", a + page);
    probe_write("write page 1", a + page);
    T("mprotect(page 2, PROT_NONE)", syscall(SYS_mprotect, a + 2 * page, page, PROT_NONE));
    probe_read("read page 2", a + 2 * page);
    T("pkey_mprotect(page 2, PROT_READ|PROT_WRITE, -1)",
      syscall(SYS_pkey_mprotect, a + 2 * page, page, PROT_READ | PROT_WRITE, -1));
    probe_write("write page 2", a + 2 * page);
    T("mprotect(unaligned)", syscall(SYS_mprotect, a + 1, page, PROT_READ));
    T("mprotect(bad prot)", syscall(SYS_mprotect, a, page, 0x100));
    T("madvise(page 3, MADV_DONTNEED)", syscall(SYS_madvise, a + 3 * page, page, MADV_DONTNEED));
    probe_read("page 3 after MADV_DONTNEED", a + 3 * page);
    T("madvise(bad advice)", syscall(SYS_madvise, a, page, 9999));
    T("madvise(MADV_WILLNEED)", syscall(SYS_madvise, a, page, MADV_WILLNEED));
    /* memory policies: one node here, as on most hosts */
    int mode = -1;
    unsigned long nodes[16] = {0}, node0 = 1;
    T("get_mempolicy", syscall(SYS_get_mempolicy, &mode, nodes, 1024, 0, 0));
    say("policy %d nodes %lx", mode, nodes[0]);
    T("mbind(page 0, MPOL_PREFERRED node 0)", syscall(SYS_mbind, a, page, 1 /* MPOL_PREFERRED */, &node0, 64, 0));
    T("get_mempolicy(page 0, MPOL_F_ADDR)", syscall(SYS_get_mempolicy, &mode, 0, 0, a, 2 /* MPOL_F_ADDR */));
    say("policy of page 0 %d", mode);
    T("mbind(page 0, MPOL_DEFAULT)", syscall(SYS_mbind, a, page, 0, 0, 0, 0));
    T("mbind(bad mode)", syscall(SYS_mbind, a, page, 99, 0, 0, 0));
    /* not mapped natively; the stub's window under gramine-ts, which is not the app's memory */
    T("mbind(not the app's memory)", syscall(SYS_mbind, 0x5f0000000000UL, page, 0, 0, 0, 0));
    T("set_mempolicy(MPOL_PREFERRED node 0)", syscall(SYS_set_mempolicy, 1, &node0, 64));
    T("set_mempolicy(MPOL_DEFAULT)", syscall(SYS_set_mempolicy, 0, 0, 0));
    unsigned char vec[8] = {0};
    T("mincore(4 pages)", syscall(SYS_mincore, a, 4 * page, vec));
    say("page 0 resident: %d", vec[0] & 1);
    T("mlock(page 0)", syscall(SYS_mlock, a, page));
    T("munlock(page 0)", syscall(SYS_munlock, a, page));
    T("mlock2(page 0, MLOCK_ONFAULT)", syscall(SYS_mlock2, a, page, MLOCK_ONFAULT));
    T("mlock2(bad flags)", syscall(SYS_mlock2, a, page, 0x80));
    T("munlockall", syscall(SYS_munlockall));
    T("mlockall(bad flags)", syscall(SYS_mlockall, 0));
    T("msync(anonymous, MS_ASYNC)", syscall(SYS_msync, a, page, MS_ASYNC));
    T("msync(bad flags)", syscall(SYS_msync, a, page, MS_SYNC | MS_ASYNC));

    /* mremap: grow (moving if needed), contents kept; shrink; fixed */
    T("mprotect(all, PROT_READ|PROT_WRITE)", syscall(SYS_mprotect, a, 4 * page, PROT_READ | PROT_WRITE));
    errno = 0;
    char *b = (char *)syscall(SYS_mremap, a, 4 * page, 16 * page, MREMAP_MAYMOVE);
    show_map("mremap(grow to 16 pages, MAYMOVE)", b);
    say("contents kept: %c%c%c, new tail zero: %d", b[0], b[page], b[2 * page], b[15 * page]);
    errno = 0;
    char *c = (char *)syscall(SYS_mremap, b, 16 * page, 2 * page, 0);
    say("mremap(shrink to 2 pages) = %s", c == b ? "same address" : c == MAP_FAILED ? ename(errno) : "moved");
    probe_read("page 2 after the shrink", b + 2 * page);
    T("mremap(grow without MAYMOVE over a neighbour, or in place)",
      ({
          /* put a mapping right after, so growing in place is impossible */
          void *after = mm(b + 2 * page, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
          long r = syscall(SYS_mremap, b, 2 * page, 4 * page, 0);
          int e = errno;
          if (after != MAP_FAILED)
              munmap(after, page);
          errno = e;
          r;
      }));
    T("mremap(bad flags)", syscall(SYS_mremap, b, 2 * page, 4 * page, 0x80));
    errno = 0;
    char *target = mm(NULL, 2 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *d = (char *)syscall(SYS_mremap, b, 2 * page, 2 * page, MREMAP_MAYMOVE | MREMAP_FIXED, target);
    say("mremap(MAYMOVE|FIXED) = %s, contents %c%c", d == target ? "at the target" : "elsewhere", d[0], d[page]);
    probe_read("old address after the move", b);

    /* MAP_FIXED over own memory, MAP_FIXED_NOREPLACE */
    errno = 0;
    char *f = mm(d + page, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    say("mmap(MAP_FIXED over own page) = %s, replaced page zero: %s", f == d + page ? "at the address" : ename(errno),
        f == d + page && f[0] == 0 ? "yes" : "no");
    errno = 0;
    void *nr = mm(d, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    show_map("mmap(MAP_FIXED_NOREPLACE over a mapping)", nr);
    T("munmap(2 pages)", syscall(SYS_munmap, d, 2 * page));
    probe_read("unmapped page", d);
    T("munmap(already unmapped)", syscall(SYS_munmap, d, 2 * page));
    T("munmap(unaligned)", syscall(SYS_munmap, (char *)a + 1, page));
    T("munmap(length 0)", syscall(SYS_munmap, d, 0));
    errno = 0;
    show_map("mmap(length 0)", mm(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    errno = 0;
    show_map("mmap(neither shared nor private)", mm(NULL, page, PROT_READ, MAP_ANONYMOUS, -1, 0));
    errno = 0;
    show_map("mmap(fd 99)", mm(NULL, page, PROT_READ, MAP_PRIVATE, 99, 0));
    errno = 0;
    show_map("mmap(unaligned offset)", mm(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 1));

    /* file mappings */
    int fd = (int)syscall(SYS_openat, AT_FDCWD, "mapped", O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || ftruncate(fd, 2 * page) != 0 || pwrite(fd, "file contents", 13, 0) != 13)
        die("mapped file");
    errno = 0;
    char *m = mm(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    show_map("mmap(file, MAP_SHARED)", m);
    say("mapped contents = %.13s", m);
    memcpy(m + page, "through the map", 15);
    T("msync(MS_SYNC)", syscall(SYS_msync, m, 2 * page, MS_SYNC));
    char buf[16] = {0};
    T("pread after msync", pread(fd, buf, 15, page));
    say("file contents = %s", buf);
    errno = 0;
    char *p = mm(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, page);
    show_map("mmap(file, MAP_PRIVATE, offset 1 page)", p);
    p[0] = 'X';
    say("private copy = %.15s, file unchanged: %s", p, m[page] == 't' ? "yes" : "no");
    probe_read("beyond the end of the file", m + 2 * page - 1);
    int ro = (int)syscall(SYS_openat, AT_FDCWD, "mapped", O_RDONLY);
    errno = 0;
    show_map("mmap(read-only fd, PROT_WRITE, MAP_SHARED)", mm(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0));
    errno = 0;
    show_map("mmap(read-only fd, PROT_WRITE, MAP_PRIVATE)", mm(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0));
    int dirfd = (int)syscall(SYS_openat, AT_FDCWD, ".", O_RDONLY | O_DIRECTORY);
    errno = 0;
    show_map("mmap(directory)", mm(NULL, page, PROT_READ, MAP_PRIVATE, dirfd, 0));
    close(fd);
    close(ro);
    close(dirfd);
    say("mapping outlives its fd: %.13s", m);
    T("munmap(file mapping)", syscall(SYS_munmap, m, 2 * page));

    /* brk */
    long cur = syscall(SYS_brk, 0);
    long grown = syscall(SYS_brk, cur + 16 * page);
    say("brk(+16 pages) grew by %ld pages", (grown - cur) / page);
    memset((char *)cur, 'h', 16 * page);
    long shrunk = syscall(SYS_brk, cur + page);
    say("brk(shrink) = start + %ld pages", (shrunk - cur) / page);
    say("brk(below the start) unchanged: %s", syscall(SYS_brk, 4096) == shrunk ? "yes" : "no");
    probe_read("heap after shrink", (char *)cur + 8 * page);
    char *mall = malloc(1 << 20);
    memset(mall, 1, 1 << 20);
    free(mall);
    say("malloc(1 MiB) works");
    say("done");
    return 0;
}
