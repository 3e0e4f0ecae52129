/*
 * How threads end, and how a process with threads ends: the main thread leaving first while
 * another runs on; exit_group from a thread while another is blocked in a long host call (and
 * the main thread waits to join); a thread waiting for a child (wait4) while its siblings go on
 * asking the worker; and a process-shared mutex in MAP_SHARED memory between a parent and its
 * child. Each case runs in a child process; its exit status is printed.
 */
#include "t.h"
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

static sem_t go;

static void *outlives_main(void *arg)
{
    (void)arg;
    sem_wait(&go);
    printf("the thread runs on after the main thread left\n");
    fflush(stdout);
    exit(7);
}

static void main_leaves_first(void)
{
    pthread_t t;
    sem_init(&go, 0, 0);
    pthread_create(&t, NULL, outlives_main, NULL);
    printf("main thread leaves\n");
    fflush(stdout);
    sem_post(&go);
    pthread_exit(NULL);
}

static int pipe_fds[2];
static void *blocked_reader(void *arg)
{
    (void)arg;
    char c;
    read(pipe_fds[0], &c, 1); /* never returns: nobody writes */
    return 0;
}

static void *ends_the_group(void *arg)
{
    (void)arg;
    exit(9);
}

static void exit_group_from_a_thread(void)
{
    pthread_t r, e;
    if (pipe(pipe_fds))
        die("pipe");
    pthread_create(&r, NULL, blocked_reader, NULL);
    pthread_create(&e, NULL, ends_the_group, NULL);
    pthread_join(r, NULL); /* ended by the exit_group */
    _exit(1);
}

static int release[2];
static void *waits_for_child(void *arg)
{
    pid_t pid = *(pid_t *)arg;
    int status;
    if (waitpid(pid, &status, 0) != pid)
        return (void *)-1L;
    return (void *)(long)WEXITSTATUS(status);
}

static void *asks_the_worker(void *arg)
{
    (void)arg;
    char cwd[4096];
    struct stat st;
    long ok = 0;
    for (int i = 0; i < 200; i++)
        ok += getcwd(cwd, sizeof(cwd)) != NULL && stat("/", &st) == 0 && getppid() > 0;
    write(release[1], "x", 1); /* the child may end now */
    return (void *)ok;
}

static void siblings_run_while_one_waits(void)
{
    if (pipe(release))
        die("pipe");
    pid_t child = fork();
    if (child == 0) {
        char c;
        read(release[0], &c, 1);
        _exit(5);
    }
    pthread_t w, a;
    void *wr, *ar;
    pthread_create(&w, NULL, waits_for_child, &child);
    pthread_create(&a, NULL, asks_the_worker, NULL);
    pthread_join(a, &ar);
    pthread_join(w, &wr);
    printf("a sibling made %ld rounds of calls while the waiter waited; the child exited %ld\n", (long)ar, (long)wr);
    fflush(stdout);
    _exit(0);
}

static void shared_mutex_across_fork(void)
{
    struct shared {
        pthread_mutex_t lock;
        long counter;
    } *s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&s->lock, &attr);
    pid_t pid = fork();
    for (int i = 0; i < 20000; i++) {
        pthread_mutex_lock(&s->lock);
        s->counter++;
        pthread_mutex_unlock(&s->lock);
    }
    if (pid == 0)
        _exit(0);
    waitpid(pid, NULL, 0);
    printf("process-shared mutex: counter %ld\n", s->counter);
    fflush(stdout);
    _exit(0);
}

static void run(const char *name, void (*body)(void))
{
    pid_t pid = fork();
    if (pid == 0)
        body();
    int status;
    waitpid(pid, &status, 0);
    say("%s: exit status %d", name, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

int main(void)
{
    t_init();
    run("main thread leaves first", main_leaves_first);
    run("exit_group from a thread", exit_group_from_a_thread);
    run("siblings run while one waits", siblings_run_while_one_waits);
    run("process-shared mutex", shared_mutex_across_fork);
    return 0;
}
