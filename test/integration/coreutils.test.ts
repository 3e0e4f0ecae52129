// Real programs on the file-system layer (issue 4): a coreutils workflow (mkdir -p, cp -r, mv,
// ln -s, find | sort, sort, wc, tar c | tar x, rm -r, stat, ls -l ...) run by /bin/sh in a
// scratch directory under /tmp must print what it prints natively; and /proc as tools read it:
// /proc/self/status, ls -l /proc/self/fd, /proc/[pid]/stat of another process.
import { describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDir, runGramine, runNative, type RunResult } from '../helpers/run.js';

/**
 * The workflow, run as `sh -c WORKFLOW sh SCRATCH`. Paths containing the scratch dir are printed
 * as $S; `ls -l` is cut down to mode, links, size and name (no owners, no dates); stat prints
 * only what the script set or what the files' contents decide.
 */
const WORKFLOW = String.raw`
set -e
export LC_ALL=C
S="$1"
cd "$S"
rel() { sed "s|$S|\$S|g"; }
echo '# mkdir -p, files'
mkdir -p a/b/c
mkdir -p a/b/c
printf 'zeta\nalpha\nmid\nalpha\n' > a/b/c/words.txt
echo hello > a/top.txt
seq 1 2000 > a/b/nums.txt
: > a/empty
echo '# cp -r, mv, ln -s, ln'
cp -r a copy
mv copy/top.txt copy/moved.txt
mv copy/b/c copy/c2
ln -s b/c/words.txt a/link
ln -s ../a copy/uplink
ln -s "$S/a/top.txt" abslink
ln a/top.txt hardlink
echo '# find . | sort'
find . | sort
echo '# find -type'
find . -type l | sort
find . -type f -name '*.txt' | sort
find . -type d -empty | sort
echo '# sort, uniq, wc'
sort a/b/c/words.txt
sort -u a/b/c/words.txt | wc -l
sort -rn a/b/nums.txt | head -3
wc -l a/b/nums.txt
wc -c < a/b/nums.txt
wc a/b/c/words.txt copy/c2/words.txt
echo '# through links'
cat a/link
cat copy/uplink/top.txt
cat abslink
readlink a/link
readlink abslink | rel
readlink -f copy/uplink/link | rel
echo '# stat, chmod, touch'
stat -c '%n %F %s %a %h' a/top.txt a/empty a/link hardlink a/b/nums.txt
stat -L -c '%n %F %s' a/link abslink
chmod 640 a/top.txt
chmod -R go-rwx copy
stat -c '%n %a' a/top.txt copy copy/moved.txt
touch -d '2001-02-03 04:05:06 UTC' a/top.txt
stat -c '%n %Y' a/top.txt
date -u -r a/top.txt '+%F %T'
echo '# ls -l without owners and dates'
ls -l a | awk 'NR > 1 { print $1, $2, $5, $9, $10, $11 }'
ls -lA copy | awk 'NR > 1 { print $1, $2, $9, $10, $11 }'
ls -1 a/b
echo '# tar c | tar x'
mkdir x
tar cf - a | (cd x && tar xf -)
find x | sort
cmp a/b/nums.txt x/a/b/nums.txt && echo same
stat -c '%n %Y %a' x/a/top.txt
readlink x/a/link
tar cf - -C x a | tar tf - | sort
tar czf a.tgz a && tar tzf a.tgz | sort && rm a.tgz
echo '# grep, head, tail, cut, tr, xargs'
grep -rn alpha a | sort
head -n 12 a/b/nums.txt | tail -n 2
find a -type f | sort | xargs wc -c
echo hello | tr a-z A-Z
cut -c1-3 a/b/c/words.txt | sort | uniq -c
echo '# du, df'
du -s --apparent-size -B1 a/b/c/words.txt a/b/nums.txt
df -P . > /dev/null && echo df ok
echo '# rm -r'
rm -r copy
rm -rf x
rm hardlink abslink
find . | sort
rm -r a
ls -A
pwd | rel
echo end
`;

