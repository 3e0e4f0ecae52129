// watchReadableOnce (native/addon/once-watch.cc): every watch of a process is an entry of one
// epoll set, so each must call back once, for its own fd alone, not after stop(), and keep the
// event loop alive while it waits, as a uv_poll of its own did.
import { spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { addon } from '../../src/pal/addon.js';
import { seqpacketPair } from '../../src/pal/app.js';
import { REPO_ROOT } from '../helpers/run.js';

describe('watchReadableOnce', () => {
  it('calls back once for each fd that becomes readable, and never for one stopped first', async () => {
    const pairs = Array.from({ length: 5 }, () => seqpacketPair());
    const fired: number[] = [];
    let handles: { stop(): void }[] = [];
    try {
      const all = new Promise<void>((resolve) => {
        handles = pairs.map(([watched], i) => addon.watchReadableOnce(watched, () => {
          fired.push(i);
          if (fired.length === 3) resolve();
        }));
        handles[1]!.stop();
        handles[1]!.stop(); // (a second stop does nothing)
        // 0 gets two packets (one call), 2 a hang-up, 3 a packet; 1 (stopped) and 4 nothing
        for (const i of [0, 0, 1, 3]) addon.sendPacket(pairs[i]![1], Buffer.from('x'));
        closeSync(pairs[2]![1]);
        pairs[2]![1] = -1;
      });
      await all;
      // one more turn of the loop: nothing else comes
      await new Promise((resolve) => setImmediate(resolve));
      expect(fired.sort()).toEqual([0, 2, 3]);
    } finally {
      for (const h of handles) h.stop(); // (4's, which still waits)
      for (const fd of pairs.flat()) if (fd >= 0) closeSync(fd);
    }
  });

  it('keeps the event loop alive while a watch waits', async () => {
    // a Node that only watches a pipe: it says so, is written to, and must still be there to say it fired
    const addonPath = path.join(REPO_ROOT, 'native', 'addon', 'build', 'Release', 'gramine_ts_pal.node');
    const script = `const a = require(${JSON.stringify(addonPath)}); a.watchReadableOnce(0, () => { console.log('fired'); });` +
      ` console.log('ready');`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    child.stdin.on('error', () => {}); // (EPIPE, were it gone already)
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out === 'ready\n') child.stdin.write('x');
    });
    const status = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(out).toBe('ready\nfired\n');
    expect(status).toBe(0);
  });
});
