/*
 * bulk-io: sequential write and read throughput of one large file.
 *
 *   bulk-io DIR [MIB [both|write|read]]
 *
 * DIR is an existing scratch directory. Write phase (timed): DIR/bulk-io.dat is created and
 * MIB MiB (default 256) are written in 1 MiB write(2)s, then fsync(2)ed; the time runs from
 * before the open to after the fsync. Read phase (timed): the file is opened again and read
 * back in 1 MiB read(2)s to EOF (from the page cache: the file was just written), each MiB
 * checked against what was written. The file is removed at the end (also on failure). "write"
 * makes the write phase alone and keeps the file; "read" the read phase alone, of the file a
 * "write" left (in a later process: encrypted files are decrypted as they are opened). The output
 * is one line of key=value pairs, e.g.
 *   mode=bulk mib=256 write_ms=812.3 write_mibs=315.2 read_ms=40.1 read_mibs=6384.0
 * Exit status 0 on success, 1 if a call failed or the data read back differs (reported on
 * stderr), 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define CHUNK (1024 * 1024)

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/*
 * The content of each MiB: 8-byte words numbered 0, 1, 2 ..., except word 0, which holds the
 * MiB's index << 32 (set per MiB), so that a misplaced or stale MiB is seen.
 */
static void fill(uint64_t *buf)
{
    for (size_t w = 0; w < CHUNK / 8; w++)
        buf[w] = w;
}

static int fail(const char *file, const char *what)
{
    fprintf(stderr, "bulk-io: %s: %s\n", what, strerror(errno));
    unlink(file);
    return 1;
}

/* Write MIB MiB to `file` and fsync it: the time from before the open to after the fsync, or < 0. */
static double write_phase(const char *file, long mib, uint64_t *out)
{
    double t0 = now_ms();
    int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return fail(file, "create"), -1;
    for (long i = 0; i < mib; i++) {
        out[0] = ((uint64_t)i << 32); /* word 0 of chunk i */
        ssize_t n = write(fd, out, CHUNK);
        if (n != CHUNK) {
            if (n >= 0)
                errno = EIO;
            return fail(file, "write"), -1;
        }
    }
    if (fsync(fd) != 0)
        return fail(file, "fsync"), -1;
    double t1 = now_ms();
    close(fd);
    return t1 - t0;
}

/* Read `file` back and check it holds MIB MiB as written: the time from before the open to EOF, or < 0. */
static double read_phase(const char *file, long mib, uint64_t *in, uint64_t *expect)
{
    double t2 = now_ms();
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(file, "open for reading"), -1;
    long chunks = 0;
    for (;;) {
        size_t got = 0;
        while (got < CHUNK) {
            ssize_t n = read(fd, (char *)in + got, CHUNK - got);
            if (n < 0)
                return fail(file, "read"), -1;
            if (n == 0)
                break;
            got += (size_t)n;
        }
        if (got == 0)
            break;
        expect[0] = ((uint64_t)chunks << 32);
        if (got != CHUNK || memcmp(in, expect, CHUNK) != 0) {
            fprintf(stderr, "bulk-io: MiB %ld read back differs from what was written\n", chunks);
            unlink(file);
            return -1;
        }
        chunks++;
    }
    double t3 = now_ms();
    close(fd);
    if (chunks != mib) {
        fprintf(stderr, "bulk-io: read %ld MiB back, wrote %ld\n", chunks, mib);
        unlink(file);
        return -1;
    }
    return t3 - t2;
}

int main(int argc, char **argv)
{
    const char *phase = argc > 3 ? argv[3] : "both";
    int writes = !strcmp(phase, "both") || !strcmp(phase, "write"), reads = !strcmp(phase, "both") || !strcmp(phase, "read");
    if (argc < 2 || argc > 4 || !(writes || reads)) {
        fprintf(stderr, "usage: %s DIR [MIB [both|write|read]]\n", argv[0]);
        return 2;
    }
    long mib = argc > 2 ? parse_pos(argv[0], argv[2], "size in MiB") : 256;
    char *file;
    if (asprintf(&file, "%s/bulk-io.dat", argv[1]) < 0)
        return 1;
    uint64_t *out = aligned_alloc(4096, CHUNK), *in = aligned_alloc(4096, CHUNK), *expect = aligned_alloc(4096, CHUNK);
    if (!out || !in || !expect) {
        fprintf(stderr, "bulk-io: out of memory\n");
        return 1;
    }
    /* the pages are touched before the clock starts */
    memset(in, 0, CHUNK);
    fill(out);
    fill(expect);

    double wms = writes ? write_phase(file, mib, out) : 0;
    if (wms < 0)
        return 1;
    double rms = reads ? read_phase(file, mib, in, expect) : 0;
    if (rms < 0)
        return 1;
    if (reads)
        unlink(file); /* "write" keeps it for a "read" later */
    printf("mode=bulk mib=%ld", mib);
    if (writes)
        printf(" write_ms=%.1f write_mibs=%.1f", wms, (double)mib / (wms / 1e3));
    if (reads)
        printf(" read_ms=%.1f read_mibs=%.1f", rms, (double)mib / (rms / 1e3));
    printf("\n");
    return 0;
}
