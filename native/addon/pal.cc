// The worker's half of the PAL: host primitives Node lacks, as a small node-addon-api module.
// Every function returns a host error as a negative errno number; none throws on host errors
// (only on misuse from JavaScript, which is a bug in the worker).
#include <napi.h>
#include <uv.h>

#include "fifo-open.h"
#include "gcm.h"
#include "once-watch.h"

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

namespace {

std::string Latin1Bytes(napi_env env, napi_value v) {
  size_t len = 0;
  napi_get_value_string_latin1(env, v, nullptr, 0, &len);
  std::string out(len + 1, '\0');
  napi_get_value_string_latin1(env, v, &out[0], len + 1, &len);
  out.resize(len);
  return out;
}

// Generic host system call: numbers and bigints pass as integers, typed arrays as pointers to
// their bytes, strings as NUL-terminated copies, null/undefined as 0.
Napi::Value Syscall(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  long args[6] = {0, 0, 0, 0, 0, 0};
  std::vector<std::string> strings;
  strings.reserve(6);
  if (info.Length() < 1 || !info[0].IsNumber())
    throw Napi::TypeError::New(env, "syscall(nr, ...args)");
  long nr = info[0].As<Napi::Number>().Int64Value();
  for (size_t i = 1; i < info.Length() && i <= 6; i++) {
    Napi::Value v = info[i];
    if (v.IsNumber()) {
      args[i - 1] = v.As<Napi::Number>().Int64Value();
    } else if (v.IsBigInt()) {
      bool lossless;
      args[i - 1] = static_cast<long>(v.As<Napi::BigInt>().Uint64Value(&lossless));
    } else if (v.IsTypedArray()) {
      Napi::TypedArray ta = v.As<Napi::TypedArray>();
      uint8_t* base = static_cast<uint8_t*>(ta.ArrayBuffer().Data());
      args[i - 1] = reinterpret_cast<long>(base + ta.ByteOffset());
    } else if (v.IsString()) {
      // Paths are byte strings: the LibOS keeps them as latin1 strings, one char per byte.
      strings.push_back(Latin1Bytes(env, v));
      args[i - 1] = reinterpret_cast<long>(strings.back().c_str());
    } else if (v.IsNull() || v.IsUndefined()) {
      args[i - 1] = 0;
    } else {
      throw Napi::TypeError::New(env, "syscall: unsupported argument type");
    }
  }
  long r = syscall(nr, args[0], args[1], args[2], args[3], args[4], args[5]);
  return Napi::Number::New(env, static_cast<double>(r < 0 ? -errno : r));
}

Napi::Value SeqpacketPair(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return Napi::Number::New(env, -errno);
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, sv[0]);
  out.Set(1u, sv[1]);
  return out;
}

uint8_t* BytesOf(const Napi::Value& v, size_t* len) {
  Napi::TypedArray ta = v.As<Napi::TypedArray>();
  *len = ta.ByteLength();
  return static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
}

uint64_t AddrOf(const Napi::Value& v) {
  if (v.IsBigInt()) {
    bool lossless;
    return v.As<Napi::BigInt>().Uint64Value(&lossless);
  }
  return static_cast<uint64_t>(v.As<Napi::Number>().Int64Value());
}

// readMemory(pid, addr, buffer) / writeMemory(pid, addr, buffer): bytes moved or -errno.
// A range the app cannot access comes back as -EFAULT, however the kernel words it.
Napi::Value MoveMemory(const Napi::CallbackInfo& info, bool write) {
  Napi::Env env = info.Env();
  pid_t pid = info[0].As<Napi::Number>().Int32Value();
  uint64_t addr = AddrOf(info[1]);
  size_t len;
  uint8_t* buf = BytesOf(info[2], &len);
  if (info.Length() > 3)
    len = std::min(len, static_cast<size_t>(info[3].As<Napi::Number>().Int64Value()));
  struct iovec local = {buf, len};
  struct iovec remote = {reinterpret_cast<void*>(addr), len};
  ssize_t r = write ? process_vm_writev(pid, &local, 1, &remote, 1, 0)
                    : process_vm_readv(pid, &local, 1, &remote, 1, 0);
  if (r < 0)
    return Napi::Number::New(env, errno == ENOMEM ? -EFAULT : -errno);
  return Napi::Number::New(env, static_cast<double>(r));
}

Napi::Value ReadMemory(const Napi::CallbackInfo& info) { return MoveMemory(info, false); }
Napi::Value WriteMemory(const Napi::CallbackInfo& info) { return MoveMemory(info, true); }

