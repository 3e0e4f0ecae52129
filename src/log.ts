// Logging for the leader and the workers: pino, human-readable (pino-pretty) and synchronous on
// stderr so nothing is lost when a process exits. pino is loaded on the first line actually
// logged: a quiet run pays nothing for it at start-up.
import { createRequire } from 'node:module';
import { isatty } from 'node:tty';

import type { LogLevel } from './log-levels.js';

const SEVERITY: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

interface LogFn {
  (msg: string): void;
  (obj: object, msg: string): void;
}

type Method = Exclude<LogLevel, 'silent'>;

export interface Logger extends Record<Method, LogFn> {
  readonly level: LogLevel;
  enabled(level: Method): boolean;
}

type PinoLike = Record<Method, (...args: unknown[]) => void>;

const require = createRequire(import.meta.url);

/** Where this process's loggers write (the manifest's loader.log_file), or null: stderr. */
let logFile: string | null = null;

/** Send this process's log lines to `file` (appended), or back to stderr with null. */
export function logToFile(file: string | null): void {
  logFile = file;
}

function loadPino(name: string, level: LogLevel, file: string | null): PinoLike {
  const pino = require('pino') as (opts: object, stream: unknown) => PinoLike;
  const pretty = require('pino-pretty') as (opts: object) => unknown;
  const stream = pretty({
    destination: file ?? 2,
    append: true,
    sync: true,
    colorize: file === null && isatty(2),
    ignore: 'pid,hostname',
    translateTime: 'HH:MM:ss.l',
    messageFormat: `${name}: {msg}`,
    singleLine: true,
  });
  return pino({ level, base: undefined }, stream);
}

/** A logger; `file`: where it writes (null: stderr), else where logToFile says when it first writes. */
export function createLogger(name: string, level: LogLevel, file?: string | null): Logger {
  let backend: PinoLike | null = null;
  const threshold = SEVERITY[level];
  const method = (m: Method): LogFn =>
    ((...args: unknown[]) => {
      if (SEVERITY[m] < threshold) return;
      backend ??= loadPino(name, level, file === undefined ? logFile : file);
      backend[m](...args);
    }) as LogFn;
  return {
    level,
    enabled: (m) => SEVERITY[m] >= threshold,
    fatal: method('fatal'), error: method('error'), warn: method('warn'),
    info: method('info'), debug: method('debug'), trace: method('trace'),
  };
}
