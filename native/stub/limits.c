/*
 * The process's resource limits, and the system's figures (sysinfo): what of them the stub
 * answers alone. getrlimit, setrlimit and prlimit64 on the process itself: its host limits are
 * the app's, read and set here -- except RLIMIT_NOFILE, whose top the stub's reserved fds take.
 * The worker keeps the app's view of that one: it says what it is with every HELLO reply, and
 * the stub answers gets with that until a set, which goes to the worker, who says what the
 * host's is to be (GTS_REPLY_RLIMIT), which the stub sets (in a root instance the worker may
 * not: the process is another host uid's). A fork keeps what its parent knew; an exec the stub
 * makes alone hands it on (local_exec.c).
 */
#include <asm-generic/errno-base.h>

#include "abi.h"
#include "raw.h"
#include "stub.h"
#include "trap.h"

#define RLIMIT_NOFILE 7

static struct {
    volatile int known;
    unsigned long cur, max;
} nofile;

void nofile_install(unsigned long cur, unsigned long max)
{
    nofile.cur = cur;
    nofile.max = max;
    __atomic_store_n(&nofile.known, 1, __ATOMIC_RELEASE);
}

int nofile_known(unsigned long *cur, unsigned long *max)
{
    if (!__atomic_load_n(&nofile.known, __ATOMIC_ACQUIRE))
        return 0;
    *cur = nofile.cur;
    *max = nofile.max;
    return 1;
}

/* RLIMIT_NOFILE: a get from what is known; a set, and a get of what is not known, the worker's. */
static long nofile_limit(long nr, const long *a, void *ip, const void *new, void *old)
{
    struct k_rlimit limit;
    if (!new && nofile_known(&limit.cur, &limit.max))
        return old ? copy_to_app(old, &limit, sizeof(limit)) : 0;
    struct k_rlimit wanted;
    int knows = new && copy_from_app(&wanted, new, sizeof(wanted)) == 0;
    __atomic_store_n(&nofile.known, 0, __ATOMIC_RELEASE);
    struct gts_reply reply;
    call_worker(nr, a, ip, &reply, &limit, sizeof(limit), 0, 0);
    if (reply.ret >= 0 && (reply.flags & GTS_REPLY_RLIMIT) && reply.data_len == sizeof(limit)) {
        long r = raw4(__NR_prlimit64, 0, RLIMIT_NOFILE, &limit, 0);
        if (r < 0)
            return r;
    }
    /* the worker took the new limit: it is the app's from now on */
    if (reply.ret >= 0 && knows)
        nofile_install(wanted.cur, wanted.max);
    return reply.ret;
}

/* The order of the checks is the kernel's: the new limit is read first (EFAULT). */
long own_limit(long nr, const long *a, void *ip)
{
    struct k_rlimit limit, old_limit;
    int prlimit = nr == __NR_prlimit64;
    int pid = prlimit ? (int)a[0] : 0;
    unsigned int resource = (unsigned int)(prlimit ? a[1] : a[0]);
    const void *new = nr == __NR_setrlimit ? (const void *)a[1] : prlimit ? (const void *)a[2] : 0;
    void *old = nr == __NR_getrlimit ? (void *)a[1] : prlimit ? (void *)a[3] : 0;
    if (pid != 0 && pid != g_stub.vpid) {
        struct gts_reply reply;
        call_worker(nr, a, ip, &reply, &limit, sizeof(limit), 0, 0);
        return reply.ret;
    }
    if (nr == __NR_getrlimit && !old)
        return -EFAULT;
    if (nr == __NR_setrlimit && !new)
        return -EFAULT;
    if (resource == RLIMIT_NOFILE)
        return nofile_limit(nr, a, ip, new, old);
    long r = new ? copy_from_app(&limit, new, sizeof(limit)) : 0;
    if (r)
        return r;
    r = raw4(__NR_prlimit64, 0, resource, new ? &limit : 0, old ? &old_limit : 0);
    return r || !old ? r : copy_to_app(old, &old_limit, sizeof(old_limit));
}

#define SYSINFO_SIZE 112
#define SYSINFO_PROCS_OFFSET 80

/* The host's memory and load figures; the process count is the instance's, which is one as far as anyone is told. */
long stub_sysinfo(const long *a)
{
    unsigned char info[SYSINFO_SIZE];
    long r = raw1(__NR_sysinfo, info);
    if (r)
        return r;
    info[SYSINFO_PROCS_OFFSET] = 1;
    info[SYSINFO_PROCS_OFFSET + 1] = 0;
    return copy_to_app((void *)a[0], info, sizeof(info));
}
