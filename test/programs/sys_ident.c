/*
 * Identity, credentials, system information and resource limits. Values that differ between a
 * native run and gramine-ts by design (pids, RLIMIT_NOFILE, rseq) are printed on lines the
 * test checks one by one; the rest must be identical. Run natively in a session of its own.
 */
#include "t.h"
#include <linux/prctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/rseq.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>

static void show_limit(const char *label, long r, const struct rlimit *l)
{
    if (r != 0) {
        show(label, r);
        return;
    }
    char cur[32], max[32];
    if (l->rlim_cur == RLIM_INFINITY)
        strcpy(cur, "unlimited");
    else
        snprintf(cur, sizeof(cur), "%llu", (unsigned long long)l->rlim_cur);
    if (l->rlim_max == RLIM_INFINITY)
        strcpy(max, "unlimited");
    else
        snprintf(max, sizeof(max), "%llu", (unsigned long long)l->rlim_max);
    say("%s = %s %s", label, cur, max);
}

int main(void)
{
    t_init();
    long pid = syscall(SYS_getpid), tid = syscall(SYS_gettid);

    /* credentials */
    T("getuid", syscall(SYS_getuid));
    T("geteuid", syscall(SYS_geteuid));
    T("getgid", syscall(SYS_getgid));
    T("getegid", syscall(SYS_getegid));
    unsigned r[3] = {9, 9, 9};
    T("getresuid", syscall(SYS_getresuid, &r[0], &r[1], &r[2]));
    say("resuid = %u %u %u", r[0], r[1], r[2]);
    T("getresgid", syscall(SYS_getresgid, &r[0], &r[1], &r[2]));
    say("resgid = %u %u %u", r[0], r[1], r[2]);
    long n = T("getgroups(0, NULL)", syscall(SYS_getgroups, 0, NULL));
    gid_t groups[256];
    long m = T("getgroups(256, list)", syscall(SYS_getgroups, 256, groups));
    printf("groups =");
    for (long i = 0; i < m; i++)
        printf(" %u", groups[i]);
    printf("\n");
    T("getgroups(-1, list)", syscall(SYS_getgroups, -1, groups));

    /* capabilities (three a container's root keeps too: CAP_CHOWN, CAP_KILL, CAP_SETUID) */
    struct { unsigned version; int pid; } hdr = {0, 0};
    unsigned caps[6] = {0};
    T("capget(unknown version, NULL)", syscall(SYS_capget, &hdr, NULL));
    say("capget preferred version = %#x", hdr.version);
    hdr.version = 0;
    T("capget(unknown version, data)", syscall(SYS_capget, &hdr, caps));
    T("capget(v3, self)", syscall(SYS_capget, &hdr, caps));
    say("effective CAP_CHOWN %u CAP_KILL %u CAP_SETUID %u, inheritable %u", caps[0] & 1, (caps[0] >> 5) & 1, (caps[0] >> 7) & 1, caps[2]);
    say("permitted covers effective: %s", (caps[1] & caps[0]) == caps[0] && (caps[4] & caps[3]) == caps[3] ? "yes" : "no");
    hdr.pid = (int)getpid();
    T("capget(v3, own pid)", syscall(SYS_capget, &hdr, caps));
    hdr.pid = -1;
    T("capget(v3, pid -1)", syscall(SYS_capget, &hdr, caps));
    hdr.pid = 0x3ffffff0;
    T("capget(v3, no such pid)", syscall(SYS_capget, &hdr, caps));
    T("pkey_alloc(0, 0) >= 0 or ENOSPC/EINVAL", ({ long k = syscall(SYS_pkey_alloc, 0, 0); k >= 0 ? syscall(SYS_pkey_free, k) : k; }));
    T("pkey_free(-1)", syscall(SYS_pkey_free, -1));
    if (n > 0)
        T("getgroups(n - 1, list)", syscall(SYS_getgroups, n - 1, groups));

    /* pids: relations that hold for the first process of a session */
    say("gettid == getpid: %s", tid == pid ? "yes" : "no");
    int tidaddr;
    say("set_tid_address == gettid: %s", syscall(SYS_set_tid_address, &tidaddr) == tid ? "yes" : "no");
    say("getpgrp == getpid: %s", syscall(SYS_getpgrp) == pid ? "yes" : "no");
    say("getpgid(0) == getpid: %s", syscall(SYS_getpgid, 0) == pid ? "yes" : "no");
    say("getpgid(getpid()) == getpid: %s", syscall(SYS_getpgid, pid) == pid ? "yes" : "no");
    say("getsid(0) == getpid: %s", syscall(SYS_getsid, 0) == pid ? "yes" : "no");
    say("getsid(getpid()) == getpid: %s", syscall(SYS_getsid, pid) == pid ? "yes" : "no");
    T("getpgid(4000000)", syscall(SYS_getpgid, 4000000));
    T("getsid(4000000)", syscall(SYS_getsid, 4000000));
    T("getpgid(-1)", syscall(SYS_getpgid, -1));

    /* system information */
    struct utsname u;
    T("uname", syscall(SYS_uname, &u));
    say("uname = %s|%s|%s|%s|%s|%s", u.sysname, u.nodename, u.release, u.version, u.machine, u.domainname);
    struct sysinfo si;
    T("sysinfo", syscall(SYS_sysinfo, &si));
    say("sysinfo totalram = %llu, procs > 0 = %d", (unsigned long long)si.totalram * si.mem_unit, si.procs > 0);
    char name[32] = {0};
    T("prctl(PR_SET_NAME)", syscall(SYS_prctl, PR_SET_NAME, "gts-renamed", 0, 0, 0));
    T("prctl(PR_GET_NAME)", syscall(SYS_prctl, PR_GET_NAME, name, 0, 0, 0));
    say("name = %s", name);
    T("prctl(PR_GET_DUMPABLE)", syscall(SYS_prctl, PR_GET_DUMPABLE, 0, 0, 0, 0));
    T("prctl(PR_GET_TIMERSLACK)", syscall(SYS_prctl, PR_GET_TIMERSLACK, 0, 0, 0, 0));
    T("prctl(bad option)", syscall(SYS_prctl, 123456, 0, 0, 0, 0));

    /* resource limits (RLIMIT_NOFILE is checked separately: the stub keeps fds at the top) */
    struct rlimit l;
    for (int res = 0; res < RLIM_NLIMITS; res++) {
        char label[48];
        snprintf(label, sizeof(label), "%s(%d)", res == RLIMIT_NOFILE ? "RLIMIT_NOFILE getrlimit" : "getrlimit", res);
        errno = 0;
        long rr = syscall(SYS_getrlimit, res, &l);
        show_limit(label, rr, &l);
    }
    T("getrlimit(RLIM_NLIMITS)", syscall(SYS_getrlimit, RLIM_NLIMITS, &l));
    T("getrlimit(-1)", syscall(SYS_getrlimit, -1, &l));
    errno = 0;
    long pr = syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &l);
    show_limit("RLIMIT_NOFILE prlimit64(0)", pr, &l);
    errno = 0;
    pr = syscall(SYS_prlimit64, pid, RLIMIT_STACK, NULL, &l);
    show_limit("prlimit64(getpid(), RLIMIT_STACK)", pr, &l);
    for (int res = 0; res < RLIM_NLIMITS; res++) {
        if (res == RLIMIT_NOFILE)
            continue;
        char label[48];
        snprintf(label, sizeof(label), "prlimit64(0, %d)", res);
        errno = 0;
        pr = syscall(SYS_prlimit64, 0, res, NULL, &l);
        show_limit(label, pr, &l);
    }
    T("prlimit64(0, RLIMIT_STACK, NULL, NULL)", syscall(SYS_prlimit64, 0, RLIMIT_STACK, NULL, NULL));
    T("prlimit64(0, RLIMIT_STACK, NULL, bad)", syscall(SYS_prlimit64, 0, RLIMIT_STACK, NULL, (void *)8));
    T("getrlimit(RLIMIT_STACK, NULL)", syscall(SYS_getrlimit, RLIMIT_STACK, NULL));
    T("prlimit64(4000000, RLIMIT_STACK)", syscall(SYS_prlimit64, 4000000, RLIMIT_STACK, NULL, &l));
    T("prlimit64(0, 99)", syscall(SYS_prlimit64, 0, 99, NULL, &l));
    struct rlimit core;
    syscall(SYS_getrlimit, RLIMIT_CORE, &core);
    struct rlimit zero = {0, core.rlim_max};
    T("setrlimit(RLIMIT_CORE, 0)", syscall(SYS_setrlimit, RLIMIT_CORE, &zero));
    errno = 0;
    pr = syscall(SYS_getrlimit, RLIMIT_CORE, &l);
    show_limit("getrlimit(RLIMIT_CORE) after", pr, &l);
    struct rlimit one = {4096, core.rlim_max}, old;
    errno = 0;
    pr = syscall(SYS_prlimit64, 0, RLIMIT_CORE, &one, &old);
    show_limit("prlimit64(RLIMIT_CORE, 4096) old", pr, &old);
    errno = 0;
    pr = syscall(SYS_getrlimit, RLIMIT_CORE, &l);
    show_limit("getrlimit(RLIMIT_CORE) after prlimit64", pr, &l);
    struct rlimit inverted = {2, 1};
    T("setrlimit(cur > max)", syscall(SYS_setrlimit, RLIMIT_CORE, &inverted));
    T("setrlimit(RLIM_NLIMITS)", syscall(SYS_setrlimit, RLIM_NLIMITS, &zero));
    struct rlimit stack;
    syscall(SYS_getrlimit, RLIMIT_STACK, &stack);
    stack.rlim_cur = stack.rlim_max != RLIM_INFINITY && stack.rlim_max < (64UL << 20) ? stack.rlim_max : 64UL << 20;
    T("setrlimit(RLIMIT_STACK, 64 MiB or the hard limit)", syscall(SYS_setrlimit, RLIMIT_STACK, &stack));
    errno = 0;
    pr = syscall(SYS_getrlimit, RLIMIT_STACK, &l);
    show_limit("getrlimit(RLIMIT_STACK) after", pr, &l);

    /* rseq: glibc registers it at start-up where the kernel offers it */
    unsigned char area[32] __attribute__((aligned(32))) = {0};
    errno = 0;
    long rs = syscall(SYS_rseq, area, 32, 0, 0x53053053);
    show("RSEQ rseq(register another area)", rs);
    say("RSEQ glibc registered rseq = %s", __rseq_size > 0 ? "yes" : "no");
    say("done");
    return 0;
}
