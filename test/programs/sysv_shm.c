/*
 * System V shared memory: private and keyed segments, attached across fork and by an unrelated
 * process (a child that has exec'd a new image), IPC_STAT, IPC_RMID while attached, errors.
 * Natively the segments are the host's: every key is derived from the pid and every segment is
 * removed before the end. Usage:
 *   sysv_shm main           the checks
 *   sysv_shm read KEY       attach the segment of KEY, print its text, write a reply into it
 *   sysv_shm excl KEY [READY HOLD]  create KEY exclusively (then say so on fifo READY and
 *                                   wait for a byte on fifo HOLD)
 *   sysv_shm probe KEY      is there a segment of KEY?
 */
#include "t.h"
#include <fcntl.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>

static int reap(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid)
        die("waitpid");
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void stat_of(const char *label, int id)
{
    struct shmid_ds ds;
    if (T(label, shmctl(id, IPC_STAT, &ds)) < 0)
        return;
    say("%s: size %zu nattch %lu mode %o cpid is me %d lpid is me %d owner is me %d", label, ds.shm_segsz,
        (unsigned long)ds.shm_nattch, ds.shm_perm.mode, ds.shm_cpid == getpid(), ds.shm_lpid == getpid(),
        ds.shm_perm.uid == getuid() && ds.shm_perm.cuid == getuid());
}

static int check(void)
{
    key_t key = (key_t)(0x5f000000 | (getpid() & 0xffffff));
    int id = shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600);
    T("shmget private", id >= 0);
    T("shmget keyed, no IPC_CREAT", shmget(key, 4096, 0600));
    int kid = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0640);
    T("shmget keyed, IPC_CREAT|IPC_EXCL ok", kid >= 0);
    T("shmget keyed again, IPC_EXCL", shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0640));
    T("shmget keyed again, same id", shmget(key, 100, 0) == kid);
    T("shmget keyed again, bigger", shmget(key, 8192, 0));
    T("shmget size 0", shmget(IPC_PRIVATE, 0, IPC_CREAT | 0600));
    stat_of("stat new", kid);

    char *p = shmat(id, 0, 0);
    T("shmat", p != (void *)-1);
    T("zero filled", p[0] == 0 && p[9999] == 0);
    strcpy(p, "from the parent");
    stat_of("stat private attached", id);
    pid_t c = fork();
    if (c == 0) {
        say("child sees: %s", p);
        strcpy(p, "from the child");
        stat_of("child: stat", id);
        T("child: shmdt", shmdt(p));
        _exit(0);
    }
    T("child", reap(c));
    say("parent sees: %s", p);
    stat_of("stat after the child", id);

    /* an unrelated image: a child that execs this program anew attaches by key */
    char *k = shmat(kid, 0, 0);
    strcpy(k, "hello by key");
    char keyarg[32];
    snprintf(keyarg, sizeof(keyarg), "%d", key);
    c = fork();
    if (c == 0) {
        execl("/proc/self/exe", "sysv_shm", "read", keyarg, (char *)0);
        _exit(127);
    }
    T("reader", reap(c));
    say("reader replied: %s", k + 100);

    /* the second attachment of one segment, at a fixed address */
    char *hole = mmap(0, 1 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(hole, 1 << 20); /* a free range */
    char *q = shmat(id, hole + 123, SHM_RND);
    T("shmat SHM_RND", q == hole);
    if (q == (void *)-1)
        return 1;
    T("same memory", strcmp(q, p) == 0);
    T("shmat unaligned without SHM_RND", (long)shmat(id, p + 123, 0));
    T("shmat over a mapping without SHM_REMAP", (long)shmat(id, q, 0));
    T("shmat SHM_REMAP at 0", (long)shmat(id, 0, SHM_REMAP));
    char *r = shmat(id, 0, SHM_RDONLY);
    T("shmat read-only", r != (void *)-1 && strcmp(r, p) == 0);
    stat_of("stat three attachments", id);
    T("shmdt read-only", shmdt(r));
    T("shmdt fixed", shmdt(q));
    T("shmdt not attached", shmdt(q));
    T("shmdt inside a segment", shmdt(p + 1));
    T("shmat bad id", (long)shmat(0x7ffffff, 0, 0));

    /* removed while attached: the key is free, the memory stays until the last detach */
    T("rmid attached", shmctl(kid, IPC_RMID, 0));
    T("shmget removed key", shmget(key, 4096, 0));
    stat_of("stat removed, attached", kid);
    say("still there: %s", k);
    T("shmdt removed", shmdt(k));
    T("stat after last detach", shmctl(kid, IPC_STAT, &(struct shmid_ds){0}));

    struct shmid_ds ds;
    shmctl(id, IPC_STAT, &ds);
    ds.shm_perm.mode = 0604;
    T("IPC_SET", shmctl(id, IPC_SET, &ds));
    stat_of("stat after IPC_SET", id);
    T("bad command", shmctl(id, 1234, &ds));
    T("rmid", shmctl(id, IPC_RMID, 0));
    T("shmdt", shmdt(p));
    T("rmid gone", shmctl(id, IPC_RMID, 0));
    say("done");
    return 0;
}

static int reader(key_t key)
{
    int id = shmget(key, 0, 0);
    char *p = id < 0 ? (void *)-1 : shmat(id, 0, 0);
    if (p == (void *)-1)
        die("reader: shmget/shmat");
    say("reader sees: %s", p);
    struct shmid_ds ds;
    shmctl(id, IPC_STAT, &ds);
    say("reader: nattch %lu (its own and its parent's: the fork's copy went with the exec)", (unsigned long)ds.shm_nattch);
    strcpy(p + 100, "hi from the reader");
    return 0;
}

static int excl(key_t key, const char *ready, const char *hold)
{
    int id = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);
    T("exclusive create", id >= 0);
    if (ready) {
        char c;
        int fd = open(ready, O_WRONLY);
        if (fd < 0 || write(fd, "x", 1) != 1)
            die("fifo ready");
        close(fd);
        fd = open(hold, O_RDONLY);
        if (fd < 0 || read(fd, &c, 1) != 1)
            die("fifo hold");
    }
    if (id >= 0)
        shmctl(id, IPC_RMID, 0);
    return 0;
}

int main(int argc, char **argv)
{
    t_init();
    if (argc == 2 && !strcmp(argv[1], "main"))
        return check();
    if (argc == 3 && !strcmp(argv[1], "read"))
        return reader((key_t)atoi(argv[2]));
    if ((argc == 3 || argc == 5) && !strcmp(argv[1], "excl"))
        return excl((key_t)atoi(argv[2]), argc == 5 ? argv[3] : 0, argc == 5 ? argv[4] : 0);
    if (argc == 3 && !strcmp(argv[1], "probe"))
        return T("shmget on the host", shmget((key_t)atoi(argv[2]), 0, 0)) >= 0;
    return 2;
}
