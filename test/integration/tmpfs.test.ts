// A manifest's tmpfs mount: in memory, shared by the instance's processes, gone with the
// instance, and never the host directory of the same name; with a size, full at that size as a
// Linux tmpfs of that size is.
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GRAMINE_TS, makeTempDir, removeTempDir, REPO_ROOT, runGramine, runNative } from '../helpers/run.js';

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

  // natively: a tmpfs of that size mounted in a mount namespace of its own (root, as the CI runs)
  // natively as root; under gramine-ts run by root (a tmpfs of the leader's) and by another user
  // (one made in a user namespace of that user's: native/launcher/sized-tmpfs.c), whose files
  // it owns
  const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
  const UID = 200_000 + (process.pid % 50_000);
  const USERS = [['root', []], ['another user', [SETPRIV!, `--reuid=${UID}`, `--regid=${UID}`, '--clear-groups']]] as const;
  it.runIf(process.getuid?.() === 0 && existsSync('/usr/bin/unshare') && SETPRIV).each(USERS)('with a size (run by %s): ENOSPC past it, and statfs says it, as a Linux tmpfs of that size', async (_who, asUser) => {
    const script = 'head -c 3000000 /dev/zero > big; echo "head: $?"; wc -c < big; echo more >> big; echo "append: $?"; rm big; echo small > f && cat f; stat -f -c "%T %b %S" .; stat -c "%u %U" f';
    const native = await runNative(['/usr/bin/unshare', '-m', '/bin/sh', '-c', `mount -t tmpfs -o size=2M t /mnt && cd /mnt && { ${script}; }`], { encoding: 'utf8' });
    expect(native.stdout).toBe('head: 1\n2097152\nappend: 1\nsmall\ntmpfs 512 4096\n0 root\n');
    const dir = makeTempDir('gts-tmpfs-size-');
    try {
      chmodSync(dir, 0o755);
      const manifest = path.join(dir, 'sized.manifest.toml');
      writeFileSync(manifest, readFileSync(SHELL_MANIFEST, 'utf8').replace('{ type = "tmpfs", path = "/tmp" }', '{ type = "tmpfs", path = "/tmp", size = "2M" }'));
      const r = await runNative([...asUser, process.execPath, GRAMINE_TS, 'run', manifest, '-c', script], {
        encoding: 'utf8', cwd: '/', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/' },
      });
      // the user's own files (a uid no account has: no name)
      expect(r.stdout).toBe(asUser.length ? native.stdout.replace('0 root\n', `${UID} UNKNOWN\n`) : native.stdout);
      expect(r.stderr).toBe(native.stderr);
      expect(r.status).toBe(0);
    } finally {
      removeTempDir(dir);
    }
  });
});
