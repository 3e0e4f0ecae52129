/*
 * signalfd: signals from another process (kill, sigqueue with a value, a SIGCONT) and the
 * SIGCHLD of its exit, read from a signalfd with their senders, values and status as natively
 * (all pending before the read: it returns them in signal order); a bad fd to modify is EBADF.
 * A signalfd kept across an exec reads the same.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
/* After the exec: SIGCHLD from a new child, read from the signalfd `fd` made before it. */
static int after_exec(int fd) {
  pid_t c = fork();
  if (c == 0) _exit(4);
  siginfo_t exited;
  waitid(P_PID, c, &exited, WEXITED | WNOWAIT);
  struct signalfd_siginfo si;
  ssize_t n = read(fd, &si, sizeof si);
  printf("after exec: read %zd, %s from %s, status %d\n", n, strsignal(si.ssi_signo),
         si.ssi_pid == (unsigned)c ? "the child" : "other", si.ssi_status);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3) return after_exec(atoi(argv[2]));
  sigset_t m; sigemptyset(&m); sigaddset(&m, SIGUSR1); sigaddset(&m, SIGTERM);
  sigaddset(&m, SIGCHLD); sigaddset(&m, SIGCONT);
  sigprocmask(SIG_BLOCK, &m, NULL);
  int fd = signalfd(-1, &m, SFD_CLOEXEC);
  printf("signalfd: %s\n", fd >= 0 ? "ok" : strerrorname_np(errno));
  pid_t parent = getpid(), c = fork();
  if (c == 0) {
    kill(parent, SIGUSR1);
    union sigval v = {.sival_int = 5};
    sigqueue(parent, SIGTERM, v);
    kill(parent, SIGCONT);
    _exit(3);
  }
  siginfo_t exited;
  waitid(P_PID, c, &exited, WEXITED | WNOWAIT);
  struct signalfd_siginfo si[4];
  ssize_t n = read(fd, si, sizeof si);
  printf("read %zd bytes\n", n);
  for (int i = 0; i < n / (ssize_t)sizeof si[0]; i++)
    printf("%s: code %d, from %s, uid %s, value %d, status %d\n", strsignal(si[i].ssi_signo), si[i].ssi_code,
           si[i].ssi_pid == (unsigned)c ? "the child" : "other", si[i].ssi_uid == getuid() ? "ours" : "other",
           si[i].ssi_int, si[i].ssi_status);
  waitpid(c, NULL, 0);
  long raw = syscall(SYS_signalfd, -1, &m, 8);
  printf("raw signalfd: %s\n", raw >= 0 ? "ok" : strerrorname_np(errno));
  printf("signalfd(bad fd 99): %s\n", signalfd(99, &m, 0) >= 0 ? "ok" : strerrorname_np(errno));
  sigset_t chld; sigemptyset(&chld); sigaddset(&chld, SIGCHLD);
  char kept[16];
  snprintf(kept, sizeof kept, "%d", signalfd(-1, &chld, 0)); /* no CLOEXEC: it goes through */
  fflush(stdout);
  execl("/proc/self/exe", argv[0], "after-exec", kept, (char *)NULL);
  printf("exec: %s\n", strerrorname_np(errno));
  return 1;
}
