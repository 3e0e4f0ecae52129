/*
 * Signals and threads as Linux has them: pthread_kill to a chosen thread, a process-directed
 * signal taken by the one thread that does not block it, sigwaitinfo in one thread while the
 * others run, a storm of queued signals into 16 threads (from this process and from another,
 * with tgkill), and SIGFPE/SIGSEGV to the thread that faults.
 */
#include "t.h"
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/wait.h>

#define THREADS 16
#define STORM 40

static pid_t tids[THREADS];
static int counts[THREADS];
static __thread int my_index = -1;
static volatile pid_t handled_by;
static sem_t handled, ready;
static volatile int stop;
/* set by the thread's own SIGUSR1 handler once `stop` is: a thread leaves only after its last
 * signal ran (had it left on `stop` alone, after a handler for an earlier signal, the one sent
 * to stop it would be lost with it, and its sem_post with it) */
static __thread volatile int stopped;

static void on_usr(int sig)
{
    (void)sig;
    stopped = stop;
    handled_by = gettid();
    sem_post(&handled);
}

static void on_rt(int sig)
{
    (void)sig;
    if (my_index >= 0)
        __atomic_add_fetch(&counts[my_index], 1, __ATOMIC_SEQ_CST);
    sem_post(&handled);
}

static void *idle(void *arg)
{
    my_index = (int)(long)arg;
    tids[my_index] = gettid();
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    /* thread 3 alone takes SIGUSR2 */
    pthread_sigmask(my_index == 3 ? SIG_UNBLOCK : SIG_BLOCK, &s, NULL);
    sem_post(&ready);
    while (!stopped)
        pause();
    return 0;
}

static void *waiter(void *arg)
{
    (void)arg;
    sigset_t s;
    siginfo_t info;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sem_post(&ready);
    int sig = sigwaitinfo(&s, &info);
    return (void *)(long)(sig == SIGUSR1 && info.si_pid == getpid() && info.si_code == SI_USER);
}

static void *spinner(void *arg)
{
    volatile long *n = arg;
    while (!stop)
        (*n)++;
    return 0;
}

static __thread sigjmp_buf fault_jump;
static volatile pid_t faulted_in;
static void on_fault(int sig, siginfo_t *info, void *ctx)
{
    (void)info;
    (void)ctx;
    faulted_in = gettid() * 100 + sig;
    siglongjmp(fault_jump, 1);
}

static void *faulter(void *arg)
{
    long kind = (long)arg;
    if (sigsetjmp(fault_jump, 1) == 0) {
        if (kind == SIGFPE) {
            int zero = 0, x = 7;
            __asm__ volatile("cltd\n\tidivl %1" : "+a"(x) : "r"(zero) : "rdx"); /* a division the compiler cannot rewrite */
        } else {
            *(volatile int *)8 = 1;
        }
    }
    return (void *)(long)(faulted_in == gettid() * 100 + kind);
}

int main(void)
{
    t_init();
    sem_init(&handled, 0, 0);
    sem_init(&ready, 0, 0);
    signal(SIGUSR1, on_usr);
    signal(SIGUSR2, on_usr);
    signal(SIGRTMIN, on_rt);
    signal(SIGRTMIN + 1, on_rt);
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &usr2, NULL);

    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, idle, (void *)i);
    for (int i = 0; i < THREADS; i++)
        sem_wait(&ready);

    /* a chosen thread */
    pthread_kill(t[5], SIGUSR1);
    sem_wait(&handled);
    say("pthread_kill(thread 5): handled by thread 5 = %d", handled_by == tids[5]);
    /* the process: only thread 3 does not block it */
    kill(getpid(), SIGUSR2);
    sem_wait(&handled);
    say("kill(getpid(), SIGUSR2): handled by thread 3 = %d", handled_by == tids[3]);

    /* a storm of queued signals, each thread its own share */
    for (int round = 0; round < STORM; round++)
        for (int i = 0; i < THREADS; i++)
            pthread_kill(t[i], SIGRTMIN);
    for (int n = 0; n < STORM * THREADS; n++)
        sem_wait(&handled);
    int even = 1;
    for (int i = 0; i < THREADS; i++)
        even &= __atomic_load_n(&counts[i], __ATOMIC_SEQ_CST) == STORM;
    say("storm: %d signals, each thread got its %d = %d", STORM * THREADS, STORM, even);

    /* from another process, to chosen threads (tgkill with the parent's pid and their tids) */
    pid_t parent = getpid();
    pid_t child = fork();
    if (child == 0) {
        for (int i = 0; i < THREADS; i += 3)
            if (syscall(SYS_tgkill, parent, tids[i], SIGRTMIN + 1))
                _exit(1);
        errno = 0;
        long r = syscall(SYS_tgkill, parent, parent + 100000, SIGRTMIN + 1);
        _exit(r == -1 && errno == ESRCH ? 0 : 2);
    }
    int status;
    waitpid(child, &status, 0);
    say("tgkill from another process: status %d", WEXITSTATUS(status));
    for (int i = 0; i < THREADS; i += 3)
        sem_wait(&handled);
    int chosen = 1;
    for (int i = 0; i < THREADS; i++)
        chosen &= __atomic_load_n(&counts[i], __ATOMIC_SEQ_CST) == STORM + (i % 3 == 0);
    say("tgkill from another process: the chosen threads got one each = %d", chosen);

    stop = 1;
    for (int i = 0; i < THREADS; i++)
        pthread_kill(t[i], SIGUSR1);
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        sem_wait(&handled);
    }

    /* sigwaitinfo in one thread while others run: every thread blocks SIGUSR1 */
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, NULL);
    stop = 0;
    long spins[2] = {0, 0};
    pthread_t w, s1, s2;
    pthread_create(&s1, NULL, spinner, &spins[0]);
    pthread_create(&s2, NULL, spinner, &spins[1]);
    pthread_create(&w, NULL, waiter, NULL);
    sem_wait(&ready);
    kill(getpid(), SIGUSR1);
    void *r;
    pthread_join(w, &r);
    stop = 1;
    pthread_join(s1, NULL);
    pthread_join(s2, NULL);
    say("sigwaitinfo in a thread got the process's SIGUSR1 from this pid = %ld", (long)r);

    /* a fault is the faulting thread's */
    struct sigaction sa = {0};
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGFPE, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    pthread_create(&w, NULL, faulter, (void *)(long)SIGFPE);
    pthread_join(w, &r);
    say("SIGFPE handled in the faulting thread = %ld", (long)r);
    pthread_create(&w, NULL, faulter, (void *)(long)SIGSEGV);
    pthread_join(w, &r);
    say("SIGSEGV handled in the faulting thread = %ld", (long)r);
    return 0;
}
