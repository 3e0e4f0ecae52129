/*
 * A flood of look-ups (test/integration/forged-channel.test.ts): the app writes 600 pid
 * look-ups for host processes that will never be the instance's on its own channel, taking
 * whatever answers have come between two, then waits for the rest. Only a bounded number may
 * wait at the leader for a fork to be told of; the rest are answered at once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../../native/stub/abi.h"

#define LOOKUPS 600
#define MAY_WAIT 256

static int answered;

/* Take one answer off the channel (blocking), counting ours. */
static int take_answer(int channel)
{
    char packet[256];
    if (read(channel, packet, sizeof(packet)) <= 0)
        return -1;
    struct gts_reply reply;
    memcpy(&reply, packet, sizeof(reply));
    answered += (reply.seq >> 48) == 0x6666;
    return 0;
}

int main(void)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    int channel = (int)rl.rlim_cur;
    for (int i = 0; i < LOOKUPS; i++) {
        struct gts_request req;
        memset(&req, 0, sizeof(req));
        req.kind = GTS_REQ_PID_LOOKUP;
        req.args[0] = GTS_LOOKUP_VPID_OF_HOST;
        req.args[1] = 0x3fff0000 + (uint64_t)i; /* above any host pid */
        req.seq = 0x6666000000000000ULL + (uint64_t)i;
        if (write(channel, &req, sizeof(req)) != sizeof(req)) {
            printf("write: %s\n", strerrorname_np(errno));
            return 1;
        }
        /* what has come back so far, so that answers never fill the channel */
        struct pollfd p = {channel, POLLIN, 0};
        while (poll(&p, 1, 0) == 1 && take_answer(channel) == 0)
            ;
    }
    while (answered < LOOKUPS - MAY_WAIT && take_answer(channel) == 0)
        ;
    printf("answered: at least %d\n", answered);
    return 0;
}
