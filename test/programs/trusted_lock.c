/*
 * Locks on one file by two processes that open it each on their own (a trusted file under
 * gramine-ts, served from its verified copy): flock LOCK_EX held by the parent refuses the
 * child's LOCK_EX and LOCK_SH; the parent's read lock (F_SETLK) shows in the child's F_GETLK
 * (its pid) and an OFD read lock in F_OFD_GETLK; once the parent lets go, the child's flock is
 * granted. Usage: trusted_lock FILE
 */
#include "t.h"
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
    t_init();
    if (argc != 2)
        die("usage: trusted_lock FILE");
    int fd = open(argv[1], O_RDONLY);
    T("open", fd >= 0);
    T("flock LOCK_EX", flock(fd, LOCK_EX));
    T("F_SETLK F_RDLCK 0-9", fcntl(fd, F_SETLK, &(struct flock){.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10}));
    int ofd = open(argv[1], O_RDONLY);
    T("F_OFD_SETLK F_RDLCK 20-29", fcntl(ofd, F_OFD_SETLK, &(struct flock){.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 20, .l_len = 10}));
    int go[2], done[2];
    if (pipe(go) || pipe(done))
        die("pipe");
    pid_t c = fork();
    if (c == 0) {
        int own = open(argv[1], O_RDONLY);
        T("child open", own >= 0);
        T("child flock LOCK_EX|LOCK_NB", flock(own, LOCK_EX | LOCK_NB));
        T("child flock LOCK_SH|LOCK_NB", flock(own, LOCK_SH | LOCK_NB));
        struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
        T("child F_GETLK", fcntl(own, F_GETLK, &q));
        say("held: %s by the parent %d, %ld-%ld", q.l_type == F_RDLCK ? "F_RDLCK" : q.l_type == F_UNLCK ? "F_UNLCK" : "?", q.l_pid == getppid(),
            (long)q.l_start, (long)(q.l_start + q.l_len - 1));
        struct flock o = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 15, .l_len = 0};
        T("child F_OFD_GETLK", fcntl(own, F_OFD_GETLK, &o));
        say("held: %s pid %d, %ld-%ld", o.l_type == F_RDLCK ? "F_RDLCK" : o.l_type == F_UNLCK ? "F_UNLCK" : "?", o.l_pid, (long)o.l_start,
            (long)(o.l_start + o.l_len - 1));
        if (write(done[1], "1", 1) != 1)
            _exit(1);
        char x;
        if (read(go[0], &x, 1) != 1)
            _exit(1);
        T("child flock LOCK_EX|LOCK_NB after", flock(own, LOCK_EX | LOCK_NB));
        _exit(0);
    }
    char x;
    if (read(done[0], &x, 1) != 1)
        die("read");
    T("flock LOCK_UN", flock(fd, LOCK_UN));
    if (write(go[1], "1", 1) != 1)
        die("write");
    int st;
    T("child", waitpid(c, &st, 0) == c && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}
