// Batch AES-128-GCM over protected-file nodes (gcm.cc).
#pragma once

#include <napi.h>

// Adds gcmSealNodes and gcmOpenNodes to the addon's exports.
void RegisterGcm(Napi::Env env, Napi::Object exports);
