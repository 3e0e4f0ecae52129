#!/usr/bin/env python3
"""Drive a program on a pseudo-terminal of its own, as a user at a terminal would.

    pty_session.py STEPS_JSON -- ARGV...

STEPS_JSON is a list of steps, each {"send": TEXT} (written to the terminal: "\\x1a" is Ctrl-Z,
"\\x03" Ctrl-C), {"resize": [ROWS, COLS]} (the terminal's size changes: its foreground group
gets SIGWINCH), {"expect": REGEX} (wait, up to 20 s, until the output since the last expect
matches), or {"send": TEXT, "until": REGEX} (send TEXT, and again each half second, until the
output matches: a Ctrl-C for a job that says nothing, which the shell gives the terminal to a
moment after it says the job's name). The program runs as a session leader with the terminal as its controlling terminal,
as under a login shell. Prints a JSON object: "transcript" (all output), "failed" (the expect
that timed out, or null), "status" (the exit status, or -signal), and "sane" (whether the
terminal's modes after the program are the ones it had before it).
"""
import fcntl
import json
import os
import pty
import re
import select
import struct
import sys
import termios
import time

TIMEOUT = 20.0


def main():
    steps = json.loads(sys.argv[1])
    argv = sys.argv[sys.argv.index('--') + 1:]
    pid, master = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)
    before = termios.tcgetattr(master)
    out = b''
    seen = 0
    failed = None
    for step in steps:
        if 'send' in step and 'until' not in step:
            os.write(master, step['send'].encode())
            continue
        if 'resize' in step:
            rows, cols = step['resize']
            fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
            continue
        pattern = re.compile(step.get('until', step.get('expect', '')).encode(), re.S)
        deadline = time.monotonic() + TIMEOUT
        resend = 0.0
        while not pattern.search(out, seen):
            left = deadline - time.monotonic()
            if left <= 0:
                failed = step.get('until', step.get('expect'))
                break
            if 'until' in step and time.monotonic() >= resend:
                os.write(master, step['send'].encode())
                resend = time.monotonic() + 0.5
            r, _, _ = select.select([master], [], [], min(left, 0.5) if 'until' in step else left)
            if r:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    chunk = b''
                if not chunk:
                    failed = step['expect']
                    break
                out += chunk
        if failed:
            break
        seen = pattern.search(out, seen).end()
    # the rest of the output, until the program ends
    while failed is None:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    if failed:
        os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
    after = termios.tcgetattr(master)
    code = os.waitstatus_to_exitcode(status)
    print(json.dumps({'transcript': out.decode('latin1'), 'failed': failed, 'status': code, 'sane': before == after}))


if __name__ == '__main__':
    main()
