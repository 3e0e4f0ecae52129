/*
 * File descriptors and I/O on them: dup/close/fcntl/close_range (the stub's), the data plane
 * the host runs directly (read/write/seek/vectors/pipes/sockets/polling/copying), time and
 * randomness. Raw syscalls where libc would use another call. argv[1] is a scratch directory.
 */
#include "t.h"
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/close_range.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <linux/membarrier.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>

static void fd_state(const char *label, int fd)
{
    errno = 0;
    int fdfl = (int)syscall(SYS_fcntl, fd, F_GETFD);
    if (fdfl < 0) {
        show(label, fdfl);
        return;
    }
    int fl = (int)syscall(SYS_fcntl, fd, F_GETFL);
    say("%s = open, cloexec %d accmode %d append %d nonblock %d", label, !!(fdfl & FD_CLOEXEC), fl & O_ACCMODE,
        !!(fl & O_APPEND), !!(fl & O_NONBLOCK));
}

static void show_fstat(const char *label, int fd)
{
    struct stat st;
    errno = 0;
    long r = syscall(SYS_fstat, fd, &st);
    if (r)
        show(label, r);
    else
        say("%s = type 0%o perm 0%o size %lld", label, st.st_mode & S_IFMT, st.st_mode & 07777,
            S_ISREG(st.st_mode) ? (long long)st.st_size : -1LL);
}

static void show_read(const char *label, long n, const char *buf)
{
    if (n < 0)
        show(label, n);
    else
        say("%s = %ld \"%.*s\"", label, n, (int)n, buf);
}

static int open_file(const char *path, const char *content)
{
    int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, content, strlen(content)) != (ssize_t)strlen(content))
        die(path);
    lseek(fd, 0, SEEK_SET);
    return fd;
}

