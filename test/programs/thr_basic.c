/*
 * Threads are born, run and end as on Linux: 64 created and joined (each with its own tid, TLS
 * and stack), clone3 and clone, detached threads, the thread-id word glibc keeps (CLONE_PARENT_SETTID
 * and CLONE_CHILD_CLEARTID), gettid against getpid, set_tid_address, a thread ended with pthread_exit,
 * a thread name set with prctl, and /proc/self/task: a directory per thread, with its stat,
 * status and comm (pthread_setname_np and pthread_getname_np of another thread go through it).
 */
#include "t.h"
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <dirent.h>
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

static pthread_barrier_t task_barrier;
static void *waits_at_barrier(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&task_barrier); /* named and looked at by main meanwhile */
    pthread_barrier_wait(&task_barrier);
    return 0;
}

/* /proc/self/task/TID/FILE's first line */
static void first_line(pid_t tid, const char *file, char *out, size_t n)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/task/%d/%s", tid, file);
    FILE *f = fopen(path, "r");
    out[0] = 0;
    if (f) {
        if (!fgets(out, (int)n, f))
            out[0] = 0;
        fclose(f);
    }
}

/* the value of "Key:" in /proc/self/task/TID/status */
static long status_field(pid_t tid, const char *key)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
    FILE *f = fopen(path, "r");
    long v = -1;
    while (f && fgets(line, sizeof(line), f))
        if (!strncmp(line, key, strlen(key)))
            v = strtol(line + strlen(key), NULL, 10);
    if (f)
        fclose(f);
    return v;
}

static void task_dir(void)
{
    enum { K = 3 };
    pthread_t t[K];
    pid_t ktids[K];
    pthread_barrier_init(&task_barrier, NULL, K + 1);
    for (int i = 0; i < K; i++)
        pthread_create(&t[i], NULL, waits_at_barrier, NULL);
    for (int i = 0; i < K; i++) {
        char name[16];
        snprintf(name, sizeof(name), "task-%d", i);
        T("pthread_setname_np(another thread)", pthread_setname_np(t[i], name));
    }
    DIR *d = opendir("/proc/self/task");
    int n = 0, self_seen = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        n++;
        self_seen |= atoi(e->d_name) == getpid();
    }
    if (d)
        closedir(d);
    say("/proc/self/task: %d threads, the main one among them: %d", n, self_seen);
    for (int i = 0; i < K; i++) {
        char name[16] = {0}, comm[32], stat[256];
        pthread_getname_np(t[i], name, sizeof(name));
        /* the tid from the directory whose comm this is */
        ktids[i] = -1;
        d = opendir("/proc/self/task");
        while (d && (e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            first_line(atoi(e->d_name), "comm", comm, sizeof(comm));
            if (!strncmp(comm, name, strlen(name)) && comm[strlen(name)] == '\n')
                ktids[i] = atoi(e->d_name);
        }
        if (d)
            closedir(d);
        first_line(ktids[i], "stat", stat, sizeof(stat));
        int stat_pid = atoi(stat);
        say("thread %d: name %s, its stat's pid is its tid %d, status Pid %d Tgid is the pid %d", i, name,
            stat_pid == ktids[i], status_field(ktids[i], "Pid:") == ktids[i], status_field(ktids[i], "Tgid:") == getpid());
    }
    pthread_barrier_wait(&task_barrier);
    pthread_barrier_wait(&task_barrier);
    for (int i = 0; i < K; i++)
        pthread_join(t[i], NULL);
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
    task_dir();

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
