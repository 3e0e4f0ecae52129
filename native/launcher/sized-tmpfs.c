/*
 * sized-tmpfs SIZE: a tmpfs of at most SIZE bytes for a leader not run as root (a tmpfs mount
 * of the manifest with a size). In a user namespace of its own, whose root is the caller's
 * user, with a mount namespace of its own, it makes a detached tmpfs (fsopen/fsmount: mounted
 * nowhere) and sends its fd over fd 3 (SCM_RIGHTS), then exits. The tmpfs lives as long as an
 * fd of it is open (the leader's, for the instance's life), and its files are the caller's.
 * Exit status 0 when the fd was sent; otherwise a line on stderr names what failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "send-fd.h"

#define CHANNEL_FD 3
#define FSOPEN_CLOEXEC 1
#define FSCONFIG_SET_STRING 1
#define FSCONFIG_CMD_CREATE 6
#define FSMOUNT_CLOEXEC 1

static int fail(const char *what)
{
    fprintf(stderr, "sized-tmpfs: %s: %s\n", what, strerror(errno));
    return 1;
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc != 2 || !argv[1][0] || strspn(argv[1], "0123456789") != strlen(argv[1])) {
        fprintf(stderr, "usage: sized-tmpfs SIZE-IN-BYTES (the fd goes out on fd %d)\n", CHANNEL_FD);
        return 2;
    }
    uid_t uid = getuid();
    gid_t gid = getgid();
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
        return fail("unshare(CLONE_NEWUSER | CLONE_NEWNS)");
    char map[64];
    snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
    if (write_file("/proc/self/uid_map", map) < 0)
        return fail("uid_map");
    if (write_file("/proc/self/setgroups", "deny") < 0)
        return fail("setgroups");
    snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
    if (write_file("/proc/self/gid_map", map) < 0)
        return fail("gid_map");
    int fs = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
    if (fs < 0)
        return fail("fsopen(tmpfs)");
    if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "size", argv[1], 0) < 0)
        return fail("fsconfig(size)");
    if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        return fail("fsconfig(create)");
    int mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0);
    if (mnt < 0)
        return fail("fsmount");

    if (send_fd(CHANNEL_FD, mnt) < 0)
        return fail("sendmsg");
    return 0;
}
