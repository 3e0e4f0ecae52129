/*
 * System V shared memory's data plane: the leader keeps the segments (each a host memfd) and
 * the worker decides who may attach; the stub maps a segment into the app and unmaps it. It
 * keeps the app's attachments (address, length, id) for shmdt: a table in its own memory, so a
 * forked child has its parent's, and an exec'd image starts with none, as on Linux (the leader
 * told of each before the exec).
 */
#include <asm-generic/errno.h>
#include <linux/mman.h>

#include "abi.h"
#include "raw.h"
#include "stub.h"
#include "trap.h"
#include "util.h"

#define SHM_RDONLY 010000
#define SHM_RND 020000
#define SHM_REMAP 040000
#define SHM_EXEC 0100000
#define SHMLBA 4096UL
#define ATTACH_MAX 256
#define STAT_SIZE_OFFSET 48 /* st_size in struct stat of x86-64 */

static struct attachment {
    unsigned long addr, len;
    int id;
} attached[ATTACH_MAX];
static volatile int attached_lock;

/* The worker forgets one attachment of segment `id` (its shmdt handler). */
static void tell_detached(int id, void *ip)
{
    long a[6] = {0, id, 0, 0, 0, 0};
    struct gts_reply reply;
    call_worker(__NR_shmdt, a, ip, &reply, 0, 0, 0, 0);
}

long sys_shmat(const long *a, void *ip)
{
    unsigned long addr = (unsigned long)a[1];
    int flags = (int)a[2];
    if (addr & (SHMLBA - 1)) {
        if (!(flags & SHM_RND))
            return -EINVAL;
        addr &= ~(SHMLBA - 1);
    }
    if (!addr && (flags & SHM_REMAP))
        return -EINVAL;
    struct gts_reply reply;
    int fd = -1;
    int nfds = call_worker(__NR_shmat, a, ip, &reply, 0, 0, &fd, 1);
    if (!(reply.flags & GTS_REPLY_FD))
        return (long)reply.ret;
    if (nfds != 1)
        return -EMFILE;
    unsigned char st[144];
    long r = raw2(__NR_fstat, fd, st);
    unsigned long len = r ? 0 : *(unsigned long *)(st + STAT_SIZE_OFFSET);
    long map = -EINVAL;
    if (!r && len && !(addr && overlaps_stub(addr, len))) {
        int prot = PROT_READ | (flags & SHM_RDONLY ? 0 : PROT_WRITE) | (flags & SHM_EXEC ? PROT_EXEC : 0);
        int mflags = MAP_SHARED | (!addr ? 0 : flags & SHM_REMAP ? MAP_FIXED : MAP_FIXED_NOREPLACE);
        map = raw6(__NR_mmap, addr, len, prot, mflags, fd, 0);
        if (map == -EEXIST)
            map = -EINVAL; /* Linux's answer for an address already in use */
    }
    raw1(__NR_close, fd);
    if (map < 0) {
        tell_detached((int)a[0], ip);
        return map;
    }
    stub_lock(&attached_lock);
    int slot = -1;
    for (int i = 0; i < ATTACH_MAX && slot < 0; i++)
        if (!attached[i].len)
            slot = i;
    if (slot >= 0)
        attached[slot] = (struct attachment){(unsigned long)map, len, (int)a[0]};
    stub_unlock(&attached_lock);
    if (slot < 0) {
        raw2(__NR_munmap, map, len);
        tell_detached((int)a[0], ip);
        return -EMFILE; /* as Linux past SHMSEG */
    }
    return map;
}

long sys_shmdt(const long *a, void *ip)
{
    struct attachment found = {0, 0, 0};
    stub_lock(&attached_lock);
    for (int i = 0; i < ATTACH_MAX; i++) {
        if (attached[i].len && attached[i].addr == (unsigned long)a[0]) {
            found = attached[i];
            attached[i].len = 0;
            break;
        }
    }
    stub_unlock(&attached_lock);
    if (!found.len)
        return -EINVAL;
    raw2(__NR_munmap, found.addr, found.len);
    tell_detached(found.id, ip);
    return 0;
}

/* An exec is under way: the new image has none of the segments (the host drops the mappings). */
int shm_attached_any(void)
{
    for (int i = 0; i < ATTACH_MAX; i++)
        if (attached[i].len)
            return 1;
    return 0;
}

void shm_detach_all(void *ip)
{
    for (int i = 0; i < ATTACH_MAX; i++) {
        if (!attached[i].len)
            continue;
        attached[i].len = 0;
        tell_detached(attached[i].id, ip);
    }
}
