/*
 * SIGSEGV and SIGBUS around bad pointers: a system call given one fails with EFAULT whatever the
 * program does with those signals (default, a handler, ignored, blocked), and the program's own
 * faults and the signals others send it act as on Linux (the default kills it, a handler runs,
 * SIG_IGN ignores a sent one). rt_sigaction reports what the program set.
 */
#include "t.h"
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

static void *volatile bad_ptr = (void *)16;
static sigjmp_buf recover;
static volatile sig_atomic_t caught, jump_back;

static void on_fault(int sig)
{
    caught = sig;
    if (jump_back) {
        jump_back = 0;
        siglongjmp(recover, 1);
    }
}

/* The calls that read or write app memory, with a bad pointer: each must be EFAULT. */
static void bad_pointer_calls(const char *when)
{
    char label[128], *page;
    struct stat st;
    int fd = open("/", O_RDONLY | O_DIRECTORY);
    snprintf(label, sizeof(label), "%s: open(BAD)", when);
    T(label, open(bad_ptr, O_RDONLY));
    snprintf(label, sizeof(label), "%s: stat(BAD)", when);
    T(label, stat(bad_ptr, &st));
    snprintf(label, sizeof(label), "%s: newfstatat(fd, BAD, AT_EMPTY_PATH)", when);
    T(label, syscall(SYS_newfstatat, fd, bad_ptr, &st, AT_EMPTY_PATH));
    snprintf(label, sizeof(label), "%s: rt_sigaction(SIGUSR1, BAD)", when);
    T(label, syscall(SYS_rt_sigaction, SIGUSR1, bad_ptr, NULL, 8));
    snprintf(label, sizeof(label), "%s: rt_sigaction(SIGUSR1, NULL, BAD)", when);
    T(label, syscall(SYS_rt_sigaction, SIGUSR1, NULL, bad_ptr, 8));
    /* a path that runs into a page that cannot be read, with no NUL before it */
    page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED || mprotect(page + 4096, 4096, PROT_NONE) != 0)
        die("mmap");
    memset(page, 'a', 4096);
    snprintf(label, sizeof(label), "%s: open(path into PROT_NONE)", when);
    T(label, open(page + 4096 - 100, O_RDONLY));
    /* a result written into a read-only page */
    mprotect(page, 4096, PROT_READ);
    snprintf(label, sizeof(label), "%s: rt_sigaction(SIGUSR1, NULL, read-only)", when);
    T(label, syscall(SYS_rt_sigaction, SIGUSR1, NULL, page + 4096 - 8, 8));
    munmap(page, 8192);
    close(fd);
}

static void show_disposition(const char *label, int sig)
{
    struct sigaction old;
    sigaction(sig, NULL, &old);
    printf("%s = %s\n", label, old.sa_handler == SIG_DFL ? "SIG_DFL" : old.sa_handler == SIG_IGN ? "SIG_IGN"
                                                           : old.sa_handler == on_fault      ? "on_fault"
                                                                                             : "other");
}

/* How a child that runs `body` ends. */
static void child_status(const char *label, void (*body)(void))
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        body();
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status))
        printf("%s = killed by %s\n", label, sigabbrev_np(WTERMSIG(status)));
    else
        printf("%s = exit %d\n", label, WEXITSTATUS(status));
}

static void null_deref(void) { *(volatile int *)bad_ptr = 1; }
static void raise_segv(void) { raise(SIGSEGV); }
static void kill_bus(void) { kill(getpid(), SIGBUS); }
static void ignored_segv_sent(void)
{
    signal(SIGSEGV, SIG_IGN);
    raise(SIGSEGV);
    kill(getpid(), SIGBUS); /* not ignored: the default */
}
static void ignored_segv_fault(void)
{
    signal(SIGSEGV, SIG_IGN);
    null_deref(); /* a fault is not ignored */
}
static void exec_keeps_ignored(void)
{
    signal(SIGSEGV, SIG_IGN);
    execl("/proc/self/exe", "fault_signals", "after-exec", (char *)NULL);
}

int main(int argc, char **argv)
{
    t_init();
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    if (argc > 1 && !strcmp(argv[1], "after-exec")) {
        /* exec'd with SIGSEGV ignored: it stays ignored; bad pointers are still EFAULT */
        show_disposition("after exec: SIGSEGV", SIGSEGV);
        bad_pointer_calls("after exec");
        raise(SIGSEGV);
        printf("after exec: raise(SIGSEGV) ignored\n");
        return 0;
    }

    show_disposition("SIGSEGV at start", SIGSEGV);
    show_disposition("SIGBUS at start", SIGBUS);
    bad_pointer_calls("default");

    struct sigaction sa = {0};
    sa.sa_handler = on_fault;
    sigaction(SIGSEGV, &sa, NULL);
    show_disposition("SIGSEGV with a handler", SIGSEGV);
    bad_pointer_calls("handler");
    jump_back = 1;
    if (sigsetjmp(recover, 1) == 0)
        *(volatile int *)bad_ptr = 1;
    printf("own fault with a handler: caught %s\n", caught ? sigabbrev_np(caught) : "nothing");
    caught = 0;
    raise(SIGSEGV);
    printf("raise with a handler: caught %s\n", caught ? sigabbrev_np(caught) : "nothing");

    sa.sa_handler = SIG_DFL;
    sa.sa_flags = SA_RESTART;
    struct sigaction old;
    sigaction(SIGSEGV, &sa, &old);
    printf("old SIGSEGV action = %s\n", old.sa_handler == on_fault ? "on_fault" : "other");
    sigaction(SIGSEGV, NULL, &old);
    printf("SIGSEGV back to default: SA_RESTART %s\n", (old.sa_flags & SA_RESTART) ? "kept" : "lost");

    sigset_t faults;
    sigemptyset(&faults);
    sigaddset(&faults, SIGSEGV);
    sigaddset(&faults, SIGBUS);
    sigprocmask(SIG_BLOCK, &faults, NULL);
    bad_pointer_calls("blocked");
    sigprocmask(SIG_UNBLOCK, &faults, NULL);

    signal(SIGSEGV, SIG_IGN);
    show_disposition("SIGSEGV ignored", SIGSEGV);
    bad_pointer_calls("ignored");
    signal(SIGSEGV, SIG_DFL);

    child_status("child dereferences a bad pointer", null_deref);
    child_status("child raises SIGSEGV", raise_segv);
    child_status("child sends itself SIGBUS", kill_bus);
    child_status("child ignores SIGSEGV, is sent it, then SIGBUS", ignored_segv_sent);
    child_status("child ignores SIGSEGV, then faults", ignored_segv_fault);
    child_status("child execs with SIGSEGV ignored", exec_keeps_ignored);
    return 0;
}
