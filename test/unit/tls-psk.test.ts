// TLS-PSK: measurement, local attestation, PSK provisioning and TLS 1.3 with the PSK over real host
// sockets and over in-process streams. Every refusal the leader relies on is shown to happen.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, closeSync, constants as fsc, mkdtempSync, openSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Duplex } from 'node:stream';
import tls, { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  computeMeasurement,
  fileParts,
  measureFiles,
  measurerWithManifest,
  measureWithManifest,
  measureWorkerCode,
} from '../../src/tls-psk/measurement.js';
import {
  AttestationError,
  REPORT_SIZE,
  createPlatformKey,
  createReport,
  decodeReport,
  encodeReport,
  makeReportData,
  readPlatformKeyFromFd,
  verifyReport,
} from '../../src/tls-psk/attestation.js';
import {
  ProvisioningError,
  createInstancePsk,
  leaderChallenge,
  leaderProvision,
  workerReceive,
  workerPrepare,
  workerRespond,
  type WorkerSecret,
} from '../../src/tls-psk/provisioning.js';
import {
  TLS_CIPHER,
  TlsPskError,
  acceptTlsPsk,
  connectTlsPsk,
  tlsClientOverStream,
  tlsHandshake,
  tlsServerOverStream,
} from '../../src/tls-psk/tls.js';

const enc = new TextEncoder();
let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'gts-tls-psk-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

function flip(b: Uint8Array, i: number, mask = 0x01): Uint8Array {
  const c = b.slice();
  c[i] = c[i]! ^ mask;
  return c;
}

// --- Transports ---------------------------------------------------------------------------------

let pairCount = 0;
/** Two connected host UNIX stream sockets (a listening socket is used only to make the pair). */
async function unixPair(): Promise<[net.Socket, net.Socket]> {
  const p = path.join(tmp, `pair-${pairCount++}.sock`);
  const server = net.createServer();
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(p, res);
  });
  const accepted = new Promise<net.Socket>((res) => server.once('connection', res));
  const client = net.connect(p);
  await new Promise<void>((res, rej) => {
    client.once('connect', res);
    client.once('error', rej);
  });
  const srv = await accepted;
  server.close();
  return [client, srv];
}

/** An in-process Duplex pair (stream.duplexPair exists only from Node 22); records traffic. */
function duplexPair(): { a: Duplex; b: Duplex; aToB: Buffer[]; bToA: Buffer[] } {
  const aToB: Buffer[] = [];
  const bToA: Buffer[] = [];
  // eslint-disable-next-line prefer-const
  let b: Duplex;
  const a: Duplex = new Duplex({
    read() {},
    write(chunk: Buffer, _e, cb) {
      aToB.push(Buffer.from(chunk));
      b.push(chunk);
      cb();
    },
    final(cb) {
      b.push(null);
      cb();
    },
    destroy(err, cb) {
      if (!b.destroyed) b.push(null);
      cb(err);
    },
  });
  b = new Duplex({
    read() {},
    write(chunk: Buffer, _e, cb) {
      bToA.push(Buffer.from(chunk));
      a.push(chunk);
      cb();
    },
    final(cb) {
      a.push(null);
      cb();
    },
    destroy(err, cb) {
      if (!a.destroyed) a.push(null);
      cb(err);
    },
  });
  return { a, b, aToB, bToA };
}

/** Reads until `n` bytes have arrived on a stream. */
function readBytes(s: Duplex, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const onData = (c: Buffer): void => {
      chunks.push(c);
      got += c.length;
      if (got >= n) {
        s.off('data', onData);
        s.off('error', reject);
        resolve(Buffer.concat(chunks));
      }
    };
    s.on('data', onData);
    s.once('error', reject);
  });
}

/** Reads exactly `n` bytes, leaving anything after them unread (paused mode). */
function readExact(s: Duplex, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tryRead = (): void => {
      const b = s.read(n) as Buffer | null;
      if (b === null) return;
      s.off('readable', tryRead);
      s.off('error', reject);
      resolve(b);
    };
    s.on('readable', tryRead);
    s.once('error', reject);
    tryRead();
  });
}

