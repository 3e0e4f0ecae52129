// Batch AES-128-GCM over protected-file nodes (src/protected-files/format.ts): each node under a
// key of its own, IV all zero, no AAD, 16-byte tag. node:crypto builds a cipher object per call,
// about 8 µs a node here, more than the AES of the node's 4 KiB itself; here one EVP_CIPHER_CTX,
// bound to the cipher once per call, is rekeyed for each node of the batch (no cipher re-fetch).
// The OpenSSL is node's own: node exports its symbols and node-gyp puts its headers on the
// include path, so nothing is linked in.
//
// A node's key and tag travel as its 32-byte "entry", key then tag, the layout of an MHT node's
// entries: the entries of neighbouring data nodes are passed straight from their MHT node.
//
// Misuse from JavaScript (wrong types or sizes) throws; an OpenSSL failure returns -errno
// (-ENOMEM when no context can be had, -EIO for a failed cipher step) and never aborts.
#include "gcm.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

namespace {

constexpr size_t kKeySize = 16;
constexpr size_t kTagSize = 16;
constexpr size_t kEntrySize = kKeySize + kTagSize;
const unsigned char kZeroIv[12] = {0};  // safe only because no key encrypts twice

struct Bytes {
  uint8_t* data;
  size_t len;
};

Bytes Uint8ArrayArg(const Napi::CallbackInfo& info, size_t i, const std::string& what) {
  Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw Napi::TypeError::New(info.Env(), what + " must be a Uint8Array");
  Napi::Uint8Array a = v.As<Napi::Uint8Array>();
  return {a.Data(), a.ByteLength()};
}

// One call's nodes: n entries, and n nodes of node_size bytes on each side.
struct Batch {
  uint8_t* entries;
  const uint8_t* in;
  uint8_t* out;
  size_t n;
  size_t node_size;
};

// (entries, in, out): n = entries / 32 nodes, in and out n nodes of the same size each, and
// either the same bytes (in place) or apart (OpenSSL refuses a partial overlap).
Batch BatchArgs(const Napi::CallbackInfo& info, const std::string& fn) {
  Napi::Env env = info.Env();
  Bytes entries = Uint8ArrayArg(info, 0, fn + ": entries");
  Bytes in = Uint8ArrayArg(info, 1, fn + ": input");
  Bytes out = Uint8ArrayArg(info, 2, fn + ": output");
  if (entries.len % kEntrySize != 0)
    throw Napi::RangeError::New(env, fn + ": entries must be whole 32-byte (key, tag) pairs");
  size_t n = entries.len / kEntrySize;
  if (in.len != out.len)
    throw Napi::RangeError::New(env, fn + ": input and output differ in length");
  if (n == 0) {
    if (in.len != 0) throw Napi::RangeError::New(env, fn + ": bytes but no entries");
    return {entries.data, in.data, out.data, 0, 0};
  }
  size_t node_size = in.len / n;
  if (node_size * n != in.len || node_size > INT_MAX)
    throw Napi::RangeError::New(env, fn + ": the input is not " + std::to_string(n) + " nodes of one size");
  if (in.data != out.data && in.data < out.data + out.len && out.data < in.data + in.len)
    throw Napi::RangeError::New(env, fn + ": input and output overlap without being the same bytes");
  return {entries.data, in.data, out.data, n, node_size};
}

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

// The error queue is node's too (node:crypto reads it after its own calls): left empty.
int64_t Failed(int err) {
  ERR_clear_error();
  return -err;
}

// A context bound to AES-128-GCM, for sealing (enc 1) or opening (enc 0): each node then only
// sets its key and IV. Null, with *err set, when OpenSSL fails.
CipherCtx GcmContext(int enc, int* err) {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) {
    *err = ENOMEM;
  } else if (EVP_CipherInit_ex(ctx.get(), EVP_aes_128_gcm(), nullptr, nullptr, nullptr, enc) != 1) {
    *err = EIO;
    ctx.reset();
  }
  return ctx;
}

// Seals each node under its entry's key and writes its tag into the entry: n, or -errno.
int64_t SealNodes(const Batch& b) {
  if (b.n == 0) return 0;
  int err = 0;
  CipherCtx ctx = GcmContext(1, &err);
  if (!ctx) return Failed(err);
  const int size = static_cast<int>(b.node_size);
  for (size_t i = 0; i < b.n; i++) {
    uint8_t* entry = b.entries + i * kEntrySize;
    uint8_t* out = b.out + i * b.node_size;
    int len = 0;
    int tail = 0;
    if (EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, entry, kZeroIv) != 1 ||
        EVP_EncryptUpdate(ctx.get(), out, &len, b.in + i * b.node_size, size) != 1 ||
        EVP_EncryptFinal_ex(ctx.get(), out + len, &tail) != 1 || len + tail != size ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, kTagSize, entry + kKeySize) != 1)
      return Failed(EIO);
  }
  return static_cast<int64_t>(b.n);
}

// Opens the nodes in order, each under its entry's key and against its entry's tag: the number
// that authenticate before the first that does not (n when all do), or -errno. The output of a
// node that fails is zeroed, and the nodes after it are not opened.
int64_t OpenNodes(const Batch& b) {
  if (b.n == 0) return 0;
  int err = 0;
  CipherCtx ctx = GcmContext(0, &err);
  if (!ctx) return Failed(err);
  const int size = static_cast<int>(b.node_size);
  for (size_t i = 0; i < b.n; i++) {
    const uint8_t* entry = b.entries + i * kEntrySize;
    uint8_t* out = b.out + i * b.node_size;
    unsigned char tag[kTagSize];  // the tag control takes a pointer it may write through
    std::memcpy(tag, entry + kKeySize, kTagSize);
    int len = 0;
    int tail = 0;
    if (EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, entry, kZeroIv) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, kTagSize, tag) != 1 ||
        EVP_DecryptUpdate(ctx.get(), out, &len, b.in + i * b.node_size, size) != 1) {
      std::memset(out, 0, b.node_size);
      return Failed(EIO);
    }
    if (EVP_DecryptFinal_ex(ctx.get(), out + len, &tail) != 1 || len + tail != size) {
      std::memset(out, 0, b.node_size);  // unauthenticated bytes are not handed out
      ERR_clear_error();
      return static_cast<int64_t>(i);
    }
  }
  return static_cast<int64_t>(b.n);
}

// gcmSealNodes(entries, plain, sealed): n, or -errno.
Napi::Value GcmSealNodes(const Napi::CallbackInfo& info) {
  Batch b = BatchArgs(info, "gcmSealNodes");
  return Napi::Number::New(info.Env(), static_cast<double>(SealNodes(b)));
}

// gcmOpenNodes(entries, sealed, plain): the nodes that authenticate before the first that does
// not (n: all), or -errno.
Napi::Value GcmOpenNodes(const Napi::CallbackInfo& info) {
  Batch b = BatchArgs(info, "gcmOpenNodes");
  return Napi::Number::New(info.Env(), static_cast<double>(OpenNodes(b)));
}

}  // namespace

void RegisterGcm(Napi::Env env, Napi::Object exports) {
  exports.Set("gcmSealNodes", Napi::Function::New(env, GcmSealNodes));
  exports.Set("gcmOpenNodes", Napi::Function::New(env, GcmOpenNodes));
}
