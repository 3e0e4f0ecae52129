/*
 * What sys.stack.size gives a program: its RLIMIT_STACK, the stack size glibc gives a new
 * thread by default, and whether the main thread's stack can grow by argv[1] KiB (a recursion
 * with 1 KiB frames; past the limit the kernel ends it with SIGSEGV).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static int depth(int n)
{
    volatile char frame[1024];
    memset((char *)frame, n, sizeof(frame));
    return n == 0 ? frame[0] : depth(n - 1) + frame[1];
}

int main(int argc, char **argv)
{
    struct rlimit rl;
    getrlimit(RLIMIT_STACK, &rl);
    printf("RLIMIT_STACK = %llu KiB\n", (unsigned long long)rl.rlim_cur / 1024);
    pthread_attr_t attr;
    size_t size = 0;
    pthread_getattr_default_np(&attr);
    pthread_attr_getstacksize(&attr, &size);
    printf("thread stack = %zu KiB\n", size / 1024);
    fflush(stdout);
    int kib = argc > 1 ? atoi(argv[1]) : 0;
    int sum = depth(kib);
    printf("grew %d KiB%s\n", kib, sum == 12345 ? " " : "");
    return 0;
}
