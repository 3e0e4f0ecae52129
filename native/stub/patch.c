/*
 * Direct calls: syscall sites patched to call the stub without a trap.
 *
 * A trap costs a signal delivery and a sigreturn (about 3.5 us on a VM, several times the call
 * itself). For the calls the stub answers alone and often (the stat family, opens for reading
 * on a host mount, access, readlink and getcwd there, getpid and the ids, dup, a wait that finds
 * something ready, an IP server's accept, a shell's signal dispositions and mask: a shell's
 * child, which inherits its patched sites, asks the ids and access for each PATH look-up), the
 * site that trapped is patched once, as gVisor's systrap
 * and rr do: glibc makes a call as `mov $nr, %eax; syscall`, and the 5-byte `mov` becomes a
 * `jmp` to a trampoline of the stub's, near the site (within a rel32), which calls
 * `direct_entry`. glibc's __open64_nocancel (the opens of setlocale, dozens in each program a
 * script runs) has `mov $nr, %eax; mov %rdi, %rsi; mov $-100, %edi; syscall` instead: there the
 * 5-byte `mov $imm, %edi` becomes the `jmp`, and its trampoline makes that move first, and goes
 * to the call only if eax is the number the pattern set (else on to the `syscall`, as before). The
 * `syscall` instruction after it is left as it was, so code that jumps to it, a thread already
 * past the `mov`, and the kernel's restart of an interrupted call (which rewinds to it) all
 * still trap as before; and it is where a direct call that the stub cannot finish alone goes
 * (with rax the call's number): to the trap, and the worker. A wait that must wait goes to the
 * wait gadget instead, with the frame a trap would have written (signal_waits.c).
 *
 * Nothing here is a boundary: the app can reach direct_entry (and the stub's text) anyway, the
 * kernel boundary (sandbox.c) is what holds; what direct_entry reads from the app's memory is
 * checked as any argument.
 *
 * A direct call runs in the app's context: its signal mask, its stack (below the red zone), its
 * signals. So it uses nothing a trap that interrupts it uses (its own path buffers, never the
 * channel), and one a signal handler makes while another is running traps instead. It needs the
 * stub's recovery of faults in copies (uaccess.c): while the app handles SIGSEGV or SIGBUS, or
 * may have blocked them, calls trap. And it is taken only while the process has one thread, for
 * which no other can be running the code being patched; a site is patched under the same rule.
 */
#include <stddef.h>
#include <asm-generic/errno.h>
#include <linux/mman.h>

#include "abi.h"
#include "raw.h"
#include "stub.h"
#include "trap.h"
#include "util.h"

#define PAGE 4096UL
#define MOV_EAX_IMM32 0xb8
#define MOV_EDI_IMM32 0xbf
#define JMP_REL32 0xe9
#define SITE_BYTES 7     /* mov $nr, %eax (5) ; syscall (2) */
#define TRAMPOLINE_BYTES 32
/* mov $nr, %eax (5) ; mov %rdi, %rsi (3) ; mov $imm, %edi (5) ; syscall (2): the site is the last 7 */
#define EDI_PATTERN_BYTES 15
#define EDI_TRAMPOLINE_SLOTS 2 /* its trampoline takes two */
#define REACH (1UL << 31) /* what a rel32 reaches, either way */

/*
 * A trampoline, one per site, in a page of trampolines within a rel32 of the site:
 *   lea -272(%rsp), %rsp      skip the red zone, and room for a wait's frame (signal_waits.c)
 *   call *entry(%rip)         direct_entry, whose address is at the start of the page
 *   .quad resume_ip           the data direct_entry finds at its return address
 *   .long nr
 * and for a site of the `mov $imm, %edi` pattern, before that (in two slots):
 *   cmp $nr, %eax ; je 1f     the number the pattern set: the call
 *   mov $imm, %edi ; jmp site's syscall    anything else (code that jumped to the move): as before
 *   1: mov $imm, %edi          then the lea, the call and the data above
 */
