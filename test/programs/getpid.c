/* Process identity as the program sees it: pid, parent pid, tid, process group and session. */
#include "t.h"

int main(void)
{
    t_init();
    say("getpid %d", (int)getpid());
    say("getppid %d", (int)getppid());
    say("gettid %ld", syscall(SYS_gettid));
    say("getpgrp %d", (int)getpgrp());
    say("getsid %d", (int)getsid(0));
    return 0;
}