async function exchange(client: tls.TLSSocket, server: tls.TLSSocket): Promise<void> {
  const up = Buffer.from('hello from the worker: '.repeat(100));
  const down = Buffer.alloc(200_000, 0x5a); // several TLS records
  const gotUp = readBytes(server, up.length);
  client.write(up);
  expect((await gotUp).equals(up)).toBe(true);
  const gotDown = readBytes(client, down.length);
  server.write(down);
  expect((await gotDown).equals(down)).toBe(true);
}

function settle<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: Error }> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: Error) => ({ ok: false as const, error }),
  );
}

// --- Measurement --------------------------------------------------------------------------------

describe('measurement', () => {
  it('is a 32-byte SHA-256 that depends on part boundaries, labels and order', () => {
    const m = computeMeasurement([enc.encode('ab'), enc.encode('c')]);
    expect(m).toBeInstanceOf(Uint8Array);
    expect(m.length).toBe(32);
    expect(hex(computeMeasurement([enc.encode('ab'), enc.encode('c')]))).toBe(hex(m));
    expect(hex(computeMeasurement([enc.encode('a'), enc.encode('bc')]))).not.toBe(hex(m));
    expect(hex(computeMeasurement([enc.encode('abc')]))).not.toBe(hex(m));
    expect(hex(computeMeasurement([enc.encode('c'), enc.encode('ab')]))).not.toBe(hex(m));
    expect(hex(computeMeasurement([enc.encode('ab'), enc.encode('c'), new Uint8Array(0)]))).not.toBe(hex(m));
    const l1 = computeMeasurement([{ label: 'x', bytes: enc.encode('yz') }]);
    const l2 = computeMeasurement([{ label: 'xy', bytes: enc.encode('z') }]);
    expect(hex(l1)).not.toBe(hex(l2));
    expect(hex(computeMeasurement([{ label: '', bytes: enc.encode('ab') }, { label: '', bytes: enc.encode('c') }]))).toBe(hex(m));
    expect(() => computeMeasurement([{ label: 'x' } as never])).toThrow(/part 0/);
  });

  it('of code parts hashed ahead, finished with a manifest, is the whole measurement', () => {
    const code = [{ label: 'stub', bytes: enc.encode('elf') }, { label: 'worker', bytes: enc.encode('js') }];
    const withManifest = measurerWithManifest(code);
    for (const manifest of [new Uint8Array(0), enc.encode('libos.entrypoint = "/bin/sh"\n')]) {
      // each call finishes its own copy: the code's hash is not used up
      expect(hex(withManifest(manifest))).toBe(hex(measureWithManifest(code, manifest)));
      expect(hex(withManifest(manifest))).toBe(hex(computeMeasurement([...code, { label: 'manifest', bytes: manifest }])));
    }
    expect(hex(withManifest(enc.encode('a')))).not.toBe(hex(withManifest(enc.encode('b'))));
  });

  it('measures files by relative path, independent of the order given', async () => {
    const root = path.join(tmp, 'code');
    mkdirSync(path.join(root, 'dist', 'sub'), { recursive: true });
    writeFileSync(path.join(root, 'dist', 'a.js'), 'export const a = 1;\n');
    writeFileSync(path.join(root, 'dist', 'sub', 'b.js'), 'export const b = 2;\n');
    writeFileSync(path.join(root, 'dist', 'sub', 'b.js.map'), '{}');
    writeFileSync(path.join(root, 'stub'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3]));
    const js = [path.join(root, 'dist', 'sub', 'b.js'), path.join(root, 'dist', 'a.js')];
    const parts = await fileParts(js, root);
    expect(parts.map((p) => p.label)).toEqual(['dist/a.js', 'dist/sub/b.js']);
    const m1 = await measureFiles(js, root);
    const m2 = await measureFiles([...js].reverse(), root);
    expect(hex(m2)).toBe(hex(m1));
    // default root: the common directory
    expect((await fileParts(js)).map((p) => p.label)).toEqual(['a.js', 'sub/b.js']);

    const manifest = enc.encode('[loader]\nentrypoint = "/bin/sh"\n');
    writeFileSync(path.join(root, 'addon.node'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 9]));
    const cachePath = path.join(root, 'dist', 'b.cache');
    const code = {
      stubPath: path.join(root, 'stub'), workerPaths: [path.join(root, 'dist', 'sub', 'b.js'), path.join(root, 'dist', 'a.js')], workerCachePath: cachePath,
      addonPath: path.join(root, 'addon.node'), manifest,
    };
    const w1 = await measureWorkerCode(code);
    expect(hex(await measureWorkerCode(code))).toBe(hex(w1));
    expect(hex(await measureWorkerCode({ ...code, manifest: enc.encode('[loader]\nentrypoint = "/bin/bash"\n') }))).not.toBe(hex(w1));
    writeFileSync(path.join(root, 'dist', 'sub', 'b.js'), 'export const b = 3;\n');
    expect(hex(await measureFiles(js, root))).not.toBe(hex(m1));
    const w2 = await measureWorkerCode(code);
    expect(hex(w2)).not.toBe(hex(w1));
    writeFileSync(path.join(root, 'addon.node'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 10]));
    const w3 = await measureWorkerCode(code);
    expect(hex(w3)).not.toBe(hex(w2));
    // the bundle's code cache is code too: measured once there is one, and as it is
    writeFileSync(cachePath, Buffer.from([1, 2, 3]));
    const w4 = await measureWorkerCode(code);
    expect(hex(w4)).not.toBe(hex(w3));
    writeFileSync(cachePath, Buffer.from([1, 2, 4]));
    expect(hex(await measureWorkerCode(code))).not.toBe(hex(w4));
    // and what runs the bundle
    writeFileSync(path.join(root, 'dist', 'a.js'), 'export const a = 2;\n');
    expect(hex(await measureWorkerCode(code))).not.toBe(hex(w4));

    await expect(measureFiles([path.join(root, 'nope.js')], root)).rejects.toThrow(/cannot read .*nope\.js/);
    await expect(measureFiles([js[0]!, js[0]!], root)).rejects.toThrow(/listed twice/);
  });
});

