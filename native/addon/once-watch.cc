// watchReadableOnce(fd, onReadable): calls back once when fd becomes readable (a held child's
// channel that has a request or has ended; a pidfd whose process has exited), then forgets it;
// the handle's stop() forgets it before. The leader makes one such watch for every child it
// holds, so each must cost little: all of them are entries of one private epoll set, which one
// uv_poll watches. A watch is one epoll_ctl to add its fd (EPOLLONESHOT) and one to remove it;
// a uv_poll of its own cost five and an ioctl (uv_poll_init's probe, its start, its stop, its
// close), some 40 us of the leader's CPU per fork here. The set keeps the event loop alive while
// a watch waits, as a uv_poll of its own did.
#include "once-watch.h"

#include <cerrno>
#include <cstdint>
#include <unordered_map>

#include <sys/epoll.h>
#include <unistd.h>
#include <uv.h>

namespace {

struct OnceWatch {
  int fd;
  Napi::FunctionReference callback;
};

// The process's set (the addon is loaded once, on the main thread): made at the first watch.
struct OnceWatchSet {
  napi_env env = nullptr;
  // one for all the callbacks (what async_hooks would tell apart is nothing gramine-ts uses)
  napi_async_context async_context = nullptr;
  int epfd = -1;
  uv_poll_t poll;
  uint64_t next_id = 1;
  std::unordered_map<uint64_t, OnceWatch*> waiting;
};

OnceWatchSet* g_set = nullptr;

// Forget watch `id` (its fd out of the set): the watch, to call back or drop, or null if gone.
OnceWatch* Forget(uint64_t id) {
  auto it = g_set->waiting.find(id);
  if (it == g_set->waiting.end())
    return nullptr;
  OnceWatch* w = it->second;
  g_set->waiting.erase(it);
  // (an fd closed meanwhile has left the set by itself: ENOENT or EBADF, nothing to undo)
  epoll_ctl(g_set->epfd, EPOLL_CTL_DEL, w->fd, nullptr);
  if (g_set->waiting.empty())
    uv_unref(reinterpret_cast<uv_handle_t*>(&g_set->poll));
  return w;
}

void OnSetReadable(uv_poll_t*, int status, int) {
  Napi::Env env(g_set->env);
  Napi::HandleScope scope(env);
  struct epoll_event events[64];
  int n;
  do
    n = epoll_wait(g_set->epfd, events, 64, 0);
  while (n < 0 && errno == EINTR);
  for (int i = 0; i < n; i++) {
    OnceWatch* w = Forget(events[i].data.u64);
    if (!w)
      continue;  // stopped by an earlier callback of this round
    napi_value result;
    napi_make_callback(env, g_set->async_context, env.Global(), w->callback.Value(), 0, nullptr, &result);
    delete w;
  }
}

// The set, made now if it is not yet; null (errno set) if it cannot be.
OnceWatchSet* Set(napi_env env) {
  if (g_set)
    return g_set;
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0)
    return nullptr;
  auto* set = new OnceWatchSet();
  set->env = env;
  set->epfd = epfd;
  uv_loop_t* loop;
  napi_get_uv_event_loop(env, &loop);
  int r = uv_poll_init(loop, &set->poll, epfd);
  if (r < 0) {
    close(epfd);
    delete set;
    errno = -r;
    return nullptr;
  }
  napi_async_init(env, nullptr, Napi::String::New(env, "gramine-ts:watch"), &set->async_context);
  uv_poll_start(&set->poll, UV_READABLE, OnSetReadable);
  uv_unref(reinterpret_cast<uv_handle_t*>(&set->poll));
  g_set = set;
  return set;
}

Napi::Value WatchReadableOnce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  OnceWatchSet* set = Set(env);
  if (!set)
    return Napi::Number::New(env, -errno);
  uint64_t id = set->next_id++;
  struct epoll_event ev = {};
  ev.events = EPOLLIN | EPOLLONESHOT;
  ev.data.u64 = id;
  if (epoll_ctl(set->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
    return Napi::Number::New(env, -errno);
  auto* w = new OnceWatch();
  w->fd = fd;
  w->callback = Napi::Persistent(info[1].As<Napi::Function>());
  if (set->waiting.empty())
    uv_ref(reinterpret_cast<uv_handle_t*>(&set->poll));
  set->waiting.emplace(id, w);
  Napi::Object handle = Napi::Object::New(env);
  handle.Set("stop", Napi::Function::New(env, [id](const Napi::CallbackInfo&) {
    delete Forget(id);
  }));
  return handle;
}

}  // namespace

void RegisterOnceWatch(Napi::Env env, Napi::Object exports) {
  exports.Set("watchReadableOnce", Napi::Function::New(env, WatchReadableOnce));
}