static void dup_and_close(void)
{
    int fd = open_file("f", "0123456789");
    say("file fd = %d", fd);
    T("fcntl(fd, F_SETFD, FD_CLOEXEC)", syscall(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC));
    fd_state("fd", fd);
    int d = (int)T("dup(fd)", syscall(SYS_dup, fd));
    fd_state("dup(fd) state", d);
    T("dup(99)", syscall(SYS_dup, 99));
    T("dup(-1)", syscall(SYS_dup, -1));
    T("dup2(fd, fd)", syscall(SYS_dup2, fd, fd));
    T("dup2(fd, 10)", syscall(SYS_dup2, fd, 10));
    fd_state("dup2 target 10", 10);
    T("dup2(fd, 10) onto itself again", syscall(SYS_dup2, fd, 10));
    T("dup2(99, 10)", syscall(SYS_dup2, 99, 10));
    T("dup2(99, 99)", syscall(SYS_dup2, 99, 99));
    T("dup2(fd, -1)", syscall(SYS_dup2, fd, -1));
    T("dup3(fd, fd, 0)", syscall(SYS_dup3, fd, fd, 0));
    T("dup3(fd, 11, O_CLOEXEC)", syscall(SYS_dup3, fd, 11, O_CLOEXEC));
    fd_state("dup3 target 11", 11);
    T("dup3(fd, 12, bad flags)", syscall(SYS_dup3, fd, 12, 0x1));
    T("dup3(99, 12, 0)", syscall(SYS_dup3, 99, 12, 0));
    /* a dup shares the file offset */
    char buf[16];
    show_read("read(fd, 4)", read(fd, buf, 4), buf);
    show_read("read(10, 4) continues", read(10, buf, 4), buf);
    T("lseek(11, 0, SEEK_CUR)", lseek(11, 0, SEEK_CUR));

    T("close(10)", syscall(SYS_close, 10));
    T("close(10) again", syscall(SYS_close, 10));
    T("close(-1)", syscall(SYS_close, -1));
    T("close(99)", syscall(SYS_close, 99));
    fd_state("10 after close", 10);
    T("read(10) after close", read(10, buf, 1));

    /* fcntl */
    T("fcntl(fd, F_DUPFD, 20)", syscall(SYS_fcntl, fd, F_DUPFD, 20));
    T("fcntl(fd, F_DUPFD, 20) again", syscall(SYS_fcntl, fd, F_DUPFD, 20));
    T("fcntl(fd, F_DUPFD_CLOEXEC, 0)", (d = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 0)));
    fd_state("F_DUPFD_CLOEXEC result", d);
    T("fcntl(fd, F_DUPFD, -1)", syscall(SYS_fcntl, fd, F_DUPFD, -1));
    T("fcntl(99, F_GETFD)", syscall(SYS_fcntl, 99, F_GETFD));
    T("fcntl(fd, bad cmd)", syscall(SYS_fcntl, fd, 9999, 0));
    T("fcntl(fd, F_SETFL, O_APPEND|O_NONBLOCK)", syscall(SYS_fcntl, fd, F_SETFL, O_APPEND | O_NONBLOCK));
    fd_state("fd after F_SETFL", fd);
    T("fcntl(fd, F_SETFL, 0)", syscall(SYS_fcntl, fd, F_SETFL, 0));
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 4};
    T("fcntl(fd, F_SETLK, write lock)", syscall(SYS_fcntl, fd, F_SETLK, &fl));
    fl.l_type = F_WRLCK;
    T("fcntl(fd, F_GETLK)", syscall(SYS_fcntl, fd, F_GETLK, &fl));
    say("F_GETLK l_type = %s", fl.l_type == F_UNLCK ? "F_UNLCK" : "locked");
    struct flock ofd = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 8, .l_len = 2};
    T("fcntl(fd, F_OFD_SETLK, read lock)", syscall(SYS_fcntl, fd, F_OFD_SETLK, &ofd));
    fl.l_type = F_UNLCK;
    T("fcntl(fd, F_SETLK, unlock)", syscall(SYS_fcntl, fd, F_SETLK, &fl));
    T("fcntl(fd, F_SETLK, bad type)", ({
          struct flock b = {.l_type = 99, .l_whence = SEEK_SET};
          syscall(SYS_fcntl, fd, F_SETLK, &b);
      }));

    /* close_range */
    for (int i = 0; i < 5; i++)
        syscall(SYS_dup2, fd, 30 + i);
    T("close_range(31, 32, 0)", syscall(SYS_close_range, 31, 32, 0));
    fd_state("30", 30);
    fd_state("31", 31);
    fd_state("32", 32);
    fd_state("33", 33);
    T("close_range(33, 34, CLOSE_RANGE_CLOEXEC)", syscall(SYS_close_range, 33, 34, CLOSE_RANGE_CLOEXEC));
    fd_state("33", 33);
    T("close_range(34, 33, 0)", syscall(SYS_close_range, 34, 33, 0));
    T("close_range(30, 40, bad flags)", syscall(SYS_close_range, 30, 40, 0x80));
    T("close_range(30, ~0U, 0)", syscall(SYS_close_range, 30, ~0U, 0));
    fd_state("30", 30);
    fd_state("33", 33);
    T("close_range(3, ~0U, 0) closes everything but stdio", syscall(SYS_close_range, 3, ~0U, 0));
    fd_state("fd after close_range", fd);
    fd_state("stdout", 1);
    /* the process still works: a fresh open gets the lowest fd */
    fd = (int)syscall(SYS_openat, AT_FDCWD, "f", O_RDONLY);
    say("open after close_range = %d", fd);
    show_read("read", read(fd, buf, 10), buf);
    close(fd);
    T("getppid() >= 0 after close_range", getppid() >= 0);
}

