/*
 * A race aimed at the stub's own writes (native/stub/paths.c, GTS_PATH_STUB_WRITES):
 *   write_race DIR OUTSIDE ROUNDS
 * One process keeps exchanging DIR/sub, a directory, with a symlink to OUTSIDE (renameat2
 * RENAME_EXCHANGE: there is always one or the other), while this one, each round, creates
 * DIR/sub/made (O_CREAT | O_EXCL) and writes it, unlinks it, opens DIR/sub/kept with O_CREAT |
 * O_TRUNC and writes it, and unlinks DIR/sub/victim. Natively, through the symlink, files are
 * made in OUTSIDE and OUTSIDE/victim goes; under gramine-ts, where OUTSIDE is in no writable
 * mount of the instance, nothing of OUTSIDE may change. Prints how many rounds made their file
 * (in either place), for the test to see that the race ran.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "race.h"

static char sub[4096], alt[4096];

static void exchanger(const void *arg, int ready)
{
    (void)arg;
    for (;;) {
        if (syscall(SYS_renameat2, AT_FDCWD, sub, AT_FDCWD, alt, RENAME_EXCHANGE) == 0)
            race_ready(&ready);
    }
}

static int put(const char *path, int flags)
{
    int fd = open(path, flags, 0644);
    if (fd < 0)
        return 0;
    int ok = write(fd, "made\n", 5) == 5;
    close(fd);
    return ok;
}

int main(int argc, char **argv)
{
    if (argc != 4)
        return 2;
    const char *dir = argv[1], *outside = argv[2];
    long rounds = atol(argv[3]);
    char made[4200], kept[4200], victim[4200];
    snprintf(sub, sizeof(sub), "%s/sub", dir);
    snprintf(alt, sizeof(alt), "%s/alt", dir);
    snprintf(made, sizeof(made), "%s/made", sub);
    snprintf(kept, sizeof(kept), "%s/kept", sub);
    snprintf(victim, sizeof(victim), "%s/victim", sub);
    if (mkdir(sub, 0777) || chmod(sub, 01777) || symlink(outside, alt))
        return 3;
    pid_t child = race_start(exchanger, 0);
    if (child < 0)
        return 3;
    long made_n = 0;
    for (long i = 0; i < rounds; i++) {
        made_n += put(made, O_WRONLY | O_CREAT | O_EXCL);
        unlink(made);
        put(kept, O_WRONLY | O_CREAT | O_TRUNC);
        unlink(victim);
    }
    kill(child, SIGKILL);
    waitpid(child, 0, 0);
    printf("rounds that made their file: %s\n", made_n > 0 ? "some" : "none");
    return 0;
}
