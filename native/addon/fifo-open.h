// Opens of a FIFO that wait for its other end, each on a thread of its own (fifo-open.cc).
#pragma once

#include <napi.h>

// Adds fifoOpenStart, fifoOpenResult and fifoOpenEnd to the addon's exports.
void RegisterFifoOpen(Napi::Env env, Napi::Object exports);
