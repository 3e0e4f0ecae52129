// Before the suite: builds the C test programs once (test/programs/*.c -> test/programs/build/),
// and keeps the fds this run was started with from the programs the tests run natively.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { addon } from '../src/pal/addon.js';

const FCNTL = 72;
const F_GETFD = 1;
const F_SETFD = 2;
const FD_CLOEXEC = 1;

/**
 * An instance's first process gets stdin, stdout and stderr alone; a program run natively gets
 * whatever the shell that started the tests left open (not close-on-exec). Those are closed on
 * exec here, so that the native runs the tests compare with see the same fds.
 */
function keepInheritedFdsFromChildren(): void {
  for (const name of readdirSync('/proc/self/fd')) {
    const fd = Number(name);
    if (fd < 3) continue;
    const flags = addon.syscall(FCNTL, fd, F_GETFD);
    if (flags >= 0 && !(flags & FD_CLOEXEC)) addon.syscall(FCNTL, fd, F_SETFD, flags | FD_CLOEXEC);
  }
}

export default function setup(): void {
  keepInheritedFdsFromChildren();
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'programs');
  execFileSync('make', ['-s', `-j${os.availableParallelism()}`, '-C', dir], { stdio: 'inherit' });
}
