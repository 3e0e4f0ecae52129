/*
 * Threads under musl (statically linked): musl's own clone (its child takes its function from
 * a register and its argument from the new stack), TLS, a mutex and condition variable, a signal
 * to a chosen thread, and pthread_exit.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>

static __thread int tls = 100;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static long total;
static volatile pid_t handled_in, target_tid;
static volatile int ready;
static sem_t handled;

static void on_usr1(int sig)
{
    (void)sig;
    handled_in = (pid_t)syscall(SYS_gettid);
    sem_post(&handled);
}

static void *add(void *arg)
{
    long n = (long)arg;
    tls += (int)n;
    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&lock);
        total += n;
        pthread_mutex_unlock(&lock);
    }
    return (void *)(long)tls;
}

static void *target(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    target_tid = (pid_t)syscall(SYS_gettid);
    ready = 1;
    pthread_cond_signal(&cond);
    while (!handled_in)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    pthread_exit((void *)7L);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    pthread_t t[8];
    for (long i = 0; i < 8; i++)
        pthread_create(&t[i], NULL, add, (void *)(i + 1));
    long tls_sum = 0;
    for (int i = 0; i < 8; i++) {
        void *r;
        pthread_join(t[i], &r);
        tls_sum += (long)r;
    }
    printf("total %ld, thread-local values %ld, main's %d\n", total, tls_sum, tls);

    sem_init(&handled, 0, 0);
    signal(SIGUSR1, on_usr1);
    pthread_t s;
    pthread_create(&s, NULL, target, NULL);
    pthread_mutex_lock(&lock);
    while (!ready)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    pthread_kill(s, SIGUSR1);
    sem_wait(&handled);
    pthread_mutex_lock(&lock);
    pthread_cond_signal(&cond);
    pthread_mutex_unlock(&lock);
    void *r;
    pthread_join(s, &r);
    printf("SIGUSR1 handled by the thread it was sent to: %d; pthread_exit value %ld\n", handled_in == target_tid, (long)r);
    return 0;
}
