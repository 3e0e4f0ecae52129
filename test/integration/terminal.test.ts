// The app's terminal is the user's (issue 17): run on a pseudo-terminal of its own (script(1)
// makes one, as a user's shell would have), a program sees it as /dev/pts/N, as natively --
// `tty` names it, /proc/self/fd/0 links to it, it opens by that name -- and /dev/pts holds the
// instance's terminal alone, not the host's other ones. And an interactive bash has job
// control, driven as a user would (test/helpers/pty_session.py types into the terminal):
// Ctrl-Z stops the foreground job, `jobs` lists it, `bg` runs it on until it reads the terminal
// (SIGTTIN stops it), `fg` brings it back, Ctrl-C ends it; the terminal is as sane afterwards.
// And the instance is one job of the shell that started it: Ctrl-Z of its program stops it all,
// `fg` brings it back. vi and less draw and quit, a resize reaches the foreground job, and
// script(1) makes a pty pair inside (/dev/ptmx) and runs a bash on it.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GRAMINE_TS, REPO_ROOT, runNative } from '../helpers/run.js';

/** `cmd` (a sh script) run on a terminal of its own: its output, with the terminal's CRs gone. */
async function onTerminal(cmd: string, gramine: boolean): Promise<string> {
  const sh = `/bin/sh -c '${cmd.replace(/'/g, `'\\''`)}'`;
  const r = await runNative(['script', '-qec', gramine ? `${process.execPath} ${GRAMINE_TS} run ${sh}` : sh, '/dev/null']);
  return r.stdout.replace(/\r/g, '');
}

const SCRIPT = [
  't=$(tty)',
  'echo "$t"',
  'readlink /proc/self/fd/0',
  '[ -t 0 ] && [ -t 1 ] && echo "stdin and stdout are terminals"',
  'echo "written by its name" > "$t"',
  'ls -1 /dev/pts | grep -cx "${t#/dev/pts/}"',
  'stty -g > /dev/null && echo "stty reads its modes"',
  '[ -c /dev/console ] && echo "a console"',
].join('; ');

describe('the terminal', () => {
  it('is seen as /dev/pts/N, as natively, and /dev/pts holds it alone', async () => {
    const [native, gramine] = await Promise.all([onTerminal(SCRIPT, false), onTerminal(SCRIPT, true)]);
    const pattern = /^(\/dev\/pts\/\d+)\n\1\nstdin and stdout are terminals\nwritten by its name\n1\nstty reads its modes\na console\n$/;
    expect(native).toMatch(pattern);
    expect(gramine).toMatch(pattern);
    const listed = await onTerminal('ls /dev/pts', true);
    expect(listed.trim().split(/\s+/)).toHaveLength(1);
  });
});

/** A session at a terminal: what pty_session.py says of it. */
interface PtySession {
  transcript: string;
  failed: string | null;
  status: number;
  sane: boolean;
}

const PROMPT = 'gts\\$ ';
/** What a user types, and what each step waits for (regular expressions over the output). */
const JOB_CONTROL = [
  { expect: PROMPT },
  { send: "set -b; (echo re''ady; exec cat)\n" }, { expect: 'ready\\r\\n' }, { send: 'hello\n' }, { expect: 'hello\\r\\nhello' },
  { send: '\x1a' }, { expect: 'Stopped' }, { expect: PROMPT },
  { send: 'jobs\n' }, { expect: '\\[1\\]\\+ +Stopped +\\( *echo' }, { expect: PROMPT },
  // in the background, its read of the terminal stops it (SIGTTIN)
  { send: 'bg\n' }, { expect: '& *\\r\\n' }, { expect: 'Stopped' },
  { send: 'fg\n' }, { expect: 'exec cat *\\)?\\r\\n' }, { send: 'again\n' }, { expect: 'again\\r\\nagain' },
  { send: '\x03' }, { expect: PROMPT },
  { send: 'echo status-$?\n' }, { expect: 'status-130' }, { expect: PROMPT },
  { send: 'tty; stty -a | head -1\n' }, { expect: '/dev/pts/\\d+\\r\\nspeed' }, { expect: PROMPT },
  { send: 'exit\n' },
];

async function ptySession(steps: object[], argv: string[]): Promise<PtySession> {
  const r = await runNative(['python3', path.join(REPO_ROOT, 'test', 'helpers', 'pty_session.py'), JSON.stringify(steps), '--', ...argv], { timeout: 120_000 });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as PtySession;
}

/** The issue's own: sleep 30, stopped, listed, run on in the background, brought back, ended. */
const SLEEP_JOB = [
  { expect: PROMPT },
  { send: "(echo re''ady; exec sleep 30)\n" }, { expect: 'ready\\r\\n' },
  { send: '\x1a' }, { expect: 'Stopped' }, { expect: PROMPT },
  { send: 'jobs\n' }, { expect: '\\[1\\]\\+ +Stopped +\\( *echo' }, { expect: PROMPT },
  { send: 'bg\n' }, { expect: '& *\\r\\n' }, { expect: PROMPT },
  { send: 'jobs\n' }, { expect: '\\[1\\]\\+ +Running' }, { expect: PROMPT },
  // sleep says nothing once it has the terminal again: Ctrl-C until the prompt is back
  { send: 'fg\n' }, { expect: 'exec sleep 30 *\\)\\r\\n' }, { send: '\x03', until: PROMPT },
  { send: 'echo status-$?\n' }, { expect: 'status-130' }, { expect: PROMPT },
  { send: 'exit\n' },
];

const BASH = ['env', 'PS1=gts$ ', 'TERM=dumb', 'bash', '--norc', '--noprofile', '-i'];

/**
 * The same session natively and under gramine-ts (`argv` in `gramine-ts run`, unless the gramine
 * side says otherwise): every step of both goes as expected, and the gramine one ends well, with
 * the terminal as it was.
 */
async function likeNative(
  steps: object[], argv: string[], { gramineSteps = steps, gramineArgv = [process.execPath, GRAMINE_TS, 'run', ...argv] } = {},
): Promise<{ native: PtySession; gramine: PtySession }> {
  const native = await ptySession(steps, argv);
  expect(native.failed, native.transcript).toBeNull();
  const gramine = await ptySession(gramineSteps, gramineArgv);
  expect(gramine.failed, gramine.transcript).toBeNull();
  expect([gramine.status, gramine.sane]).toEqual([0, true]);
  return { native, gramine };
}

describe('an interactive bash', () => {
  it('sleep 30: Ctrl-Z stops it, jobs lists it, bg runs it on, fg and Ctrl-C end it, as natively', async () => {
    await likeNative(SLEEP_JOB, BASH);
  }, 150_000);

  it('has job control: Ctrl-Z, jobs, bg (a background read stops the job), fg, Ctrl-C, as natively', async () => {
    const { native, gramine } = await likeNative(JOB_CONTROL, BASH);
    expect(gramine.transcript).not.toContain('no job control');
    expect([native.status, native.sane]).toEqual([0, true]);
  }, 150_000);
});

/**
 * In a user's shell: a program run (it says "ready" once it has the terminal, in the shell's
 * modes, then is cat), stopped (Ctrl-Z), brought back (fg), and ended (Ctrl-C).
 */
const STOP_AND_FG = (cmd: string) => [
  { expect: PROMPT },
  { send: `${cmd}\n` }, { expect: 'ready\\r\\n' }, { send: 'hello\n' }, { expect: 'hello\\r\\nhello' },
  { send: '\x1a' }, { expect: 'Stopped' }, { expect: PROMPT },
  // fg says the job's command line as it brings the job back
  // (cat says it back once it runs in the foreground again: then Ctrl-C is its)
  { send: 'fg\n' }, { expect: 'fg\\r\\n' }, { expect: 'exec cat *\\)?"?\\r\\n' }, { send: 'again\n' }, { expect: 'again\\r\\nagain' },
  { send: '\x03' }, { expect: PROMPT },
  { send: 'echo status-$?\n' }, { expect: 'status-130' }, { expect: PROMPT },
  { send: 'exit\n' },
];

describe('the instance in a shell on a terminal', () => {
  it('is one job: Ctrl-Z of its program stops it, fg brings it back, Ctrl-C ends it, as natively', async () => {
    // the user's shell is native in both: it runs the program, or gramine-ts running it
    await likeNative(STOP_AND_FG("(echo re''ady; exec cat)"), BASH, {
      gramineSteps: STOP_AND_FG(`${process.execPath} ${GRAMINE_TS} run /bin/sh -c "echo re''ady; exec cat"`), gramineArgv: BASH,
    });
  }, 150_000);
});

describe('programs that draw on the terminal', () => {
  it('vi writes a file and quits, less shows one and quits, a resize sends SIGWINCH to the foreground job, script runs bash on a pty pair of its own; the terminal sane after', async () => {
    const file = `/tmp/gts-vi-${process.pid}.txt`;
    const steps = [
      { expect: PROMPT },
      { send: `vi ${file}\n` }, { expect: 'gts-vi-' }, { send: 'ihello from vi\x1b:wq\n' }, { expect: PROMPT },
      { send: `cat ${file}; rm ${file}\n` }, { expect: 'hello from vi' }, { expect: PROMPT },
      { send: 'less /etc/os-release\n' }, { expect: 'VERSION_ID' }, { send: 'q' }, { expect: PROMPT },
      { send: `sh -c 'trap "echo got-winch" WINCH; echo re""ady; while :; do sleep 1; done'\n` }, { expect: 'ready\\r\\n' },
      { resize: [30, 100] }, { expect: 'got-winch\\r\\n' }, { send: '\x03' }, { expect: PROMPT },
      { send: 'stty size\n' }, { expect: '30 100' }, { expect: PROMPT },
      // a pty pair made inside (/dev/ptmx): script runs a bash of its own on it
      { send: "script -qec \"env PS1='in$ ' bash --norc --noprofile -i\" /dev/null\n" }, { expect: 'in\\$ ' },
      { send: 't=$(tty); echo "$t"; ls -1 /dev/pts | grep -cx "${t#/dev/pts/}"\n' }, { expect: '/dev/pts/\\d+\\r\\n1\\r\\n' }, { expect: 'in\\$ ' },
      { send: 'exit\n' }, { expect: PROMPT },
      { send: 'exit\n' },
    ];
    await likeNative(steps, ['env', 'PS1=gts$ ', 'TERM=xterm', 'HOME=/tmp', 'bash', '--norc', '--noprofile', '-i']);
  }, 150_000);
});

describe('the terminal after the instance', () => {
  it('has its modes back after the program set it raw and was killed (natively it stays raw)', async () => {
    const rawAndKilled = ['/bin/sh', '-c', 'stty raw -echo; kill -9 $$'];
    const native = await ptySession([], rawAndKilled);
    expect(native.sane).toBe(false); // the control
    const gramine = await ptySession([], [process.execPath, GRAMINE_TS, 'run', ...rawAndKilled]);
    expect(gramine.sane).toBe(true);
    expect(gramine.status).toBe(137);
  });
});