// readCString(pid, addr, max): the bytes as a latin1 string, or -errno (-ENAMETOOLONG past max).
Napi::Value ReadCString(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  pid_t pid = info[0].As<Napi::Number>().Int32Value();
  uint64_t addr = AddrOf(info[1]);
  size_t max = static_cast<size_t>(info[2].As<Napi::Number>().Int64Value());
  std::string out;
  char chunk[4096];
  while (out.size() < max) {
    // Never read across a page boundary in one go: the next page may be unmapped.
    size_t n = 4096 - (addr & 4095);
    struct iovec local = {chunk, n};
    struct iovec remote = {reinterpret_cast<void*>(addr), n};
    ssize_t r = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    if (r <= 0)
      return Napi::Number::New(env, (r == 0 || errno == ENOMEM) ? -EFAULT : -errno);
    void* nul = memchr(chunk, 0, static_cast<size_t>(r));
    if (nul) {
      out.append(chunk, static_cast<char*>(nul) - chunk);
      if (out.size() >= max)
        break;
      // bytes as a latin1 string: file names need not be UTF-8
      napi_value str;
      napi_create_string_latin1(env, out.data(), out.size(), &str);
      return Napi::Value(env, str);
    }
    out.append(chunk, static_cast<size_t>(r));
    addr += static_cast<uint64_t>(r);
  }
  return Napi::Number::New(env, -ENAMETOOLONG);
}

// The remote bytes [addr, addr + len) into buf, a page at a time (the next page may be
// unmapped): how many were read before a fault.
size_t ReadPages(pid_t pid, uint64_t addr, char* buf, size_t len) {
  size_t done = 0;
  while (done < len) {
    size_t n = std::min(len - done, static_cast<size_t>(4096 - ((addr + done) & 4095)));
    struct iovec local = {buf + done, n};
    struct iovec remote = {reinterpret_cast<void*>(addr + done), n};
    ssize_t r = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    if (r <= 0)
      break;
    done += static_cast<size_t>(r);
    if (static_cast<size_t>(r) < n)
      break;
  }
  return done;
}

// The C string at addr, from byte s.size() on (the bytes before are in s), appended to s; false
// on a fault or past `max` bytes.
bool ReadStringTail(pid_t pid, uint64_t addr, std::string& s, size_t max) {
  char chunk[4096];
  while (s.size() <= max) {
    uint64_t at = addr + s.size();
    size_t n = ReadPages(pid, at, chunk, 4096 - (at & 4095));
    if (n == 0)
      return false;
    void* nul = memchr(chunk, 0, n);
    s.append(chunk, nul ? static_cast<char*>(nul) - chunk : n);
    if (nul)
      return s.size() <= max;
  }
  return false;
}

