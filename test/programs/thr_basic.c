/*
 * Threads are born, run and end as on Linux: 64 created and joined (each with its own tid, TLS
 * and stack), clone3 and clone, detached threads, the thread-id word glibc keeps (CLONE_PARENT_SETTID
 * and CLONE_CHILD_CLEARTID), gettid against getpid, set_tid_address, a thread ended with pthread_exit,
 * and a thread name set with prctl.
 */
#include "t.h"
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#define N 64

static __thread long tls_value = 7;
static pid_t tids[N];
static long tls_seen[N];

static void *worker(void *arg)
{
    long i = (long)arg;
    tids[i] = gettid();
    tls_value += i;           /* each thread has its own copy */
    tls_seen[i] = tls_value;
    char stack_buf[4096];     /* its own stack */
    memset(stack_buf, (int)i, sizeof(stack_buf));
    return (void *)(i * 3 + stack_buf[100] - (char)i);
}

static void *exits_early(void *arg)
{
    (void)arg;
    pthread_exit((void *)42);
    return 0;
}

static pthread_mutex_t detached_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t detached_done = PTHREAD_COND_INITIALIZER;
static int detached_ran;

static void *detached(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&detached_lock);
    detached_ran = 1;
    pthread_cond_signal(&detached_done);
    pthread_mutex_unlock(&detached_lock);
    return 0;
}

static void *named(void *arg)
{
    (void)arg;
    char name[16] = {0};
    prctl(PR_SET_NAME, "worker-x");
    prctl(PR_GET_NAME, name);
    say("thread name = %s", name);
    return 0;
}

/* a raw clone thread: the child runs on the stack it was given, with the registers of its parent */
static volatile int raw_child_tid_word;
static volatile int raw_ran;
static int raw_thread(void *arg)
{
    raw_ran = (int)(long)arg;
    return 0;
}

int main(void)
{
    t_init();
    pthread_t t[N];
    for (long i = 0; i < N; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)i))
            die("pthread_create");
    long sum = 0;
    for (int i = 0; i < N; i++) {
        void *r;
        if (pthread_join(t[i], &r))
            die("pthread_join");
        sum += (long)r;
    }
    say("joined %d threads, results sum = %ld", N, sum);
    int distinct = 1, differ_from_pid = 1;
    for (int i = 0; i < N; i++) {
        differ_from_pid &= tids[i] != getpid() && tids[i] > 0;
        for (int j = 0; j < i; j++)
            distinct &= tids[i] != tids[j];
    }
    say("tids distinct = %d, none is the pid = %d", distinct, differ_from_pid);
    long tls_ok = 1;
    for (int i = 0; i < N; i++)
        tls_ok &= tls_seen[i] == 7 + i;
    say("thread-local values = %ld, main's still = %ld", tls_ok, tls_value);
    say("main thread: gettid == getpid = %d", gettid() == getpid());
    say("set_tid_address = getpid: %d", syscall(SYS_set_tid_address, NULL) == getpid());

    pthread_t e;
    void *r;
    pthread_create(&e, NULL, exits_early, NULL);
    pthread_join(e, &r);
    say("pthread_exit value = %ld", (long)r);

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_create(&e, &attr, detached, NULL);
    pthread_mutex_lock(&detached_lock);
    while (!detached_ran)
        pthread_cond_wait(&detached_done, &detached_lock);
    pthread_mutex_unlock(&detached_lock);
    say("detached thread ran = %d", detached_ran);

    pthread_create(&e, NULL, named, NULL);
    pthread_join(e, NULL);

    /* clone with the flags of a thread, by hand: the tid word is set and cleared as glibc expects */
    size_t size = 64 * 1024;
    char *stack = malloc(size);
    int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
                CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
    int tid = clone(raw_thread, stack + size, flags, (void *)5, &raw_child_tid_word, NULL, &raw_child_tid_word);
    say("clone thread: tid > 0 = %d, not the pid = %d", tid > 0, tid != getpid());
    while (raw_child_tid_word != 0)
        syscall(SYS_futex, &raw_child_tid_word, 0 /* FUTEX_WAIT */, tid, NULL, NULL, 0);
    say("clone thread ran = %d, its tid word cleared at exit", raw_ran);

    /* what Linux refuses */
    errno = 0;
    T("clone THREAD without SIGHAND", syscall(SYS_clone, CLONE_VM | CLONE_THREAD, stack + size, 0, 0, 0));
    T("clone SIGHAND without VM", syscall(SYS_clone, CLONE_SIGHAND, stack + size, 0, 0, 0));
    free(stack);
    return 0;
}
