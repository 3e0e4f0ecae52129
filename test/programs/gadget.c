/*
 * The stub gadget (test/integration/gadget.test.ts): the app finds a `syscall` instruction in
 * the stub's text -- at its documented fixed address, readable -- and runs host system calls
 * through it, past the seccomp trap, which allows the stub's own instruction pointer. It jumps
 * there with the trap flag set: the kernel runs the call, the CPU stops one instruction later
 * with a SIGTRAP, and the handler takes the result and comes back.
 *
 *   gadget ATTACK ARG...   prints "ATTACK: ok" (the host did it) or "ATTACK: ENAME"; an
 *                          attack named plain-ATTACK makes its calls as the app does, through the trap
 *
 * Attacks (each names host objects the instance must not reach):
 *   read PATH, create PATH, write PATH   open a host file by its host path
 *   unlink PATH                           remove a host file by its host path
 *   chmod PATH, fchmod PATH, utime PATH,  its mode to 04777 (by name; through a read-only fd),
 *   xattr PATH                            its times to 1970, a user.gts attribute
 *   lease PATH                            a read lease through a read-only fd ("ok" only if the
 *                                         fd's owner is then this process, as natively)
 *   kill PID                              SIGKILL a host process
 *   ptrace                                attach to the host parent (the worker)
 *   vm-write                              process_vm_writev into the host parent
 *   unshare                               unshare(CLONE_NEWUSER)
 *   packet                                an AF_PACKET socket
 *   netlink-addr ADDR, netlink-alias TEXT RTM_NEWADDR ADDR/32 on lo; lo's ifalias = TEXT
 *   abstract NAME                         connect to host abstract socket @NAME
 *   unix PATH                             connect to the host UNIX socket at PATH
 *   tiocsti                               type a character into the terminal on stdin
 *   renice PID, affinity PID, idle PID,   nice 19, CPU 0 only, SCHED_IDLE, the idle I/O class,
 *   ioprio PID, prlimit PID               RLIMIT_NOFILE 16 for a host process of the same user
 *   shm-remove ID, msg-remove ID,         IPC_RMID of a host System V object
 *   sem-remove ID
 *   mq-create NAME, mq-unlink NAME        a host POSIX message queue (/NAME)
 * The gadget's own check: "selftest" runs getppid through it (the host pid, not the vpid).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <linux/capability.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <ucontext.h>
#include <unistd.h>

#include "../../native/stub/abi.h"

static unsigned char *gadget;
static int plain;
static sigjmp_buf back;
static volatile long result;

/* A page of the stub's window is mapped when the kernel can read it (write reports EFAULT if not). */
static int readable(const void *p)
{
    int fds[2];
    if (pipe(fds))
        return 0;
    int ok = write(fds[1], p, 1) == 1;
    close(fds[0]);
    close(fds[1]);
    return ok;
}

/* A `syscall` followed by `test %rax,%rax`: the step after it leaves the result in %rax. */
static unsigned char *find_gadget(void)
{
    static const unsigned char pattern[] = {0x0f, 0x05, 0x48, 0x85, 0xc0};
    for (unsigned long page = GTS_STUB_WINDOW; page < GTS_STUB_WINDOW + (16UL << 20); page += 4096) {
        if (!readable((void *)page))
            return 0;
        for (unsigned char *p = (unsigned char *)page; p < (unsigned char *)page + 4096 - sizeof(pattern); p++)
            if (!memcmp(p, pattern, sizeof(pattern)))
                return p;
    }
    return 0;
}

static void on_trap(int sig, siginfo_t *si, void *ctx)
{
    (void)sig;
    (void)si;
    ucontext_t *uc = ctx;
    unsigned char *ip = (unsigned char *)uc->uc_mcontext.gregs[REG_RIP];
    if (ip == gadget)
        return; /* stopped after the jump, before the call: step on */
    result = uc->uc_mcontext.gregs[REG_RAX];
    siglongjmp(back, 1);
}

/* Host system call `nr` through the stub's instruction: its result, -errno on failure. */
static long host_call(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
    if (plain) {
        long r = syscall(nr, a1, a2, a3, a4, a5, a6);
        return r == -1 ? -errno : r;
    }
    if (sigsetjmp(back, 1))
        return result;
    register long rax __asm__("rax") = nr;
    register long rdi __asm__("rdi") = a1;
    register long rsi __asm__("rsi") = a2;
    register long rdx __asm__("rdx") = a3;
    register long r10 __asm__("r10") = a4;
    register long r8 __asm__("r8") = a5;
    register long r9 __asm__("r9") = a6;
    register void *target __asm__("r11") = gadget;
    __asm__ volatile("pushfq\n\t"
                     "orq $0x100, (%%rsp)\n\t"
                     "popfq\n\t"
                     "jmp *%%r11"
                     :
                     : "r"(rax), "r"(rdi), "r"(rsi), "r"(rdx), "r"(r10), "r"(r8), "r"(r9), "r"(target)
                     : "memory", "rcx");
    __builtin_unreachable();
}