// readStringArray(pid, addr, maxCount, maxBytes, wantStrings): the NULL-terminated array of C
// strings at addr (execve's argv, envp): its strings (latin1), or without wantStrings the bytes
// they take with their pointers; -EFAULT, or -E2BIG past maxCount strings or maxBytes. The
// pointers 64 at a time, and the first bytes of up to 64 strings in one process_vm_readv: an
// environment costs a call or two, not two per string.
Napi::Value ReadStringArray(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  pid_t pid = info[0].As<Napi::Number>().Int32Value();
  uint64_t addr = AddrOf(info[1]);
  size_t max_count = static_cast<size_t>(info[2].As<Napi::Number>().Int64Value());
  size_t max_bytes = static_cast<size_t>(info[3].As<Napi::Number>().Int64Value());
  bool want = info[4].As<Napi::Boolean>().Value();
  constexpr size_t kBatch = 64, kFirst = 256;
  std::vector<uint64_t> ptrs;
  for (bool end = addr == 0; !end;) {
    uint64_t chunk[kBatch];
    size_t n = ReadPages(pid, addr + 8 * ptrs.size(), reinterpret_cast<char*>(chunk), sizeof(chunk)) / 8;
    for (size_t i = 0; i < n && !end; i++) {
      end = chunk[i] == 0;
      if (!end)
        ptrs.push_back(chunk[i]);
    }
    if (ptrs.size() > max_count)
      return Napi::Number::New(env, -E2BIG);
    if (!end && n < kBatch)
      return Napi::Number::New(env, -EFAULT);
  }
  Napi::Array out = Napi::Array::New(env, want ? ptrs.size() : 0);
  size_t total = 0;
  std::vector<char> first(kBatch * kFirst);
  for (size_t base = 0; base < ptrs.size(); base += kBatch) {
    size_t count = std::min(kBatch, ptrs.size() - base);
    struct iovec local[kBatch], remote[kBatch];
    for (size_t i = 0; i < count; i++) {
      uint64_t p = ptrs[base + i];
      size_t len = std::min(kFirst, static_cast<size_t>(4096 - (p & 4095)));
      local[i] = {first.data() + i * kFirst, len};
      remote[i] = {reinterpret_cast<void*>(p), len};
    }
    // whole elements only: those past a fault are read again one by one
    ssize_t r = process_vm_readv(pid, local, count, remote, count, 0);
    size_t read = r > 0 ? static_cast<size_t>(r) : 0;
    for (size_t i = 0; i < count; i++) {
      const char* got = first.data() + i * kFirst;
      size_t len = local[i].iov_len;
      std::string s;
      bool whole = read >= len;
      read = whole ? read - len : 0;
      const void* nul = whole ? memchr(got, 0, len) : nullptr;
      if (nul) {
        s.assign(got, static_cast<const char*>(nul) - got);
      } else if (!ReadStringTail(pid, ptrs[base + i], s, max_bytes)) {
        return Napi::Number::New(env, s.size() > max_bytes ? -E2BIG : -EFAULT);
      }
      total += s.size() + 1 + 8;
      if (total > max_bytes)
        return Napi::Number::New(env, -E2BIG);
      if (want) {
        napi_value str;
        napi_create_string_latin1(env, s.data(), s.size(), &str);
        out.Set(static_cast<uint32_t>(base + i), Napi::Value(env, str));
      }
    }
  }
  if (!want)
    return Napi::Number::New(env, static_cast<double>(total));
  return out;
}

// A channel watched on the worker's event loop: each readable event receives one request into
// the caller's buffer and calls back with its length (or -errno / 0 when the peer is gone).
struct ChannelWatch {
  uv_poll_t poll;
  int fd;
  Napi::Reference<Napi::Uint8Array> buffer;
  Napi::FunctionReference callback;
  Napi::ObjectReference receiver;
  napi_async_context async_context = nullptr;
  napi_env env;
  bool stopped = false;
  // Freed when both the uv handle is closed and the JavaScript handle object is collected.
  bool uv_closed = false;
  bool js_released = false;
};

void FreeIfDone(ChannelWatch* w) {
  if (!w->uv_closed || !w->js_released)
    return;
  if (w->async_context)
    napi_async_destroy(w->env, w->async_context);
  delete w;
}

void OnPollClosed(uv_handle_t* handle) {
  auto* w = static_cast<ChannelWatch*>(handle->data);
  w->uv_closed = true;
  FreeIfDone(w);
}

void StopWatch(ChannelWatch* w) {
  if (w->stopped)
    return;
  w->stopped = true;
  uv_poll_stop(&w->poll);
  uv_close(reinterpret_cast<uv_handle_t*>(&w->poll), OnPollClosed);
}

// Has the peer of the socket `fd` closed its end?
bool HungUp(int fd) {
  struct pollfd p = {fd, POLLRDHUP, 0};
  int r;
  do
    r = poll(&p, 1, 0);
  while (r < 0 && errno == EINTR);
  return r != 0 && (r < 0 || (p.revents & (POLLHUP | POLLRDHUP | POLLERR)) != 0);
}

