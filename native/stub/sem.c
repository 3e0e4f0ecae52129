/*
 * System V semaphores' fast path: semop and semtimedop made by the stub itself, on the set's
 * values in host shared memory (struct gts_sem_set, abi.h), so that a semop costs what a futex
 * costs. The first semop on a set goes to the worker and brings the set's memory back (mapped
 * in the stub's window, where the app maps nothing); so does any semop with SEM_UNDO (the leader
 * keeps the adjustments, to make them when the process dies, kill -9 too) or too many
 * operations, and one on a set whose rights changed (gen) or that is gone. The stub takes the
 * set's lock, makes all the operations or none, and when it must wait sleeps on the set's seq
 * with the app's signal mask: a handler ends the call with EINTR (Linux never restarts it),
 * semtimedop's timeout with EAGAIN, the set's removal with EIDRM; any other change, it tries
 * again. The table of mapped sets is the stub's: a fork's child has its parent's (the mappings
 * are shared), an exec'd image none.
 */
#include <asm-generic/errno.h>
#include <linux/mman.h>

#include "abi.h"
#include "raw.h"
#include "stub.h"
#include "trap.h"
#include "util.h"

#define SEMOPM 500
#define SEMMSL 32000
#define SEMVMX 32767
#define K_IPC_NOWAIT 04000
#define K_SEM_UNDO 0x1000
#define K_FUTEX_WAIT 0 /* shared, not private: other processes map the word */
#define K_FUTEX_WAKE 1
#define K_CLOCK_REALTIME_COARSE 5
#define NS 1000000000L
#define FOREVER_S (1L << 40) /* seconds: a wait without end */
#define STAT_SIZE_OFFSET 48 /* st_size in struct stat of x86-64 */

/* operations of one semop the stub makes itself; more go to the worker */
#define FAST_OPS_MAX 64
#define SETS_MAX 64
#define SET_SLOT 0x80000UL /* 512 KiB: the largest set */
#define SET_AREA (GTS_STUB_WINDOW + GTS_STUB_WINDOW_SIZE / 4)
_Static_assert(sizeof(struct gts_sem_set) + SEMMSL * sizeof(struct gts_sem) <= SET_SLOT, "a set fits in its slot");
_Static_assert(SET_AREA + SETS_MAX * SET_SLOT <= STUB_THREAD_AREA, "the sets' slots are below the thread blocks");

struct k_sembuf {
    unsigned short num;
    short op, flg;
};

enum { SET_FREE, SET_LIVE, SET_STALE };

/* A set the stub has mapped (slot i at SET_AREA + i * SET_SLOT). */
static struct mapped_set {
    int id, nsems, state;
    unsigned int gen, access;
    volatile int users; /* threads using the mapping now: a stale one is unmapped when none is */
} sets[SETS_MAX];
static volatile int sets_lock;

static struct gts_sem_set *slot_memory(int slot)
{
    return (struct gts_sem_set *)(SET_AREA + (unsigned long)slot * SET_SLOT);
}

/* The live mapping of set `id`, marked in use; or -1. */
static int find_set(int id)
{
    int found = -1;
    stub_lock(&sets_lock);
    for (int i = 0; i < SETS_MAX && found < 0; i++)
        if (sets[i].state == SET_LIVE && sets[i].id == id)
            found = i;
    if (found >= 0)
        sets[found].users++;
    stub_unlock(&sets_lock);
    return found;
}

static void put_set(int slot, int stale)
{
    stub_lock(&sets_lock);
    sets[slot].users--;
    if (stale)
        sets[slot].state = SET_STALE;
    stub_unlock(&sets_lock);
}

/*
 * Map the set's memory `fd` (closed here) as the worker describes it: a slot in use, or -1
 * and the mapping at *tmp (length *tmp_len) when no slot is free (for one wait), or nowhere.
 */
