/*
 * access, faccessat and faccessat2 of absolute paths (test/integration/syscalls.test.ts): a
 * missing file, a file under a file, bad modes and flags, one that is there, a name too long.
 * The stub answers those that are not there itself; the output must be native's.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/syscall.h>
static void t(const char *what, long r) { printf("%s: %s\n", what, r == 0 ? "0" : strerrorname_np(errno)); }
int main(void) {
  t("access missing", access("/nonexistent", F_OK));
  t("access notdir", access("/etc/hostname/x", F_OK));
  t("access bad mode", access("/nonexistent", 0x40));
  t("faccessat missing", faccessat(AT_FDCWD, "/no/such", R_OK, 0));
  t("faccessat2 bad flags", syscall(SYS_faccessat2, AT_FDCWD, "/nonexistent", R_OK, 0x4000));
  t("faccessat2 nofollow missing", syscall(SYS_faccessat2, AT_FDCWD, "/nonexistent", R_OK, AT_SYMLINK_NOFOLLOW));
  t("access exists", access("/etc/hostname", R_OK));
  t("access toolong", access("/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", F_OK));
  return 0;
}
