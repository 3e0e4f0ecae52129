// Builds the C test programs once before the suite (test/programs/*.c -> test/programs/build/).
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'programs');
  execFileSync('make', ['-s', `-j${os.availableParallelism()}`, '-C', dir], { stdio: 'inherit' });
}
