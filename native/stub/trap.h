/* The SIGSYS handler's view of the app: its saved context, its memory, its worker. */
#ifndef GRAMINE_TS_TRAP_H
#define GRAMINE_TS_TRAP_H

#include <asm/sigcontext.h>

#include "abi.h"

struct k_sigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    unsigned long mask;
};

struct k_ucontext {
    unsigned long uc_flags;
    void *uc_link;
    struct {
        void *ss_sp;
        int ss_flags;
        unsigned long ss_size;
    } uc_stack;
    struct sigcontext uc_mcontext;
    unsigned long uc_sigmask;
};

struct k_siginfo_sys {
    int si_signo, si_errno, si_code, pad;
    void *call_addr;
    int syscall;
    unsigned int arch;
};

/* Copy to or from app memory without faulting the stub: -EFAULT for a bad pointer. */
long copy_from_app(void *dst, const void *src, unsigned long n);
long copy_to_app(void *dst, const void *src, unsigned long n);

/* Send the trapped call to the worker; returns the number of fds received with the reply. */
int call_worker(long nr, const long *a, void *ip, struct gts_reply *reply, void *data,
                unsigned long data_cap, int *fds, int max_fds);

/* process.c: the host side of fork and exec, as the worker decided */
long stub_fork(long nr, const long *a, void *ip, struct k_ucontext *uc);
long stub_execve(long nr, const long *a, void *ip, struct k_ucontext *uc);

#endif