struct trampoline_data {
    unsigned long resume_ip; /* after the site's syscall instruction */
    unsigned int nr;
} __attribute__((packed));
#define TRAMPOLINE_CALL_END 14 /* the call's return address: the data */
#define STACK_SKIP (RED_ZONE + WAIT_FRAME_BYTES)
#define S_(x) #x
#define S(x) S_(x)

/*
 * What direct_entry pushed, lowest address first. It goes on at `resume` with `skip` added to
 * its stack pointer: the trampoline's skip, or none for a wait, whose frame is right above.
 */
struct direct_frame {
    unsigned long r9, r8, r10, rdx, rsi, rdi, rflags, skip;
    unsigned long resume; /* the trampoline's data, then the address to go on at */
};

extern void direct_entry(void) __attribute__((visibility("hidden")));
__asm__(".text\n"
        ".globl direct_entry\n"
        "direct_entry:\n\t"
        "pushq $" S(STACK_SKIP) "\n\t"
        "pushfq\n\t"
        "push %rdi\n\t"
        "push %rsi\n\t"
        "push %rdx\n\t"
        "push %r10\n\t"
        "push %r8\n\t"
        "push %r9\n\t"
        "push %rbp\n\t"
        "mov %rsp, %rbp\n\t"
        "and $-16, %rsp\n\t"
        "lea 8(%rbp), %rdi\n\t"
        "cld\n\t"
        "call direct_call\n\t"
        "mov %rbp, %rsp\n\t"
        "pop %rbp\n\t"
        "pop %r9\n\t"
        "pop %r8\n\t"
        "pop %r10\n\t"
        "pop %rdx\n\t"
        "pop %rsi\n\t"
        "pop %rdi\n\t"
        "popfq\n\t"
        "pop %r11\n\t" /* rcx and r11 are the syscall instruction's to clobber */
        "pop %rcx\n\t"
        "lea (%rsp,%r11), %rsp\n\t" /* lea: the app's flags are back already */
        "jmp *%rcx\n");

/* the pages of trampolines of this image (a fork's child has its parent's; an exec starts over) */
#define TRAMPOLINE_PAGES_MAX 64
static struct {
    unsigned long base;
    unsigned int used; /* trampolines in it */
} pages[TRAMPOLINE_PAGES_MAX];
static unsigned int n_pages;

/* sites not to try again (no trampoline near, or code that could not be written), a ring */
#define SKIPPED_MAX 32
static unsigned long skipped[SKIPPED_MAX];
static unsigned int n_skipped;

static int is_direct_call(long nr)
{
    switch (nr) {
    case __NR_getpid:
    case __NR_gettid:
    case __NR_newfstatat:
    case __NR_stat:
    case __NR_lstat:
    case __NR_statx:
    case __NR_open:
    case __NR_openat:
    case __NR_access:
    case __NR_faccessat:
    case __NR_faccessat2:
    case __NR_readlink:
    case __NR_readlinkat:
    case __NR_getcwd:
    case __NR_getuid:
    case __NR_geteuid:
    case __NR_getgid:
    case __NR_getegid:
    case __NR_dup:
    case __NR_dup2:
    case __NR_dup3:
    case __NR_poll:
    case __NR_epoll_wait:
    case __NR_epoll_pwait:
    case __NR_accept:
    case __NR_accept4:
    case __NR_recvfrom:
    case __NR_rt_sigaction:
    case __NR_rt_sigprocmask:
        return 1;
    default:
        return 0;
    }
}

/* May a direct call run (or a site be patched) now? */
static int direct_calls_usable(void)
{
    return __atomic_load_n(&g_stub.threads_live, __ATOMIC_ACQUIRE) == 0 && !g_stub.trace && !g_stub.strace &&
           !__atomic_load_n(&g_stub.faults_maybe_blocked, __ATOMIC_RELAXED) && uaccess_recovers_faults();
}

