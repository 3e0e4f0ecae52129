/*
 * Siginfos the host writes that the app must see with virtual values:
 *   SIGCHLD from the host names the child by its host pid (the app is its children's host
 *   parent) and by the instance's host uid: si_pid becomes the vpid, si_uid its real uid;
 *   SIGCONT from another process is sent to the host process by the worker (a stopped process
 *   cannot ring its doorbell) with the sender's virtual pid and uid; the host refuses a kernel
 *   si_code (SI_USER, SI_TKILL) from another process, so those come as SI_QUEUE with a marker
 *   value (GTS_SIGCONT_MARK), turned back here;
 *   SIGPIPE and SIGXFSZ the host raises as sent by the process itself (SI_USER), with its host
 *   pid and uid: they become its vpid and real uid.
 * An app handler of any of them that takes a siginfo is called through a trampoline that fixes
 * the siginfo first; rt_sigtimedwait and a signalfd slot's read fix what they return the same way.
 */
#include <asm-generic/errno.h>

#include "abi.h"
#include "raw.h"
#include "stub.h"
#include "trap.h"
#include "util.h"

#define K_SA_SIGINFO 4
#define K_SIGPIPE 13
#define K_SIGXFSZ 25
#define K_SI_USER 0
#define K_SI_QUEUE (-1)
#define K_SI_TKILL (-6)

struct k_siginfo_value {
    int si_signo, si_errno, si_code, pad;
    int si_pid;
    unsigned int si_uid;
    unsigned long si_value;
};

/* The fields a siginfo and a signalfd record share, put right in place. */
static void to_virtual(int signo, int *code, int *pid, unsigned int *uid, unsigned long *value)
{
    if (signo == K_SIGCHLD && *code >= K_CLD_EXITED && *code <= K_CLD_CONTINUED && *pid > 0) {
        long vpid = translate_pid(GTS_LOOKUP_VPID_OF_HOST, *pid);
        if (vpid <= 0)
            return;
        *pid = (int)vpid;
        long child = child_uid((int)vpid); /* the host names the instance's host uid */
        if (child >= 0)
            *uid = (unsigned int)child;
    } else if ((signo == K_SIGPIPE || signo == K_SIGXFSZ) && *code == K_SI_USER && *pid == host_pid()) {
        *pid = g_stub.vpid;
        const long none[6] = {0};
        struct gts_reply reply;
        call_worker(__NR_getuid, none, 0, &reply, 0, 0, 0, 0); /* the process's own real uid */
        if (reply.ret >= 0)
            *uid = (unsigned int)reply.ret;
    } else if (signo == K_SIGCONT && *code == K_SI_QUEUE && (*value == GTS_SIGCONT_MARK || *value == GTS_SIGCONT_MARK + 1)) {
        *code = *value == GTS_SIGCONT_MARK ? K_SI_USER : K_SI_TKILL;
        *value = 0;
    }
}

void siginfo_to_virtual(void *info)
{
    struct k_siginfo_value *si = info;
    to_virtual(si->si_signo, &si->si_code, &si->si_pid, &si->si_uid, &si->si_value);
}

/* struct signalfd_siginfo, as far as it matters here */
struct k_signalfd_record {
    unsigned int ssi_signo;
    int ssi_errno, ssi_code;
    int ssi_pid; /* u32 in the kernel's header; a pid fits */
    unsigned int ssi_uid;
    int ssi_fd;
    unsigned int ssi_tid, ssi_band, ssi_overrun, ssi_trapno;
    int ssi_status, ssi_int;
    unsigned long ssi_ptr;
};

void signalfd_record_to_virtual(void *record)
{
    struct k_signalfd_record *r = record;
    unsigned long value = r->ssi_ptr;
    to_virtual((int)r->ssi_signo, &r->ssi_code, &r->ssi_pid, &r->ssi_uid, &value);
    if (value != r->ssi_ptr)
        r->ssi_ptr = value, r->ssi_int = (int)value;
}

/* the app's own actions, when wrapped */
static struct k_sigaction app_actions[65];

static struct k_sigaction *app_action(int sig) { return &app_actions[sig]; }

/*
 * Runs as the app's handler, with the app's mask, which never blocks the doorbell: everything is
 * blocked while the siginfo is fixed, since that may ask the worker, and a doorbell handler that
 * asked too would take this call's reply off the channel (dropped as not its own) and this call
 * would wait for it forever.
 */
static void trampoline(int sig, void *info, void *uc)
{
    unsigned long all = ~0UL, mask;
    raw4(__NR_rt_sigprocmask, 0 /* SIG_BLOCK */, &all, &mask, 8);
    siginfo_to_virtual(info);
    raw4(__NR_rt_sigprocmask, 2 /* SIG_SETMASK */, &mask, 0, 8);
    ((void (*)(int, void *, void *))app_action(sig)->handler)(sig, info, uc);
}

int has_virtual_siginfo(long sig) { return sig == K_SIGCHLD || sig == K_SIGCONT || sig == K_SIGPIPE || sig == K_SIGXFSZ; }

long wrapped_sigaction(int sig, const struct k_sigaction *act, struct k_sigaction *old)
{
    struct k_sigaction cur;
    stub_lock(&g_stub.lock); /* threads change dispositions one at a time, as on Linux */
    long r = raw4(__NR_rt_sigaction, sig, 0, &cur, 8);
    if (!r && cur.handler == (void *)trampoline)
        cur.handler = app_action(sig)->handler;
    if (!r && act) {
        struct k_sigaction kernel_act = *act;
        int wrap = (act->flags & K_SA_SIGINFO) && (unsigned long)act->handler > 1;
        if (wrap) {
            kernel_act.handler = (void *)trampoline;
            *app_action(sig) = *act; /* before the trampoline can run for it */
        }
        r = raw4(__NR_rt_sigaction, sig, &kernel_act, 0, 8);
    }
    stub_unlock(&g_stub.lock);
    if (!r && old)
        *old = cur;
    return r;
}
