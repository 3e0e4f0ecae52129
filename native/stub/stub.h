/* State shared by the stub's modules. Everything lives in the stub's own pages: no TLS. */
#ifndef GRAMINE_TS_STUB_H
#define GRAMINE_TS_STUB_H

#include <stdint.h>

#include "abi.h"

/* Linker-provided bounds of the stub image (fixed address, see Makefile). */
extern char __executable_start[], etext[], _end[] __attribute__((visibility("hidden")));

#define STUB_WINDOW_HI 0x5f00UL /* high 32 bits of every stub address */

struct stub_state {
    int vpid;               /* virtual pid of this process, from the worker */
    int reserved_fd_base;   /* first host fd reserved for the stub */
    int main_channel_fd;
    int main_host_tid;
    int trace;                                /* trace mode (GTS_HELLO_TRACE) */
    char abstract_prefix[GTS_ABSTRACT_PREFIX_LEN]; /* the instance's, in its abstract socket names */
    unsigned long seq;                        /* last request sequence number */
    unsigned char traced[64];                 /* trace mode: syscalls seen, one bit each */
};

extern struct stub_state g_stub;

/*
 * The calling thread's host tid, and the process's host pid: the main thread's (threads come
 * later and will keep theirs), kept rather than asked of the kernel at every request or copy.
 */
static inline int host_tid(void) { return g_stub.main_host_tid; }
static inline int host_pid(void) { return g_stub.main_host_tid; }

/* seccomp.c */
/* trace mode traps everything but rt_sigreturn, so that every syscall can be recorded */
long install_seccomp_filter(int trace);
/* stacked once a signalfd needs the stub to read it: reads of the signalfd slots trap */
long install_signalfd_filter(void);
int is_native_syscall(long nr);
/* a data-plane call that names one of the stub's reserved fds (the app gets EBADF) */
int native_call_names_reserved_fd(long nr, const long *a);

/* channel.c */
struct gts_reply;
/* Send a request on the calling thread's channel and wait for the reply; -errno on failure. */
long channel_call(int fd, const void *req, unsigned long req_len, struct gts_reply *reply,
                  void *data, unsigned long data_cap, int *fds, int max_fds);
int channel_for_current_thread(void);
/* A message that gets no reply. */
void channel_send(int fd, const void *req, unsigned long req_len);

/* trap.c */
long install_sigsys_handler(void);
/* trace mode: hand the bitmap of syscalls seen to the worker (before the process exits) */
void flush_trace(void);

#endif
