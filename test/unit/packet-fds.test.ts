// A packet carries every fd it is given (a HELLO reply: the program, its interpreter, the
// tree's root and cwd, a standby's two, a path table's roots), or none with E2BIG: the addon
// once dropped those past the eighth without a word, and the stub lost the last mounts' roots.
import { closeSync, openSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { addon } from '../../src/pal/addon.js';
import { seqpacketPair } from '../../src/pal/app.js';

describe('sendPacket and receivePacket', () => {
  it('carry 20 fds in one packet; 33 are refused with E2BIG, none sent', () => {
    const [a, b] = seqpacketPair();
    const fds = Array.from({ length: 33 }, () => openSync('/dev/null', 'r'));
    try {
      expect(addon.sendPacket(a, Buffer.from('x'), fds.slice(0, 20))).toBe(1);
      const got = addon.receivePacket(b, Buffer.alloc(16));
      expect(Array.isArray(got)).toBe(true);
      const received = (got as number[]).slice(1);
      expect(received).toHaveLength(20);
      for (const fd of received) closeSync(fd);
      expect(addon.sendPacket(a, Buffer.from('y'), fds)).toBe(-7); // E2BIG
      expect(addon.receivePacket(b, Buffer.alloc(16))).toBe(-11); // EAGAIN: nothing came
    } finally {
      for (const fd of [...fds, a, b]) closeSync(fd);
    }
  });
});
