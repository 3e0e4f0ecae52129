/*
 * The seccomp filter: the data plane is allowed outright (so the kernel's action cache skips
 * the filter for it), the stub's own syscall sites are allowed by instruction pointer, memory
 * calls are allowed unless they could touch the stub's window, and everything else traps.
 */
#include <stddef.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/mman.h>
#include <linux/prctl.h>
#include <asm-generic/errno-base.h>

#include "raw.h"
#include "stub.h"

static const unsigned short native_syscalls[] = {
    /* I/O on host fds */
    __NR_read, __NR_write, __NR_pread64, __NR_pwrite64, __NR_readv, __NR_writev, __NR_preadv,
    __NR_pwritev, __NR_preadv2, __NR_pwritev2, __NR_lseek, __NR_sendfile, __NR_copy_file_range,
    __NR_splice, __NR_tee, __NR_fadvise64, __NR_readahead, __NR_fsync, __NR_fdatasync,
    __NR_sync_file_range, __NR_ftruncate, __NR_fallocate, __NR_ioctl, __NR_pipe, __NR_pipe2,
    __NR_eventfd2, __NR_fchmod, __NR_fchown, __NR_fstatfs, __NR_fgetxattr, __NR_flistxattr,
    /* sockets: data calls on already-connected host sockets */
    __NR_sendto, __NR_recvfrom, __NR_sendmsg, __NR_recvmsg, __NR_sendmmsg, __NR_recvmmsg,
    __NR_shutdown, __NR_getsockopt, __NR_setsockopt, __NR_getsockname, __NR_getpeername,
    __NR_accept, __NR_accept4, __NR_socket, __NR_socketpair, __NR_listen,
    /* polling and waiting */
    __NR_poll, __NR_ppoll, __NR_select, __NR_pselect6, __NR_epoll_create, __NR_epoll_create1,
    __NR_epoll_ctl, __NR_epoll_wait, __NR_epoll_pwait, __NR_epoll_pwait2, __NR_futex,
    __NR_get_robust_list, __NR_set_robust_list,
    /* memory without address arguments that could reach the stub */
    __NR_brk, __NR_msync, __NR_mincore, __NR_mlock, __NR_munlock, __NR_mlockall,
    __NR_munlockall, __NR_mlock2, __NR_membarrier,
    /* time, scheduling, randomness */
    __NR_nanosleep, __NR_clock_nanosleep, __NR_clock_gettime, __NR_clock_getres,
    __NR_gettimeofday, __NR_time, __NR_sched_yield, __NR_sched_getaffinity, __NR_getcpu,
    __NR_getrandom, __NR_getrusage, __NR_times,
    /* per-thread kernel state the host keeps exactly as Linux */
    __NR_rt_sigreturn, __NR_sigaltstack, __NR_arch_prctl, __NR_exit, __NR_exit_group,
};

struct mem_rule {
    unsigned short nr;
    unsigned char addr_arg, len_arg;
    unsigned int fixed_flag_arg; /* 0xff: none */
    unsigned int fixed_flag;
};

/* Memory calls that may name an address: they trap only when the range could reach the stub. */
static const struct mem_rule mem_rules[] = {
    {__NR_mmap, 0, 1, 3, MAP_FIXED},
    {__NR_munmap, 0, 1, 0xff, 0},
    {__NR_mprotect, 0, 1, 0xff, 0},
    {__NR_pkey_mprotect, 0, 1, 0xff, 0},
    {__NR_madvise, 0, 1, 0xff, 0},
    {__NR_mremap, 0, 1, 3, MREMAP_FIXED},
};

#define MAX_INSNS 512
static struct sock_filter prog[MAX_INSNS];
static unsigned int len;

static void emit(unsigned short code, unsigned int k, unsigned char jt, unsigned char jf)
{
    if (len < MAX_INSNS)
        prog[len++] = (struct sock_filter){code, jt, jf, k};
}

#define LD(off) emit(BPF_LD | BPF_W | BPF_ABS, (off), 0, 0)
#define RET(v) emit(BPF_RET | BPF_K, (v), 0, 0)
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HI(i) (ARG_LO(i) + 4)

