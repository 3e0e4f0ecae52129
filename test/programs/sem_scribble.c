/*
 * gramine-ts only: an app that writes over its semaphore set's shared memory (in the stub's
 * window, where the stub maps the first set it uses) hurts that set alone. The leader reads
 * the values clamped, takes the lock from a holder that is not a live process of the
 * instance, and lets go of the lock of one that dies holding it.
 */
#include "t.h"
#include <stdint.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>

#define SET_MEMORY 0x5f0040000000UL /* native/stub/sem.c: slot 0 */

struct set_header {
    uint32_t lock, seq, removed, gen, waiters, pad;
    int64_t otime;
};
struct sem {
    int32_t value, pid;
    uint32_t ncnt, zcnt;
};

int main(void)
{
    t_init();
    int id = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
    T("semget", id >= 0);
    T("semop +1", semop(id, &(struct sembuf){0, 1, 0}, 1));
    volatile struct set_header *h = (struct set_header *)SET_MEMORY;
    volatile struct sem *s = (struct sem *)(SET_MEMORY + sizeof(struct set_header));
    T("the stub's value", s[0].value);
    h->lock = 0x7ffffffe; /* no process's */
    s[0].value = -7;
    s[1].value = 0x7fffffff;
    s[0].pid = -1;
    s[1].ncnt = 0xffffffff;
    h->otime = INT64_MIN;
    T("GETVAL negative", semctl(id, 0, GETVAL));
    T("GETVAL huge", semctl(id, 1, GETVAL));
    T("GETPID", semctl(id, 0, GETPID));
    T("GETNCNT", semctl(id, 1, GETNCNT));
    struct semid_ds ds;
    T("IPC_STAT", semctl(id, 0, IPC_STAT, &ds));
    say("otime %lld", (long long)ds.sem_otime);
    T("SETVAL over a stray lock", semctl(id, 0, SETVAL, 4));
    T("GETVAL", semctl(id, 0, GETVAL));
    /* a process that dies holding the lock */
    pid_t c = fork();
    if (c == 0) {
        h->lock = (uint32_t)getpid();
        _exit(0);
    }
    int st;
    T("child", waitpid(c, &st, 0) == c && WIFEXITED(st));
    T("semop after the holder died", semop(id, &(struct sembuf){0, -1, 0}, 1));
    T("SETVAL after the holder died", semctl(id, 1, SETVAL, 9));
    unsigned short v[2];
    T("GETALL", semctl(id, 0, GETALL, v));
    say("values %u %u", v[0], v[1]);
    T("IPC_RMID", semctl(id, 0, IPC_RMID));
    return 0;
}