describe('coreutils on the file-system layer', () => {
  it('a coreutils workflow in a scratch dir under /tmp prints what it prints natively', async () => {
    const dirs = [makeTempDir('gts-cu-'), makeTempDir('gts-cu-')];
    try {
      const argv = (d: string) => ['/bin/sh', '-c', WORKFLOW, 'sh', d];
      const [native, gramine] = await Promise.all([
        runNative(argv(dirs[0]!), { encoding: 'utf8', timeout: 120_000 }),
        runGramine(argv(dirs[1]!), { encoding: 'utf8', timeout: 120_000 }),
      ]);
      expect(native.stderr).toBe('');
      expect(native.status).toBe(0);
      expect(native.stdout.endsWith('\nend\n')).toBe(true);
      expect(gramine.stdout).toBe(native.stdout);
      expect(gramine.stderr).toBe('');
      expect(gramine.status).toBe(0);
    } finally {
      dirs.forEach(removeTempDir);
    }
  }, 180_000);

  it('cat /proc/self/status: the first process is Pid 1 (virtual pids, never the host ones)', async () => {
    const r = await runGramine(['/bin/cat', '/proc/self/status'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const ids = r.stdout.split('\n').filter((l) => /^(Pid|PPid):/.test(l));
    expect(ids).toEqual(['Pid:\t1', 'PPid:\t0']);
    expect(r.stdout).toMatch(/^Name:\tcat$/m);
  });

  it("cat /proc/self/status | grep -E '^(Pid|PPid):' in sh: cat is a child of the shell (pid 1)", async () => {
    const r = await runGramine(['/bin/sh', '-c', "cat /proc/self/status | grep -E '^(Pid|PPid):'"], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    const pid = /^Pid:\t(\d+)$/.exec(lines[0]!);
    expect(pid, r.stdout).not.toBeNull();
    // the shell is 1; its pipeline's processes are the next virtual pids
    expect(Number(pid![1])).toBeGreaterThan(1);
    expect(Number(pid![1])).toBeLessThan(10);
    expect(lines[1]).toBe('PPid:\t1');
  });

  it('ls -l /proc/self/fd: exit 0, the same fds as natively (0 1 2 and the directory ls reads)', async () => {
    const argv = ['/bin/ls', '-l', '/proc/self/fd'];
    const [native, gramine] = await Promise.all([
      runNative(argv, { encoding: 'utf8' }),
      runGramine(argv, { encoding: 'utf8' }),
    ]);
    expect(gramine.stderr).toBe('');
    expect(gramine.status).toBe(0);
    // "NAME -> TARGET" of each entry; pipe and socket inode numbers differ from run to run
    const entries = (out: string) => out.split('\n').filter((l) => l.startsWith('l'))
      .map((l) => l.replace(/^.*\d\d:\d\d /, '').replace(/(pipe|socket):\[\d+\]/, '$1:[N]'));
    const names = (out: string) => entries(out).map((e) => e.split(' ')[0]);
    expect(names(gramine.stdout)).toEqual(expect.arrayContaining(['0', '1', '2']));
    expect(names(gramine.stdout)).toEqual(names(native.stdout));
    // stdin, stdout, stderr are the same kind of file (pipes from the test) as natively
    expect(entries(gramine.stdout).slice(0, 3)).toEqual(entries(native.stdout).slice(0, 3));
  });

  it('ps-style reads of /proc/[pid]/stat: a child reads its parent and itself', async () => {
    const r = await runGramine(['/bin/sh', '-c', 'cat /proc/$$/stat; cat /proc/self/stat; ls /proc | grep -E "^[0-9]+$" | sort -n | head -1'], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    // pid (comm) state ppid ...
    const stat = (l: string) => /^(\d+) \((.*)\) (\S) (\d+) /.exec(l);
    const parent = stat(lines[0]!);
    const child = stat(lines[1]!);
    expect(parent, lines[0]).not.toBeNull();
    expect(child, lines[1]).not.toBeNull();
    expect(parent!.slice(1, 3)).toEqual(['1', 'sh']);
    expect(child![2]).toBe('cat');
    expect(child![3]).toBe('R');
    expect(child![4]).toBe('1');
    expect(Number(child![1])).toBeGreaterThan(1);
    expect(lines[2]).toBe('1');
  });
});
