import { describe, expect, it } from 'vitest';
import { newCheckpointKey, openCheckpoint, sealCheckpoint, type Checkpoint } from '../../src/ipc/protocol/checkpoint.js';

const cp: Checkpoint = {
  vpid: 7, ppid: 3, pgid: 3, sid: 1, parentHostPid: 4242, umask: 0o22, utsNames: { nodename: 'gts', domainname: null }, rootPath: '/', exePath: '/bin/sh', creds: { uid: 1000, euid: 1000, suid: 1000, fsuid: 1000, gid: 1000, egid: 1000, sgid: 1000, fsgid: 1000, groups: [4, 27] },
  nofileCur: '1024', nofileMax: '4096', hostNofileMax: '1048576', appHostIdentity: true, reservedFdBase: 1008, logLevel: 'error', traceFile: null, straceFile: null,
};

describe('the checkpoint a parent seals into its child\'s channel', () => {
  it('opens with its key, for its child, to the same state', () => {
    const key = newCheckpointKey();
    expect(openCheckpoint(sealCheckpoint(cp, key), key, 7)).toEqual(cp);
  });

  it('is refused with another key, for another child, or changed in one bit', () => {
    const key = newCheckpointKey();
    const sealed = sealCheckpoint(cp, key);
    expect(() => openCheckpoint(sealed, newCheckpointKey(), 7)).toThrow(/does not open/);
    expect(() => openCheckpoint(sealed, key, 8)).toThrow(/does not open/);
    const tampered = Uint8Array.from(sealed);
    tampered[3]! ^= 1;
    expect(() => openCheckpoint(tampered, key, 7)).toThrow(/does not open/);
    expect(() => openCheckpoint(sealed.subarray(0, 10), key, 7)).toThrow(/does not open/);
  });

  it('does not carry the state in the clear', () => {
    const sealed = Buffer.from(sealCheckpoint({ ...cp, logLevel: 'a-recognizable-string' }, newCheckpointKey()));
    expect(sealed.includes(Buffer.from('a-recognizable-string'))).toBe(false);
  });

  it('refuses a key of the wrong length', () => {
    expect(() => sealCheckpoint(cp, 'abcd')).toThrow(/key/);
  });
});
