/* Opens fds until the limit (EMFILE), then forks with the table full: prints the soft
 * RLIMIT_NOFILE it sees, the last fd it got, and the child's status. Natively the last fd is
 * the limit less one and the fork works; so it must be in an instance, whose limit ends below
 * the stub's reserved fds. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    struct rlimit l;
    if (getrlimit(RLIMIT_NOFILE, &l) != 0)
        return 2;
    int last = -1, fd;
    while ((fd = open("/dev/null", O_RDONLY)) >= 0)
        last = fd;
    int err = errno;
    pid_t p = fork();
    if (p == 0)
        _exit(5);
    if (p < 0) {
        printf("limit %lu, last fd %d (%s), fork: %s\n", (unsigned long)l.rlim_cur, last, strerror(err), strerror(errno));
        return 1;
    }
    int st;
    waitpid(p, &st, 0);
    printf("limit %lu, last fd %d (%s), child %d\n", (unsigned long)l.rlim_cur, last, strerror(err), WEXITSTATUS(st));
    return 0;
}