static int in_trampoline_page(unsigned long addr, unsigned long len)
{
    for (unsigned int i = 0; i < n_pages; i++)
        if (addr >= pages[i].base + TRAMPOLINE_BYTES && addr + len <= pages[i].base + PAGE)
            return 1;
    return 0;
}

/* The call itself, for a process with one thread (the main one). */
static long direct_syscall(long nr, const long *a)
{
    switch (nr) {
    case __NR_getpid:
        return g_stub.vpid;
    case __NR_gettid:
        return g_main_thread.vtid;
    case __NR_getuid:
    case __NR_geteuid:
    case __NR_getgid:
    case __NR_getegid: {
        /* as the worker said (a shell's child asks all four for each PATH look-up); unknown: the trap's, and the worker's */
        long id = ids_known(nr);
        return id >= 0 ? id : PATH_FORWARD;
    }
    case __NR_dup:
    case __NR_dup2:
    case __NR_dup3:
        return dup_call(nr, a);
    case __NR_poll:
    case __NR_epoll_wait:
    case __NR_epoll_pwait:
        /* a wait that finds something ready (one that must wait: direct_call) */
        return wait_answered_now(nr, a);
    case __NR_accept:
    case __NR_accept4:
    case __NR_recvfrom:
        /*
         * An IP socket's, as made: one that blocks is interrupted as the app's own call would be
         * (a handler without SA_RESTART that the doorbell makes due ends it with EINTR).
         */
        return socket_call_without_names(nr, a);
    case __NR_rt_sigaction:
        return direct_sigaction(a);
    case __NR_rt_sigprocmask:
        return direct_sigprocmask(a);
    default:
        return local_path_call(&g_main_thread.direct_paths, nr, a);
    }
}

__attribute__((used)) long direct_call(struct direct_frame *f)
{
    struct trampoline_data d;
    if (!in_trampoline_page(f->resume, sizeof(d))) {
        /* not called from a trampoline: the app jumped here itself; as a jump to nowhere */
        f->resume = 0;
        return -EFAULT;
    }
    memcpy(&d, (const void *)f->resume, sizeof(d));
    long nr = d.nr;
    /* unless answered here: to the site's syscall instruction, which traps, with rax the number */
    f->resume = d.resume_ip - 2;
    /*
     * A call made while another runs comes from a signal handler, whose frame is below (the
     * main thread's stack is the highest mapping, an alternate stack is below it). One above
     * it finds a call a handler left with siglongjmp: over.
     */
    if (!is_direct_call(nr) || !direct_calls_usable() ||
        (g_main_thread.direct_busy && (unsigned long)f < g_main_thread.direct_frame))
        return nr;
    g_main_thread.direct_frame = (unsigned long)f;
    const long a[6] = {(long)f->rdi, (long)f->rsi, (long)f->rdx, (long)f->r10, (long)f->r8, (long)f->r9};
    __atomic_store_n(&g_main_thread.direct_busy, 1, __ATOMIC_RELAXED);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    long r = direct_syscall(nr, a);
    int waits = r == 0 && (nr == __NR_poll || nr == __NR_epoll_wait || nr == __NR_epoll_pwait);
    long args[6];
    if (waits && (r = direct_wait_call(nr, a, (unsigned long)(&f->resume + 1) + STACK_SKIP, d.resume_ip, args)) > 0) {
        /* to the stub's wait gadget, with its frame right above the stack pointer (struct direct_frame) */
        f->rdi = (unsigned long)args[0];
        f->rsi = (unsigned long)args[1];
        f->rdx = (unsigned long)args[2];
        f->r10 = (unsigned long)args[3];
        f->r8 = (unsigned long)args[4];
        f->r9 = (unsigned long)args[5];
        f->skip = 0;
        f->resume = wait_gadget_address();
    } else if (r != PATH_FORWARD) {
        f->resume = d.resume_ip;
    } else {
        r = nr;
    }
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    __atomic_store_n(&g_main_thread.direct_busy, 0, __ATOMIC_RELAXED);
    return r;
}

