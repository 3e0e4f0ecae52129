/*
 * A System V semaphore set removed while processes wait on it: each waiter's semop ends with
 * EIDRM (one waiting for a decrement, one for zero with a timeout); a semop after the removal
 * gets EINVAL. The parent removes the set once GETNCNT and GETZCNT count both waiters.
 */
#include "t.h"
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <time.h>

/* A child that waits on semaphore 0 (`op` -1 or 0) and exits with the errno it got (0: none). */
static pid_t waiter(int id, int op, int timed)
{
    pid_t c = fork();
    if (c == 0) {
        struct sembuf b = {0, (short)op, 0};
        struct timespec ten = {10, 0};
        int r = timed ? semtimedop(id, &b, 1, &ten) : semop(id, &b, 1);
        _exit(r == 0 ? 0 : errno);
    }
    return c;
}

static const char *status(pid_t c)
{
    int st;
    if (waitpid(c, &st, 0) != c)
        die("waitpid");
    if (!WIFEXITED(st))
        return "killed";
    return WEXITSTATUS(st) ? ename(WEXITSTATUS(st)) : "done";
}

int main(void)
{
    t_init();
    int id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
    T("semget", id >= 0);
    T("SETVAL 1", semctl(id, 0, SETVAL, 1));
    pid_t dec = waiter(id, -2, 0);
    pid_t zero = waiter(id, 0, 1);
    /* until both are asleep in the set */
    for (int i = 0; i < 10000 && (semctl(id, 0, GETNCNT) != 1 || semctl(id, 0, GETZCNT) != 1); i++)
        nanosleep(&(struct timespec){0, 1000000}, 0);
    T("GETNCNT", semctl(id, 0, GETNCNT));
    T("GETZCNT", semctl(id, 0, GETZCNT));
    T("IPC_RMID", semctl(id, 0, IPC_RMID));
    say("waiting for a decrement: %s", status(dec));
    say("waiting for zero: %s", status(zero));
    T("semop after", semop(id, &(struct sembuf){0, 1, 0}, 1));
    return 0;
}
