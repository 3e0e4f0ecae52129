// Opens that wait for a FIFO's other end, made for an app process (src/libos/fs/fifo-opens.ts):
// each on a thread of its own, which the worker can end as a signal ends the app's own open --
// with EINTR, touching nothing else. (Waking the open by opening the FIFO's other end would wake
// every other opener waiting on it too.)
//
// The end is a signal to that thread alone (tgkill) whose handler does nothing but return: the
// open, made without SA_RESTART, returns EINTR. A signal that arrives before the thread has
// entered the open would be lost, and the open would then wait on; so the open is made by the
// few instructions below, and a handler that finds the thread among them, about to make the
// call, sends it past the call instead (musl's pthread_cancel does the same). A signal that
// arrives after the call returned an fd finds `done` not yet set: the thread closes the fd.
//
// The thread writes 1 to the caller's eventfd when the open has returned (the stub waits on a
// copy of it). Results and ends are taken under a mutex; the state is freed by whichever of the
// thread and the JavaScript object lets it go last.
#include "fifo-open.h"

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

// long cancellable_openat(const char* path, long flags, const int* ended): openat(AT_FDCWD,
// path, flags, 0), or -EINTR without the call once *ended is set.
extern "C" long cancellable_openat(const char* path, long flags, const int* ended);
extern "C" char cancellable_openat_begin[], cancellable_openat_call[], cancellable_openat_ended[];
__asm__(
    ".text\n"
    ".globl cancellable_openat, cancellable_openat_begin, cancellable_openat_call, cancellable_openat_ended\n"
    ".type cancellable_openat, @function\n"
    "cancellable_openat:\n"
    "cancellable_openat_begin:\n\t"
    "cmpl $0, (%rdx)\n\t"  // ended already: no call
    "jne cancellable_openat_ended\n\t"
    "mov %rsi, %rdx\n\t"   // flags
    "mov %rdi, %rsi\n\t"   // path
    "mov $-100, %rdi\n\t"  // AT_FDCWD
    "xor %r10d, %r10d\n\t" // mode
    "mov $257, %eax\n"     // SYS_openat
    "cancellable_openat_call:\n\t"
    "syscall\n\t"
    "ret\n"
    "cancellable_openat_ended:\n\t"
    "mov $-4, %rax\n\t"    // -EINTR
    "ret\n"
    ".size cancellable_openat, . - cancellable_openat\n");

namespace {

// a real-time signal nothing else in the worker uses (the doorbell, SIGRTMAX, goes to app threads)
const int kEndSignal = SIGRTMIN + 6;

struct FifoOpen {
  std::mutex lock;
  pid_t tid = 0;
  int ended = 0;  // read by cancellable_openat; set under `lock`
  bool done = false;
  long result = 0;
  int event_fd = -1;  // the addon's copy, closed by the thread
  int path_fd = -1;   // the addon's copy of the FIFO (O_PATH), closed by the thread after the open
  std::string path;   // /proc/self/fd/<path_fd>
  long flags = 0;
  std::atomic<int> refs{2};  // the thread's and the JavaScript object's

  void Release() {
    if (refs.fetch_sub(1) == 1) delete this;
  }
};

// The end signal's handler: in the thread about to make the call, past it (the call returns EINTR).
void OnEndSignal(int, siginfo_t*, void* context) {
  auto* uc = static_cast<ucontext_t*>(context);
  auto ip = static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RIP]);
  if (ip >= reinterpret_cast<uintptr_t>(cancellable_openat_begin) && ip <= reinterpret_cast<uintptr_t>(cancellable_openat_call))
    uc->uc_mcontext.gregs[REG_RIP] = static_cast<greg_t>(reinterpret_cast<uintptr_t>(cancellable_openat_ended));
}

int InstallEndSignal() {
  static std::once_flag once;
  static int result = 0;
  std::call_once(once, [] {
    struct sigaction sa = {};
    sa.sa_sigaction = OnEndSignal;
    sa.sa_flags = SA_SIGINFO;  // not SA_RESTART: the open returns EINTR
    sigemptyset(&sa.sa_mask);
    result = sigaction(kEndSignal, &sa, nullptr) == 0 ? 0 : -errno;
  });
  return result;
}