// --- Attestation --------------------------------------------------------------------------------

describe('attestation', () => {
  const platformKey = createPlatformKey();
  const measurement = computeMeasurement([enc.encode('the worker code')]);
  const nonce = leaderChallenge();
  const workerPub = new Uint8Array(32).fill(9);
  const report = createReport(platformKey, measurement, makeReportData(workerPub, nonce));
  const bytes = encodeReport(report);

  it('encodes to exactly 128 bytes and decodes back; other lengths are refused', () => {
    expect(platformKey.length).toBe(32);
    expect(hex(createPlatformKey())).not.toBe(hex(platformKey));
    expect(bytes.length).toBe(REPORT_SIZE);
    expect(REPORT_SIZE).toBe(128);
    const back = decodeReport(bytes);
    expect(hex(back.measurement)).toBe(hex(measurement));
    expect(hex(back.reportData)).toBe(hex(workerPub) + hex(nonce));
    expect(hex(back.mac)).toBe(hex(report.mac));
    expect(() => decodeReport(bytes.subarray(0, 127))).toThrow(AttestationError);
    expect(() => decodeReport(new Uint8Array(129))).toThrow(/exactly 128 bytes, got 129/);
    expect(() => encodeReport({ ...report, mac: new Uint8Array(31) })).toThrow(/MAC must be 32 bytes/);
    expect(() => createReport(new Uint8Array(16), measurement, report.reportData)).toThrow(/platform key/);
    const r = verifyReport(platformKey, bytes.subarray(0, 100), measurement, nonce);
    expect(r).toMatchObject({ ok: false, code: 'malformed' });
  });

  it('accepts a good report', () => {
    expect(verifyReport(platformKey, bytes, measurement, nonce)).toEqual({ ok: true });
    expect(verifyReport(platformKey, report, measurement, nonce)).toEqual({ ok: true });
  });

  it('refuses a report with any byte flipped (measurement, reportData or mac)', () => {
    for (let i = 0; i < REPORT_SIZE; i++) {
      for (const mask of [0x01, 0x80]) {
        const r = verifyReport(platformKey, flip(bytes, i, mask), measurement, nonce);
        expect(r.ok, `byte ${i} mask ${mask}`).toBe(false);
        if (!r.ok) expect(r.code).toBe('bad-mac');
      }
    }
  });

  it('refuses a report MAC\'d with another platform key', () => {
    const forged = encodeReport(createReport(createPlatformKey(), measurement, makeReportData(workerPub, nonce)));
    const r = verifyReport(platformKey, forged, measurement, nonce);
    expect(r).toMatchObject({ ok: false, code: 'bad-mac' });
    if (!r.ok) expect(r.reason).toMatch(/bad MAC/);
  });

  it('refuses a report for the wrong measurement', () => {
    const other = computeMeasurement([enc.encode('some other code')]);
    const r = verifyReport(platformKey, encodeReport(createReport(platformKey, other, makeReportData(workerPub, nonce))), measurement, nonce);
    expect(r).toMatchObject({ ok: false, code: 'wrong-measurement' });
    if (!r.ok) expect(r.reason).toMatch(/wrong measurement/);
  });

  it('refuses a replayed report (valid for an old nonce) against a new challenge', () => {
    const newNonce = leaderChallenge();
    const r = verifyReport(platformKey, bytes, measurement, newNonce);
    expect(r).toMatchObject({ ok: false, code: 'wrong-nonce' });
    if (!r.ok) expect(r.reason).toMatch(/wrong nonce/);
  });

  it('reads the platform key from an inherited fd, and refuses a short one', () => {
    const key = createPlatformKey();
    const f = path.join(tmp, 'pk');
    writeFileSync(f, key);
    expect(hex(readPlatformKeyFromFd(openSync(f, 'r')))).toBe(hex(key));
    writeFileSync(f, key.subarray(0, 20));
    expect(() => readPlatformKeyFromFd(openSync(f, 'r'))).toThrow(/ended after 20 of 32 bytes/);
  });
});

