// TLS 1.3 with the instance's pre-shared key over any Duplex stream (a host socketpair end, a
// net.Socket, or an in-process stream), for every leader<->worker and worker<->worker channel.
//
// Both ends use node:tls with a pskCallback: TLS 1.3 only, one cipher suite (TLS_AES_128_GCM_SHA256
// by default; its SHA-256 matches what OpenSSL assumes for a callback PSK), no certificates. The
// server accepts exactly one PSK identity. TLS 1.3 PSK runs in psk_dhe_ke mode, so each channel
// also gets a fresh (EC)DHE secret: recording traffic and later learning the PSK does not decrypt
// it. A wrong PSK fails the binder check: the server fails with "binder does not verify" and
// sends an alert, on which the client fails too; neither side hangs. A wrong identity is refused
// by the server (it has no certificate to fall back to).
//
// The functions return the TLSSocket at once; it is an ordinary Duplex after the handshake, which
// `tlsHandshake(socket)` awaits (resolves on 'secure' / 'secureConnect', rejects on a handshake
// error, on the stream closing first, or after a timeout).
import type { Duplex } from 'node:stream';
import tls from 'node:tls';

export const TLS_CIPHER = 'TLS_AES_128_GCM_SHA256';
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/** OpenSSL refuses PSK identities longer than this. */
export const MAX_IDENTITY_LENGTH = 128;

export interface TlsPskOptions {
  /** Reject the handshake and destroy the socket after this long; 0 disables. Default 10 s. */
  handshakeTimeoutMs?: number;
  /** A TLS 1.3 cipher suite (or a colon-separated list). Default TLS_AES_128_GCM_SHA256. */
  ciphers?: string;
}

/** A TLS-PSK handshake that did not complete. */
export class TlsPskError extends Error {
  override name = 'TlsPskError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const handshakes = new WeakMap<tls.TLSSocket, Promise<tls.TLSSocket>>();

function checkArgs(stream: Duplex, psk: Buffer, identity: string): void {
  if (!stream || typeof (stream as Duplex).pipe !== 'function') throw new TlsPskError('stream must be a Duplex');
  if (!(psk instanceof Uint8Array) || psk.length === 0) throw new TlsPskError('PSK must be a non-empty Buffer');
  if (typeof identity !== 'string' || identity.length === 0) throw new TlsPskError('PSK identity must be a non-empty string');
  if (Buffer.byteLength(identity, 'utf8') > MAX_IDENTITY_LENGTH) {
    throw new TlsPskError(`PSK identity is longer than ${MAX_IDENTITY_LENGTH} bytes`);
  }
}

function baseOptions(opts: TlsPskOptions | undefined) {
  return {
    minVersion: 'TLSv1.3' as const,
    maxVersion: 'TLSv1.3' as const,
    ciphers: opts?.ciphers ?? TLS_CIPHER,
    // no certificate authorities: without a list of its own, node:tls loads the system's (some
    // 45 ms of every worker's start), which a channel that takes no certificate never asks
    ca: [],
  };
}

/** Set up OpenSSL's TLS once (a first context costs a millisecond), before a handshake waits for it. */
export function warmTls(): void {
  tls.createSecureContext(baseOptions(undefined));
}

/**
 * Tracks the handshake of `sock` from its creation, so tlsHandshake() works whenever it is called.
 * During the handshake an 'error' listener is attached (an unobserved failure cannot crash the
 * process); once the handshake is done, errors on the socket are the caller's to handle.
 */
function track(sock: tls.TLSSocket, doneEvent: 'secure' | 'secureConnect', side: string, timeoutMs: number): void {
  const p = new Promise<tls.TLSSocket>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const cleanup = (): void => {
      if (timer) clearTimeout(timer);
      sock.off(doneEvent, onDone);
      sock.off('error', onError);
      sock.off('close', onClose);
    };
    const fail = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const onDone = (): void => {
      cleanup();
      resolve(sock);
    };
    const onError = (err: Error): void => {
      fail(new TlsPskError(`TLS-PSK ${side} handshake failed: ${err.message}`, { cause: err }));
      sock.destroy();
    };
    const onClose = (): void => {
      fail(new TlsPskError(`TLS-PSK ${side} handshake failed: the stream closed before the handshake completed`));
    };
    sock.once(doneEvent, onDone);
    sock.on('error', onError);
    sock.once('close', onClose);
    if (timeoutMs > 0) {
      timer = setTimeout(() => {
        fail(new TlsPskError(`TLS-PSK ${side} handshake timed out after ${timeoutMs} ms`));
        sock.destroy();
      }, timeoutMs);
      timer.unref();
    }
  });
  p.catch(() => {}); // observed through tlsHandshake(); never an unhandled rejection
  handshakes.set(sock, p);
}

/**
 * The server end of a TLS-PSK channel over `stream`. Accepts only a client presenting `identity`
 * with `psk`. The socket emits 'secure' when the handshake is done.
 */
export function tlsServerOverStream(stream: Duplex, psk: Buffer, identity: string, opts?: TlsPskOptions): tls.TLSSocket {
  checkArgs(stream, psk, identity);
  const key = Buffer.from(psk);
  const sock = new tls.TLSSocket(stream, {
    isServer: true,
    requestCert: false,
    rejectUnauthorized: false,
    ...baseOptions(opts),
    pskCallback: (_socket: tls.TLSSocket, clientIdentity: string) => (clientIdentity === identity ? key : null),
  } as tls.TLSSocketOptions);
  track(sock, 'secure', 'server', opts?.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS);
  return sock;
}

/**
 * The client end of a TLS-PSK channel over `stream`, presenting `identity` with `psk`. A server
 * that authenticates with a certificate instead of the PSK is refused. The socket emits
 * 'secureConnect' when the handshake is done.
 */
export function tlsClientOverStream(stream: Duplex, psk: Buffer, identity: string, opts?: TlsPskOptions): tls.TLSSocket {
  checkArgs(stream, psk, identity);
  const key = Buffer.from(psk);
  const sock = tls.connect({
    socket: stream,
    ...baseOptions(opts),
    pskCallback: () => ({ psk: key, identity }),
    // Only called when the server authenticated with a certificate, i.e. not with the PSK.
    checkServerIdentity: () => new Error('the server presented a certificate; a TLS-PSK channel expects none'),
  });
  track(sock, 'secureConnect', 'client', opts?.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS);
  return sock;
}

/**
 * Resolves with the socket once its TLS-PSK handshake is done; rejects with a TlsPskError if the
 * handshake fails (wrong PSK or identity, alert from the peer), the stream closes first, or the
 * timeout passes. Only for sockets made by tlsServerOverStream / tlsClientOverStream.
 */
export function tlsHandshake(sock: tls.TLSSocket): Promise<tls.TLSSocket> {
  const p = handshakes.get(sock);
  if (!p) return Promise.reject(new TlsPskError('tlsHandshake: not a socket made by tlsServerOverStream/tlsClientOverStream'));
  return p;
}

/** tlsServerOverStream + tlsHandshake. */
export function acceptTlsPsk(stream: Duplex, psk: Buffer, identity: string, opts?: TlsPskOptions): Promise<tls.TLSSocket> {
  return tlsHandshake(tlsServerOverStream(stream, psk, identity, opts));
}

/** tlsClientOverStream + tlsHandshake. */
export function connectTlsPsk(stream: Duplex, psk: Buffer, identity: string, opts?: TlsPskOptions): Promise<tls.TLSSocket> {
  return tlsHandshake(tlsClientOverStream(stream, psk, identity, opts));
}
