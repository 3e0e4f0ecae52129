/*
 * The stub's reads and writes of app memory. The app's pointers are untrusted: a bad one must
 * give EFAULT, as the kernel's copy_from_user does, and never fault the process.
 *
 * While the app leaves SIGSEGV and SIGBUS at their default action (most programs), the host's
 * handlers of both are the stub's, and a copy is plain loads and stores in uaccess_copy /
 * uaccess_copy_string: a fault there lands in fault_handler, which makes the copy return -EFAULT
 * (the kernel's own exception table works so). Any other fault, or one of those signals sent by
 * someone, gets the default action, as if the stub were not there. The stub's handlers never
 * leave these two blocked (a blocked fault would kill the process instead).
 *
 * When the app handles or ignores either, the host's disposition is the app's, and each page is
 * checked before it is read (one light syscall a page), or the kernel copies (process_vm_*).
 */
#include <asm-generic/errno.h>

#include "raw.h"
#include "stub.h"
#include "trap.h"
#include "util.h"

#define K_SA_SIGINFO 4
#define K_SA_ONSTACK 0x08000000
#define K_SA_RESTORER 0x04000000

/* the copies a fault may interrupt, and where such a copy returns -EFAULT from */
extern char uaccess_begin[], uaccess_end[], uaccess_fixup[];
long uaccess_copy(void *dst, const void *src, unsigned long n);               /* 0 */
long uaccess_copy_string(char *dst, const char *src, unsigned long max);      /* length, or -ERANGE */
__asm__(".text\n"
        ".globl uaccess_begin, uaccess_end, uaccess_fixup, uaccess_copy, uaccess_copy_string\n"
        "uaccess_begin:\n"
        "uaccess_copy:\n\t"
        "mov %rdx, %rcx\n\t"
        "rep movsb\n\t"
        "xor %eax, %eax\n\t"
        "ret\n"
        "uaccess_copy_string:\n\t"
        "xor %eax, %eax\n"
        "1:\n\t"
        "cmp %rdx, %rax\n\t"
        "jae 3f\n\t"
        "movzbl (%rsi,%rax), %ecx\n\t"
        "mov %cl, (%rdi,%rax)\n\t"
        "test %cl, %cl\n\t"
        "jz 2f\n\t"
        "inc %rax\n\t"
        "jmp 1b\n"
        "2:\n\t"
        "ret\n"
        "3:\n\t"
        "mov $-34, %rax\n\t" /* -ERANGE */
        "ret\n"
        "uaccess_end:\n"
        "uaccess_fixup:\n\t" /* the stack is as the copy found it: return to its caller */
        "mov $-14, %rax\n\t" /* -EFAULT */
        "ret\n");


/* Is the host's disposition of SIGSEGV / SIGBUS the stub's (the app's is the default)? */
static int armed[K_SIGSEGV + 1];
/* what the app last set for each while it is armed (SIG_DFL, with its flags and mask) */
static struct k_sigaction app_default[K_SIGSEGV + 1];

int uaccess_recovers_faults(void)
{
    return __atomic_load_n(&armed[K_SIGSEGV], __ATOMIC_RELAXED) && __atomic_load_n(&armed[K_SIGBUS], __ATOMIC_RELAXED);
}

struct k_siginfo_fault {
    int si_signo, si_errno, si_code, pad;
    void *si_addr;
};

static void fault_handler(int sig, struct k_siginfo_fault *info, struct k_ucontext *uc)
{
    unsigned long ip = uc->uc_mcontext.rip;
    /* a fault (si_code > 0: the kernel's) in a copy: the copy fails */
    if (info->si_code > 0 && ip >= (unsigned long)uaccess_begin && ip < (unsigned long)uaccess_end) {
        uc->uc_mcontext.rip = (unsigned long)uaccess_fixup;
        return;
    }
    /*
     * The app's: the default action. A fault happens again as the instruction runs again; a
     * signal someone sent is sent again, and delivered once this handler returns. (No lock: a
     * stub bug faulting with it held must end the process, not hang it.)
     */
    struct k_sigaction dfl = {0};
    __atomic_store_n(&armed[sig], 0, __ATOMIC_RELAXED);
    raw4(__NR_rt_sigaction, sig, &dfl, 0, 8);
    if (info->si_code <= 0)
        raw3(__NR_tgkill, host_pid(), host_tid(), sig);
}

static long arm(int sig)
{
    struct k_sigaction act = {
        .handler = (void *)fault_handler,
        .flags = K_SA_SIGINFO | K_SA_RESTORER | K_SA_ONSTACK,
        .restorer = (void *)sigsys_restorer,
        .mask = ~0UL,
    };
    long r = raw4(__NR_rt_sigaction, sig, &act, 0, 8);
    if (!r)
        __atomic_store_n(&armed[sig], 1, __ATOMIC_RELAXED);
    return r;
}

void uaccess_init(void)
{
    static const struct k_sigaction none;
    for (int sig = K_SIGBUS; sig <= K_SIGSEGV; sig += K_SIGSEGV - K_SIGBUS) {
        struct k_sigaction cur;
        app_default[sig] = none;
        armed[sig] = 0;
        /* an exec'd image keeps a disposition of SIG_IGN: then it stays the app's */
        if (!raw4(__NR_rt_sigaction, sig, 0, &cur, 8) && !cur.handler)
            arm(sig);
    }
}