// --- Provisioning -------------------------------------------------------------------------------

describe('provisioning', () => {
  const platformKey = createPlatformKey();
  const measurement = computeMeasurement([{ label: 'stub', bytes: enc.encode('stub bytes') }]);
  const instancePsk = createInstancePsk();
  const clone = (s: WorkerSecret): WorkerSecret => ({ secretKey: s.secretKey.slice(), publicKey: s.publicKey.slice() });

  it.each([['its own', false], ['made before the challenge (workerPrepare)', true]])('provisions the same PSK on both sides, the worker\'s key %s', (_, prepared) => {
    const keys = prepared ? workerPrepare() : undefined;
    const nonce = leaderChallenge();
    const { report, workerSecret } = workerRespond(platformKey, measurement, nonce, keys);
    if (keys) expect(workerSecret.publicKey).toEqual(keys.publicKey);
    expect(report.length).toBe(128);
    const res = leaderProvision(platformKey, measurement, nonce, report, instancePsk);
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(Buffer.from(res.message).includes(instancePsk)).toBe(false);
    const psk = workerReceive(workerSecret, nonce, res.message);
    expect(Buffer.isBuffer(psk)).toBe(true);
    expect(psk.equals(instancePsk)).toBe(true);
    // the worker's ephemeral secret is single-use and wiped
    expect(workerSecret.secretKey.every((b) => b === 0)).toBe(true);
  });

  it('refuses tampered, forged, wrong-measurement and replayed reports', () => {
    const nonce = leaderChallenge();
    const { report } = workerRespond(platformKey, measurement, nonce);
    for (const i of [0, 31, 32, 63, 64, 95, 96, 127]) {
      const r = leaderProvision(platformKey, measurement, nonce, flip(report, i), instancePsk);
      expect(r, `byte ${i}`).toMatchObject({ ok: false, code: 'bad-mac' });
    }
    const forged = workerRespond(createPlatformKey(), measurement, nonce).report;
    expect(leaderProvision(platformKey, measurement, nonce, forged, instancePsk)).toMatchObject({ ok: false, code: 'bad-mac' });
    const wrong = workerRespond(platformKey, computeMeasurement([enc.encode('evil')]), nonce).report;
    expect(leaderProvision(platformKey, measurement, nonce, wrong, instancePsk)).toMatchObject({
      ok: false,
      code: 'wrong-measurement',
    });
    const replay = leaderProvision(platformKey, measurement, leaderChallenge(), report, instancePsk);
    expect(replay).toMatchObject({ ok: false, code: 'wrong-nonce' });
    if (!replay.ok) expect(replay.reason).toMatch(/replayed/);
    expect(leaderProvision(platformKey, measurement, nonce, report.subarray(1), instancePsk)).toMatchObject({
      ok: false,
      code: 'malformed',
    });
  });

  it('refuses a report carrying a low-order X25519 public key', () => {
    const nonce = leaderChallenge();
    const report = encodeReport(createReport(platformKey, measurement, makeReportData(new Uint8Array(32), nonce)));
    expect(leaderProvision(platformKey, measurement, nonce, report, instancePsk)).toMatchObject({
      ok: false,
      code: 'bad-public-key',
    });
  });

  it('fails on the worker when the provisioning message is tampered with', () => {
    const nonce = leaderChallenge();
    const { report, workerSecret } = workerRespond(platformKey, measurement, nonce);
    const res = leaderProvision(platformKey, measurement, nonce, report, instancePsk);
    if (!res.ok) throw new Error(res.reason);
    const msg = res.message;
    expect(msg.length).toBe(4 + 32 + 32 + 16);
    for (let i = 0; i < msg.length; i++) {
      expect(() => workerReceive(clone(workerSecret), nonce, flip(msg, i)), `byte ${i}`).toThrow(ProvisioningError);
    }
    expect(() => workerReceive(clone(workerSecret), nonce, flip(msg, 40))).toThrow(/does not authenticate/);
    expect(() => workerReceive(clone(workerSecret), nonce, msg.subarray(0, 40))).toThrow(/bad length/);
    expect(() => workerReceive(clone(workerSecret), nonce, msg.subarray(0, msg.length - 1))).toThrow(/does not authenticate/);
    expect(() => workerReceive(clone(workerSecret), nonce, flip(msg, 0))).toThrow(/bad magic/);
    expect(() => workerReceive(clone(workerSecret), nonce, new Uint8Array([...msg, 0]))).toThrow(/does not authenticate/);
    // made for another challenge, or for another worker's key
    expect(() => workerReceive(clone(workerSecret), leaderChallenge(), msg)).toThrow(/does not authenticate/);
    const other = workerRespond(platformKey, measurement, nonce).workerSecret;
    expect(() => workerReceive(other, nonce, msg)).toThrow(/does not authenticate/);
    // the untouched message still opens
    expect(workerReceive(workerSecret, nonce, msg).equals(instancePsk)).toBe(true);
  });
});

