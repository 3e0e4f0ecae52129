// The leader<->worker channel as the leader and workers set it up: attestation over the raw
// socket, then TLS-PSK on the same socket. A worker with the wrong code or platform key is
// refused before it learns the PSK.
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { createPlatformKey } from '../../src/tls-psk/attestation.js';
import { AttestationRefused, leaderSecureChannel, workerSecureChannel } from '../../src/tls-psk/channel.js';
import { createInstancePsk } from '../../src/tls-psk/provisioning.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'gts-chan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** A connected pair of host UNIX stream sockets. */
async function socketPair(): Promise<[net.Socket, net.Socket]> {
  const p = path.join(dir, `s${n++}`);
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(p, r));
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  const client = net.connect(p);
  await new Promise<void>((r) => client.once('connect', r));
  const s = await accepted;
  server.close();
  return [s, client];
}

const measurement = new Uint8Array(32).fill(7);
const manifest = new TextEncoder().encode('libos.entrypoint = "/bin/true"\n');
/** what the worker was given to measure with its code */
let measuredManifest: Uint8Array | null = null;

async function attempt(workerKey: Uint8Array, workerMeasurement: Uint8Array) {
  const [leaderSock, workerSock] = await socketPair();
  leaderSock.pause();
  workerSock.pause();
  const platformKey = createPlatformKey();
  const psk = createInstancePsk();
  const leader = leaderSecureChannel(leaderSock, {
    platformKey, psk, expectedMeasurement: Promise.resolve(measurement), manifest, identity: 'w',
  });
  const worker = workerSecureChannel(workerSock, {
    platformKey: workerKey === SAME ? platformKey : workerKey,
    measure: async (m) => {
      measuredManifest = m;
      return workerMeasurement;
    },
    identity: 'w',
  });
  return { leader, worker, cleanup: () => (leaderSock.destroy(), workerSock.destroy()) };
}
const SAME = new Uint8Array(0);

describe('attested leader/worker channel', () => {
  it('carries data both ways over TLS once the worker is attested', async () => {
    const { leader, worker, cleanup } = await attempt(SAME, measurement);
    const [l, w] = await Promise.all([leader, worker]);
    const got = new Promise<string>((r) => l.once('data', (d: Buffer) => r(d.toString())));
    w.write('hello leader');
    expect(await got).toBe('hello leader');
    expect(l.getProtocol()).toBe('TLSv1.3');
    // the worker measured its code with exactly the manifest the leader runs
    expect(Buffer.from(measuredManifest!).equals(Buffer.from(manifest))).toBe(true);
    l.destroy();
    w.destroy();
    cleanup();
  });

  it('refuses a worker that measures differently', async () => {
    const { leader, worker, cleanup } = await attempt(SAME, new Uint8Array(32).fill(8));
    await expect(leader).rejects.toThrow(AttestationRefused);
    await expect(leader).rejects.toThrow(/wrong-measurement/);
    cleanup();
    await expect(worker).rejects.toThrow();
  });

  it('refuses a worker that MACs its report with another platform key', async () => {
    const { leader, worker, cleanup } = await attempt(createPlatformKey(), measurement);
    await expect(leader).rejects.toThrow(/bad-mac/);
    cleanup();
    await expect(worker).rejects.toThrow();
  });
});
