/*
 * Synchronization between threads, all of it futexes the host runs: a mutex and condition
 * variable stress, a barrier, a rwlock, and the futex operations themselves (wait/wake,
 * requeue, bitsets, timeouts, EAGAIN on a changed word).
 */
#include "t.h"
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <sched.h>
#include <time.h>

#define THREADS 8
#define ROUNDS 20000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn_changed = PTHREAD_COND_INITIALIZER;
static long counter;
static int turn;
static pthread_barrier_t barrier;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static long rw_value;

static void *count(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
    }
    return 0;
}

/* ping-pong: threads take turns in order, each waiting for its turn on one condition variable */
static void *take_turns(void *arg)
{
    int me = (int)(long)arg;
    for (int i = 0; i < 500; i++) {
        pthread_mutex_lock(&lock);
        while (turn % 4 != me)
            pthread_cond_wait(&turn_changed, &lock);
        turn++;
        pthread_cond_broadcast(&turn_changed);
        pthread_mutex_unlock(&lock);
    }
    return 0;
}

static int arrived[THREADS];
static void *at_barrier(void *arg)
{
    int me = (int)(long)arg;
    int serial = 0;
    for (int round = 0; round < 100; round++) {
        __atomic_add_fetch(&arrived[me], 1, __ATOMIC_SEQ_CST);
        if (pthread_barrier_wait(&barrier) == PTHREAD_BARRIER_SERIAL_THREAD)
            serial++;
        /* past the barrier, everyone has arrived this round */
        for (int j = 0; j < THREADS; j++)
            if (__atomic_load_n(&arrived[j], __ATOMIC_SEQ_CST) < round + 1)
                return (void *)-1L;
        pthread_barrier_wait(&barrier);
    }
    return (void *)(long)serial;
}

static void *rw_user(void *arg)
{
    long me = (long)arg;
    for (int i = 0; i < 2000; i++) {
        if (i % 4 == 0) {
            pthread_rwlock_wrlock(&rw);
            rw_value += me;
            pthread_rwlock_unlock(&rw);
        } else {
            pthread_rwlock_rdlock(&rw);
            volatile long v = rw_value;
            (void)v;
            pthread_rwlock_unlock(&rw);
        }
    }
    return 0;
}

static long futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts, uint32_t *uaddr2, uint32_t val3)
{
    return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
}

static uint32_t word = 0, word2 = 0;
static int woken;
static void *futex_waiter(void *arg)
{
    uint32_t bits = (uint32_t)(long)arg;
    long r;
    do
        r = futex(&word, bits ? FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG : FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, NULL, NULL,
                  bits ? bits : 0);
    while (r == -1 && errno == EINTR);
    __atomic_add_fetch(&woken, 1, __ATOMIC_SEQ_CST);
    return 0;
}

/* Wait until `n` threads sleep on futex word `w`: the kernel counts them as it moves them away and back. */
static void wait_for_sleepers(uint32_t *w, int n)
{
    static uint32_t aside;
    for (;;) {
        long here = futex(w, FUTEX_REQUEUE | FUTEX_PRIVATE_FLAG, 0, (void *)(long)INT32_MAX, &aside, 0);
        futex(&aside, FUTEX_REQUEUE | FUTEX_PRIVATE_FLAG, 0, (void *)(long)INT32_MAX, w, 0);
        if (here >= n)
            return;
        sched_yield();
    }
}

int main(void)
{
    t_init();
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, count, NULL);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    say("mutex counter = %ld (expected %d)", counter, THREADS * ROUNDS);

    for (long i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, take_turns, (void *)i);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    say("condvar turns = %d", turn);

    pthread_barrier_init(&barrier, NULL, THREADS);
    for (long i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, at_barrier, (void *)i);
    long serials = 0, bad = 0;
    for (int i = 0; i < THREADS; i++) {
        void *r;
        pthread_join(t[i], &r);
        if ((long)r < 0)
            bad++;
        else
            serials += (long)r;
    }
    say("barrier: serial threads = %ld over 200 waits, early leavers = %ld", serials, bad);

    for (long i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, rw_user, (void *)(i + 1));
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    say("rwlock value = %ld", rw_value);

    /* futex: wake one, then the rest */
    for (long i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, futex_waiter, NULL);
    wait_for_sleepers(&word, 3);
    T("FUTEX_WAKE 1", futex(&word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0));
    T("FUTEX_WAKE all", futex(&word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 10, NULL, NULL, 0));
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    say("woken = %d", woken);

    /* requeue: two waiters moved from word to word2, then woken there */
    woken = 0;
    for (long i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, futex_waiter, NULL);
    wait_for_sleepers(&word, 2);
    T("FUTEX_CMP_REQUEUE (0 woken, 2 moved)", futex(&word, FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG, 0, (void *)10, &word2, 0));
    T("FUTEX_WAKE on the old word", futex(&word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 10, NULL, NULL, 0));
    T("FUTEX_WAKE on the new word", futex(&word2, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 10, NULL, NULL, 0));
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);

    /* bitsets: a wake with bit 2 wakes only the waiter on bit 2 */
    woken = 0;
    pthread_create(&t[0], NULL, futex_waiter, (void *)1L);
    pthread_create(&t[1], NULL, futex_waiter, (void *)2L);
    wait_for_sleepers(&word, 2);
    T("FUTEX_WAKE_BITSET bit 2", futex(&word, FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG, 10, NULL, NULL, 2));
    pthread_join(t[1], NULL);
    say("woken after bit 2 = %d", woken);
    T("FUTEX_WAKE_BITSET bit 1", futex(&word, FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG, 10, NULL, NULL, 1));
    pthread_join(t[0], NULL);

    /* a timeout, and a word that is not the value given */
    struct timespec ts = {0, 20 * 1000 * 1000};
    T("FUTEX_WAIT timeout", futex(&word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, &ts, NULL, 0));
    T("FUTEX_WAIT on a changed word", futex(&word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 1, &ts, NULL, 0));
    struct timespec abs;
    clock_gettime(CLOCK_MONOTONIC, &abs);
    abs.tv_nsec += 20 * 1000 * 1000;
    if (abs.tv_nsec >= 1000000000) {
        abs.tv_sec++;
        abs.tv_nsec -= 1000000000;
    }
    T("FUTEX_WAIT_BITSET absolute timeout", futex(&word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 0, &abs, NULL, FUTEX_BITSET_MATCH_ANY));
    return 0;
}