static void io(void)
{
    char buf[64];
    int fd = open_file("io", "");
    T("write", write(fd, "hello world", 11));
    T("lseek(fd, 0, SEEK_CUR)", lseek(fd, 0, SEEK_CUR));
    T("lseek(fd, 6, SEEK_SET)", lseek(fd, 6, SEEK_SET));
    show_read("read", read(fd, buf, sizeof(buf)), buf);
    show_read("read at EOF", read(fd, buf, sizeof(buf)), buf);
    T("lseek(fd, -5, SEEK_END)", lseek(fd, -5, SEEK_END));
    T("lseek(fd, -100, SEEK_SET)", lseek(fd, -100, SEEK_SET));
    T("lseek(fd, 0, 99)", lseek(fd, 0, 99));
    T("pwrite(fd, \"HELLO\", 5, 0)", pwrite(fd, "HELLO", 5, 0));
    show_read("pread(fd, 11, 0)", pread(fd, buf, 11, 0), buf);
    T("pread(fd, 5, -1)", pread(fd, buf, 5, -1));
    struct iovec wv[3] = {{"ab", 2}, {"", 0}, {"cde", 3}};
    T("lseek(fd, 0, SEEK_END)", lseek(fd, 0, SEEK_END));
    T("writev(3 iovecs)", writev(fd, wv, 3));
    char a[4] = {0}, b[8] = {0};
    struct iovec rv[2] = {{a, 3}, {b, 7}};
    T("lseek(fd, 8, SEEK_SET)", lseek(fd, 8, SEEK_SET));
    T("readv(2 iovecs)", readv(fd, rv, 2));
    say("readv data = \"%s\" \"%s\"", a, b);
    T("pwritev(at 1)", syscall(SYS_pwritev, fd, wv, 3, 1, 0));
    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    T("preadv(at 0)", syscall(SYS_preadv, fd, rv, 2, 0, 0));
    say("preadv data = \"%s\" \"%s\"", a, b);
    T("pwritev2(at 0, RWF_DSYNC)", syscall(SYS_pwritev2, fd, wv, 1, 0, 0, RWF_DSYNC));
    T("preadv2(at -1 = current offset)", syscall(SYS_preadv2, fd, rv, 1, (long)-1, (long)-1, 0));
    T("preadv2(bad flags)", syscall(SYS_preadv2, fd, rv, 1, 0, 0, 0x10000));
    T("readv(-1 iovecs)", syscall(SYS_readv, fd, rv, -1));
    T("ftruncate(fd, 4)", syscall(SYS_ftruncate, fd, 4));
    show_fstat("fstat after ftruncate", fd);
    T("ftruncate(fd, -1)", syscall(SYS_ftruncate, fd, (long)-1));
    T("fallocate(fd, 0, 0, 8192)", syscall(SYS_fallocate, fd, 0, 0, 8192));
    show_fstat("fstat after fallocate", fd);
    T("fsync", syscall(SYS_fsync, fd));
    T("fdatasync", syscall(SYS_fdatasync, fd));
    T("sync_file_range", syscall(SYS_sync_file_range, fd, 0, 0, SYNC_FILE_RANGE_WRITE));
    T("fadvise64(SEQUENTIAL)", syscall(SYS_fadvise64, fd, 0, 0, POSIX_FADV_SEQUENTIAL));
    T("readahead", syscall(SYS_readahead, fd, 0, 4096));
    T("fchmod(fd, 0600)", syscall(SYS_fchmod, fd, 0600));
    T("fchown(fd, -1, -1)", syscall(SYS_fchown, fd, -1, -1));
    show_fstat("fstat after fchmod", fd);
    struct statfs sf;
    T("fstatfs", syscall(SYS_fstatfs, fd, &sf));
    say("fstatfs type = 0x%lx", (unsigned long)sf.f_type);
    T("fgetxattr(fd, user.none)", syscall(SYS_fgetxattr, fd, "user.none", buf, sizeof(buf)));
    T("flistxattr(fd) of a file without user xattrs, size 0", syscall(SYS_flistxattr, fd, NULL, 0) >= 0);
    T("ioctl(file, TCGETS)", ({
          struct termios tio;
          syscall(SYS_ioctl, fd, TCGETS, &tio);
      }));
    T("ioctl(file, FIONREAD)", ({
          int n = -5;
          long r = syscall(SYS_ioctl, fd, FIONREAD, &n);
          r == 0 ? n : r;
      }));
    T("ioctl(99, FIONREAD)", syscall(SYS_ioctl, 99, FIONREAD, buf));
    T("write(ro fd)", ({
          int ro = (int)syscall(SYS_openat, AT_FDCWD, "io", O_RDONLY);
          long r = write(ro, "x", 1);
          int e = errno;
          close(ro);
          errno = e;
          r;
      }));
    T("read(dir fd)", ({
          int dfd = (int)syscall(SYS_openat, AT_FDCWD, ".", O_RDONLY | O_DIRECTORY);
          long r = read(dfd, buf, 1);
          int e = errno;
          close(dfd);
          errno = e;
          r;
      }));
    close(fd);
    T("write(closed fd)", write(fd, "x", 1));
    T("read(closed fd)", read(fd, buf, 1));
}

