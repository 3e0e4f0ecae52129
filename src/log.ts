// Logging for the leader and the workers: pino, human-readable (pino-pretty) and synchronous on
// stderr so nothing is lost when a process exits. Loaded lazily: a silent run pays nothing.
import { isatty } from 'node:tty';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

interface LogFn {
  (msg: string): void;
  (obj: object, msg: string): void;
}

export interface Logger {
  level: string;
  fatal: LogFn;
  error: LogFn;
  warn: LogFn;
  info: LogFn;
  debug: LogFn;
  trace: LogFn;
}

export async function createLogger(name: string, level: LogLevel): Promise<Logger> {
  const { pino } = await import('pino');
  const { default: pretty } = await import('pino-pretty');
  const stream = pretty({
    destination: 2,
    sync: true,
    colorize: isatty(2),
    ignore: 'pid,hostname',
    translateTime: 'HH:MM:ss.l',
    messageFormat: `${name}: {msg}`,
    hideObject: false,
    singleLine: true,
  });
  return pino({ level, base: undefined }, stream) as unknown as Logger;
}
