// Calls back once when an fd becomes readable, for many fds at little cost each (once-watch.cc).
#pragma once

#include <napi.h>

// Adds watchReadableOnce to the addon's exports.
void RegisterOnceWatch(Napi::Env env, Napi::Object exports);