static void pipes(void)
{
    int p[2], q[2];
    char buf[64];
    T("pipe(p)", syscall(SYS_pipe, p));
    say("pipe fds = %d %d", p[0], p[1]);
    show_fstat("fstat(pipe)", p[0]);
    fd_state("pipe read end", p[0]);
    fd_state("pipe write end", p[1]);
    T("ioctl(pipe, TCGETS)", ({
          struct termios tio;
          syscall(SYS_ioctl, p[0], TCGETS, &tio);
      }));
    T("ioctl(pipe, TIOCGWINSZ)", ({
          struct winsize ws;
          syscall(SYS_ioctl, p[1], TIOCGWINSZ, &ws);
      }));
    T("write(pipe)", write(p[1], "through the pipe", 16));
    T("ioctl(pipe, FIONREAD)", ({
          int n = -5;
          long r = syscall(SYS_ioctl, p[0], FIONREAD, &n);
          r == 0 ? n : r;
      }));
    T("lseek(pipe)", lseek(p[0], 0, SEEK_CUR));
    T("pread(pipe)", pread(p[0], buf, 1, 0));
    struct pollfd pf[2] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}};
    T("poll(pipe ends, 0)", poll(pf, 2, 0));
    say("poll revents = 0x%x 0x%x", pf[0].revents, pf[1].revents);
    show_read("read(pipe)", read(p[0], buf, sizeof(buf)), buf);
    pf[0].revents = 0;
    T("poll(empty pipe, 0)", poll(pf, 1, 0));
    T("poll(empty pipe, 10ms)", poll(pf, 1, 10));
    struct timespec ts0 = {0, 1000000};
    T("ppoll(empty pipe, 1ms)", syscall(SYS_ppoll, pf, 1, &ts0, NULL, 8));
    T("poll(bad fd)", ({
          struct pollfd bad = {99, POLLIN, 0};
          long r = poll(&bad, 1, 0);
          say("poll(bad fd) revents = 0x%x", bad.revents);
          r;
      }));
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(p[0], &rs);
    struct timeval tv = {0, 0};
    T("select(empty pipe)", syscall(SYS_select, p[0] + 1, &rs, NULL, NULL, &tv));
    write(p[1], "x", 1);
    FD_ZERO(&rs);
    FD_SET(p[0], &rs);
    T("select(readable pipe)", syscall(SYS_select, p[0] + 1, &rs, NULL, NULL, &tv));
    T("pselect6(readable pipe)", ({
          struct timespec t = {0, 0};
          syscall(SYS_pselect6, p[0] + 1, &rs, NULL, NULL, &t, NULL);
      }));
    read(p[0], buf, 1);

    T("pipe2(q, O_CLOEXEC|O_NONBLOCK)", syscall(SYS_pipe2, q, O_CLOEXEC | O_NONBLOCK));
    fd_state("pipe2 read end", q[0]);
    T("read(empty nonblocking pipe)", read(q[0], buf, 1));
    T("pipe2(bad flags)", syscall(SYS_pipe2, q, 0x1));
    T("fcntl(F_GETPIPE_SZ)", syscall(SYS_fcntl, q[1], F_GETPIPE_SZ));
    T("fcntl(F_SETPIPE_SZ, 8192)", syscall(SYS_fcntl, q[1], F_SETPIPE_SZ, 8192));

    /* sendfile, copy_file_range, splice, tee */
    int src = open_file("src", "sendfile source data");
    int dst = open_file("dst", "");
    T("sendfile(pipe, file, NULL, 8)", syscall(SYS_sendfile, p[1], src, NULL, 8));
    off_t off = 9;
    T("sendfile(pipe, file, &off, 6)", syscall(SYS_sendfile, p[1], src, &off, 6));
    say("sendfile offset after = %lld, file offset = %lld", (long long)off, (long long)lseek(src, 0, SEEK_CUR));
    T("tee(p, q, 100)", syscall(SYS_tee, p[0], q[1], 100, 0));
    T("splice(p -> file)", syscall(SYS_splice, p[0], NULL, dst, NULL, 100, 0));
    show_read("tee copy", read(q[0], buf, sizeof(buf)), buf);
    show_read("pread(dst)", pread(dst, buf, sizeof(buf), 0), buf);
    loff_t in_off = 0, out_off = 14;
    T("copy_file_range(src -> dst)", syscall(SYS_copy_file_range, src, &in_off, dst, &out_off, 8, 0));
    show_read("pread(dst)", pread(dst, buf, sizeof(buf), 0), buf);
    T("copy_file_range(bad flags)", syscall(SYS_copy_file_range, src, &in_off, dst, &out_off, 8, 1));
    T("sendfile(file, 99)", syscall(SYS_sendfile, dst, 99, NULL, 8));
    close(src);
    close(dst);

    /* a write with no reader: EPIPE once SIGPIPE is ignored */
    signal(SIGPIPE, SIG_IGN);
    close(q[0]);
    T("write(pipe without reader)", write(q[1], "x", 1));
    close(q[1]);
    close(p[0]);
    close(p[1]);
}

