/*
 * execve corner cases, one scenario per run: mp_exec SCENARIO SCRATCH_DIR MP_SHOW_PATH.
 *
 * Each exec happens in a child (but for "self"); the parent prints only before forking (with
 * stdout flushed) and after reaping, so the exec'd program's lines come in between, in order.
 * Whether an execve failed, and with which errno, comes back through a close-on-exec pipe:
 * an errno if it failed, EOF if it succeeded. Lines starting with "raw:" hold host-dependent
 * values, checked by the test one by one.
 */
#include "t.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

extern char **environ;

static const char *SHOW;

static void describe_status(char *buf, size_t n, int st)
{
    if (WIFEXITED(st))
        snprintf(buf, n, "exited %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        snprintf(buf, n, "killed by signal %d", WTERMSIG(st));
    else
        snprintf(buf, n, "status 0x%x", st);
}

static void write_file(const char *name, const void *data, size_t n, mode_t mode)
{
    unlink(name);
    int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0 || write(fd, data, n) != (ssize_t)n || close(fd) != 0)
        die(name);
    if (chmod(name, mode) != 0)
        die("chmod");
}

static void write_text(const char *name, const char *text, mode_t mode)
{
    write_file(name, text, strlen(text), mode);
}

/*
 * In a child: execve(path, argv, envp) (execvpe when `use_path`). Prints "label = -1 ENAME" if
 * it failed, or "label: exec'd, exited N" once the exec'd program is done. With `use_path`, execvpe:
 * a search of PATH (the caller's), and the ENOEXEC fallback to /bin/sh.
 */
static void try_exec(const char *label, const char *path, char *const argv[], char *const envp[], int use_path)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        die("pipe2");
    fflush(stdout);
    pid_t c = fork();
    if (c < 0)
        die("fork");
    if (c == 0) {
        close(p[0]);
        if (use_path)
            execvpe(path, argv, envp);
        else
            syscall(SYS_execve, path, argv, envp);
        int e = errno;
        write(p[1], &e, sizeof(e));
        _exit(0);
    }
    close(p[1]);
    int e = 0;
    ssize_t n = read(p[0], &e, sizeof(e));
    close(p[0]);
    int st = 0;
    if (waitpid(c, &st, 0) != c)
        die("waitpid");
    if (n == (ssize_t)sizeof(e)) {
        say("%s = -1 %s", label, ename(e));
    } else {
        char s[64];
        describe_status(s, sizeof(s), st);
        say("%s: exec'd, %s", label, s);
    }
}

static char *empty_env[] = {NULL};

static void errors(void)
{
    char *args[] = {"prog", "arg", NULL};
    write_text("not-executable", "#!/bin/sh\necho should not run\n", 0644);
    static const char garbage[] = "\x01\x02\x03\x00\xff\xfe\x7f\n\x80\x81 gts-no-such-command\n";
    write_file("garbage", garbage, sizeof(garbage), 0755);
    write_file("empty", "", 0, 0755);
    char fake_elf[64] = "\x7f" "ELF";
    write_file("fake-elf", fake_elf, sizeof(fake_elf), 0755);
    write_text("no-shebang", "echo \"run by sh after ENOEXEC: $0 $1\"\nexit 4\n", 0755);
    write_text("missing-interp", "#!/nonexistent/interpreter -x\necho never\n", 0755);
    write_text("interp-not-exec", "#!./not-executable\necho never\n", 0755);

    try_exec("execve(missing file)", "nonexistent", args, empty_env, 0);
    try_exec("execve(missing directory component)", "/nonexistent/dir/prog", args, empty_env, 0);
    try_exec("execve(\"\")", "", args, empty_env, 0);
    try_exec("execve(file as a directory component)", "not-executable/prog", args, empty_env, 0);
    try_exec("execve(non-executable file)", "not-executable", args, empty_env, 0);
    try_exec("execve(directory)", "/", args, empty_env, 0);
    try_exec("execve(garbage bytes)", "garbage", args, empty_env, 0);
    try_exec("execve(empty file)", "empty", args, empty_env, 0);
    try_exec("execve(\\x7fELF then zeros)", "fake-elf", args, empty_env, 0);
    try_exec("execve(text without #!)", "no-shebang", args, empty_env, 0);
    try_exec("execve(#! with a missing interpreter)", "missing-interp", args, empty_env, 0);
    try_exec("execve(#! with a non-executable interpreter)", "interp-not-exec", args, empty_env, 0);
    /* ENOEXEC semantics of the exec*p functions: the file is run by /bin/sh */
    try_exec("execvpe(./text without #!)", "./no-shebang", args, empty_env, 1);
    try_exec("execvpe(./garbage bytes)", "./garbage", args, empty_env, 1);

    /* one string longer than MAX_ARG_STRLEN (32 pages) */
    size_t big = 200000;
    char *huge = malloc(big + 1);
    memset(huge, 'h', big);
    huge[big] = 0;
    char *huge_args[] = {"true", huge, NULL};
    try_exec("execve(/bin/true, one 200000-byte argument)", "/bin/true", huge_args, empty_env, 0);
    char *huge_env[] = {huge, NULL};
    huge[0] = 'H';
    huge[1] = '=';
    try_exec("execve(/bin/true, one 200000-byte environment string)", "/bin/true", args, huge_env, 0);
    /* 8 MB of arguments: more than any stack limit allows (at most 6 MB) */
    huge[100000] = 0;
    char *many_args[82];
    many_args[0] = "true";
    for (int i = 1; i < 81; i++)
        many_args[i] = huge;
    many_args[81] = NULL;
    try_exec("execve(/bin/true, 8 MB of arguments)", "/bin/true", many_args, empty_env, 0);
    free(huge);

    /* the process is intact after a failed execve: it can exec something else */
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        char *sh_args[] = {"sh", "-c", "echo \"exec'd after $0 failures\"; exit 3", "two", NULL};
        int ok = syscall(SYS_execve, "/nonexistent", args, environ) == -1 && errno == ENOENT;
        ok = ok && syscall(SYS_execve, "not-executable", args, environ) == -1 && errno == EACCES;
        if (ok)
            syscall(SYS_execve, "/bin/sh", sh_args, environ);
        _exit(99);
    }
    int st = 0;
    waitpid(c, &st, 0);
    char s[64];
    describe_status(s, sizeof(s), st);
    say("execve after two failed ones: %s", s);
}