/*
 * Write `n` bytes of code at `dst` (app memory that is executable and readable): made writable
 * for the write if it was not, and put back.
 */
static int write_code(unsigned char *dst, const void *src, unsigned long n)
{
    /* writing what is there already tells whether it is writable (the kernel does not force it) */
    int writable = kernel_copy_to_app(dst, dst, n) == 0;
    unsigned long lo = (unsigned long)dst & ~(PAGE - 1), hi = ((unsigned long)dst + n + PAGE - 1) & ~(PAGE - 1);
    if (!writable && raw3(__NR_mprotect, lo, hi - lo, PROT_READ | PROT_WRITE | PROT_EXEC) < 0)
        return -1; /* a shared mapping of a file opened read-only, say: left as it is */
    memcpy(dst, src, n);
    if (!writable)
        raw3(__NR_mprotect, lo, hi - lo, PROT_READ | PROT_EXEC);
    return 0;
}

static int within_reach(unsigned long from, unsigned long to)
{
    unsigned long d = from > to ? from - to : to - from;
    return d < REACH - 2 * PAGE;
}

/* A new page of trampolines within reach of `site`, or -1. */
static int new_page(unsigned long site)
{
    if (n_pages >= TRAMPOLINE_PAGES_MAX)
        return -1;
    /* below the site first (the images' gaps), then above, 32 MiB apart, up to 1 GiB away */
    for (unsigned long k = 1; k <= 32; k++) {
        for (int up = 0; up < 2; up++) {
            unsigned long step = k << 25, at = (site & ~(PAGE - 1));
            if (up ? at + step < at : at < step + (1UL << 20))
                continue;
            at = up ? at + step : at - step;
            if (at >= GTS_STUB_WINDOW - (1UL << 32) && at < GTS_STUB_WINDOW + GTS_STUB_WINDOW_SIZE + (1UL << 32))
                continue; /* nowhere near the stub's window */
            long p = raw6(__NR_mmap, at, PAGE, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
            if (p < 0 && p > -4096)
                continue;
            if ((unsigned long)p != at) { /* a kernel without MAP_FIXED_NOREPLACE placed it elsewhere */
                raw2(__NR_munmap, p, PAGE);
                continue;
            }
            void (*entry)(void) = direct_entry;
            memcpy((void *)at, &entry, sizeof(entry));
            raw3(__NR_mprotect, at, PAGE, PROT_READ | PROT_EXEC);
            pages[n_pages].base = at;
            pages[n_pages].used = 0;
            return (int)n_pages++;
        }
    }
    return -1;
}

/*
 * A trampoline for the site (`resume_ip` after its syscall instruction) calling `nr`, or 0.
 * `edi_move`: the site's `mov $imm, %edi` (5 bytes), which the trampoline makes first, or null.
 */
static unsigned long make_trampoline(unsigned long resume_ip, long nr, const unsigned char *edi_move)
{
    unsigned int slots = edi_move ? EDI_TRAMPOLINE_SLOTS : 1;
    int i = -1;
    for (unsigned int j = 0; j < n_pages; j++)
        if (within_reach(pages[j].base, resume_ip) && (pages[j].used + 1 + slots) * TRAMPOLINE_BYTES <= PAGE)
            i = (int)j;
    if (i < 0 && (i = new_page(resume_ip)) < 0)
        return 0;
    unsigned long t = pages[i].base + (pages[i].used + 1) * TRAMPOLINE_BYTES;
    unsigned char code[EDI_TRAMPOLINE_SLOTS * TRAMPOLINE_BYTES];
    unsigned int at = 0;
    if (edi_move) {
        /* cmp $nr, %eax ; je +10 ; mov $imm, %edi ; jmp resume_ip - 2 ; mov $imm, %edi */
        unsigned int imm = (unsigned int)nr;
        code[at++] = 0x3d;
        memcpy(code + at, &imm, 4);
        at += 4;
        code[at++] = 0x74;
        code[at++] = 10;
        memcpy(code + at, edi_move, 5);
        at += 5;
        code[at++] = JMP_REL32;
        int back = (int)((long)(resume_ip - 2) - (long)(t + at + 4));
        memcpy(code + at, &back, 4);
        at += 4;
        memcpy(code + at, edi_move, 5);
        at += 5;
    }
    static const unsigned char call[10] = {0x48, 0x8d, 0xa4, 0x24, 0, 0, 0, 0, /* lea disp32(%rsp),%rsp */
                                           0xff, 0x15};                       /* call *disp32(%rip) */
    memcpy(code + at, call, sizeof(call));
    int skip = -STACK_SKIP;
    memcpy(code + at + 4, &skip, 4);
    at += TRAMPOLINE_CALL_END;
    int disp = (int)((long)pages[i].base - (long)(t + at));
    memcpy(code + at - 4, &disp, 4);
    struct trampoline_data d = {resume_ip, (unsigned int)nr};
    memcpy(code + at, &d, sizeof(d));
    at += (unsigned int)sizeof(d);
    if (raw3(__NR_mprotect, pages[i].base, PAGE, PROT_READ | PROT_WRITE) < 0)
        return 0;
    memcpy((void *)t, code, at);
    raw3(__NR_mprotect, pages[i].base, PAGE, PROT_READ | PROT_EXEC);
    pages[i].used += slots;
    return t;
}

static int is_skipped(unsigned long site)
{
    for (unsigned int i = 0; i < SKIPPED_MAX; i++)
        if (skipped[i] == site)
            return 1;
    return 0;
}

/*
 * glibc's `mov $nr, %eax; mov %rdi, %rsi; mov $imm, %edi; syscall` ending at `resume_ip`: its
 * `mov $imm, %edi`, at the site, is copied to `edi_move`. 1 if it is that.
 */
static int is_edi_pattern(unsigned long resume_ip, long nr, unsigned char *edi_move)
{
    unsigned char code[EDI_PATTERN_BYTES];
    unsigned int imm;
    if (resume_ip < EDI_PATTERN_BYTES || copy_from_app(code, (const void *)(resume_ip - EDI_PATTERN_BYTES), EDI_PATTERN_BYTES))
        return 0;
    memcpy(&imm, code + 1, 4);
    if (code[0] != MOV_EAX_IMM32 || imm != (unsigned long)nr || code[5] != 0x48 || code[6] != 0x89 || code[7] != 0xfe ||
        code[8] != MOV_EDI_IMM32 || code[13] != 0x0f || code[14] != 0x05)
        return 0;
    memcpy(edi_move, code + 8, 5);
    return 1;
}

void patch_site(long nr, const void *call_addr)
{
    unsigned long resume_ip = (unsigned long)call_addr, site = resume_ip - SITE_BYTES;
    unsigned char code[SITE_BYTES], edi_move[5];
    if (!is_direct_call(nr) || !direct_calls_usable() || resume_ip < SITE_BYTES)
        return;
    if (copy_from_app(code, (const void *)site, SITE_BYTES) || code[5] != 0x0f || code[6] != 0x05)
        return; /* not a syscall instruction there (or patched already) */
    unsigned int imm;
    memcpy(&imm, code + 1, 4);
    int edi = code[0] == MOV_EDI_IMM32 && is_edi_pattern(resume_ip, nr, edi_move);
    if (!edi && (code[0] != MOV_EAX_IMM32 || imm != (unsigned long)nr))
        return; /* not one of glibc's patterns */
    if (overlaps_stub(site, SITE_BYTES) || in_trampoline_page(site, SITE_BYTES) || is_skipped(site))
        return;
    unsigned long t = make_trampoline(resume_ip, nr, edi ? edi_move : 0);
    unsigned char jmp[5] = {JMP_REL32};
    int rel = (int)((long)t - (long)(site + 5));
    memcpy(jmp + 1, &rel, 4);
    if (!t || write_code((unsigned char *)site, jmp, sizeof(jmp)) < 0)
        skipped[n_skipped++ % SKIPPED_MAX] = site;
}
