/*
 * Scheduling per thread: CPU affinity (a thread's own, another's named by its tid, an empty set
 * refused), nice values (PRIO_PROCESS of the calling thread and of another), policies and their
 * parameters, I/O priorities, priority ranges, getcpu after pinning, and membarrier.
 */
#include "t.h"
#include <linux/ioprio.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <sys/resource.h>

static sem_t step, done;
static pid_t worker_tid;

static void *worker(void *arg)
{
    (void)arg;
    worker_tid = gettid();
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    T("thread: sched_setaffinity(0, {cpu 0})", sched_setaffinity(0, sizeof(one), &one));
    cpu_set_t got;
    sched_getaffinity(0, sizeof(got), &got);
    say("thread: its affinity has %d CPU(s), CPU 0 among them: %d", CPU_COUNT(&got), CPU_ISSET(0, &got));
    unsigned cpu = 99;
    syscall(SYS_getcpu, &cpu, NULL, NULL);
    say("thread: getcpu says CPU %u", cpu);
    T("thread: setpriority(PRIO_PROCESS, 0, 10)", setpriority(PRIO_PROCESS, 0, 10));
    T("thread: getpriority(PRIO_PROCESS, 0)", getpriority(PRIO_PROCESS, 0));
    sem_post(&step);
    sem_wait(&done);
    return 0;
}

int main(void)
{
    t_init();
    cpu_set_t all;
    sched_getaffinity(0, sizeof(all), &all);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    say("main: its affinity has every online CPU: %d", CPU_COUNT(&all) == ncpu);
    cpu_set_t none;
    CPU_ZERO(&none);
    CPU_SET(1000, &none);
    T("sched_setaffinity(0, {cpu 1000})", sched_setaffinity(0, sizeof(none), &none));

    sem_init(&step, 0, 0);
    sem_init(&done, 0, 0);
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    sem_wait(&step);
    cpu_set_t got;
    sched_getaffinity(0, sizeof(got), &got);
    say("main: still every online CPU: %d", CPU_COUNT(&got) == ncpu);
    sched_getaffinity(worker_tid, sizeof(got), &got);
    say("main: the thread's affinity (by tid) has %d CPU(s)", CPU_COUNT(&got));
    T("main: sched_setaffinity(thread, every CPU)", sched_setaffinity(worker_tid, sizeof(all), &all));
    sched_getaffinity(worker_tid, sizeof(got), &got);
    say("main: the thread's affinity now has every online CPU: %d", CPU_COUNT(&got) == ncpu);
    T("main: getpriority(PRIO_PROCESS, 0)", getpriority(PRIO_PROCESS, 0));
    T("main: getpriority(PRIO_PROCESS, thread)", getpriority(PRIO_PROCESS, worker_tid));
    T("main: setpriority(PRIO_PROCESS, thread, 3)", setpriority(PRIO_PROCESS, worker_tid, 3));
    T("main: getpriority(PRIO_PROCESS, thread)", getpriority(PRIO_PROCESS, worker_tid));
    T("getpriority(PRIO_PROCESS, no such pid)", getpriority(PRIO_PROCESS, 4000000));
    sem_post(&done);
    pthread_join(t, NULL);

    T("sched_getscheduler(0)", sched_getscheduler(0));
    struct sched_param p = {0};
    T("sched_setscheduler(0, SCHED_BATCH)", sched_setscheduler(0, SCHED_BATCH, &p));
    T("sched_getscheduler(0)", sched_getscheduler(0));
    T("sched_setscheduler(0, SCHED_OTHER)", sched_setscheduler(0, SCHED_OTHER, &p));
    p.sched_priority = 7;
    T("sched_getparam(0)", sched_getparam(0, &p));
    say("sched_param.sched_priority = %d", p.sched_priority);
    p.sched_priority = 0;
    T("sched_setparam(0, 0)", sched_setparam(0, &p));
    T("sched_get_priority_max(SCHED_FIFO)", sched_get_priority_max(SCHED_FIFO));
    T("sched_get_priority_min(SCHED_FIFO)", sched_get_priority_min(SCHED_FIFO));
    struct timespec ts;
    T("sched_rr_get_interval(0)", sched_rr_get_interval(0, &ts));

    long before = syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0);
    show("ioprio_get(IOPRIO_WHO_PROCESS, 0) >= 0", before >= 0 ? 1 : -1);
    T("ioprio_set(best effort, level 4)", syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO_PRIO_VALUE(IOPRIO_CLASS_BE, 4)));
    T("ioprio_get(IOPRIO_WHO_PROCESS, 0)", syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0));
    T("ioprio_get(IOPRIO_WHO_PROCESS, no such pid)", syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 4000000));
    show("membarrier(QUERY) has MEMBARRIER_CMD_GLOBAL", (syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0) & MEMBARRIER_CMD_GLOBAL) ? 1 : 0);
    return 0;
}
