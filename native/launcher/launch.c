/*
 * gramine-ts launcher: starts the leader and the first worker at the same time. Both are Node
 * processes and a Node boot costs ~60 ms here; started one after the other they would double
 * the start-up of every instance. The launcher makes the leader/worker socket and the platform
 * key, forks the worker, and becomes the leader (so the worker is its child, as if spawned by it).
 *
 * Both get the same fds: 3 is the leader/worker socket, 4 the platform key. The leader learns
 * the worker's pid from GRAMINE_TS_FIRST_WORKER (and its later workers get 3 and 4 over these).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define KEY_SIZE 32

static void fail(const char *what)
{
    fprintf(stderr, "gramine-ts: %s: %s\n", what, strerror(errno));
    exit(127);
}

/* The package root: this binary is <root>/native/launcher/build/gramine-ts-launch. */
static void package_root(char *out, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", out, len - 1);
    if (n < 0)
        fail("readlink /proc/self/exe");
    out[n] = 0;
    for (int up = 0; up < 4; up++) {
        char *slash = strrchr(out, '/');
        if (!slash)
            fail("package root");
        *slash = 0;
    }
}

/* fd `from` as fd `to`, kept across exec. */
static void move_fd(int from, int to)
{
    if (from == to) {
        if (fcntl(to, F_SETFD, 0) < 0)
            fail("fcntl");
        return;
    }
    if (dup2(from, to) < 0)
        fail("dup2");
    close(from);
}

static void exec_node(const char *script, char **args, int nargs)
{
    char *argv[nargs + 3];
    argv[0] = "node";
    argv[1] = (char *)script;
    for (int i = 0; i < nargs; i++)
        argv[i + 2] = args[i];
    argv[nargs + 2] = NULL;
    execvp("node", argv);
    fail("exec node");
}

/*
 * NODE_EXTRA_CA_CERTS makes every Node process read and parse those certificates as it starts
 * (some 90 ms of CPU for a system's bundle here), for nothing: the leader's and the workers'
 * channels use a pre-shared key. The variable is renamed in place, with this prefix, so that their
 * Nodes do not see it; the leader gives it back to the app, name and place unchanged
 * (hostEnvironment, src/cli/host-vectors.ts).
 */
#define HIDDEN_PREFIX "GRAMINE_TS_HOST_"
static const char *const HIDDEN_FROM_NODE[] = {"NODE_EXTRA_CA_CERTS="};

extern char **environ;

static void hide_from_node(void)
{
    for (char **e = environ; *e; e++)
        for (size_t i = 0; i < sizeof(HIDDEN_FROM_NODE) / sizeof(HIDDEN_FROM_NODE[0]); i++)
            if (strncmp(*e, HIDDEN_FROM_NODE[i], strlen(HIDDEN_FROM_NODE[i])) == 0) {
                size_t len = strlen(HIDDEN_PREFIX) + strlen(*e) + 1;
                char *renamed = malloc(len);
                if (!renamed)
                    fail("malloc");
                snprintf(renamed, len, "%s%s", HIDDEN_PREFIX, *e);
                *e = renamed;
            }
}

/* A pipe holding the platform key, read end returned (the key fits in the pipe buffer). */
static int key_pipe(const unsigned char *key)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        fail("pipe2");
    if (write(p[1], key, KEY_SIZE) != KEY_SIZE)
        fail("write platform key");
    close(p[1]);
    return p[0];
}

/* the open files an instance needs (Node's own, the stub's reserved ones): bin/gramine-ts.js too */
#define MIN_NOFILE 50

int main(int argc, char **argv)
{
    char root[PATH_MAX], cli[PATH_MAX + 32], worker[PATH_MAX + 32];
    package_root(root, sizeof(root));
    snprintf(cli, sizeof(cli), "%s/bin/gramine-ts.js", root);
    snprintf(worker, sizeof(worker), "%s/bin/worker.cjs", root);
    if (argc < 2 || strcmp(argv[1], "run") != 0)
        exec_node(cli, argv + 1, argc - 1);
    /* below this, Node itself fails as it loads (with a stack trace): say so instead */
    struct rlimit nofile;
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < MIN_NOFILE) {
        fprintf(stderr, "gramine-ts: the open-file limit (ulimit -n) is %lu; an instance needs at least %d\n",
                (unsigned long)nofile.rlim_cur, MIN_NOFILE);
        return 1;
    }

    hide_from_node();
    unsigned char key[KEY_SIZE];
    if (getrandom(key, KEY_SIZE, 0) != KEY_SIZE)
        fail("getrandom");
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        fail("socketpair");
    int worker_key = key_pipe(key), leader_key = key_pipe(key);
    memset(key, 0, sizeof(key));

    pid_t pid = fork();
    if (pid < 0)
        fail("fork");
    if (pid == 0) {
        /* the worker: its socket to the leader at fd 3, the platform key at fd 4 */
        close(sv[0]);
        close(leader_key);
        move_fd(sv[1], 3);
        move_fd(worker_key, 4);
        char *none[] = {NULL};
        exec_node(worker, none, 0);
    }
    close(sv[1]);
    close(worker_key);
    move_fd(sv[0], 3);
    move_fd(leader_key, 4);
    char spec[32];
    snprintf(spec, sizeof(spec), "%d", (int)pid);
    setenv("GRAMINE_TS_FIRST_WORKER", spec, 1);
    exec_node(cli, argv + 1, argc - 1);
}