/*
 * One memory rule: allow unless the call is MAP_FIXED-like (mmap only when fixed is checked
 * as "allow when not fixed"), the length is 4 GiB or more, or the address lies in the stub's
 * 4 GiB window or the one below it.
 */
static void emit_mem_rule(const struct mem_rule *r)
{
    int is_mmap = r->nr == __NR_mmap;
    int has_flag = r->fixed_flag_arg != 0xff;
    /* Layout after the JEQ: [flag: LD, JSET] LD lenhi, JEQ, LD addrhi, JEQ, JEQ, ALLOW, TRAP */
    unsigned char body = (unsigned char)(7 + (has_flag ? 2 : 0));
    emit(BPF_JMP | BPF_JEQ | BPF_K, r->nr, 0, body);
    if (has_flag) {
        LD(ARG_LO(r->fixed_flag_arg));
        /* non-fixed mmap cannot clobber anything: allow; a fixed mremap: trap */
        if (is_mmap)
            emit(BPF_JMP | BPF_JSET | BPF_K, r->fixed_flag, 0, 5);
        else
            emit(BPF_JMP | BPF_JSET | BPF_K, r->fixed_flag, 6, 0);
    }
    LD(ARG_HI(r->len_arg));
    emit(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 4);
    LD(ARG_HI(r->addr_arg));
    emit(BPF_JMP | BPF_JEQ | BPF_K, STUB_WINDOW_HI, 2, 0);
    emit(BPF_JMP | BPF_JEQ | BPF_K, STUB_WINDOW_HI - 1, 1, 0);
    RET(SECCOMP_RET_ALLOW);
    RET(SECCOMP_RET_TRAP);
}

int is_native_syscall(long nr)
{
    for (unsigned i = 0; i < sizeof(native_syscalls) / sizeof(native_syscalls[0]); i++)
        if (native_syscalls[i] == nr)
            return 1;
    return 0;
}

long install_seccomp_filter(int trace)
{
    uintptr_t text_lo = (uintptr_t)__executable_start, text_hi = (uintptr_t)etext;
    if ((text_lo >> 32) != STUB_WINDOW_HI || (text_hi >> 32) != STUB_WINDOW_HI)
        return -EINVAL;

    len = 0;
    LD(offsetof(struct seccomp_data, arch));
    emit(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
    RET(SECCOMP_RET_KILL_PROCESS);
    LD(offsetof(struct seccomp_data, nr));
    emit(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1); /* x32 ABI: the handler says ENOSYS */
    RET(SECCOMP_RET_TRAP);
    if (trace) {
        /* a signal frame can only be unwound by the real thing */
        emit(BPF_JMP | BPF_JEQ | BPF_K, __NR_rt_sigreturn, 0, 1);
        RET(SECCOMP_RET_ALLOW);
    }
    for (unsigned i = 0; !trace && i < sizeof(native_syscalls) / sizeof(native_syscalls[0]); i++) {
        emit(BPF_JMP | BPF_JEQ | BPF_K, native_syscalls[i], 0, 1);
        RET(SECCOMP_RET_ALLOW);
    }
    /* The stub's own syscall sites. */
    LD(offsetof(struct seccomp_data, instruction_pointer) + 4);
    emit(BPF_JMP | BPF_JEQ | BPF_K, STUB_WINDOW_HI, 0, 4);
    LD(offsetof(struct seccomp_data, instruction_pointer));
    emit(BPF_JMP | BPF_JGE | BPF_K, (uint32_t)text_lo, 0, 2);
    emit(BPF_JMP | BPF_JGE | BPF_K, (uint32_t)text_hi, 1, 0);
    RET(SECCOMP_RET_ALLOW);
    LD(offsetof(struct seccomp_data, nr));
    for (unsigned i = 0; !trace && i < sizeof(mem_rules) / sizeof(mem_rules[0]); i++)
        emit_mem_rule(&mem_rules[i]);
    RET(SECCOMP_RET_TRAP);
    if (len >= MAX_INSNS)
        return -E2BIG;

    struct sock_fprog fprog = {.len = (unsigned short)len, .filter = prog};
    long r = raw5(__NR_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (r < 0)
        return r;
    /* SPEC_ALLOW: no speculative-store-bypass mitigation forced on the app for having a filter */
    return raw3(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_SPEC_ALLOW, &fprog);
}