void OnReadable(uv_poll_t* handle, int status, int events) {
  auto* w = static_cast<ChannelWatch*>(handle->data);
  Napi::Env env(w->env);
  Napi::HandleScope scope(env);
  ssize_t n;
  if (status < 0) {
    n = status;
  } else {
    Napi::Uint8Array buf = w->buffer.Value();
    do
      n = recv(w->fd, buf.Data(), buf.ByteLength(), MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return;
    if (n < 0)
      n = -errno;
    // 0 is the end of the channel -- or a packet of no bytes, which the app can write on its
    // channel: no request, nothing to answer, and no reason to take the process for gone
    if (n == 0 && !HungUp(w->fd))
      return;
  }
  if (n <= 0)
    StopWatch(w);
  napi_value result;
  napi_value arg = Napi::Number::New(env, static_cast<double>(n));
  napi_make_callback(env, w->async_context, w->receiver.Value(), w->callback.Value(), 1, &arg,
                     &result);
}

// watchChannel(fd, buf, onPacket): each readable event receives one packet into buf.
Napi::Value WatchChannel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto* w = new ChannelWatch();
  w->env = env;
  w->fd = info[0].As<Napi::Number>().Int32Value();
  w->buffer = Napi::Persistent(info[1].As<Napi::Uint8Array>());
  w->callback = Napi::Persistent(info[2].As<Napi::Function>());
  w->receiver = Napi::Persistent(Napi::Object::New(env));
  napi_async_init(env, nullptr, Napi::String::New(env, "gramine-ts:channel"), &w->async_context);
  uv_loop_t* loop;
  napi_get_uv_event_loop(env, &loop);
  int r = uv_poll_init(loop, &w->poll, w->fd);
  if (r < 0) {
    napi_async_destroy(env, w->async_context);
    delete w;
    return Napi::Number::New(env, r);
  }
  w->poll.data = w;
  uv_poll_start(&w->poll, UV_READABLE, OnReadable);
  Napi::Object handle = Napi::Object::New(env);
  handle.Set("stop", Napi::Function::New(env, [w](const Napi::CallbackInfo&) { StopWatch(w); }));
  handle.AddFinalizer(
      // An active watch outlives its JavaScript handle (as a timer does): it stops itself on
      // EOF, or by stop().
      [](Napi::Env, ChannelWatch* watch) {
        watch->js_released = true;
        FreeIfDone(watch);
      },
      w);
  return handle;
}

// The most fds one packet carries: a HELLO reply's (the program, its interpreter, the tree's
// root and cwd, a standby's two, the path table's roots) with room to spare.
constexpr uint32_t kMaxPacketFds = 32;

// sendPacket(fd, bytes, fds?): one SOCK_SEQPACKET message, with fds as SCM_RIGHTS; -E2BIG for
// more than kMaxPacketFds (none is dropped unsaid).
Napi::Value SendPacket(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  size_t len;
  uint8_t* bytes = BytesOf(info[1], &len);
  std::vector<int> fds;
  if (info.Length() > 2 && info[2].IsArray()) {
    Napi::Array arr = info[2].As<Napi::Array>();
    if (arr.Length() > kMaxPacketFds) return Napi::Number::New(env, -E2BIG);
    for (uint32_t i = 0; i < arr.Length(); i++)
      fds.push_back(arr.Get(i).As<Napi::Number>().Int32Value());
  }
  struct iovec iov = {bytes, len};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(struct cmsghdr) char control[CMSG_SPACE(kMaxPacketFds * sizeof(int))];
  if (!fds.empty()) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(fds.size() * sizeof(int));
    struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(fds.size() * sizeof(int));
    memcpy(CMSG_DATA(c), fds.data(), fds.size() * sizeof(int));
  }
  ssize_t r;
  do
    r = sendmsg(fd, &msg, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  return Napi::Number::New(env, r < 0 ? -errno : static_cast<double>(r));
}

// sendMessage(fd, bytes, control, flags): one sendmsg of `bytes` with control messages
// `control` (as the kernel reads them), without waiting and without SIGPIPE: bytes sent, or
// -errno. (An app's message that needs the worker's privileges: src/libos/sys/net.ts.)
Napi::Value SendMessage(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  size_t len, control_len;
  uint8_t* bytes = BytesOf(info[1], &len);
  uint8_t* control = BytesOf(info[2], &control_len);
  int flags = info[3].As<Napi::Number>().Int32Value();
  struct iovec iov = {bytes, len};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control_len ? control : nullptr;
  msg.msg_controllen = control_len;
  ssize_t r;
  do
    r = sendmsg(fd, &msg, flags | MSG_DONTWAIT | MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  return Napi::Number::New(env, r < 0 ? -errno : static_cast<double>(r));
}

// receivePacket(fd, buf): one SOCK_SEQPACKET message without waiting, with the fds that rode
// along (close-on-exec): [length, ...fds], or -errno (-EAGAIN when none is queued).
Napi::Value ReceivePacket(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  size_t len;
  uint8_t* bytes = BytesOf(info[1], &len);
  struct iovec iov = {bytes, len};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(struct cmsghdr) char control[CMSG_SPACE(kMaxPacketFds * sizeof(int))];
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t r;
  do
    r = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0) return Napi::Number::New(env, -errno);
  Napi::Array out = Napi::Array::New(env);
  out.Set(0u, Napi::Number::New(env, static_cast<double>(r)));
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < n; i++) {
      int received;
      memcpy(&received, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      out.Set(out.Length(), Napi::Number::New(env, received));
    }
  }
  return out;
}