static int report(const char *attack, long r)
{
    if (r < 0 && r > -4096)
        printf("%s: %s\n", attack, strerrorname_np((int)-r));
    else
        printf("%s: ok\n", attack);
    fflush(stdout);
    return 0;
}

/* A netlink request on lo (index from if_nametoindex) through the gadget: 0, or -errno. */
static long netlink_request(void *msg, unsigned len)
{
    long fd = host_call(SYS_socket, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE, 0, 0, 0);
    if (fd < 0)
        return fd;
    struct sockaddr_nl to = {.nl_family = AF_NETLINK};
    long r = host_call(SYS_sendto, fd, (long)msg, len, 0, (long)&to, sizeof(to));
    if (r >= 0) {
        char buf[4096];
        r = host_call(SYS_recvfrom, fd, (long)buf, sizeof(buf), 0, 0, 0);
        struct nlmsghdr *h = (struct nlmsghdr *)buf;
        if (r >= (long)sizeof(*h) + 4 && h->nlmsg_type == NLMSG_ERROR)
            r = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
        else if (r >= 0)
            r = -EPROTO;
    }
    close((int)fd);
    return r;
}

/* A netlink request (with an ack) of `body` bytes after its header, zeroed, room for attributes after it. */
static struct nlmsghdr *netlink_message(unsigned short type, unsigned short flags, unsigned body)
{
    static char buf[512] __attribute__((aligned(8)));
    memset(buf, 0, sizeof(buf));
    struct nlmsghdr *h = (struct nlmsghdr *)buf;
    h->nlmsg_len = NLMSG_LENGTH(body);
    h->nlmsg_type = type;
    h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    return h;
}