/* #! scripts: the interpreter's argv is [interpreter, (the #! argument,) the script path, argv[1]...]. */
static void script(const char *dir)
{
    char text[4096];
    /* everything after the interpreter, trimmed at both ends, is one argument */
    snprintf(text, sizeof(text), "#!%s  -x  y\tz \t\nthis line is never read\n", SHOW);
    write_text("with-arg", text, 0755);
    snprintf(text, sizeof(text), "#! \t%s\n", SHOW);
    write_text("no-arg", text, 0755);
    /* a script as the interpreter of a script */
    snprintf(text, sizeof(text), "#!%s/with-arg outer-arg\n", dir);
    write_text("nested", text, 0755);
    char *args[] = {"argv0-is-dropped", "a", "", "b c", NULL};
    char *env[] = {"SCRIPT_ENV=1", NULL};
    try_exec("execve(./with-arg)", "./with-arg", args, env, 0);
    try_exec("execve(with-arg) (relative, no slash)", "with-arg", args, env, 0);
    char abs[4096];
    snprintf(abs, sizeof(abs), "%s/no-arg", dir);
    try_exec("execve(DIR/no-arg)", abs, args, env, 0);
    try_exec("execve(nested)", "nested", args, env, 0);
    /* execvpe finds the script in PATH and passes the path it found */
    char path[4200];
    snprintf(path, sizeof(path), "/nonexistent-dir:%s", dir);
    setenv("PATH", path, 1);
    char *args2[] = {"no-arg", "via", "PATH", NULL};
    try_exec("execvpe(no-arg) through PATH", "no-arg", args2, env, 1);
    /* argv of the interpreted /bin/sh script */
    write_text("sh-script", "#!/bin/sh -u\necho \"sh script: \\$0=$0 \\$#=$# [$1] [$2] [$3]\"\nexit 6\n", 0755);
    try_exec("execve(#!/bin/sh -u script)", "./sh-script", args, env, 0);
}