// --- TLS 1.3 with the PSK -----------------------------------------------------------------------

describe('TLS-PSK channel', () => {
  const psk = createInstancePsk();
  const identity = 'gramine-ts leader<->worker 1';

  it('exchanges data both ways over a host UNIX socket pair', async () => {
    const [c, s] = await unixPair();
    const server = tlsServerOverStream(s, psk, identity);
    const client = tlsClientOverStream(c, psk, identity);
    await Promise.all([tlsHandshake(server), tlsHandshake(client)]);
    expect(client.getProtocol()).toBe('TLSv1.3');
    expect(server.getProtocol()).toBe('TLSv1.3');
    expect(client.getCipher().standardName).toBe(TLS_CIPHER);
    expect(client.isSessionReused()).toBe(true); // TLS 1.3 PSK authentication
    expect(client.getPeerCertificate()).toEqual({});
    await exchange(client, server);
    // tlsHandshake after the fact still resolves
    await expect(tlsHandshake(server)).resolves.toBe(server);
    const closed = new Promise((res) => server.once('end', res));
    client.end();
    await closed;
    server.end();
  });

  it('exchanges data both ways over an in-process Duplex pair', async () => {
    const { a, b } = duplexPair();
    const [server, client] = await Promise.all([acceptTlsPsk(b, psk, identity), connectTlsPsk(a, psk, identity)]);
    await exchange(client, server);
    client.destroy();
    server.destroy();
  });

  it('fails on both sides, promptly, with a different PSK (host sockets and in-process)', async () => {
    const [c, s] = await unixPair();
    const t0 = Date.now();
    const [sr, cr] = await Promise.all([
      settle(acceptTlsPsk(s, psk, identity)),
      settle(connectTlsPsk(c, createInstancePsk(), identity)),
    ]);
    expect(sr.ok).toBe(false);
    expect(cr.ok).toBe(false);
    if (!sr.ok) {
      expect(sr.error).toBeInstanceOf(TlsPskError);
      expect(sr.error.message).toMatch(/server handshake failed/);
    }
    if (!cr.ok) expect(cr.error.message).toMatch(/client handshake failed/);
    expect(Date.now() - t0).toBeLessThan(2000);

    const { a, b } = duplexPair();
    const [sr2, cr2] = await Promise.all([
      settle(acceptTlsPsk(b, psk, identity)),
      settle(connectTlsPsk(a, createInstancePsk(), identity)),
    ]);
    expect(sr2.ok).toBe(false);
    expect(cr2.ok).toBe(false);
  });

  it('fails on both sides with an unknown identity', async () => {
    const [c, s] = await unixPair();
    const [sr, cr] = await Promise.all([
      settle(acceptTlsPsk(s, psk, identity)),
      settle(connectTlsPsk(c, psk, 'someone else')),
    ]);
    expect(sr.ok).toBe(false);
    expect(cr.ok).toBe(false);
  });

  it('the client refuses a server that authenticates with a certificate instead of the PSK', async () => {
    const key = path.join(tmp, 'cert.key');
    const crt = path.join(tmp, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', key, '-out', crt, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    const [c, s] = await unixPair();
    const certServer = new TLSSocket(s, {
      isServer: true,
      minVersion: 'TLSv1.3',
      cert: readFileSync(crt),
      key: readFileSync(key),
    } as tls.TLSSocketOptions);
    certServer.on('error', () => {});
    const r = await settle(connectTlsPsk(c, psk, identity));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/client handshake failed/);
    certServer.destroy();
  });

  it('rejects the handshake when the peer never answers (timeout) or the stream closes', async () => {
    const [c, s] = await unixPair();
    const r = await settle(connectTlsPsk(c, psk, identity, { handshakeTimeoutMs: 200 }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/timed out after 200 ms/);
    s.destroy();

    const [c2, s2] = await unixPair();
    const p = settle(connectTlsPsk(c2, psk, identity));
    s2.destroy();
    const r2 = await p;
    expect(r2.ok).toBe(false);
    if (!r2.ok) expect(r2.error).toBeInstanceOf(TlsPskError);
  });

  it('does not carry plaintext on the underlying stream', async () => {
    // client -- host socket pair 1 -- recording relay -- host socket pair 2 -- server
    const [c, r1] = await unixPair();
    const [r2, s] = await unixPair();
    const up: Buffer[] = [];
    const down: Buffer[] = [];
    r1.on('data', (d: Buffer) => {
      up.push(d);
      r2.write(d);
    });
    r2.on('data', (d: Buffer) => {
      down.push(d);
      r1.write(d);
    });
    const [server, client] = await Promise.all([acceptTlsPsk(s, psk, identity), connectTlsPsk(c, psk, identity)]);
    const secretUp = Buffer.from('TOP-SECRET-UPSTREAM-PAYLOAD-0123456789');
    const secretDown = Buffer.from('TOP-SECRET-DOWNSTREAM-PAYLOAD-9876543210');
    const gotUp = readBytes(server, secretUp.length);
    client.write(secretUp);
    expect((await gotUp).equals(secretUp)).toBe(true);
    const gotDown = readBytes(client, secretDown.length);
    server.write(secretDown);
    expect((await gotDown).equals(secretDown)).toBe(true);
    const rawUp = Buffer.concat(up);
    const rawDown = Buffer.concat(down);
    expect(rawUp.length).toBeGreaterThan(secretUp.length);
    expect(rawDown.length).toBeGreaterThan(secretDown.length);
    for (const raw of [rawUp, rawDown]) {
      expect(raw.includes(secretUp)).toBe(false);
      expect(raw.includes(secretDown)).toBe(false);
      expect(raw.includes(Buffer.from('TOP-SECRET'))).toBe(false);
      expect(raw.includes(psk)).toBe(false);
    }
    // the identity is sent in clear in the ClientHello (it is not a secret)
    expect(rawUp.includes(Buffer.from(identity))).toBe(true);

    // the same over the in-process pair, recording every write
    const pair = duplexPair();
    const [srv2, cli2] = await Promise.all([acceptTlsPsk(pair.b, psk, identity), connectTlsPsk(pair.a, psk, identity)]);
    const g2 = readBytes(srv2, secretUp.length);
    cli2.write(secretUp);
    await g2;
    const g3 = readBytes(cli2, secretDown.length);
    srv2.write(secretDown);
    await g3;
    for (const raw of [Buffer.concat(pair.aToB), Buffer.concat(pair.bToA)]) {
      expect(raw.includes(secretUp)).toBe(false);
      expect(raw.includes(secretDown)).toBe(false);
    }
    for (const x of [client, server, cli2, srv2, r1, r2]) x.destroy();
  });

  it('upgrades one host socket: plaintext attestation/provisioning, then TLS with the PSK', async () => {
    const platformKey = createPlatformKey();
    const measurement = computeMeasurement([enc.encode('worker')]);
    const instancePsk = createInstancePsk();
    const [c, s] = await unixPair(); // c: worker end, s: leader end
    const worker = (async () => {
      const nonce = await readExact(c, 32);
      const { report, workerSecret } = workerRespond(platformKey, measurement, nonce);
      c.write(report);
      const message = await readExact(c, 84);
      const workerPsk = workerReceive(workerSecret, nonce, message);
      return connectTlsPsk(c, workerPsk, 'worker 1');
    })();
    const leader = (async () => {
      const nonce = leaderChallenge();
      s.write(nonce);
      const report = await readExact(s, 128);
      const res = leaderProvision(platformKey, measurement, nonce, report, instancePsk);
      if (!res.ok) throw new Error(res.reason);
      s.write(res.message);
      // switch to TLS in the same tick: the worker speaks next, with its ClientHello
      return acceptTlsPsk(s, instancePsk, 'worker 1');
    })();
    const [client, server] = await Promise.all([worker, leader]);
    await exchange(client, server);
    client.destroy();
    server.destroy();
  });

  it('end to end: attest, provision, then talk TLS with the provisioned PSK (timed)', async () => {
    const platformKey = createPlatformKey();
    const measurement = computeMeasurement([enc.encode('worker')]);
    const instancePsk = createInstancePsk();
    const timings: number[] = [];
    const tlsTimings: number[] = [];
    for (let round = 0; round < 5; round++) {
      const t0 = performance.now();
      const nonce = leaderChallenge();
      const { report, workerSecret } = workerRespond(platformKey, measurement, nonce);
      const res = leaderProvision(platformKey, measurement, nonce, report, instancePsk);
      if (!res.ok) throw new Error(res.reason);
      const workerPsk = workerReceive(workerSecret, nonce, res.message);
      const t1 = performance.now();
      const [c, s] = await unixPair();
      const t2 = performance.now();
      const [server, client] = await Promise.all([
        acceptTlsPsk(s, instancePsk, 'w'),
        connectTlsPsk(c, workerPsk, 'w'),
      ]);
      const t3 = performance.now();
      timings.push(t1 - t0);
      tlsTimings.push(t3 - t2);
      await exchange(client, server);
      client.destroy();
      server.destroy();
    }
    const fmt = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(', ');
    console.log(`provisioning (ms): ${fmt(timings)}\nTLS handshake over UNIX socket (ms): ${fmt(tlsTimings)}`);
  });
});
