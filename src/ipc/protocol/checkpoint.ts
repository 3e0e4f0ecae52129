// The LibOS state a forked child starts from (its parent's, at the fork), sealed by the parent's
// worker and opened by the child's. It travels in the child's own channel, ahead of the child's
// first request, with the working directory as an fd beside it: the parent's worker writes it
// before the stub has the channel, so nothing but the two workers can have put it there. The
// key is single-use (a fresh one per standby, handed to both workers by the leader over TLS),
// which also makes a replayed checkpoint fail to open. ChaCha20-Poly1305 from node:crypto: it is
// on the path of every fork, and several times quicker there than a JavaScript one.
import { randomBytes } from 'node:crypto';
import { aeadOpen, aeadSeal } from '../../tls-psk/aead.js';
import { newPackr } from './msgpack.js';
import { object, ProtocolError, t } from './schema.js';

const packr = newPackr();
const NONCE = new Uint8Array(12); // each key seals one checkpoint only
const KEY_BYTES = 32;

const checkpointSchema = object({
  vpid: t.int, ppid: t.int, pgid: t.int, sid: t.int,
  /** the parent's host process: the child is re-parented to vpid 1 when it exits */
  parentHostPid: t.int,
  umask: t.int, rootPath: t.str, exePath: t.str,
  /** names set by sethostname and setdomainname (null: the instance's) */
  utsNames: object({ nodename: t.nullable(t.str), domainname: t.nullable(t.str) }),
  creds: object({
    uid: t.int, euid: t.int, suid: t.int, fsuid: t.int, gid: t.int, egid: t.int, sgid: t.int, fsgid: t.int, groups: t.array(t.int),
  }),
  nofileCur: t.nullable(t.str), nofileMax: t.nullable(t.str), hostNofileMax: t.nullable(t.str), reservedFdBase: t.int,
  /** the app process is not host root but APP_HOST_ID (HELLO_APP_IDENTITY) */
  appHostIdentity: t.bool,
  logLevel: t.str, traceFile: t.nullable(t.str), straceFile: t.nullable(t.str),
});

export type Checkpoint = ReturnType<typeof checkpointSchema>;

/** keys drawn ahead, a batch at a time: one call for the randomness of many forks */
let keyPool = Buffer.alloc(0);
const KEYS_PER_DRAW = 64;

/** A fresh single-use checkpoint key, as hex (it rides in IPC messages). */
export function newCheckpointKey(): string {
  if (keyPool.length < KEY_BYTES) keyPool = randomBytes(KEY_BYTES * KEYS_PER_DRAW);
  const key = keyPool.subarray(0, KEY_BYTES).toString('hex');
  keyPool.fill(0, 0, KEY_BYTES); // not left in memory once handed out
  keyPool = keyPool.subarray(KEY_BYTES);
  return key;
}

function keyBytes(hexKey: string): Uint8Array {
  const key = Buffer.from(hexKey, 'hex');
  if (key.length !== KEY_BYTES) throw new ProtocolError('checkpoint key: wrong length');
  return key;
}

/** The associated data: the sealed state is for child `vpid` only. */
function aad(vpid: number): Uint8Array {
  return Buffer.from(`gramine-ts checkpoint vm${vpid}`);
}

/** Seal something once, so that the cipher is set up before a fork needs it (a first use costs milliseconds). */
export function warmSealing(): void {
  aeadSeal(new Uint8Array(KEY_BYTES), NONCE, aad(0), packr.pack({ warm: true }));
}

export function sealCheckpoint(cp: Checkpoint, hexKey: string): Uint8Array {
  return aeadSeal(keyBytes(hexKey), NONCE, aad(cp.vpid), packr.pack(cp));
}

/** Open and check a sealed checkpoint for child `vpid`; ProtocolError if it is not genuine. */
export function openCheckpoint(sealed: Uint8Array, hexKey: string, vpid: number): Checkpoint {
  let plain: Uint8Array;
  try {
    plain = aeadOpen(keyBytes(hexKey), NONCE, aad(vpid), sealed);
  } catch {
    throw new ProtocolError(`checkpoint for vm${vpid}: does not open with its key`);
  }
  const cp = checkpointSchema(packr.unpack(plain), 'checkpoint');
  if (cp.vpid !== vpid) throw new ProtocolError(`checkpoint for vm${cp.vpid} arrived for vm${vpid}`);
  return cp;
}
