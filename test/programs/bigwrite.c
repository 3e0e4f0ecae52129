/* Writes 64 MiB of a deterministic pattern to stdout, in 1 MiB writes (partial writes resumed). */
#include "t.h"

#define TOTAL (64UL << 20)
#define CHUNK (1UL << 20)

int main(void)
{
    static unsigned char buf[CHUNK];
    for (unsigned long off = 0; off < TOTAL; off += CHUNK) {
        for (unsigned long i = 0; i < CHUNK; i++) {
            unsigned long x = off + i;
            buf[i] = (unsigned char)((x * 2654435761UL) >> 13 ^ (x >> 20));
        }
        for (unsigned long done = 0; done < CHUNK;) {
            ssize_t n = write(1, buf + done, CHUNK - done);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                die("write");
            }
            done += (unsigned long)n;
        }
    }
    return 0;
}
