/*
 * getuid, geteuid, getgid and getegid: what the worker said (with the HELLO, or when asked),
 * kept until the process changes its ids. Only its own set*id calls change them, each of which
 * goes to the worker and drops what is kept -- but a setresuid or setresgid that changes
 * nothing, which the stub answers. A shell asks all four at every start; access() as the
 * instance's root, or as the host user the process still is, is the stub's to answer (paths.c).
 */
#include "abi.h"
#include "raw.h"
#include "stub.h"
#include "trap.h"

static struct {
    volatile unsigned int gen; /* changes when the ids may change: an answer asked for across it is not kept */
    volatile int known[4];
    volatile long value[4];
} ids;

static int slot_of(long nr)
{
    return nr == __NR_getuid ? 0 : nr == __NR_geteuid ? 1 : nr == __NR_getgid ? 2 : 3;
}

long ids_get(long nr, const long *a, void *ip)
{
    int i = slot_of(nr);
    if (__atomic_load_n(&ids.known[i], __ATOMIC_ACQUIRE))
        return ids.value[i];
    unsigned int gen = __atomic_load_n(&ids.gen, __ATOMIC_ACQUIRE);
    long r = worker_call(nr, a, ip);
    if (r >= 0 && __atomic_load_n(&ids.gen, __ATOMIC_ACQUIRE) == gen) {
        ids.value[i] = r;
        __atomic_store_n(&ids.known[i], 1, __ATOMIC_RELEASE);
    }
    return r;
}

static void ids_forget(void)
{
    __atomic_add_fetch(&ids.gen, 1, __ATOMIC_SEQ_CST);
    for (int i = 0; i < 4; i++)
        __atomic_store_n(&ids.known[i], 0, __ATOMIC_RELEASE);
}

/* setfsuid or setfsgid was called in this image: the fs ids may differ from the effective ones (an exec makes them those) */
static volatile int fs_ids_moved;

/*
 * A setresuid or setresgid that changes nothing: each id it names (none is -1) is the one the
 * process has (the saved one is never known here: named, it is the worker's), and the fs id
 * follows the effective one. Linux returns 0 then, with no other effect, whatever the
 * process's privileges: a make asks it of every child it forks.
 */
static int changes_nothing(long nr, const long *a)
{
    if ((nr != __NR_setresuid && nr != __NR_setresgid) || __atomic_load_n(&fs_ids_moved, __ATOMIC_ACQUIRE))
        return 0;
    long real = ids_known(nr == __NR_setresuid ? __NR_getuid : __NR_getgid);
    long effective = ids_known(nr == __NR_setresuid ? __NR_geteuid : __NR_getegid);
    unsigned int r = (unsigned int)a[0], e = (unsigned int)a[1], s = (unsigned int)a[2];
    return (r == ~0U || (real >= 0 && r == (unsigned int)real)) && (e == ~0U || (effective >= 0 && e == (unsigned int)effective)) &&
           s == ~0U;
}

long ids_set(long nr, const long *a, void *ip)
{
    if (changes_nothing(nr, a))
        return 0;
    if (nr == __NR_setfsuid || nr == __NR_setfsgid)
        __atomic_store_n(&fs_ids_moved, 1, __ATOMIC_RELEASE);
    /* before (a get under way keeps nothing) and after (what was kept meanwhile is before the change) */
    ids_forget();
    long r = worker_call(nr, a, ip);
    ids_forget();
    return r;
}

void ids_install(const uint32_t ids_given[4])
{
    for (int i = 0; i < 4; i++) {
        ids.value[i] = ids_given[i];
        __atomic_store_n(&ids.known[i], 1, __ATOMIC_RELEASE);
    }
}

long ids_known(long nr)
{
    int i = slot_of(nr);
    return __atomic_load_n(&ids.known[i], __ATOMIC_ACQUIRE) ? ids.value[i] : -1;
}

int ids_are_host_ids(void)
{
    static const long nrs[4] = {__NR_getuid, __NR_geteuid, __NR_getgid, __NR_getegid};
    for (int i = 0; i < 4; i++)
        if (ids_known(nrs[i]) != g_stub.host_ids[i])
            return 0;
    return 1;
}
