/*
 * Writes garbage to the first fd past the app's RLIMIT_NOFILE (under gramine-ts: the stub's
 * channel to its worker), packets of every size and of no bytes at all (which the worker must
 * not take for the channel's end), then checks that trapped calls still give the right answers.
 * Natively there is no such fd: the writes fail with EBADF.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    int fd = (int)rl.rlim_cur;
    char junk[200];
    memset(junk, 0x5a, sizeof(junk));
    int wrote = 0;
    for (size_t len = 1; len <= sizeof(junk); len += 37)
        wrote += write(fd, junk, len) > 0;
    for (int i = 0; i < 3; i++)
        (void)!write(fd, junk, 0);
    printf("stray writes: %s\n", wrote ? "accepted" : "refused");
    /* every trapped call below must still get its own answer */
    struct stat st;
    int r = stat("/", &st);
    printf("stat / = %d, is dir %d\n", r, S_ISDIR(st.st_mode));
    r = stat("/nonexistent", &st);
    printf("stat /nonexistent = %d %s\n", r, strerrorname_np(errno));
    int f = open("/etc/hostname", O_RDONLY);
    printf("open /etc/hostname: %s\n", f >= 0 ? "ok" : strerrorname_np(errno));
    char cwd[4096];
    printf("getcwd: %s\n", getcwd(cwd, sizeof(cwd)) ? "ok" : strerrorname_np(errno));
    printf("getppid >= 0: %d\n", getppid() >= 0);
    return 0;
}
