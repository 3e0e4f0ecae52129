// Gramine manifest templates, written as Gramine's own examples and regression tests write them,
// rendered by `gramine-ts manifest`, signed and run unchanged: manifests/*.manifest.template and
// test/manifests/regression.manifest.template (a base template: one manifest for many programs,
// the runtime at /lib, single-file mounts, encrypted mounts nothing opens).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { GRAMINE_TS, makeTempDir, PROGRAMS_BUILD, REPO_ROOT, removeTempDir, runGramine, runNative } from '../helpers/run.js';
import { Running } from '../helpers/running.js';

let dir: string;
beforeAll(() => {
  dir = makeTempDir('gts-templates-');
});
afterAll(() => removeTempDir(dir));

const cli = (...args: string[]) => runNative([process.execPath, GRAMINE_TS, ...args]);

let n = 0;
/** `gramine-ts manifest TEMPLATE OUT -D...` then `gramine-ts sign OUT`: the manifest to run. */
async function renderAndSign(template: string, ...defines: string[]): Promise<string> {
  const out = path.join(dir, `${path.basename(template, '.manifest.template')}-${n++}.manifest.toml`);
  const rendered = await cli('manifest', ...defines.map((d) => `-D${d}`), template, out);
  expect(rendered.stderr).toBe('');
  expect(rendered.status).toBe(0);
  const signed = await cli('sign', out);
  expect(signed.status).toBe(0);
  return out;
}

describe('gramine-ts manifest', () => {
  it('renders -D values, env, arch_libdir, log_level and gramine.runtimedir(), and checks the result', async () => {
    const template = path.join(dir, 'small.manifest.template');
    writeFileSync(template, [
      'libos.entrypoint = "{{ entrypoint }}"', 'loader.log_level = "{{ log_level }}"',
      'loader.env.ARCH = "{{ arch_libdir }}"', 'loader.env.FROM_ENV = "{{ env.GTS_TEMPLATE_VAR }}"',
      'loader.env.EDMM = "{{ \'on\' if env.get(\'EDMM\', \'0\') == \'1\' else \'off\' }}"',
      'fs.mounts = [{ path = "/lib", uri = "file:{{ gramine.runtimedir() }}" }]', '',
    ].join('\n'));
    const r = await runNative([process.execPath, GRAMINE_TS, 'manifest', '-Dentrypoint=/app', '-D', 'log_level=warning', template], {
      env: { ...process.env, GTS_TEMPLATE_VAR: 'from the environment', EDMM: '1' },
    });
    expect(r.stderr).toBe('');
    const libc = path.dirname(readFileSync('/proc/self/maps', 'utf8').match(/ (\/\S*\/libc\.so\.6)$/m)?.[1] ?? '/usr/lib/x86_64-linux-gnu/x');
    expect(r.stdout).toBe([
      'libos.entrypoint = "/app"', 'loader.log_level = "warning"', 'loader.env.ARCH = "/lib/x86_64-linux-gnu"',
      'loader.env.FROM_ENV = "from the environment"', 'loader.env.EDMM = "on"', `fs.mounts = [{ path = "/lib", uri = "file:${libc}" }]`, '',
    ].join('\n'));
  });

  it('an undefined variable names the template, line and variable; a bad key in the result, its line and key', async () => {
    const undefinedVar = path.join(dir, 'undefined.manifest.template');
    writeFileSync(undefinedVar, 'libos.entrypoint = "/a"\nloader.env.X = "{{ nothing }}"\n');
    const r = await cli('manifest', undefinedVar);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`gramine-ts manifest: ${undefinedVar}:2:17: "nothing" is not defined (give it with -Dnothing=...)\n`);
    const badKey = path.join(dir, 'bad.manifest.template');
    writeFileSync(badKey, 'libos.entrypoint = "{{ entrypoint }}"\n\nloader.log_levle = "error"\n');
    const out = path.join(dir, 'bad.manifest.toml');
    const b = await cli('manifest', '-Dentrypoint=/a', badKey, out);
    expect(b.status).toBe(1);
    expect(b.stderr).toBe(`gramine-ts manifest: ${out}:3: loader.log_levle: unknown key (did you mean loader.log_level?)\n`);
  });
});

