/*
 * memfd_create (the fd a memfd, /proc/self/fd naming it memfd:NAME), the old eventfd syscall,
 * PR_SET_PDEATHSIG (a grandchild told of its parent's exit by the signal it asked for), and
 * inotify on a directory of its own in /tmp (events naming the entries), and POSIX named
 * semaphores and shared memory over /dev/shm between two processes.
 */
#include "t.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <semaphore.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

static int report[2];

static void on_parent_death(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    char line[64];
    int n = snprintf(line, sizeof(line), "signal %d, code %d", sig, si->si_code);
    if (write(report[1], line, (size_t)n) != n)
        _exit(3);
    _exit(0);
}

static void pdeathsig(void)
{
    int ready[2];
    if (pipe(report) || pipe(ready))
        die("pipe");
    int sig = -1;
    T("PR_GET_PDEATHSIG", prctl(PR_GET_PDEATHSIG, &sig));
    T("  value", sig);
    T("PR_SET_PDEATHSIG 99", prctl(PR_SET_PDEATHSIG, 99));
    pid_t parent = fork();
    if (parent == 0) {
        pid_t child = fork();
        if (child == 0) {
            struct sigaction sa = {.sa_sigaction = on_parent_death, .sa_flags = SA_SIGINFO};
            sigaction(SIGUSR1, &sa, 0);
            if (prctl(PR_SET_PDEATHSIG, SIGUSR1))
                _exit(4);
            int got = 0;
            prctl(PR_GET_PDEATHSIG, &got);
            if (got != SIGUSR1 || write(ready[1], "r", 1) != 1)
                _exit(5);
            for (;;)
                pause();
        }
        char c;
        if (read(ready[0], &c, 1) != 1)
            _exit(6);
        _exit(0); /* the child gets SIGUSR1 */
    }
    close(report[1]);
    char line[64] = {0};
    T("parent exited", ({
          int st;
          waitpid(parent, &st, 0);
          WEXITSTATUS(st);
      }));
    T("grandchild reported", read(report[0], line, sizeof(line) - 1) > 0);
    say("grandchild got %s", line);
    pid_t c = fork();
    if (c == 0) {
        int v = -1;
        prctl(PR_GET_PDEATHSIG, &v);
        _exit(v);
    }
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    T("a fork's child starts without one", ({
          int st;
          waitpid(c, &st, 0);
          WEXITSTATUS(st);
      }));
    prctl(PR_SET_PDEATHSIG, 0);
}

static void show_events(const char *label, int fd)
{
    char buf[4096] __attribute__((aligned(8)));
    long n = read(fd, buf, sizeof(buf));
    T(label, n > 0);
    for (char *p = buf; n > 0 && p < buf + n;) {
        struct inotify_event *e = (struct inotify_event *)p;
        say("  event mask %#x name \"%s\"", e->mask, e->len ? e->name : "");
        p += sizeof(*e) + e->len;
    }
}

static void inotify(void)
{
    char dir[] = "/tmp/gts-inotify-XXXXXX", file[64];
    if (!mkdtemp(dir))
        die("mkdtemp");
    int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    T("inotify_init1", fd >= 0);
    int wd = inotify_add_watch(fd, dir, IN_CREATE | IN_DELETE | IN_CLOSE_WRITE);
    T("inotify_add_watch dir", wd >= 0);
    T("inotify_add_watch missing", inotify_add_watch(fd, "/tmp/gts-no-such-dir/x", IN_CREATE));
    T("inotify_add_watch bad fd", inotify_add_watch(1000, dir, IN_CREATE));
    T("inotify_add_watch not inotify", inotify_add_watch(1, dir, IN_CREATE));
    snprintf(file, sizeof(file), "%s/created", dir);
    close(open(file, O_CREAT | O_WRONLY, 0600));
    unlink(file);
    show_events("events", fd);
    T("read nothing more", read(fd, file, sizeof(file)));
    T("inotify_rm_watch", inotify_rm_watch(fd, wd));
    show_events("after rm_watch", fd);
    T("inotify_rm_watch again", inotify_rm_watch(fd, wd));
    T("inotify_init", ({ int o = syscall(SYS_inotify_init); close(o); o >= 0; }));
    rmdir(dir);
    close(fd);
}

static void posix_shm(void)
{
    char name[64];
    snprintf(name, sizeof(name), "/gts-test-%d", getpid());
    sem_t *s = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
    int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
    T("sem_open", s != SEM_FAILED);
    T("shm_open", fd >= 0);
    T("ftruncate", ftruncate(fd, 4096));
    char *p = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    pid_t c = fork();
    if (c == 0) {
        sem_t *t = sem_open(name, 0);
        int cfd = shm_open(name, O_RDWR, 0);
        char *q = cfd < 0 ? MAP_FAILED : mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
        if (t == SEM_FAILED || q == MAP_FAILED)
            _exit(1);
        strcpy(q, "written by the other process");
        _exit(sem_post(t) ? 2 : 0);
    }
    T("sem_wait", sem_wait(s));
    say("shared memory says: %s", p);
    T("child", ({ int st; waitpid(c, &st, 0); WEXITSTATUS(st); }));
    T("shm_unlink", shm_unlink(name));
    T("sem_unlink", sem_unlink(name));
    T("shm_open after unlink", shm_open(name, O_RDWR, 0));
}

int main(void)
{
    t_init();
    int fd = memfd_create("gts-test-memfd", MFD_CLOEXEC);
    T("memfd_create", fd >= 0);
    T("write", write(fd, "hello", 5));
    char buf[64] = {0};
    T("pread", pread(fd, buf, sizeof(buf), 0));
    say("read back: %s", buf);
    char link[64], target[128] = {0};
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    T("readlink", readlink(link, target, sizeof(target) - 1) > 0);
    say("fd names: %s", target);
    T("fcntl F_GETFD cloexec", fcntl(fd, F_GETFD));
    T("memfd_create bad flags", memfd_create("x", 0x1000));
    int efd = syscall(SYS_eventfd, 3);
    T("eventfd (old syscall)", efd >= 0);
    unsigned long long v = 0;
    T("eventfd read", read(efd, &v, sizeof(v)));
    T("  value", (long)v);
    pdeathsig();
    inotify();
    posix_shm();
    say("done");
    return 0;
}