// spawnStub(path, argv, envp, cwdFd, channelFd): start `path` (the stub) with argv and envp as
// byte strings (latin1: one char a byte), in directory `cwdFd`, with `channelFd` as its fd 3 and
// this process's fds 0-2; every signal at its default and none blocked, as a new program
// starts. posix_spawn (a vfork-like clone): Node's child_process forks the whole worker, which
// costs several ms here. Returns the pid, or -errno (an exec that failed included).
Napi::Value SpawnStub(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5 || !info[1].IsArray() || !info[2].IsArray())
    throw Napi::TypeError::New(env, "spawnStub(path, argv, envp, cwdFd, channelFd)");
  std::string path = Latin1Bytes(env, info[0]);
  auto strings = [&](Napi::Array a) {
    std::vector<std::string> out;
    for (uint32_t i = 0; i < a.Length(); i++) out.push_back(Latin1Bytes(env, a.Get(i)));
    return out;
  };
  std::vector<std::string> argv = strings(info[1].As<Napi::Array>());
  std::vector<std::string> envp = strings(info[2].As<Napi::Array>());
  int cwd_fd = info[3].As<Napi::Number>().Int32Value();
  int channel_fd = info[4].As<Napi::Number>().Int32Value();
  std::vector<char*> argp, envpp;
  for (auto& a : argv) argp.push_back(&a[0]);
  argp.push_back(nullptr);
  for (auto& e : envp) envpp.push_back(&e[0]);
  envpp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  int r = posix_spawn_file_actions_init(&actions);
  if (r) return Napi::Number::New(env, -r);
  r = posix_spawnattr_init(&attr);
  if (r) {
    posix_spawn_file_actions_destroy(&actions);
    return Napi::Number::New(env, -r);
  }
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  // 0-2 as they are here, also if Node made them close-on-exec (a dup2 onto itself clears it);
  // one that is closed stays closed
  for (int fd = 0; fd < 3 && !r; fd++)
    if (fcntl(fd, F_GETFD) >= 0) r = posix_spawn_file_actions_adddup2(&actions, fd, fd);
  if (!r) r = posix_spawn_file_actions_adddup2(&actions, channel_fd, 3);
  if (!r) r = posix_spawn_file_actions_addfchdir_np(&actions, cwd_fd);
  if (!r) r = posix_spawnattr_setsigmask(&attr, &none);
  if (!r) r = posix_spawnattr_setsigdefault(&attr, &all);
  if (!r) r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  if (!r) r = posix_spawn(&pid, path.c_str(), &actions, &attr, argp.data(), envpp.data());
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  return Napi::Number::New(env, r ? -r : pid);
}

// mapShared(fd, length): an ArrayBuffer over a MAP_SHARED read-write mapping of the fd (a
// memfd other processes map too: System V semaphores), unmapped when the buffer is collected;
// or -errno.
Napi::Value MapShared(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  size_t len = static_cast<size_t>(info[1].As<Napi::Number>().Int64Value());
  if (len == 0) return Napi::Number::New(env, -EINVAL);
  void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return Napi::Number::New(env, -errno);
  return Napi::ArrayBuffer::New(env, p, len, [len](Napi::Env, void* data) { munmap(data, len); });
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("syscall", Napi::Function::New(env, Syscall));
  exports.Set("mapShared", Napi::Function::New(env, MapShared));
  exports.Set("seqpacketPair", Napi::Function::New(env, SeqpacketPair));
  exports.Set("readMemory", Napi::Function::New(env, ReadMemory));
  exports.Set("writeMemory", Napi::Function::New(env, WriteMemory));
  exports.Set("readCString", Napi::Function::New(env, ReadCString));
  exports.Set("readStringArray", Napi::Function::New(env, ReadStringArray));
  exports.Set("watchChannel", Napi::Function::New(env, WatchChannel));
  exports.Set("sendPacket", Napi::Function::New(env, SendPacket));
  exports.Set("receivePacket", Napi::Function::New(env, ReceivePacket));
  exports.Set("sendMessage", Napi::Function::New(env, SendMessage));
  exports.Set("spawnStub", Napi::Function::New(env, SpawnStub));
  RegisterGcm(env, exports);
  RegisterFifoOpen(env, exports);
  RegisterOnceWatch(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(gramine_ts_pal, Init)
