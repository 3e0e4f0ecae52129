/*
 * System calls that do not exist, and real ones gramine-ts does not support: -1 ENOSYS, and
 * the program carries on. Every line is "label = result".
 */
#include "t.h"

int main(void)
{
    t_init();
    /* numbers no kernel has allocated: ENOSYS natively as well */
    T("syscall(1000)", syscall(1000, 0, 0, 0, 0, 0, 0));
    T("syscall(0x3fffffff)", syscall(0x3fffffff, 1, 2, 3));
    T("syscall(-1)", syscall(-1));
    /* real system calls gramine-ts does not implement (natively they succeed) */
    unsigned char attr[56] = {0};
    T("sched_getattr(0)", syscall(SYS_sched_getattr, 0, attr, sizeof(attr), 0));
    T("personality(query)", syscall(SYS_personality, 0xffffffff));
    T("sched_getattr(0) again", syscall(SYS_sched_getattr, 0, attr, sizeof(attr), 0));
    /* the program keeps working after ENOSYS: a trapped call and a native one */
    T("getppid() >= 0", getppid() >= 0);
    T("write", write(1, "", 0));
    say("done");
    return 0;
}