void Run(FifoOpen* op) {
  // the end signal only: a signal for the process (a child's SIGCHLD) is Node's main thread's,
  // and must not end the open with EINTR
  sigset_t all_but_end;
  sigfillset(&all_but_end);
  sigdelset(&all_but_end, kEndSignal);
  pthread_sigmask(SIG_SETMASK, &all_but_end, nullptr);
  {
    std::lock_guard<std::mutex> held(op->lock);
    op->tid = static_cast<pid_t>(syscall(SYS_gettid));
  }
  long r = cancellable_openat(op->path.c_str(), op->flags, &op->ended);
  {
    std::lock_guard<std::mutex> held(op->lock);
    if (op->ended && r >= 0) {
      close(static_cast<int>(r));
      r = -EINTR;
    }
    op->result = r;
    op->done = true;
  }
  const uint64_t one = 1;
  if (write(op->event_fd, &one, sizeof(one)) < 0) {
    // an eventfd of ours cannot be full; the stub's wait would also end with the call given up
  }
  close(op->event_fd);
  close(op->path_fd);
  op->Release();
}

FifoOpen* Unwrap(const Napi::CallbackInfo& info) {
  if (!info[0].IsExternal()) throw Napi::TypeError::New(info.Env(), "a FIFO open's handle expected");
  return info[0].As<Napi::External<FifoOpen>>().Data();
}

// fifoOpenStart(pathFd, flags, eventFd): a handle, or -errno. The FIFO is the O_PATH fd
// `pathFd` (copied: the caller may close it at once); O_CLOEXEC is added to `flags`.
Napi::Value FifoOpenStart(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int r = InstallEndSignal();
  if (r < 0) return Napi::Number::New(env, r);
  int path_fd = fcntl(info[0].As<Napi::Number>().Int32Value(), F_DUPFD_CLOEXEC, 0);
  if (path_fd < 0) return Napi::Number::New(env, -errno);
  int event_fd = fcntl(info[2].As<Napi::Number>().Int32Value(), F_DUPFD_CLOEXEC, 0);
  if (event_fd < 0) {
    r = -errno;
    close(path_fd);
    return Napi::Number::New(env, r);
  }
  auto* op = new FifoOpen();
  op->path_fd = path_fd;
  op->path = "/proc/self/fd/" + std::to_string(path_fd);
  op->flags = info[1].As<Napi::Number>().Int64Value() | O_CLOEXEC;
  op->event_fd = event_fd;
  try {
    std::thread(Run, op).detach();
  } catch (const std::system_error& e) {
    close(event_fd);
    close(path_fd);
    delete op;
    return Napi::Number::New(env, -(e.code().value() ? e.code().value() : EAGAIN));
  }
  return Napi::External<FifoOpen>::New(env, op, [](Napi::Env, FifoOpen* o) { o->Release(); });
}

// fifoOpenResult(handle): the open's fd or -errno once it has returned, else null.
Napi::Value FifoOpenResult(const Napi::CallbackInfo& info) {
  FifoOpen* op = Unwrap(info);
  std::lock_guard<std::mutex> held(op->lock);
  if (!op->done) return info.Env().Null();
  return Napi::Number::New(info.Env(), static_cast<double>(op->result));
}

// fifoOpenEnd(handle): the open is given up: ended with EINTR if it still waits, its fd closed
// if it has returned (an fd not yet taken). Nothing after for the handle but letting it go.
Napi::Value FifoOpenEnd(const Napi::CallbackInfo& info) {
  FifoOpen* op = Unwrap(info);
  std::lock_guard<std::mutex> held(op->lock);
  if (op->done) {
    if (op->result >= 0) close(static_cast<int>(op->result));
    op->result = -EINTR;
    return info.Env().Undefined();
  }
  op->ended = 1;
  // before the thread knows its tid it has not reached the call, which checks `ended` first
  if (op->tid != 0) syscall(SYS_tgkill, getpid(), op->tid, kEndSignal);
  return info.Env().Undefined();
}

}  // namespace

void RegisterFifoOpen(Napi::Env env, Napi::Object exports) {
  exports.Set("fifoOpenStart", Napi::Function::New(env, FifoOpenStart));
  exports.Set("fifoOpenResult", Napi::Function::New(env, FifoOpenResult));
  exports.Set("fifoOpenEnd", Napi::Function::New(env, FifoOpenEnd));
}