static int install_set(int id, int fd, const struct gts_sem_reply *sr, void **tmp, unsigned long *tmp_len)
{
    unsigned char st[144];
    unsigned long need = sizeof(struct gts_sem_set) + (unsigned long)sr->nsems * sizeof(struct gts_sem);
    if (sr->nsems == 0 || sr->nsems > SEMMSL || raw2(__NR_fstat, fd, st) || *(unsigned long *)(st + STAT_SIZE_OFFSET) < need) {
        raw1(__NR_close, fd);
        return -1;
    }
    int slot = -1;
    stub_lock(&sets_lock);
    for (int i = 0; i < SETS_MAX && slot < 0; i++)
        if (sets[i].state == SET_FREE || (sets[i].state == SET_STALE && !sets[i].users))
            slot = i;
    if (slot >= 0) {
        long map = raw6(__NR_mmap, (long)slot_memory(slot), need, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
        if (map < 0) {
            if (sets[slot].state == SET_STALE) /* MAP_FIXED may have taken the old mapping away */
                raw2(__NR_munmap, (long)slot_memory(slot), SET_SLOT);
            sets[slot].state = SET_FREE;
            slot = -1;
        } else {
            sets[slot] = (struct mapped_set){id, (int)sr->nsems, SET_LIVE, sr->gen, sr->access, 1};
        }
    }
    stub_unlock(&sets_lock);
    if (slot < 0) {
        long map = raw6(__NR_mmap, 0, need, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (map >= 0) {
            *tmp = (void *)map;
            *tmp_len = need;
        }
    }
    raw1(__NR_close, fd);
    return slot;
}

static void set_lock(struct gts_sem_set *h, unsigned int me)
{
    unsigned int c = 0;
    if (__atomic_compare_exchange_n(&h->lock, &c, me, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return;
    for (;;) {
        if (c == 0) {
            /* taken after a wait: others may be waiting still, the unlock wakes one */
            if (__atomic_compare_exchange_n(&h->lock, &c, me | GTS_SEM_LOCK_WAITED, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
                return;
            continue;
        }
        if (!(c & GTS_SEM_LOCK_WAITED)) {
            unsigned int w = c | GTS_SEM_LOCK_WAITED;
            if (!__atomic_compare_exchange_n(&h->lock, &c, w, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
                continue;
            c = w;
        }
        raw4(__NR_futex, &h->lock, K_FUTEX_WAIT, c, 0);
        c = __atomic_load_n(&h->lock, __ATOMIC_RELAXED);
    }
}

static void set_unlock(struct gts_sem_set *h)
{
    if (__atomic_exchange_n(&h->lock, 0, __ATOMIC_RELEASE) & GTS_SEM_LOCK_WAITED)
        raw3(__NR_futex, &h->lock, K_FUTEX_WAKE, 1);
}

/* Linux's semop on the values, the lock held: 0 (made), -errno, or 1 (op *blocked waits). */
static long make_ops(struct gts_sem *s, const struct k_sembuf *ops, int n, int *blocked)
{
    int after[FAST_OPS_MAX];
    for (int i = 0; i < n; i++) {
        int v = __atomic_load_n(&s[ops[i].num].value, __ATOMIC_RELAXED);
        for (int j = i - 1; j >= 0; j--) {
            if (ops[j].num == ops[i].num) {
                v = after[j];
                break;
            }
        }
        if (ops[i].op == 0 ? v != 0 : v + ops[i].op < 0) {
            *blocked = i;
            return ops[i].flg & K_IPC_NOWAIT ? -EAGAIN : 1;
        }
        if (v + ops[i].op > SEMVMX)
            return -ERANGE;
        after[i] = v + ops[i].op;
    }
    for (int i = 0; i < n; i++) {
        __atomic_store_n(&s[ops[i].num].value, after[i], __ATOMIC_RELAXED);
        __atomic_store_n(&s[ops[i].num].pid, g_stub.vpid, __ATOMIC_RELAXED);
    }
    return 0;
}

#define ASK_WORKER 2 /* fast_semop: the worker must make this one */

/* The semop on a mapped set: 0, -errno, 1 (wait for *seq to change, at op *blocked), or ASK_WORKER. */
static long fast_semop(int slot, const struct k_sembuf *ops, int n, unsigned int *seq, int *blocked, int *stale)
{
    struct mapped_set *e = &sets[slot];
    struct gts_sem_set *h = slot_memory(slot);
    struct gts_sem *s = (struct gts_sem *)(h + 1);
    if (__atomic_load_n(&h->removed, __ATOMIC_ACQUIRE) || __atomic_load_n(&h->gen, __ATOMIC_ACQUIRE) != e->gen) {
        *stale = 1;
        return ASK_WORKER;
    }
    int alters = 0;
    for (int i = 0; i < n; i++) {
        if (ops[i].num >= e->nsems)
            return -EFBIG;
        alters |= ops[i].op != 0;
    }
    if (!(e->access & (alters ? GTS_SEM_MAY_ALTER : GTS_SEM_MAY_READ)))
        return -EACCES;
    struct k_timespec t = {0, 0};
    if (alters)
        raw2(__NR_clock_gettime, K_CLOCK_REALTIME_COARSE, &t);
    set_lock(h, (unsigned int)g_stub.vpid);
    long r = make_ops(s, ops, n, blocked);
    if (r == 0 && alters) {
        __atomic_store_n(&h->otime, t.tv_sec, __ATOMIC_RELAXED);
        __atomic_add_fetch(&h->seq, 1, __ATOMIC_SEQ_CST);
    }
    *seq = __atomic_load_n(&h->seq, __ATOMIC_RELAXED);
    set_unlock(h);
    if (r == 0 && alters && __atomic_load_n(&h->waiters, __ATOMIC_SEQ_CST))
        raw3(__NR_futex, &h->seq, K_FUTEX_WAKE, 0x7fffffff);
    return r;
}

long sys_semop(long nr, const long *a, void *ip, struct k_ucontext *uc)
{
    unsigned int n = (unsigned int)a[2];
    if (n < 1 || (int)a[0] < 0)
        return -EINVAL;
    if (n > SEMOPM)
        return -E2BIG;
    struct k_sembuf ops[FAST_OPS_MAX];
    int fast = n <= FAST_OPS_MAX;
    if (fast) {
        long e = copy_from_app(ops, (const void *)a[1], n * sizeof(ops[0]));
        if (e)
            return e;
        for (unsigned int i = 0; i < n; i++)
            fast &= !(ops[i].flg & K_SEM_UNDO);
    }
    long deadline = 0;
    if (nr == __NR_semtimedop && a[3]) {
        struct k_timespec ts;
        long e = copy_from_app(&ts, (const void *)a[3], sizeof(ts));
        if (e)
            return e;
        if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= NS)
            return -EINVAL;
        deadline = now_ns() + ts.tv_sec * NS + ts.tv_nsec;
    }
    struct stub_thread *self = current_thread();
    for (;;) {
        unsigned int seq = 0;
        int blocked = 0, stale = 0;
        int slot = find_set((int)a[0]);
        long r = ASK_WORKER;
        if (slot >= 0 && fast)
            r = fast_semop(slot, ops, (int)n, &seq, &blocked, &stale);
        void *tmp = 0;
        unsigned long tmp_len = 0;
        unsigned int nsems = slot >= 0 ? (unsigned int)sets[slot].nsems : 0;
        if (r == ASK_WORKER) {
            if (stale) {
                put_set(slot, 1);
                slot = -1;
            }
            long args[6] = {a[0], a[1], a[2], a[3], a[4], slot >= 0 ? 0 : GTS_SEM_WANT_MAP};
            struct gts_reply reply;
            struct gts_sem_reply sr = {0, 0, 0, 0, 0, 0};
            int fd = -1;
            int nfds = call_worker(nr, args, ip, &reply, &sr, sizeof(sr), &fd, 1);
            if (nfds == 1 && (reply.flags & GTS_REPLY_SEM) && slot < 0) {
                slot = install_set((int)a[0], fd, &sr, &tmp, &tmp_len);
                nsems = tmp || slot >= 0 ? sr.nsems : 0;
            } else if (nfds == 1) {
                raw1(__NR_close, fd);
            }
            r = (reply.flags & GTS_REPLY_SEM) && sr.wait ? 1 : reply.ret;
            seq = sr.seq;
            blocked = (int)sr.blocked;
        }
        struct gts_sem_set *h = slot >= 0 ? slot_memory(slot) : (struct gts_sem_set *)tmp;
        if (r != 1 || !h) {
            if (slot >= 0)
                put_set(slot, 0);
            if (tmp)
                raw2(__NR_munmap, (long)tmp, tmp_len);
            return r == 1 ? -ENOMEM : r;
        }
        /* wait for the set to change: counted in the blocking semaphore's semncnt or semzcnt */
        struct k_sembuf b;
        if (fast)
            b = ops[blocked];
        else if (copy_from_app(&b, (const char *)a[1] + (unsigned long)blocked * sizeof(b), sizeof(b)))
            b.num = 0xffff;
        uint32_t *count = b.num < nsems ? (b.op == 0 ? &((struct gts_sem *)(h + 1))[b.num].zcnt : &((struct gts_sem *)(h + 1))[b.num].ncnt) : 0;
        /*
         * always a timeout (a long one for semop): a futex wait without one is restarted after
         * an SA_RESTART handler, one with one ends with EINTR, as semop must
         */
        struct k_timespec left = {FOREVER_S, 0};
        if (deadline) {
            long rest = deadline - now_ns();
            if (rest < 0)
                rest = 0;
            left.tv_sec = rest / NS;
            left.tv_nsec = rest % NS;
        }
        if (count)
            __atomic_add_fetch(count, 1, __ATOMIC_RELAXED);
        __atomic_add_fetch(&h->waiters, 1, __ATOMIC_SEQ_CST);
        long w = with_app_mask(uc, 1, __NR_futex, (long)&h->seq, K_FUTEX_WAIT, seq, (long)&left, 0, 0);
        __atomic_sub_fetch(&h->waiters, 1, __ATOMIC_RELAXED);
        if (count)
            __atomic_sub_fetch(count, 1, __ATOMIC_RELAXED);
        int removed = __atomic_load_n(&h->removed, __ATOMIC_ACQUIRE) != 0;
        if (slot >= 0)
            put_set(slot, removed);
        if (tmp)
            raw2(__NR_munmap, (long)tmp, tmp_len);
        if (w == -ETIMEDOUT && deadline)
            return -EAGAIN; /* semtimedop's time is up */
        if (w == -EINTR && (!self->doorbell_rang || self->doorbell_due))
            return -EINTR; /* a handler ran */
        if (removed)
            return -EIDRM;
        if (w < 0 && w != -EINTR && w != -EAGAIN)
            return w;
    }
}
