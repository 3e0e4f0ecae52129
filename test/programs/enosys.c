/*
 * System calls that do not exist, and real ones gramine-ts does not support: -1 ENOSYS, and
 * the program carries on. Every line is "label = result".
 */
#include "t.h"
#include <sched.h>
#include <sys/resource.h>

int main(void)
{
    t_init();
    /* numbers no kernel has allocated: ENOSYS natively as well */
    T("syscall(1000)", syscall(1000, 0, 0, 0, 0, 0, 0));
    T("syscall(0x3fffffff)", syscall(0x3fffffff, 1, 2, 3));
    T("syscall(-1)", syscall(-1));
    /* real system calls gramine-ts does not implement (natively they succeed) */
    T("sched_getscheduler(0)", syscall(SYS_sched_getscheduler, 0));
    T("getpriority(PRIO_PROCESS, 0)", syscall(SYS_getpriority, PRIO_PROCESS, 0));
    T("sched_getscheduler(0) again", syscall(SYS_sched_getscheduler, 0));
    /* the program keeps working after ENOSYS: a trapped call and a native one */
    T("getppid() >= 0", getppid() >= 0);
    T("write", write(1, "", 0));
    say("done");
    return 0;
}