int is_fault_signal(long sig) { return sig == K_SIGSEGV || sig == K_SIGBUS; }

long fault_sigaction(int sig, const struct k_sigaction *act, struct k_sigaction *old)
{
    struct k_sigaction cur;
    stub_lock(&g_stub.lock); /* threads change dispositions one at a time, as on Linux */
    long r = raw4(__NR_rt_sigaction, sig, 0, &cur, 8);
    if (!r && armed[sig])
        cur = app_default[sig];
    if (!r && act) {
        if (!act->handler) {
            app_default[sig] = *act;
            r = armed[sig] ? 0 : arm(sig);
        } else {
            __atomic_store_n(&armed[sig], 0, __ATOMIC_RELAXED);
            r = raw4(__NR_rt_sigaction, sig, act, 0, 8);
        }
    }
    stub_unlock(&g_stub.lock);
    if (!r && old)
        *old = cur;
    return r;
}

long app_disposition(int sig, struct k_sigaction *act)
{
    long r = raw4(__NR_rt_sigaction, sig, 0, act, 8);
    if (!r && is_fault_signal(sig) && __atomic_load_n(&armed[sig], __ATOMIC_RELAXED))
        *act = app_default[sig];
    return r;
}

void uaccess_allow(const struct k_ucontext *uc)
{
    unsigned long faults = SIGBIT(K_SIGSEGV) | SIGBIT(K_SIGBUS);
    if (uc->uc_sigmask & faults)
        raw4(__NR_rt_sigprocmask, 1 /* SIG_UNBLOCK */, &faults, 0, 8);
}

/* Copy between the stub and app memory through the kernel, which checks the app's pointer. */
static long copy_app(long nr, void *local_buf, const void *app_buf, unsigned long n)
{
    struct k_iov {
        const void *b;
        unsigned long l;
    } local = {local_buf, n}, remote = {app_buf, n};
    long r = raw6(nr, host_pid(), &local, 1, &remote, 1, 0);
    if (r < 0)
        return r == -ENOMEM ? -EFAULT : r;
    return (unsigned long)r == n ? 0 : -EFAULT;
}

/*
 * Is each page of [p, p + n) readable? The kernel reads 8 bytes at the start of each into the
 * signal mask to block -- which changes nothing here, where the handler blocks every signal
 * but the faults already (and sigreturn restores the app's from the frame). One light syscall
 * a page, where process_vm_readv costs a page-table walk of the whole call.
 */
static int pages_readable(const void *p, unsigned long n)
{
    unsigned long page = (unsigned long)p & ~4095UL, end = (unsigned long)p + n;
    for (; page < end; page += 4096)
        if (page == 0 || raw4(__NR_rt_sigprocmask, 0 /* SIG_BLOCK */, page, 0, 8) < 0)
            return 0; /* (a NULL set would ask nothing; nothing is mapped at 0) */
    return 1;
}

#define DIRECT_COPY_MAX 8192 /* without recovery, reads up to this size are checked page by page */

/* Does [p, p + n) wrap around the address space? (The kernel's range check refuses it.) */
static int wraps(const void *p, unsigned long n) { return (unsigned long)p + n < (unsigned long)p; }

long copy_from_app(void *dst, const void *src, unsigned long n)
{
    if (wraps(src, n))
        return -EFAULT;
    if (uaccess_recovers_faults())
        return uaccess_copy(dst, src, n);
    if (n <= DIRECT_COPY_MAX) {
        if (!pages_readable(src, n))
            return -EFAULT;
        memcpy(dst, src, n);
        return 0;
    }
    return copy_app(__NR_process_vm_readv, dst, src, n);
}

long copy_string_from_app(char *dst, const char *src, unsigned long max)
{
    if (uaccess_recovers_faults())
        return uaccess_copy_string(dst, src, max);
    unsigned long got = 0;
    while (got < max) {
        const char *at = src + got;
        unsigned long chunk = 4096 - ((unsigned long)at & 4095);
        if (chunk > max - got)
            chunk = max - got;
        if (!pages_readable(at, 1))
            return -EFAULT;
        /* the page is readable: look for the end in place, and copy no further */
        unsigned long len = 0;
        while (len < chunk && at[len])
            len++;
        memcpy(dst + got, at, len < chunk ? len + 1 : chunk);
        if (len < chunk)
            return (long)(got + len);
        got += chunk;
    }
    return -ERANGE;
}

long kernel_copy_to_app(void *dst, const void *src, unsigned long n)
{
    return wraps(dst, n) ? -EFAULT : copy_app(__NR_process_vm_writev, (void *)src, dst, n);
}

long copy_to_app(void *dst, const void *src, unsigned long n)
{
    if (wraps(dst, n))
        return -EFAULT;
    if (uaccess_recovers_faults())
        return uaccess_copy(dst, src, n);
    return copy_app(__NR_process_vm_writev, (void *)src, dst, n);
}
