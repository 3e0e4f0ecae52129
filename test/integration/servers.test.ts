// Real servers under gramine-ts, reached from the host: nginx from manifests/nginx.manifest.toml
// (a master and two workers, in the foreground, with a console script as the first process):
// files fetched with curl, a reload (new workers, the old ones gone, still serving), a
// graceful stop with SIGQUIT, its exit status and access log. And Python's http.server, which
// serves each request from a thread of its own.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir, REPO_ROOT, removeTempDir, runNative } from '../helpers/run.js';
import { Running } from '../helpers/running.js';

const HTML = path.join(REPO_ROOT, 'manifests', 'nginx', 'html');
const URL = 'http://127.0.0.1:18080';

async function fetch(file: string, url = URL): Promise<{ body: string; status: string }> {
  const r = await runNative(['curl', '-sS', '-o', '-', '-w', '\n%{http_code}', `${url}/${file}`]);
  expect(r.stderr).toBe('');
  const i = r.stdout.lastIndexOf('\n');
  return { body: r.stdout.slice(0, i), status: r.stdout.slice(i + 1) };
}

let running: Running | null = null;
afterEach(() => {
  running?.kill();
  running = null;
});

describe('nginx from manifests/nginx.manifest.toml', () => {
  it('serves files to curl on the host, reloads into new workers, stops gracefully on SIGQUIT with its access log', async () => {
    const nginx = (running = Running.gramine(['manifests/nginx.manifest.toml']));
    // the master says so once both workers are started; a worker shows its title once it has
    // set it, a moment after that
    await nginx.waitFor('err', /start worker process \d+$/, 2);
    const workers = async () => {
      let seen = await nginx.ask('workers');
      for (let asked = 1; seen.length < 2 && asked < 100; asked++) seen = await nginx.ask('workers');
      return seen;
    };
    const first = await workers();
    expect(first).toHaveLength(2);

    for (const file of ['index.html', '1k.txt']) {
      const r = await fetch(file);
      expect(r.status).toBe('200');
      expect(r.body).toBe(readFileSync(path.join(HTML, file), 'utf8'));
    }
    expect((await fetch('missing')).status).toBe('404');

    // nginx -s reload in the instance: the master starts new workers, the old ones finish and exit
    nginx.child.stdin.write('reload\n');
    await nginx.waitFor('err', /signal 1 \(SIGHUP\) received/);
    for (const pid of first) await nginx.waitFor('err', new RegExp(`worker process ${pid} exited with code 0`));
    const second = await workers();
    expect(nginx.err.filter((l) => /exited on signal/.test(l))).toEqual([]);
    expect(second).toHaveLength(2);
    expect(second.filter((p) => first.includes(p))).toEqual([]);
    expect((await fetch('index.html')).status).toBe('200');

    const log = await nginx.ask('log');
    expect(log.filter((l) => / "GET \/(index\.html|1k\.txt) HTTP\/1\.1" 200 /.test(l))).toHaveLength(3);
    expect(log.filter((l) => / "GET \/missing HTTP\/1\.1" 404 /.test(l))).toHaveLength(1);
    expect(log.every((l) => l.startsWith('127.0.0.1 - - '))).toBe(true);

    // nginx -s quit: SIGQUIT to the master, which waits for its workers and exits 0
    nginx.child.stdin.write('quit\n');
    await nginx.waitFor('err', /signal 3 \(SIGQUIT\) received/);
    expect(await nginx.exited).toBe(0);
    expect(nginx.out).toContain('nginx exited 0');
    const refused = await runNative(['curl', '-sS', `${URL}/`]);
    expect(refused.status).not.toBe(0);
  });
});

describe('python3 -m http.server', () => {
  it('serves files to curl on the host, each request from a thread, and ends on SIGTERM', async () => {
    const dir = makeTempDir();
    try {
      const files = Array.from({ length: 8 }, (_, i) => `file${i}.txt`);
      files.forEach((f, i) => writeFileSync(path.join(dir, f), `contents of file ${i}\n`.repeat(i + 1)));
      const server = (running = Running.gramine(['/usr/bin/python3', '-u', '-m', 'http.server', '18081', '--bind', '127.0.0.1', '--directory', dir]));
      await server.waitFor('out', /^Serving HTTP on 127\.0\.0\.1 port 18081/);
      // all at once: ThreadingHTTPServer answers each on a thread of its own
      const got = await Promise.all(files.map((f) => fetch(f, 'http://127.0.0.1:18081')));
      got.forEach((r, i) => {
        expect(r.status).toBe('200');
        expect(r.body).toBe(`contents of file ${i}\n`.repeat(i + 1));
      });
      expect((await fetch('missing.txt', 'http://127.0.0.1:18081')).status).toBe('404');
      const logged = await server.waitFor('err', /"GET \/file\d\.txt HTTP\/1\.1" 200 -$/, files.length);
      expect(logged).toHaveLength(files.length);
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(143);
    } finally {
      removeTempDir(dir);
    }
  });
});
