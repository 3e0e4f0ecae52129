/*
 * access, faccessat and faccessat2 of absolute paths (test/integration/syscalls.test.ts): a
 * missing file, a file under a file, bad modes and flags, one that is there, a name too long.
 * The stub answers those that are not there itself, and whether a file or directory may be read
 * and run (not written) for root and for the host user the instance runs as; the output must be
 * native's, run as root (then as uid 1000) and as another user.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <stdlib.h>
#include <sys/stat.h>
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
  /* as root: read anything, run what has an execute bit, search any directory */
  t("access shadow R_OK", access("/etc/shadow", R_OK));
  t("access true X_OK", access("/bin/true", X_OK));
  t("access true R_OK|X_OK", access("/bin/true", R_OK | X_OK));
  t("access hostname X_OK", access("/etc/hostname", X_OK));
  t("access hostname R_OK|X_OK", access("/etc/hostname", R_OK | X_OK));
  t("access /etc R_OK|X_OK", access("/etc", R_OK | X_OK));
  t("faccessat true X_OK AT_EACCESS", faccessat(AT_FDCWD, "/bin/true", X_OK, AT_EACCESS));
  t("faccessat2 hostname R_OK nofollow", syscall(SYS_faccessat2, AT_FDCWD, "/etc/hostname", R_OK, AT_SYMLINK_NOFOLLOW));
  char f[] = "/tmp/access_paths_XXXXXX";
  int fd = mkstemp(f);
  if (fd >= 0) {
    fchmod(fd, 0);
    t("access mode 0 F_OK", access(f, F_OK));
    t("access mode 0 R_OK", access(f, R_OK));
    t("access mode 0 X_OK", access(f, X_OK));
    fchmod(fd, 0010);
    t("access mode 010 X_OK", access(f, X_OK));
    fchmod(fd, 0500);
    t("access mode 0500 R_OK|X_OK", access(f, R_OK | X_OK));
    t("faccessat mode 0500 R_OK AT_EACCESS", faccessat(AT_FDCWD, f, R_OK, AT_EACCESS));
    unlink(f);
    mkfifo(f, 0);
    t("access fifo R_OK", access(f, R_OK));
    unlink(f);
    symlink("/bin/true", f);
    t("access symlink X_OK", access(f, X_OK));
    t("faccessat2 symlink nofollow F_OK", syscall(SYS_faccessat2, AT_FDCWD, f, F_OK, AT_SYMLINK_NOFOLLOW));
    unlink(f);
    if (geteuid() == 0) {
      /* no longer root (README: file permissions stay the instance's; what anyone may is the same) */
      t("setuid 1000", setuid(1000));
      t("access hostname R_OK as 1000", access("/etc/hostname", R_OK));
      t("access true X_OK as 1000", access("/bin/true", X_OK));
    }
  }
  /* readlink of what is no symlink (the stub's), and of one (the worker's) */
  char link[64];
  t("readlink /usr", readlink("/usr", link, sizeof(link)));
  t("readlink /usr/", readlink("/usr/", link, sizeof(link)));
  t("readlink hostname", readlink("/etc/hostname", link, sizeof(link)));
  t("readlink hostname/", readlink("/etc/hostname/", link, sizeof(link)));
  t("readlink missing", readlink("/nonexistent/x", link, sizeof(link)));
  t("readlink notdir", readlink("/etc/hostname/x", link, sizeof(link)));
  t("readlink size 0", syscall(SYS_readlink, "/usr", link, 0));
  t("readlinkat dotdot", readlinkat(AT_FDCWD, "/usr/lib/../bin", link, sizeof(link)));
  char l2[] = "/tmp/access_paths_link_XXXXXX";
  int lfd = mkstemp(l2);
  if (lfd >= 0) {
    close(lfd);
    unlink(l2);
    symlink("target-of-the-link", l2);
    long n = readlink(l2, link, 6);
    printf("readlink a link, 6 bytes: %ld %.*s\n", n, n > 0 ? (int)n : 0, link);
    t("readlink a link/", readlink(strcat(strcpy((char[64]){0}, l2), "/"), link, sizeof(link)));
    unlink(l2);
  }
  /* symlinks to an entry of their own directory (the stub follows those), and others (the worker) */
  char d[] = "/tmp/access_paths_dir_XXXXXX";
  if (mkdtemp(d)) {
    chmod(d, 0755);
    char p[128], buf[16];
    snprintf(p, sizeof(p), "%s/f", d);
    int ffd = open(p, O_WRONLY | O_CREAT, 0644);
    if (ffd >= 0) {
      write(ffd, "file\n", 5);
      close(ffd);
    }
    snprintf(p, sizeof(p), "%s/sub", d);
    mkdir(p, 0755);
    /* "@x": the absolute path of x in this directory (the stub follows those too, from the root) */
    const char *links[][2] = {{"l", "f"},     {"l2", "l"},   {"l3", "missing"}, {"l4", "../x"},          {"l5", "sub"},
                              {"l6", "."},    {"a", "@f"},   {"a2", "@a"},      {"a3", "@missing"},      {"a4", "@sub"},
                              {"a5", "@l2"},  {"a6", "@a7"}, {"a7", "@a6"},     {"a8", "/proc/self/status"}, {"a9", "@f/"}};
    for (unsigned i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
      char target[128];
      snprintf(p, sizeof(p), "%s/%s", d, links[i][0]);
      snprintf(target, sizeof(target), "%s%s%s", links[i][1][0] == '@' ? d : "", links[i][1][0] == '@' ? "/" : "",
               links[i][1] + (links[i][1][0] == '@'));
      symlink(target, p);
    }
    const char *names[] = {"l", "l2", "l3", "l4", "l5", "l6", "l5/", "l/", "a", "a2", "a3", "a4", "a5", "a6", "a8", "a9", "a/", "a4/"};
    for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
      snprintf(p, sizeof(p), "%s/%s", d, names[i]);
      struct stat st;
      int r = stat(p, &st);
      printf("stat %s: %s", names[i], r == 0 ? "0" : strerrorname_np(errno));
      if (r == 0)
        printf(" %s size %ld", S_ISDIR(st.st_mode) ? "dir" : "file", S_ISDIR(st.st_mode) ? 0L : (long)st.st_size);
      int ofd = open(p, O_RDONLY | O_CLOEXEC);
      long n = ofd >= 0 ? read(ofd, buf, sizeof(buf)) : -1;
      printf(", open %s, read %ld", ofd >= 0 ? "0" : strerrorname_np(errno), n);
      if (ofd >= 0)
        close(ofd);
      printf(", access R_OK %s", access(p, R_OK) == 0 ? "0" : strerrorname_np(errno));
      ofd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      printf(", open O_NOFOLLOW %s\n", ofd >= 0 ? "0" : strerrorname_np(errno));
      if (ofd >= 0)
        close(ofd);
    }
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", d);
    if (system(cmd) != 0)
      printf("rm failed\n");
  }
  /*
   * Paths with ".." (a compiler's): the stub's when they stay below one mount's point and pass
   * through no other; the walk's otherwise (a mount point on the way, or above a mount's root)
   */
  const char *dotdot[] = {"/usr/lib/../bin/true", "/usr/lib/x86_64-linux-gnu/../../../etc/hostname", "/nonexistent/../etc/hostname",
                          "/etc/hostname/../hosts", "/usr/../tmp", "/usr/../proc/self/status", "/bin/../etc/hostname", "/usr/.."};
  for (unsigned i = 0; i < sizeof(dotdot) / sizeof(dotdot[0]); i++) {
    struct stat st;
    int r = stat(dotdot[i], &st);
    printf("stat %s: %s%s", dotdot[i], r == 0 ? "0" : strerrorname_np(errno), r == 0 && S_ISDIR(st.st_mode) ? " dir" : "");
    int ofd = open(dotdot[i], O_RDONLY | O_CLOEXEC);
    printf(", open %s", ofd >= 0 ? "0" : strerrorname_np(errno));
    if (ofd >= 0)
      close(ofd);
    printf(", access %s\n", access(dotdot[i], R_OK) == 0 ? "0" : strerrorname_np(errno));
  }
  /* getcwd: where chdir went, after a rename of the directory, after its removal */
  char cwd[256];
  const char *dirs[] = {"/usr/share", "/usr/bin/../lib", "/bin"};
  for (unsigned i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
    int r = chdir(dirs[i]);
    printf("chdir %s: %s, getcwd %s\n", dirs[i], r == 0 ? "0" : strerrorname_np(errno), getcwd(cwd, sizeof(cwd)) ? cwd : strerrorname_np(errno));
  }
  t("getcwd too small", syscall(SYS_getcwd, cwd, 4));
  char w[] = "/tmp/access_paths_cwd_XXXXXX";
  if (mkdtemp(w) && chdir(w) == 0) {
    printf("getcwd in a new directory: %s\n", getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, w) ? "its path" : "wrong");
    char moved[64];
    snprintf(moved, sizeof(moved), "%s.moved", w);
    rename(w, moved);
    printf("getcwd renamed: %s\n", getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, moved) ? "the new path" : "wrong");
    rmdir(moved);
    printf("getcwd removed: %s\n", getcwd(cwd, sizeof(cwd)) ? cwd : strerrorname_np(errno));
    chdir("/");
  }
  t("access toolong", access("/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", F_OK));
  return 0;
}