/* Close-on-exec: those fds are gone in the exec'd program, the others stay (with their offsets). */
static void cloexec(void)
{
    write_text("data", "0123456789abcdef\n", 0644);
    int plain = open("data", O_RDONLY);
    char buf[10];
    if (plain < 0 || read(plain, buf, 10) != 10)
        die("data");
    int ce = open("data", O_RDONLY | O_CLOEXEC);
    int p[2], q[2];
    if (pipe(p) || pipe2(q, O_CLOEXEC))
        die("pipe");
    int set_later = open("data", O_RDONLY);
    fcntl(set_later, F_SETFD, FD_CLOEXEC);
    int cleared = open("data", O_RDONLY | O_CLOEXEC);
    fcntl(cleared, F_SETFD, 0);
    int dup3_ce = dup3(plain, 20, O_CLOEXEC);
    int dup2_of_ce = dup2(ce, 21);
    int dupfd_ce = fcntl(plain, F_DUPFD_CLOEXEC, 30);
    int dupfd = fcntl(ce, F_DUPFD, 31);
    int dir = open(".", O_RDONLY | O_DIRECTORY);
    int dir_ce = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    say("plain %d, O_CLOEXEC %d, pipe %d %d, pipe2(O_CLOEXEC) %d %d, F_SETFD FD_CLOEXEC %d, F_SETFD 0 %d", plain, ce, p[0],
        p[1], q[0], q[1], set_later, cleared);
    say("dup3(plain, 20, O_CLOEXEC) %d, dup2(O_CLOEXEC fd, 21) %d, F_DUPFD_CLOEXEC %d, F_DUPFD %d, dir %d, dir O_CLOEXEC %d",
        dup3_ce, dup2_of_ce, dupfd_ce, dupfd, dir, dir_ce);
    say("expected in the exec'd program: %d %d %d %d %d %d %d", plain, p[0], p[1], cleared, dup2_of_ce, dupfd, dir);
    char *args[] = {"mp_show", NULL};
    try_exec("execve(mp_show)", SHOW, args, empty_env, 0);
    /* the parent's own fds are as they were */
    say("in the parent, O_CLOEXEC fd still open: %s, offset of plain still %ld",
        fcntl(ce, F_GETFD) == FD_CLOEXEC ? "yes, with FD_CLOEXEC" : "no", (long)lseek(plain, 0, SEEK_CUR));
}

/* argv and envp arrive exactly as given. */
static void argv_envp(void)
{
    char *args[] = {"first", "", "a b", "tab\there", "new\nline", "", "\xc3\xbc\xe2\x82\xac", "-", "--", "last", NULL};
    char *env[] = {"A=1", "EMPTY=", "", "NOEQUALS", "A=2", "SPACE=x y", "=starts-with-equals", NULL};
    try_exec("execve(mp_show, odd argv, odd envp)", SHOW, args, env, 0);
    char *none[] = {NULL};
    try_exec("execve(mp_show, {NULL}, {NULL})", SHOW, none, none, 0);
    try_exec("execve(mp_show, NULL, NULL)", SHOW, NULL, NULL, 0);

    /* a long argv: 5000 arguments of varied lengths, and one of 100000 bytes */
    enum { N = 5002 };
    char **many = calloc(N + 1, sizeof(char *));
    many[0] = "mp_show";
    for (int i = 1; i < N - 1; i++) {
        many[i] = malloc(80);
        snprintf(many[i], 80, "arg-%d-%.*s", i, i % 50, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    }
    many[N - 1] = malloc(100001);
    memset(many[N - 1], 'L', 100000);
    many[N - 1][100000] = 0;
    many[N] = NULL;
    char *small_env[] = {"ONLY=one", NULL};
    try_exec("execve(mp_show, 5002 arguments)", SHOW, many, small_env, 0);
    /* and a long envp */
    char **env_many = calloc(3001, sizeof(char *));
    for (int i = 0; i < 3000; i++) {
        env_many[i] = malloc(32);
        snprintf(env_many[i], 32, "V%d=%d", i, i * 7);
    }
    char *one[] = {"mp_show", NULL};
    try_exec("execve(mp_show, 3000 environment strings)", SHOW, one, env_many, 0);
}

/* exec in this very process: same pid and parent (the test checks the raw lines). */
static void self(void)
{
    say("raw: before exec: pid %d, ppid %d", getpid(), getppid());
    fflush(stdout);
    execl("/bin/sh", "sh", "-c", "echo \"raw: after exec: pid $$, ppid $PPID\"; echo done", (char *)NULL);
    die("execl");
}

int main(int argc, char **argv)
{
    t_init();
    if (argc != 4 || chdir(argv[2]) != 0) {
        fprintf(stderr, "usage: mp_exec SCENARIO SCRATCH_DIR MP_SHOW_PATH\n");
        return 2;
    }
    SHOW = argv[3];
    /* only what this program opens: none of the fds the caller may have leaked to it */
    for (int fd = 3; fd < 1024; fd++)
        close(fd);
    const char *s = argv[1];
    if (!strcmp(s, "errors"))
        errors();
    else if (!strcmp(s, "script"))
        script(argv[2]);
    else if (!strcmp(s, "cloexec"))
        cloexec();
    else if (!strcmp(s, "argv"))
        argv_envp();
    else if (!strcmp(s, "self"))
        self();
    else {
        fprintf(stderr, "unknown scenario %s\n", s);
        return 2;
    }
    say("done");
    return 0;
}
