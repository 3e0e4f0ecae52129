/*
 * A FIFO's writer that has closed is gone for its reader at once (fifo_last_close DIR ROUNDS):
 * each round a child opens DIR/fifo for writing (an open that would wait for a reader, made by
 * the worker under gramine-ts), writes a byte, closes it and says so on a pipe; the reader, open
 * without blocking since before, then reads the byte and end-of-file -- not EAGAIN, which says
 * a writer is still there (the copy a worker held of the fd it handed over, closed after the
 * app's close). Prints how many rounds saw each.
 */
#include "t.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
    if (argc != 3)
        die("usage: fifo_last_close DIR ROUNDS");
    char fifo[4096];
    snprintf(fifo, sizeof(fifo), "%s/fifo", argv[1]);
    if (mkfifo(fifo, 0600))
        die("mkfifo");
    int rounds = atoi(argv[2]), eof = 0, writer_left = 0, other = 0;
    for (int i = 0; i < rounds; i++) {
        int reader = open(fifo, O_RDONLY | O_NONBLOCK), closed[2];
        if (reader < 0 || pipe(closed))
            die("open reader");
        pid_t child = fork();
        if (child == 0) {
            int fd = open(fifo, O_WRONLY);
            if (fd < 0 || write(fd, "x", 1) != 1 || close(fd) || write(closed[1], "c", 1) != 1)
                _exit(1);
            _exit(0);
        }
        char c;
        if (read(closed[0], &c, 1) != 1)
            die("read closed");
        long first = read(reader, &c, 1);
        errno = 0;
        long then = read(reader, &c, 1);
        if (first == 1 && then == 0)
            eof++;
        else if (first == 1 && then < 0 && errno == EAGAIN)
            writer_left++;
        else
            other++;
        int status;
        if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            die("child");
        close(reader);
        close(closed[0]);
        close(closed[1]);
    }
    say("rounds %d: end-of-file after the writer's close %d, a writer still there %d, other %d", rounds, eof,
        writer_left, other);
    return 0;
}
