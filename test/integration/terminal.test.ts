// The app's terminal is the user's (issue 17): run on a pseudo-terminal of its own (script(1)
// makes one, as a user's shell would have), a program sees it as /dev/pts/N, as natively --
// `tty` names it, /proc/self/fd/0 links to it, it opens by that name -- and /dev/pts holds the
// instance's terminal alone, not the host's other ones.
import { describe, expect, it } from 'vitest';
import { GRAMINE_TS, runNative } from '../helpers/run.js';

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
].join('; ');

describe('the terminal', () => {
  it('is seen as /dev/pts/N, as natively, and /dev/pts holds it alone', async () => {
    const [native, gramine] = await Promise.all([onTerminal(SCRIPT, false), onTerminal(SCRIPT, true)]);
    const pattern = /^(\/dev\/pts\/\d+)\n\1\nstdin and stdout are terminals\nwritten by its name\n1\nstty reads its modes\n$/;
    expect(native).toMatch(pattern);
    expect(gramine).toMatch(pattern);
    const listed = await onTerminal('ls /dev/pts', true);
    expect(listed.trim().split(/\s+/)).toHaveLength(1);
  });
});
