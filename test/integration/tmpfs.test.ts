// A manifest's tmpfs mount: in memory, shared by the instance's processes, gone with the
// instance, and never the host directory of the same name.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runGramine } from '../helpers/run.js';

const SHELL_MANIFEST = path.join(REPO_ROOT, 'manifests', 'shell.manifest.toml');

describe('tmpfs mounts', () => {
  it('are shared by the processes of the instance, hide the host directory, and leave nothing behind', async () => {
    const name = `gts-tmpfs-${process.pid}-${Date.now()}`;
    const script = [
      `echo parent > /tmp/${name}`,
      `sh -c 'cat /tmp/${name}; echo child > /tmp/${name}.2'`, // a child sees the parent's file
      `cat /tmp/${name}.2`, // and the parent the child's
      'ls -A /tmp | wc -l', // only these two: the host's /tmp is hidden
      'stat -f -c %T /tmp',
    ].join('; ');
    const r = await runGramine([SHELL_MANIFEST, '-c', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('parent\nchild\n2\ntmpfs\n');
    expect(r.status).toBe(0);
    // nothing of it on the host: not in its /tmp, no scratch directory left in /dev/shm
    expect(existsSync(`/tmp/${name}`)).toBe(false);
    expect(readdirSync('/dev/shm').filter((f) => f.startsWith(`gramine-ts-${r.pid}-`))).toEqual([]); // its own: others may be running
  });
});
