/*
 * signalfd: signals from another process (kill, sigqueue with a value) read from a signalfd,
 * with their sender and value, as natively; a bad fd to modify is EBADF.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
int main(void) {
  sigset_t m; sigemptyset(&m); sigaddset(&m, SIGUSR1); sigaddset(&m, SIGTERM);
  sigprocmask(SIG_BLOCK, &m, NULL);
  int fd = signalfd(-1, &m, SFD_CLOEXEC);
  printf("signalfd: %s\n", fd >= 0 ? "ok" : strerrorname_np(errno));
  pid_t parent = getpid(), c = fork();
  if (c == 0) { kill(parent, SIGUSR1); union sigval v = {.sival_int = 5}; sigqueue(parent, SIGTERM, v); _exit(0); }
  for (int i = 0; i < 2; i++) {
    struct signalfd_siginfo si;
    ssize_t n = read(fd, &si, sizeof si);
    printf("read %zd: %s code %d from %s value %d\n", n, strsignal(si.ssi_signo), si.ssi_code, si.ssi_pid == (unsigned)c ? "child" : "other", si.ssi_int);
  }
  waitpid(c, NULL, 0);
  long raw = syscall(SYS_signalfd, -1, &m, 8);
  printf("raw signalfd: %s\n", raw >= 0 ? "ok" : strerrorname_np(errno));
  printf("signalfd(bad fd 99): %s\n", signalfd(99, &m, 0) >= 0 ? "ok" : strerrorname_np(errno));
  return 0;
}
