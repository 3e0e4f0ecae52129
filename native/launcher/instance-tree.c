/*
 * instance-tree PATH...: the file tree an instance's app processes are rooted in (run by a
 * root leader). Each PATH -- a host directory or file the instance's mounts grant -- appears at
 * its own path, with what is mounted below it; beside them only an empty, read-only tmpfs and a
 * /proc of the host's pid namespace. The tree is detached (mounted nowhere): it is reached
 * through the fd sent over fd 3 (SCM_RIGHTS), and ends with the last fd of it. So a program
 * that bypasses the trap (docs/security.md, "the gadget") names by path only what the
 * manifest grants, as the walk does: not the host's other sockets, devices or files.
 *
 * It works in a mount namespace of its own, which ends when it exits: nothing is mounted on
 * the host. With "/" among the paths the tree is the host's whole tree, as the built-in manifest
 * grants. Exit status 0 when the fd was sent; otherwise a line on stderr names what failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "send-fd.h"

#define CHANNEL_FD 3
#define MAX_PATHS 256
/* where the tree is built, in this process's own mount namespace: any directory every host has */
#define BUILD_AT "/tmp"

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x4
#endif

static int fail(const char *what, const char *path)
{
    fprintf(stderr, "instance-tree: %s%s%s: %s\n", what, path ? " " : "", path ? path : "", strerror(errno));
    return 1;
}

static int by_length(const void *a, const void *b)
{
    size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);
    return la < lb ? -1 : la > lb;
}

/* `path` is `dir` or below it */
static int is_under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == 0 || (n == 1 && dir[0] == '/'));
}

/*
 * Make `rel` (relative to `root`) a mount point for a directory or a file: its parent
 * directories as directories, itself as a directory or an empty file. An fd of it, or -1.
 */
static int make_mount_point(int root, const char *rel, int is_dir)
{
    char part[PATH_MAX];
    size_t len = strlen(rel);
    if (len >= sizeof(part))
        return errno = ENAMETOOLONG, -1;
    memcpy(part, rel, len + 1);
    for (char *slash = strchr(part, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = 0;
        if (mkdirat(root, part, 0755) < 0 && errno != EEXIST)
            return -1;
        *slash = '/';
    }
    if (is_dir)
        return mkdirat(root, part, 0755) < 0 && errno != EEXIST ? -1 : 0;
    int fd = openat(root, part, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    return fd < 0 ? -1 : close(fd);
}

int main(int argc, char **argv)
{
    int n = argc - 1;
    if (n < 1 || n > MAX_PATHS) {
        fprintf(stderr, "usage: instance-tree PATH... (absolute; the tree's fd goes out on fd %d)\n", CHANNEL_FD);
        return 2;
    }
    char **paths = argv + 1;
    for (int i = 0; i < n; i++)
        if (paths[i][0] != '/') {
            errno = EINVAL;
            return fail("not an absolute path:", paths[i]);
        }
    qsort(paths, (size_t)n, sizeof(paths[0]), by_length);
    if (unshare(CLONE_NEWNS) < 0)
        return fail("unshare(CLONE_NEWNS)", 0);
    if (mount(0, "/", 0, MS_REC | MS_PRIVATE, 0) < 0)
        return fail("making the mounts private", 0);

    int tree;
    if (!strcmp(paths[0], "/")) {
        /* everything is granted: the host's tree as it is */
        tree = (int)syscall(SYS_open_tree, AT_FDCWD, "/", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
        if (tree < 0)
            return fail("open_tree", "/");
        return send_fd(CHANNEL_FD, tree) < 0 ? fail("sending the tree's fd", 0) : 0;
    }
    /* the granted paths, each with what is mounted below it, taken before anything is mounted here */
    int clones[MAX_PATHS];
    int is_dir[MAX_PATHS];
    for (int i = 0; i < n; i++) {
        clones[i] = -1;
        int j = 0;
        while (j < i && !(is_dir[j] && is_under(paths[i], paths[j])))
            j++;
        if (j < i)
            continue; /* in the tree with a granted directory above it */
        struct stat st;
        if (stat(paths[i], &st) < 0)
            return fail("stat", paths[i]);
        is_dir[i] = S_ISDIR(st.st_mode);
        clones[i] = (int)syscall(SYS_open_tree, AT_FDCWD, paths[i], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
        if (clones[i] < 0)
            return fail("open_tree", paths[i]);
    }
    if (mount("gramine-ts", BUILD_AT, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m") < 0)
        return fail("mounting a tmpfs at", BUILD_AT);
    int root = open(BUILD_AT, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
        return fail("open", BUILD_AT);
    for (int i = 0; i < n; i++) {
        if (clones[i] < 0)
            continue;
        const char *rel = paths[i] + 1;
        if (make_mount_point(root, rel, is_dir[i]) < 0)
            return fail("making the mount point of", paths[i]);
        if (syscall(SYS_move_mount, clones[i], "", root, rel, MOVE_MOUNT_F_EMPTY_PATH) < 0)
            return fail("move_mount", paths[i]);
        close(clones[i]);
    }
    /* a /proc of its own for the app processes: the stub reaches its fds as /proc/self/fd/N */
    int proc_above = 0;
    for (int i = 0; i < n; i++)
        proc_above |= clones[i] >= 0 && is_under("/proc", paths[i]);
    if (!proc_above) {
        if (mkdirat(root, "proc", 0555) < 0 && errno != EEXIST)
            return fail("mkdir", BUILD_AT "/proc");
        if (mount("proc", BUILD_AT "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, 0) < 0)
            return fail("mounting /proc at", BUILD_AT "/proc");
    }
    /* nothing may be made in the tree's own directories (Landlock says so too) */
    if (mount(0, BUILD_AT, 0, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, 0) < 0)
        return fail("making the tree's tmpfs read-only", 0);
    tree = (int)syscall(SYS_open_tree, AT_FDCWD, BUILD_AT, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
    if (tree < 0)
        return fail("open_tree", BUILD_AT);
    return send_fd(CHANNEL_FD, tree) < 0 ? fail("sending the tree's fd", 0) : 0;
}