static void sockets(void)
{
    int sv[2];
    char buf[64];
    T("socketpair(AF_UNIX, SOCK_STREAM)", syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
    show_fstat("fstat(socket)", sv[0]);
    fd_state("socket", sv[0]);
    int fd = open_file("passed", "passed along");
    char cbuf[CMSG_SPACE(sizeof(int))];
    memset(cbuf, 0, sizeof(cbuf));
    struct iovec iov = {"msg", 3};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    T("sendmsg(SCM_RIGHTS)", syscall(SYS_sendmsg, sv[0], &mh, 0));
    close(fd);
    char rbuf[8] = {0};
    struct iovec riov = {rbuf, sizeof(rbuf)};
    char rcbuf[CMSG_SPACE(sizeof(int))];
    struct msghdr rmh = {.msg_iov = &riov, .msg_iovlen = 1, .msg_control = rcbuf, .msg_controllen = sizeof(rcbuf)};
    T("recvmsg", syscall(SYS_recvmsg, sv[1], &rmh, MSG_CMSG_CLOEXEC));
    struct cmsghdr *rc = CMSG_FIRSTHDR(&rmh);
    int got = -1;
    if (rc && rc->cmsg_type == SCM_RIGHTS)
        memcpy(&got, CMSG_DATA(rc), sizeof(int));
    say("received \"%s\" and fd %d", rbuf, got);
    fd_state("received fd", got);
    show_read("pread(received fd)", pread(got, buf, sizeof(buf), 0), buf);
    close(got);
    T("sendto", syscall(SYS_sendto, sv[1], "back", 4, 0, NULL, 0));
    T("recvfrom(MSG_PEEK)", syscall(SYS_recvfrom, sv[0], buf, sizeof(buf), MSG_PEEK, NULL, NULL));
    show_read("recvfrom", syscall(SYS_recvfrom, sv[0], buf, sizeof(buf), 0, NULL, NULL), buf);
    T("recvfrom(MSG_DONTWAIT) nothing", syscall(SYS_recvfrom, sv[0], buf, sizeof(buf), MSG_DONTWAIT, NULL, NULL));
    int type = 0;
    socklen_t len = sizeof(type);
    T("getsockopt(SO_TYPE)", syscall(SYS_getsockopt, sv[0], SOL_SOCKET, SO_TYPE, &type, &len));
    say("SO_TYPE = %d", type);
    int sz = 65536;
    T("setsockopt(SO_RCVBUF)", syscall(SYS_setsockopt, sv[0], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)));
    T("setsockopt(bad level)", syscall(SYS_setsockopt, sv[0], 9999, SO_RCVBUF, &sz, sizeof(sz)));
    struct sockaddr_un sun;
    len = sizeof(sun);
    T("getsockname", syscall(SYS_getsockname, sv[0], &sun, &len));
    say("getsockname family %d len %d", sun.sun_family, (int)len);
    len = sizeof(sun);
    T("getpeername", syscall(SYS_getpeername, sv[0], &sun, &len));
    T("shutdown(SHUT_WR)", syscall(SYS_shutdown, sv[1], SHUT_WR));
    T("read after peer shutdown", read(sv[0], buf, sizeof(buf)));
    T("getsockopt on a pipe", ({
          int p[2];
          pipe(p);
          long r = syscall(SYS_getsockopt, p[0], SOL_SOCKET, SO_TYPE, &type, &len);
          int e = errno;
          close(p[0]);
          close(p[1]);
          errno = e;
          r;
      }));
    close(sv[0]);
    close(sv[1]);

    T("socketpair(AF_UNIX, SOCK_SEQPACKET)", syscall(SYS_socketpair, AF_UNIX, SOCK_SEQPACKET, 0, sv));
    struct mmsghdr msgs[2];
    struct iovec i1 = {"first", 5}, i2 = {"second", 6};
    memset(msgs, 0, sizeof(msgs));
    msgs[0].msg_hdr.msg_iov = &i1;
    msgs[0].msg_hdr.msg_iovlen = 1;
    msgs[1].msg_hdr.msg_iov = &i2;
    msgs[1].msg_hdr.msg_iovlen = 1;
    T("sendmmsg(2)", syscall(SYS_sendmmsg, sv[0], msgs, 2, 0));
    char r1[16] = {0}, r2[16] = {0};
    struct iovec o1 = {r1, sizeof(r1)}, o2 = {r2, sizeof(r2)};
    memset(msgs, 0, sizeof(msgs));
    msgs[0].msg_hdr.msg_iov = &o1;
    msgs[0].msg_hdr.msg_iovlen = 1;
    msgs[1].msg_hdr.msg_iov = &o2;
    msgs[1].msg_hdr.msg_iovlen = 1;
    T("recvmmsg(2)", syscall(SYS_recvmmsg, sv[1], msgs, 2, MSG_DONTWAIT, NULL));
    say("recvmmsg = \"%s\" (%u) \"%s\" (%u)", r1, msgs[0].msg_len, r2, msgs[1].msg_len);
    close(sv[0]);
    close(sv[1]);
    T("socketpair(AF_INET)", syscall(SYS_socketpair, AF_INET, SOCK_STREAM, 0, sv));

    int s = (int)T("socket(AF_UNIX, SOCK_STREAM)", syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0));
    T("listen(unbound unix socket)", syscall(SYS_listen, s, 1));
    T("accept(not listening)", syscall(SYS_accept, s, NULL, NULL));
    T("accept4(not listening)", syscall(SYS_accept4, s, NULL, NULL, SOCK_CLOEXEC));
    close(s);
    s = (int)T("socket(AF_INET, SOCK_DGRAM)", syscall(SYS_socket, AF_INET, SOCK_DGRAM, 0));
    show_fstat("fstat(inet socket)", s);
    close(s);
    T("socket(999)", syscall(SYS_socket, 999, SOCK_STREAM, 0));
}

