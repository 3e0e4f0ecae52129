/*
 * Helpers of the network test programs: children whose output the parent prints when they are
 * done (so that the lines of both come in one order however they ran), UNIX addresses, and a
 * message with one control message.
 */
#ifndef GTS_TEST_NET_H
#define GTS_TEST_NET_H

#include "../t.h"
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

/* Fork a child whose stdout goes to a pipe (`*out`, the parent's end); 0 in the child. */
static inline pid_t fork_held(int *out)
{
    int p[2];
    if (pipe(p))
        die("pipe");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        return 0;
    }
    close(p[1]);
    *out = p[0];
    return pid;
}

/* Wait for the child of fork_held and print what it printed; its exit status (128+N for a signal). */
static inline int reap(pid_t pid, int out)
{
    char buf[4096];
    ssize_t n;
    while ((n = read(out, buf, sizeof(buf))) > 0)
        fwrite(buf, 1, (size_t)n, stdout);
    close(out);
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The address of UNIX path `p`, and its length as the kernel reports one (with the NUL). */
static inline socklen_t unix_path_addr(struct sockaddr_un *a, const char *p)
{
    memset(a, 0, sizeof(*a));
    a->sun_family = AF_UNIX;
    snprintf(a->sun_path, sizeof(a->sun_path), "%s", p);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(a->sun_path) + 1);
}

/* The address of abstract name `name` ("\0" + name), its length without a NUL. */
static inline socklen_t abstract_addr(struct sockaddr_un *a, const char *name)
{
    memset(a, 0, sizeof(*a));
    a->sun_family = AF_UNIX;
    memcpy(a->sun_path + 1, name, strlen(name));
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
}

/* Send the byte `byte` with one SOL_SOCKET control message of `type` carrying `len` bytes of `data`. */
static inline ssize_t send_with_control(int fd, const char *byte, int type, const void *data, size_t len)
{
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(64)];
    } ctl;
    struct iovec iov = {(void *)byte, 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctl, .msg_controllen = CMSG_SPACE(len)};
    struct cmsghdr *h = CMSG_FIRSTHDR(&m);
    h->cmsg_level = SOL_SOCKET;
    h->cmsg_type = type;
    h->cmsg_len = CMSG_LEN(len);
    memcpy(CMSG_DATA(h), data, len);
    return sendmsg(fd, &m, 0);
}

#endif
