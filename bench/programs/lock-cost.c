/*
 * The cost of locks and System V semaphores:
 *   flock      an uncontended flock(LOCK_EX) + flock(LOCK_UN)
 *   setlk      an uncontended fcntl(F_SETLK) write lock + unlock of a byte range
 *   contended  flock(LOCK_EX) + flock(LOCK_UN) by two processes at once on one file (per pair)
 *   semping    a round trip between two processes over two System V semaphores
 * on a temporary file in /tmp (removed). Prints one line:
 *   mode=MODE iterations=N ns_per_op=X   (the median over batches of 100)
 */
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define BATCH 100

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int op(int id, int num, int delta)
{
    struct sembuf b = {.sem_num = (unsigned short)num, .sem_op = (short)delta, .sem_flg = 0};
    return semop(id, &b, 1);
}

static int lock_unlock(const char *mode, int fd)
{
    if (!strcmp(mode, "setlk")) {
        struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
        struct flock u = {.l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
        return fcntl(fd, F_SETLK, &l) || fcntl(fd, F_SETLK, &u);
    }
    return flock(fd, LOCK_EX) || flock(fd, LOCK_UN);
}

int main(int argc, char **argv)
{
    const char *modes[] = {"flock", "setlk", "contended", "semping"};
    int known = 0;
    for (unsigned i = 0; argc == 3 && i < sizeof(modes) / sizeof(modes[0]); i++)
        known |= !strcmp(argv[1], modes[i]);
    if (!known) {
        fprintf(stderr, "usage: %s flock|setlk|contended|semping ITERATIONS\n", argv[0]);
        return 2;
    }
    const char *mode = argv[1];
    long iterations = parse_pos(argv[0], argv[2], "iterations");
    long batches = iterations / BATCH > 0 ? iterations / BATCH : 1;
    double *per = calloc((size_t)batches, sizeof(double));
    char path[] = "/tmp/lock-cost-XXXXXX";
    int fd = mkstemp(path);
    int semping = !strcmp(mode, "semping");
    int sem = semping ? semget(IPC_PRIVATE, 2, IPC_CREAT | 0600) : 0; /* 0 is an id too */
    if (fd < 0 || sem < 0) {
        perror("lock-cost: setup");
        return 1;
    }
    pid_t partner = -1;
    if (!strcmp(mode, "contended") || !strcmp(mode, "semping")) {
        partner = fork();
        if (partner == 0) {
            int own = open(path, O_RDWR); /* a description of its own: the locks conflict */
            for (long i = 0; i < batches * BATCH; i++)
                if (semping ? op(sem, 0, -1) || op(sem, 1, 1) : lock_unlock("flock", own))
                    _exit(1);
            _exit(0);
        }
    }
    for (long b = 0; b < batches; b++) {
        double t0 = now_ns();
        for (int i = 0; i < BATCH; i++) {
            if (semping ? op(sem, 0, 1) || op(sem, 1, -1) : lock_unlock(mode, fd)) {
                perror("lock-cost");
                return 1;
            }
        }
        per[b] = (now_ns() - t0) / BATCH;
    }
    int status = 0;
    if (partner > 0)
        waitpid(partner, &status, 0);
    if (semping)
        semctl(sem, 0, IPC_RMID);
    unlink(path);
    if (status) {
        fprintf(stderr, "lock-cost: the partner failed\n");
        return 1;
    }
    qsort(per, (size_t)batches, sizeof(double), cmp_double);
    printf("mode=%s iterations=%ld ns_per_op=%.0f\n", mode, batches * BATCH, per[batches / 2]);
    return 0;
}
