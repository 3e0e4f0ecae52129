/*
 * An open of a FIFO that waits for its other end, and signals (fifo_eintr DIR): a handler
 * without SA_RESTART ends it with EINTR (the process's own timer, or another process's kill);
 * one with SA_RESTART lets it go on, as does a blocked or an ignored signal; the other end's
 * open then ends it as usual; an open given up wakes no other opener of the FIFO. The FIFO is
 * DIR/fifo.
 */
#include "t.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

static char fifo[4096];
static volatile sig_atomic_t handled;

static void on_signal(int sig)
{
    (void)sig;
    handled++;
}

static void handle(int sig, int flags, void (*fn)(int))
{
    struct sigaction sa = {0};
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigaction(sig, &sa, 0);
}

/* Another process: after `ms`, sends `sig` to us (0: none); `then_ms` later opens the FIFO for writing (0: never). */
static pid_t later(int ms, int sig, int then_ms)
{
    pid_t parent = getpid(), child = fork();
    if (child == 0) {
        usleep(ms * 1000);
        if (sig)
            kill(parent, sig);
        if (then_ms) {
            usleep(then_ms * 1000);
            int fd = open(fifo, O_WRONLY);
            if (fd < 0 || write(fd, "w", 1) != 1)
                _exit(1);
            close(fd);
        }
        _exit(0);
    }
    return child;
}

/* The open for reading, then (if it opened) the byte the writer wrote. */
static void open_and_read(const char *label)
{
    errno = 0;
    int fd = open(fifo, O_RDONLY);
    if (fd < 0) {
        say("%s: -1 %s, handlers run: %d", label, ename(errno), (int)handled);
        return;
    }
    char c = 0;
    long n = read(fd, &c, 1);
    say("%s: opened, read %ld '%c', handlers run: %d", label, n, n == 1 ? c : '-', (int)handled);
    close(fd);
}

int main(int argc, char **argv)
{
    t_init();
    if (argc != 2)
        die("usage: fifo_eintr DIR");
    snprintf(fifo, sizeof(fifo), "%s/fifo", argv[1]);
    if (mkfifo(fifo, 0600))
        die("mkfifo");

    /* the process's own timer, a handler without SA_RESTART */
    handle(SIGALRM, 0, on_signal);
    struct itimerval it = {{0, 0}, {0, 100000}};
    setitimer(ITIMER_REAL, &it, 0);
    open_and_read("own timer, no SA_RESTART");

    /* another process's signal, a handler without SA_RESTART */
    handled = 0;
    handle(SIGUSR1, 0, on_signal);
    pid_t c = later(100, SIGUSR1, 0);
    open_and_read("another's signal, no SA_RESTART");
    waitpid(c, 0, 0);

    /* with SA_RESTART the open goes on, to the writer's open */
    handled = 0;
    handle(SIGUSR1, SA_RESTART, on_signal);
    c = later(100, SIGUSR1, 200);
    open_and_read("another's signal, SA_RESTART");
    waitpid(c, 0, 0);

    /* a blocked signal, and an ignored one: the open goes on */
    handled = 0;
    sigset_t usr1, old;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    handle(SIGUSR1, 0, on_signal);
    sigprocmask(SIG_BLOCK, &usr1, &old);
    c = later(100, SIGUSR1, 200);
    open_and_read("a blocked signal");
    waitpid(c, 0, 0);
    sigprocmask(SIG_SETMASK, &old, 0); /* delivered now */
    say("the blocked signal's handler once unblocked: %d", (int)handled);
    handled = 0;
    handle(SIGUSR2, 0, SIG_IGN);
    c = later(100, SIGUSR2, 200);
    open_and_read("an ignored signal");
    waitpid(c, 0, 0);

    /* and an open that ended with EINTR can be made again */
    handle(SIGUSR1, 0, on_signal);
    handled = 0;
    c = later(100, SIGUSR1, 0);
    open_and_read("interrupted again");
    waitpid(c, 0, 0);
    c = later(0, 0, 100);
    open_and_read("made again");
    waitpid(c, 0, 0);

    /* an open given up wakes no other opener: one waiting in another process waits on for the
       writer (it has not opened 300 ms after: a wait, not a check for the time), and reads
       what the writer wrote */
    int ready[2], opened[2];
    if (pipe(ready) || pipe(opened))
        die("pipe");
    pid_t waiter = fork();
    if (waiter == 0) {
        if (write(ready[1], "r", 1) != 1)
            _exit(1);
        int fd = open(fifo, O_RDONLY);
        if (write(opened[1], "o", 1) != 1)
            _exit(1);
        char b = 0;
        long n = fd < 0 ? -1 : read(fd, &b, 1);
        say("the other opener: read %ld '%c'", n, n == 1 ? b : '-');
        _exit(0);
    }
    char r;
    if (read(ready[0], &r, 1) != 1)
        die("read");
    handled = 0;
    handle(SIGALRM, 0, on_signal);
    setitimer(ITIMER_REAL, &it, 0);
    open_and_read("given up beside another opener");
    struct pollfd p = {opened[0], POLLIN, 0};
    say("the other opener still waits for a writer: %s", poll(&p, 1, 300) == 0 ? "yes" : "no");
    int w = open(fifo, O_WRONLY);
    if (w < 0 || write(w, "w", 1) != 1)
        die("the writer");
    close(w);
    waitpid(waiter, 0, 0);
    unlink(fifo);
    return 0;
}