static void add_attr(struct nlmsghdr *h, unsigned short type, const void *data, unsigned len)
{
    struct rtattr *a = (struct rtattr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));
    a->rta_type = type;
    a->rta_len = (unsigned short)RTA_LENGTH(len);
    memcpy(RTA_DATA(a), data, len);
    h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(a->rta_len);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    const char *attack = argv[1];
    plain = !strncmp(attack, "plain-", 6);
    const char *what = attack + (plain ? 6 : 0); /* the attack without its prefix */
    const char *arg = argc > 2 ? argv[2] : "";
    gadget = plain ? 0 : find_gadget();
    if (!plain && !gadget) {
        printf("no gadget found\n");
        return 1;
    }
    struct sigaction sa = {.sa_sigaction = on_trap, .sa_flags = SA_SIGINFO | SA_NODEFER};
    sigaction(SIGTRAP, &sa, 0);

    if (!strcmp(what, "selftest")) {
        long host = host_call(SYS_getppid, 0, 0, 0, 0, 0, 0);
        printf("selftest: %s\n", host > 0 && host != getppid() ? "host pid" : "no");
        return 0;
    }
    if (!strcmp(what, "read"))
        return report(attack, host_call(SYS_openat, AT_FDCWD, (long)arg, O_RDONLY, 0, 0, 0));
    if (!strcmp(what, "create"))
        return report(attack, host_call(SYS_openat, AT_FDCWD, (long)arg, O_WRONLY | O_CREAT | O_EXCL, 0644, 0, 0));
    if (!strcmp(what, "write")) {
        long fd = host_call(SYS_openat, AT_FDCWD, (long)arg, O_WRONLY | O_TRUNC, 0, 0, 0);
        if (fd >= 0)
            host_call(SYS_write, fd, (long)"changed\n", 8, 0, 0, 0);
        return report(attack, fd);
    }
    /* the one name change the filter lets the stub make (a Landlock domain judges it) */
    if (!strcmp(what, "unlink"))
        return report(attack, host_call(SYS_unlinkat, AT_FDCWD, (long)arg, 0, 0, 0, 0));
    /* the metadata calls Landlock does not judge: the host judges them by owner alone */
    if (!strcmp(what, "chmod"))
        return report(attack, host_call(SYS_fchmodat, AT_FDCWD, (long)arg, 04777, 0, 0, 0));
    if (!strcmp(what, "fchmod")) {
        long fd = host_call(SYS_openat, AT_FDCWD, (long)arg, O_RDONLY, 0, 0, 0);
        return report(attack, fd < 0 ? fd : host_call(SYS_fchmod, fd, 04777, 0, 0, 0, 0));
    }
    if (!strcmp(what, "utime")) {
        struct timespec epoch[2] = {{0, 0}, {0, 0}};
        return report(attack, host_call(SYS_utimensat, AT_FDCWD, (long)arg, (long)epoch, 0, 0, 0));
    }
    if (!strcmp(what, "xattr"))
        return report(attack, host_call(SYS_setxattr, (long)arg, (long)"user.gts", (long)"x", 1, 0, 0));
    if (!strcmp(what, "lease")) {
        long fd = host_call(SYS_openat, AT_FDCWD, (long)arg, O_RDONLY, 0, 0, 0);
        long r = fd < 0 ? fd : host_call(SYS_fcntl, fd, F_SETLEASE, F_RDLCK, 0, 0, 0);
        if (r == 0 && host_call(SYS_fcntl, fd, F_GETOWN, 0, 0, 0, 0) != (plain ? getpid() : host_call(SYS_getpid, 0, 0, 0, 0, 0, 0)))
            r = -EOWNERDEAD; /* the lease's breaks would go elsewhere */
        return report(attack, r);
    }
    if (!strcmp(what, "kill"))
        return report(attack, host_call(SYS_kill, atol(arg), SIGKILL, 0, 0, 0, 0));
    long worker = host_call(SYS_getppid, 0, 0, 0, 0, 0, 0);
    if (!strcmp(what, "ptrace")) {
        long r = host_call(SYS_ptrace, PTRACE_SEIZE, worker, 0, 0, 0, 0);
        if (r == 0)
            host_call(SYS_ptrace, PTRACE_DETACH, worker, 0, 0, 0, 0);
        return report(attack, r);
    }
    if (!strcmp(what, "vm-write")) {
        /* an address nobody maps: a process allowed to write there gets EFAULT, one that is not EPERM */
        char byte = 0;
        struct iovec local = {&byte, 1}, remote = {(void *)8, 1};
        long r = host_call(SYS_process_vm_writev, worker, (long)&local, 1, (long)&remote, 1, 0);
        return report(attack, r == -EFAULT ? 0 : r);
    }
    if (!strcmp(what, "unshare"))
        return report(attack, host_call(SYS_unshare, CLONE_NEWUSER, 0, 0, 0, 0, 0));
    if (!strcmp(what, "packet")) {
        long fd = host_call(SYS_socket, AF_PACKET, SOCK_RAW, htons(0x0003 /* ETH_P_ALL */), 0, 0, 0);
        return report(attack, fd);
    }
    if (!strcmp(what, "netlink-addr")) {
        struct nlmsghdr *h = netlink_message(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof(struct ifaddrmsg));
        struct ifaddrmsg *ifa = NLMSG_DATA(h);
        ifa->ifa_family = AF_INET;
        ifa->ifa_prefixlen = 32;
        ifa->ifa_index = 1; /* lo */
        struct in_addr a;
        inet_pton(AF_INET, arg, &a);
        add_attr(h, IFA_LOCAL, &a, 4);
        add_attr(h, IFA_ADDRESS, &a, 4);
        return report(attack, netlink_request(h, h->nlmsg_len));
    }
    if (!strcmp(what, "netlink-alias")) {
        struct nlmsghdr *h = netlink_message(RTM_NEWLINK, 0, sizeof(struct ifinfomsg));
        struct ifinfomsg *ifi = NLMSG_DATA(h);
        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = 1; /* lo */
        add_attr(h, IFLA_IFALIAS, arg, (unsigned)strlen(arg) + 1);
        return report(attack, netlink_request(h, h->nlmsg_len));
    }
    if (!strcmp(what, "abstract")) {
        long fd = host_call(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, 0, 0, 0);
        if (fd < 0)
            return report(attack, fd);
        struct sockaddr_un to = {.sun_family = AF_UNIX};
        unsigned len = (unsigned)strlen(arg);
        memcpy(to.sun_path + 1, arg, len);
        long r = host_call(SYS_connect, fd, (long)&to, (long)(offsetof(struct sockaddr_un, sun_path) + 1 + len), 0, 0, 0);
        if (r == 0)
            host_call(SYS_write, fd, (long)"reached\n", 8, 0, 0, 0);
        return report(attack, r);
    }
    if (!strcmp(what, "unix")) {
        struct sockaddr_un to = {.sun_family = AF_UNIX};
        snprintf(to.sun_path, sizeof(to.sun_path), "%s", arg);
        long fd = host_call(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, 0, 0, 0);
        if (fd < 0)
            return report(attack, fd);
        long r = host_call(SYS_connect, fd, (long)&to, sizeof(to), 0, 0, 0);
        if (r == 0)
            host_call(SYS_write, fd, (long)"reached\n", 8, 0, 0, 0);
        return report(attack, r);
    }
    if (!strcmp(what, "caps")) {
        /* the host capabilities the process has: its sets, and how many the bounding set and
         * the ambient set hold (the ones an exec would give back) */
        struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
        struct __user_cap_data_struct sets[2];
        long r = host_call(SYS_capget, (long)&header, (long)sets, 0, 0, 0, 0);
        if (r < 0)
            return report(attack, r);
        unsigned any = 0, bounding = 0, ambient = 0;
        for (int i = 0; i < 2; i++)
            any |= sets[i].effective | sets[i].permitted | sets[i].inheritable;
        for (int cap = 0; cap < 64; cap++) {
            if (host_call(SYS_prctl, PR_CAPBSET_READ, cap, 0, 0, 0, 0) == 1)
                bounding++;
            if (host_call(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0, 0) == 1)
                ambient++;
        }
        printf("caps: %x/%u/%u\n", any, bounding, ambient);
        return 0;
    }
    if (!strcmp(what, "ids")) {
        /* the host's real, effective and saved uids, then gids, as the kernel has them */
        unsigned int u[3], g[3];
        long r = host_call(SYS_getresuid, (long)&u[0], (long)&u[1], (long)&u[2], 0, 0, 0);
        if (r == 0)
            r = host_call(SYS_getresgid, (long)&g[0], (long)&g[1], (long)&g[2], 0, 0, 0);
        if (r < 0)
            return report(attack, r);
        printf("ids: %u/%u/%u:%u/%u/%u\n", u[0], u[1], u[2], g[0], g[1], g[2]);
        return 0;
    }
    if (!strcmp(what, "tiocsti")) {
        char c = 'Z';
        return report(attack, host_call(SYS_ioctl, 0, TIOCSTI, (long)&c, 0, 0, 0));
    }
    /* a host process of the instance's host user: the same owner, so only the boundary stops these */
    long victim = atol(arg);
    if (!strcmp(what, "renice"))
        return report(attack, host_call(SYS_setpriority, PRIO_PROCESS, victim, 19, 0, 0, 0));
    if (!strcmp(what, "affinity")) {
        unsigned long cpu0 = 1;
        return report(attack, host_call(SYS_sched_setaffinity, victim, sizeof(cpu0), (long)&cpu0, 0, 0, 0));
    }
    if (!strcmp(what, "idle")) {
        struct sched_param none = {0};
        return report(attack, host_call(SYS_sched_setscheduler, victim, SCHED_IDLE, (long)&none, 0, 0, 0));
    }
    if (!strcmp(what, "ioprio"))
        return report(attack, host_call(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, victim, 3 << 13 /* idle */, 0, 0, 0));
    if (!strcmp(what, "prlimit")) {
        struct rlimit few = {16, 16};
        return report(attack, host_call(SYS_prlimit64, victim, RLIMIT_NOFILE, (long)&few, 0, 0, 0));
    }
    /* the host's IPC objects (the instance's are the leader's) */
    if (!strcmp(what, "shm-remove"))
        return report(attack, host_call(SYS_shmctl, atol(arg), IPC_RMID, 0, 0, 0, 0));
    if (!strcmp(what, "msg-remove"))
        return report(attack, host_call(SYS_msgctl, atol(arg), IPC_RMID, 0, 0, 0, 0));
    if (!strcmp(what, "sem-remove"))
        return report(attack, host_call(SYS_semctl, atol(arg), 0, IPC_RMID, 0, 0, 0));
    if (!strcmp(what, "mq-create")) {
        long fd = host_call(SYS_mq_open, (long)arg, O_RDWR | O_CREAT | O_EXCL, 0600, 0, 0, 0);
        return report(attack, fd);
    }
    if (!strcmp(what, "mq-unlink"))
        return report(attack, host_call(SYS_mq_unlink, (long)arg, 0, 0, 0, 0, 0));
    printf("unknown attack %s\n", attack);
    return 2;
}