static void polling(void)
{
    int p[2];
    pipe(p);
    int ep = (int)T("epoll_create1(EPOLL_CLOEXEC)", syscall(SYS_epoll_create1, EPOLL_CLOEXEC));
    fd_state("epoll fd", ep);
    T("epoll_create1(bad flags)", syscall(SYS_epoll_create1, 1));
    T("epoll_create(0)", syscall(SYS_epoll_create, 0));
    int ep2 = (int)syscall(SYS_epoll_create, 1);
    T("epoll_create(1) >= 0", ep2 >= 0);
    close(ep2);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x1234};
    T("epoll_ctl(ADD pipe)", syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, p[0], &ev));
    T("epoll_ctl(ADD pipe) again", syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, p[0], &ev));
    T("epoll_ctl(ADD 99)", syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, 99, &ev));
    T("epoll_ctl(MOD missing)", syscall(SYS_epoll_ctl, ep, EPOLL_CTL_MOD, p[1], &ev));
    struct epoll_event out[4];
    T("epoll_wait(nothing ready, 0)", syscall(SYS_epoll_wait, ep, out, 4, 0));
    write(p[1], "e", 1);
    memset(out, 0, sizeof(out));
    T("epoll_wait(ready)", syscall(SYS_epoll_wait, ep, out, 4, 1000));
    say("epoll event = 0x%x data 0x%llx", out[0].events, (unsigned long long)out[0].data.u64);
    T("epoll_pwait(ready)", syscall(SYS_epoll_pwait, ep, out, 4, 0, NULL, 8));
    struct timespec z = {0, 0};
    T("epoll_pwait2(ready)", syscall(SYS_epoll_pwait2, ep, out, 4, &z, NULL, 8));
    T("epoll_wait(maxevents 0)", syscall(SYS_epoll_wait, ep, out, 0, 0));
    T("epoll_ctl(DEL pipe)", syscall(SYS_epoll_ctl, ep, EPOLL_CTL_DEL, p[0], NULL));
    T("epoll_wait(after DEL)", syscall(SYS_epoll_wait, ep, out, 4, 0));
    close(ep);

    int efd = (int)T("eventfd2(0, EFD_NONBLOCK) >= 0", (efd = (int)syscall(SYS_eventfd2, 0, EFD_NONBLOCK)) >= 0 ? efd : -1);
    uint64_t v = 5;
    T("write(eventfd, 5)", write(efd, &v, 8));
    T("write(eventfd, 7)", (v = 7, write(efd, &v, 8)));
    T("read(eventfd)", read(efd, &v, 8));
    say("eventfd value = %llu", (unsigned long long)v);
    T("read(eventfd) empty", read(efd, &v, 8));
    close(efd);
    T("eventfd2(bad flags)", syscall(SYS_eventfd2, 0, 0x2));
    efd = (int)T("eventfd2(1, EFD_SEMAPHORE)", syscall(SYS_eventfd2, 1, EFD_SEMAPHORE));
    close(efd);
    close(p[0]);
    close(p[1]);
}

