/*
 * Tries to unmap, re-protect, replace and remap the stub's pages (the stub image lives at
 * 0x5f0000000000 under gramine-ts, the blocks of its threads' state at 0x5f0080000000, one of
 * them in use by a thread of this program) and to take the stub's signal. Natively these addresses are
 * unmapped and every call succeeds; under gramine-ts every one must fail and the process must
 * keep working afterwards.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define STUB ((void *)0x5f0000000000UL)
#define THREAD_BLOCK ((void *)0x5f0080000000UL)

static sem_t done;
static void *waits(void *arg)
{
    (void)arg;
    sem_wait(&done);
    return 0;
}

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
    /* a thread runs meanwhile: its block is in use, its channel open */
    pthread_t t;
    sem_init(&done, 0, 0);
    pthread_create(&t, NULL, waits, NULL);
    report("munmap thread block", munmap(THREAD_BLOCK, 4096));
    report("mprotect thread block", mprotect(THREAD_BLOCK, 4096, PROT_NONE));
    m = mmap(THREAD_BLOCK, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    report("mmap fixed over thread block", m == MAP_FAILED ? -1 : 0);
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
    /* the stub's fds (its channel, lifeline, the roots of its path table, its threads'
     * channels) sit just above the app's RLIMIT_NOFILE: none of them may be used through any call */
    struct rlimit lim;
    getrlimit(RLIMIT_NOFILE, &lim);
    int reachable = 0;
    struct stat st;
    for (int fd = (int)lim.rlim_cur; fd < (int)lim.rlim_cur + 16 + 64; fd++) {
        int f = openat(fd, "etc/hostname", O_RDONLY);
        if (f >= 0) {
            reachable++;
            close(f);
        }
        reachable += fstatat(fd, "etc", &st, 0) == 0;
        reachable += fstat(fd, &st) == 0;
        reachable += fchdir(fd) == 0;
        int d = dup(fd);
        if (d >= 0) {
            reachable++;
            close(d);
        }
    }
    printf("reserved fds reachable: %d\n", reachable);
    sem_post(&done);
    pthread_join(t, NULL);
    /* a trapped call still works: the stub is intact */
    printf("getppid after: %d\n", getppid() >= 0);
    return 0;
}