describe('the base template of Gramine\'s regression tests, for several programs', () => {
  const template = path.join(REPO_ROOT, 'test', 'manifests', 'regression.manifest.template');

  it.each([['args'], ['thr_basic'], ['mp_fork']])('%s: the same output and status as natively', async (name) => {
    const m = await renderAndSign(template, `entrypoint=${name}`, `binary_dir=${PROGRAMS_BUILD}`);
    const r = await runGramine([m, 'first', 'second']);
    const native = await runNative([path.join(PROGRAMS_BUILD, name), 'first', 'second'], {
      env: { ...process.env, GTS_TEST_VAR: 'from the template' },
    });
    // argv[0] is the entrypoint as the manifest names it
    expect(String(r.stdout).replace(/^argv\[0\] = .*$/m, 'argv[0]')).toBe(String(native.stdout).replace(/^argv\[0\] = .*$/m, 'argv[0]'));
    expect(r.status).toBe(native.status);
  });
});

describe('manifests/*.manifest.template, as the README runs them', () => {
  const manifests = path.join(REPO_ROOT, 'manifests');

  it('helloworld: a C program mounted alone, the runtime at /lib', async () => {
    const helloworld = path.join(dir, 'helloworld');
    expect((await runNative(['gcc', '-o', helloworld, path.join(manifests, 'helloworld', 'helloworld.c')])).status).toBe(0);
    const m = await renderAndSign(path.join(manifests, 'helloworld.manifest.template'), `helloworld=${helloworld}`);
    const r = await runGramine([m]);
    expect(r.stdout).toBe('Hello, world\n');
    expect(r.status).toBe(0);
  });

  it('bash: pipes, programs of /usr/bin, the host name localhost', async () => {
    const m = await renderAndSign(path.join(manifests, 'bash.manifest.template'));
    const script = 'echo $((6 * 7)); echo piped | cat; ls /lib/libc.so.6; uname -n';
    const r = await runGramine([m, '-c', script]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('42\npiped\n/lib/libc.so.6\nlocalhost\n');
  });

  it('busybox: the applet named on the command line, as natively', async () => {
    const m = await renderAndSign(path.join(manifests, 'busybox.manifest.template'));
    const script = 'echo hello | wc -c; expr 6 \\* 7';
    const r = await runGramine([m, 'sh', '-c', script]);
    const native = await runNative(['/usr/bin/busybox', 'sh', '-c', script]);
    expect(r.stdout).toBe(native.stdout);
    expect(r.status).toBe(0);
  });

  it('python: the standard library from its sys.path mounts, as natively', async () => {
    const m = await renderAndSign(path.join(manifests, 'python.manifest.template'), 'entrypoint=/usr/bin/python3');
    const code = 'import json, sys, hashlib; print(json.dumps({"v": sys.version_info[0], "h": hashlib.sha256(b"x").hexdigest()[:8]}))';
    const r = await runGramine([m, '-c', code]);
    const native = await runNative(['/usr/bin/python3', '-c', code]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(native.stdout);
  });
});

describe('nginx from manifests/nginx.manifest.template', () => {
  let running: Running | null = null;
  afterEach(() => {
    running?.kill();
    running = null;
  });

  it('a master and two workers serve manifests/nginx/html', async () => {
    // a port of its own (the template's 18080 may be taken by another instance)
    const port = 20000 + (process.pid % 20000);
    const conf = path.join(dir, 'nginx.conf');
    writeFileSync(conf, readFileSync(path.join(REPO_ROOT, 'manifests', 'nginx', 'nginx.conf'), 'utf8').replaceAll('127.0.0.1:18080', `127.0.0.1:${port}`));
    const m = await renderAndSign(path.join(REPO_ROOT, 'manifests', 'nginx.manifest.template'), `conf=${conf}`);
    const nginx = (running = Running.gramine([m]));
    await nginx.waitFor('err', /start worker process \d+$/, 2);
    const r = await runNative(['curl', '-sS', `http://127.0.0.1:${port}/1k.txt`]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(readFileSync(path.join(REPO_ROOT, 'manifests', 'nginx', 'html', '1k.txt'), 'utf8'));
  });
});
