/*
 * System V semaphores: values, GETPID, a ping-pong between two processes, waits for zero,
 * IPC_NOWAIT, semtimedop's timeout, a wait ended by a signal, SEM_UNDO after a kill -9.
 * Natively the sets are the host's: each is private and removed before the end.
 * Usage: sysv_sem [ROUNDS]   (a ping-pong of ROUNDS, timed on stderr, for the benchmarks)
 */
#include "t.h"
#include <signal.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <time.h>

union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

static int reap(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid)
        die("waitpid");
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int op(int id, int num, int delta, int flg)
{
    struct sembuf b = {.sem_num = (unsigned short)num, .sem_op = (short)delta, .sem_flg = (short)flg};
    return semop(id, &b, 1);
}

static void values(const char *label, int id)
{
    unsigned short v[3];
    if (T(label, semctl(id, 0, GETALL, (union semun){.array = v})) == 0)
        say("%s: %u %u %u", label, v[0], v[1], v[2]);
}

/* Two processes hand a token back and forth `rounds` times. */
static void ping_pong(int id, int rounds)
{
    pid_t c = fork();
    if (c == 0) {
        for (int i = 0; i < rounds; i++)
            if (op(id, 0, -1, 0) || op(id, 1, 1, 0))
                _exit(1);
        _exit(0);
    }
    for (int i = 0; i < rounds; i++)
        if (op(id, 0, 1, 0) || op(id, 1, -1, 0))
            die("ping");
    if (reap(c))
        die("pong");
}

static void on_alarm(int sig)
{
    (void)sig;
}

static int check(void)
{
    int id = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
    T("semget", id >= 0);
    T("semget nsems 0", semget(IPC_PRIVATE, 0, IPC_CREAT | 0600));
    values("new", id);
    T("SETALL", semctl(id, 0, SETALL, (union semun){.array = (unsigned short[]){1, 2, 3}}));
    values("after SETALL", id);
    T("SETVAL", semctl(id, 2, SETVAL, (union semun){.val = 7}));
    T("GETVAL", semctl(id, 2, GETVAL));
    T("SETVAL out of range", semctl(id, 2, SETVAL, (union semun){.val = 40000}));
    T("GETVAL bad num", semctl(id, 3, GETVAL));
    T("GETPID is me", semctl(id, 2, GETPID) == getpid());
    struct semid_ds ds;
    T("IPC_STAT", semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}));
    say("nsems %lu mode %o owner is me %d", (unsigned long)ds.sem_nsems, ds.sem_perm.mode, ds.sem_perm.uid == getuid());

    T("semop -1", op(id, 0, -1, 0));
    T("semop IPC_NOWAIT would block", op(id, 0, -1, IPC_NOWAIT));
    T("semop wait-for-zero now", op(id, 0, 0, 0));
    T("semop bad num", op(id, 5, 1, 0));
    struct sembuf two[2] = {{0, 1, 0}, {1, -5, IPC_NOWAIT}};
    T("semop all or nothing", semop(id, two, 2));
    values("unchanged", id);
    T("semop none", semop(id, two, 0));
    struct timespec short_time = {0, 50 * 1000 * 1000};
    T("semtimedop timeout", semtimedop(id, &(struct sembuf){0, -1, 0}, 1, &short_time));
    struct timespec bad = {0, 2000000000};
    T("semtimedop bad timeout", semtimedop(id, &(struct sembuf){0, -1, 0}, 1, &bad));

    T("SETALL zeros", semctl(id, 0, SETALL, (union semun){.array = (unsigned short[]){0, 0, 1}}));
    ping_pong(id, 200);
    values("after ping-pong", id);

    /* a waiter for zero goes on when the value reaches 0 */
    int p[2];
    if (pipe(p))
        die("pipe");
    pid_t c = fork();
    if (c == 0) {
        int r = op(id, 2, 0, 0);
        _exit(r == 0 ? 0 : 1);
    }
    T("decrement to zero", op(id, 2, -1, 0));
    T("waiter for zero", reap(c));

    /* a blocked semop ended by a handler: EINTR, even with SA_RESTART */
    struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
    sigaction(SIGALRM, &sa, 0);
    alarm(1);
    T("semop interrupted by SIGALRM", op(id, 0, -1, 0));

    /* SEM_UNDO: a process killed with -9 gives back what it took */
    T("SETVAL 5", semctl(id, 0, SETVAL, (union semun){.val = 5}));
    c = fork();
    if (c == 0) {
        if (op(id, 0, -2, SEM_UNDO) || op(id, 1, 3, SEM_UNDO))
            _exit(1);
        if (write(p[1], "x", 1) != 1)
            _exit(2);
        for (;;)
            pause();
    }
    char x;
    if (read(p[0], &x, 1) != 1)
        die("read");
    values("while the child holds", id);
    kill(c, SIGKILL);
    T("child killed", reap(c));
    values("after kill -9", id);
    T("GETPID is the child", semctl(id, 0, GETPID) == c);

    /* glibc's semop is semtimedop without a timeout: the semop syscall itself, raw */
    T("semop, the raw syscall", syscall(SYS_semop, id, &(struct sembuf){1, 1, 0}, 1));
    T("IPC_RMID", semctl(id, 0, IPC_RMID));
    T("semop removed", op(id, 0, 1, 0));
    T("IPC_RMID again", semctl(id, 0, IPC_RMID));
    say("done");
    return 0;
}

int main(int argc, char **argv)
{
    t_init();
    if (argc == 2) {
        int rounds = atoi(argv[1]);
        int id = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        ping_pong(id, rounds);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        semctl(id, 0, IPC_RMID);
        fprintf(stderr, "%.3f us per round trip\n", ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / 1e3 / rounds);
        return 0;
    }
    return check();
}
