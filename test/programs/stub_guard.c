/*
 * Tries to unmap, re-protect, replace and remap the stub's pages (the stub image lives at
 * 0x5f0000000000 under gramine-ts) and to take the stub's signal. Natively these addresses are
 * unmapped and every call succeeds; under gramine-ts every one must fail and the process must
 * keep working afterwards.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define STUB ((void *)0x5f0000000000UL)

static void report(const char *what, long r)
{
    printf("%s: %s\n", what, r == 0 ? "ok" : strerrorname_np(errno));
}

static void on_signal(int sig) { (void)sig; }

int main(void)
{
    report("munmap stub", munmap(STUB, 4096));
    report("munmap range over stub", munmap((void *)0x5e0000000000UL, 0x20000000000UL));
    report("mprotect stub", mprotect((char *)STUB + 4096, 4096, PROT_READ | PROT_WRITE));
    report("madvise stub", madvise((char *)STUB + 4096, 4096, MADV_DONTNEED));
    void *m = mmap(STUB, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    report("mmap fixed over stub", m == MAP_FAILED ? -1 : 0);
    void *own = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    void *moved = mremap(own, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED, STUB);
    report("mremap onto stub", moved == MAP_FAILED ? -1 : 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    report("sigaction SIGSYS", sigaction(SIGSYS, &sa, NULL));
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGSYS);
    sigprocmask(SIG_BLOCK, &set, NULL);
    sigprocmask(SIG_BLOCK, NULL, &set);
    printf("SIGSYS blocked: %s\n", sigismember(&set, SIGSYS) ? "yes" : "no");
    /* a trapped call still works: the stub is intact */
    printf("getppid after: %d\n", getppid() >= 0);
    return 0;
}