static void time_and_misc(void)
{
    struct timespec a, b, res;
    T("clock_gettime(CLOCK_MONOTONIC)", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &a));
    struct timespec d = {0, 2000000};
    T("nanosleep(2ms)", syscall(SYS_nanosleep, &d, NULL));
    T("clock_gettime(CLOCK_MONOTONIC) again", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &b));
    long long ns = (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
    say("slept at least 2ms = %s", ns >= 2000000 ? "yes" : "no");
    T("clock_gettime(CLOCK_REALTIME) vdso", clock_gettime(CLOCK_REALTIME, &a));
    T("clock_gettime(bad clock)", syscall(SYS_clock_gettime, 12345, &a));
    T("clock_getres(CLOCK_MONOTONIC)", syscall(SYS_clock_getres, CLOCK_MONOTONIC, &res));
    say("resolution = %ld.%09ld", (long)res.tv_sec, res.tv_nsec);
    struct timespec bad = {0, 1000000000};
    T("nanosleep(bad nsec)", syscall(SYS_nanosleep, &bad, NULL));
    T("clock_nanosleep(MONOTONIC, 1ms)", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &(struct timespec){0, 1000000}, NULL));
    T("clock_nanosleep(bad clock)", syscall(SYS_clock_nanosleep, 12345, 0, &d, NULL));
    struct timeval tv;
    T("gettimeofday", syscall(SYS_gettimeofday, &tv, NULL));
    time_t t = 0;
    long tr = syscall(SYS_time, &t);
    say("time = %s", tr == t && t > 1600000000 ? "consistent" : "inconsistent");
    unsigned char rnd[32];
    T("getrandom(32)", syscall(SYS_getrandom, rnd, sizeof(rnd), 0));
    T("getrandom(GRND_NONBLOCK)", syscall(SYS_getrandom, rnd, 16, GRND_NONBLOCK));
    T("getrandom(bad flags)", syscall(SYS_getrandom, rnd, 16, 0x100));
    T("sched_yield", syscall(SYS_sched_yield));
    cpu_set_t set;
    CPU_ZERO(&set);
    long n = syscall(SYS_sched_getaffinity, 0, sizeof(set), &set);
    /* how many CPUs is up to the instance (gramine-ts pins each app to one) */
    say("sched_getaffinity = %s, at least one cpu: %s", n > 0 ? "ok" : "fail", CPU_COUNT(&set) >= 1 ? "yes" : "no");
    unsigned cpu = 99, node = 99;
    T("getcpu", syscall(SYS_getcpu, &cpu, &node, NULL));
    say("getcpu cpu valid = %s", cpu < CPU_SETSIZE ? "yes" : "no");
    struct rusage ru;
    T("getrusage(RUSAGE_SELF)", syscall(SYS_getrusage, RUSAGE_SELF, &ru));
    T("getrusage(bad who)", syscall(SYS_getrusage, 99, &ru));
    struct tms tm;
    T("times != -1", syscall(SYS_times, &tm) != -1);
    T("membarrier(QUERY) has GLOBAL", (syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0) & MEMBARRIER_CMD_GLOBAL) != 0);
    /* futexes and the robust list */
    static int word = 1;
    T("futex(FUTEX_WAKE_PRIVATE, nobody waiting)", syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));
    T("futex(FUTEX_WAIT_PRIVATE, value changed)", syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0));
    struct timespec fto = {0, 1000000};
    T("futex(FUTEX_WAIT_PRIVATE, 1ms timeout)", syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 1, &fto, NULL, 0));
    T("futex(bad op)", syscall(SYS_futex, &word, 99, 1, NULL, NULL, 0));
    void *head = NULL;
    size_t hlen = 0;
    T("get_robust_list(0)", syscall(SYS_get_robust_list, 0, &head, &hlen));
    say("robust list registered by libc: %s, len %zu", head ? "yes" : "no", hlen);
    T("get_robust_list(4000000)", syscall(SYS_get_robust_list, 4000000, &head, &hlen));
    T("set_robust_list(bad len)", syscall(SYS_set_robust_list, head, 1));
    stack_t ss = {.ss_sp = malloc(SIGSTKSZ), .ss_size = SIGSTKSZ, .ss_flags = 0}, old;
    T("sigaltstack(set)", syscall(SYS_sigaltstack, &ss, &old));
    say("old sigaltstack flags = %d", old.ss_flags);
    T("sigaltstack(query)", syscall(SYS_sigaltstack, NULL, &old));
    say("sigaltstack size = %s", old.ss_size == (size_t)SIGSTKSZ ? "as set" : "other");
    ss.ss_size = 16;
    T("sigaltstack(too small)", syscall(SYS_sigaltstack, &ss, NULL));
}

int main(int argc, char **argv)
{
    t_init();
    if (argc < 2 || chdir(argv[1]) != 0)
        die("chdir scratch");
    dup_and_close();
    io();
    pipes();
    sockets();
    polling();
    time_and_misc();
    say("done");
    return 0;
}
