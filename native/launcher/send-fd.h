/* The helpers' one reply: an fd, sent over `channel` (SCM_RIGHTS) with one byte. 0, or -1 (errno). */
#ifndef GTS_LAUNCHER_SEND_FD_H
#define GTS_LAUNCHER_SEND_FD_H

#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

static inline int send_fd(int channel, int fd)
{
    char byte = 0;
    struct iovec iov = {&byte, 1};
    char control[CMSG_SPACE(sizeof(int))];
    memset(control, 0, sizeof(control));
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    return sendmsg(channel, &msg, 0) == 1 ? 0 : -1;
}

#endif
