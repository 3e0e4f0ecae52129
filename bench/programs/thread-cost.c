/*
 * The cost of threads: `create` times pthread_create + pthread_join of a thread that returns at
 * once; `pingpong` times a round trip between two threads handing a turn back and forth under a
 * mutex and two condition variables (all futexes). Prints one line:
 *   mode=MODE iterations=N ns_per_op=X   (the median over batches of 100)
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "bench.h"

#define BATCH 100

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void *nothing(void *arg) { return arg; }

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ping = PTHREAD_COND_INITIALIZER, pong = PTHREAD_COND_INITIALIZER;
static long turn; /* odd: the partner's turn */

static void *partner(void *arg)
{
    long rounds = (long)arg;
    pthread_mutex_lock(&lock);
    for (long i = 0; i < rounds; i++) {
        while (!(turn & 1))
            pthread_cond_wait(&ping, &lock);
        turn++;
        pthread_cond_signal(&pong);
    }
    pthread_mutex_unlock(&lock);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "create") && strcmp(argv[1], "pingpong"))) {
        fprintf(stderr, "usage: %s create|pingpong ITERATIONS\n", argv[0]);
        return 2;
    }
    long iterations = parse_pos(argv[0], argv[2], "iterations");
    long batches = iterations / BATCH > 0 ? iterations / BATCH : 1;
    double *per = calloc((size_t)batches, sizeof(double));
    pthread_t t;
    if (!strcmp(argv[1], "create")) {
        for (long b = 0; b < batches; b++) {
            double t0 = now_ns();
            for (int i = 0; i < BATCH; i++) {
                if (pthread_create(&t, NULL, nothing, NULL) || pthread_join(t, NULL)) {
                    perror("thread");
                    return 1;
                }
            }
            per[b] = (now_ns() - t0) / BATCH;
        }
    } else {
        if (pthread_create(&t, NULL, partner, (void *)(batches * BATCH)))
            return 1;
        pthread_mutex_lock(&lock);
        for (long b = 0; b < batches; b++) {
            double t0 = now_ns();
            for (int i = 0; i < BATCH; i++) {
                turn++; /* the partner's turn */
                pthread_cond_signal(&ping);
                while (turn & 1)
                    pthread_cond_wait(&pong, &lock);
            }
            per[b] = (now_ns() - t0) / BATCH;
        }
        pthread_mutex_unlock(&lock);
        pthread_join(t, NULL);
    }
    qsort(per, (size_t)batches, sizeof(double), cmp_double);
    printf("mode=%s iterations=%ld ns_per_op=%.0f\n", argv[1], batches * BATCH, per[batches / 2]);
    return 0;
}
