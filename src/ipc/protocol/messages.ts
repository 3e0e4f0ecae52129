// Messages between the leader and its workers. Versioned; each has a schema that every received
// message is checked against, and a one-line rendering for --leader-log.
import { object, ProtocolError, t, type Check } from './schema.js';

export const PROTOCOL_VERSION = 1;

const v = t.literal(PROTOCOL_VERSION);

const schemas = {
  /** worker -> leader: booted and ready for a process */
  'worker-ready': object({ type: t.literal('worker-ready'), v, workerPid: t.int }),
  /** leader -> worker: become this process (the first process of the instance, for now) */
  'start-process': object({
    type: t.literal('start-process'), v, vpid: t.int, ppid: t.int, pgid: t.int, sid: t.int,
    filename: t.str, argv: t.array(t.str), env: t.record(t.str), cwd: t.str,
    uid: t.int, gid: t.int, groups: t.array(t.int), logLevel: t.str,
    /** development aid: append the names of the syscalls the app made to this file */
    traceFile: t.nullable(t.str),
    /** the CPU the worker and its app share (a round trip between CPUs costs 3-5x), or null */
    cpu: t.nullable(t.int),
  }),
  /** worker -> leader: the program could not be started (exec failure before any app code ran) */
  'start-failed': object({ type: t.literal('start-failed'), v, vpid: t.int, errno: t.int, message: t.str }),
  /** worker -> leader: the app process ended */
  'process-exited': object({
    type: t.literal('process-exited'), v, vpid: t.int, code: t.nullable(t.int), signal: t.nullable(t.int),
  }),
} as const;

type Schemas = typeof schemas;
export type MessageType = keyof Schemas;
export type Message<K extends MessageType = MessageType> = K extends MessageType
  ? Schemas[K] extends Check<infer T> ? T : never
  : never;

/** Check a decoded value against its message schema; throws ProtocolError naming the field. */
export function validateMessage(value: unknown): Message {
  if (typeof value !== 'object' || value === null) throw new ProtocolError('message is not a map');
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string' || !(type in schemas)) throw new ProtocolError(`unknown message type ${String(type)}`);
  return schemas[type as MessageType](value, '') as Message;
}

const MAX_RENDER = 120;

/** One readable line: the type and its fields, long values cut. */
export function describeMessage(msg: Message): string {
  const fields = Object.entries(msg)
    .filter(([k]) => k !== 'type' && k !== 'v')
    .map(([k, val]) => {
      let s = Array.isArray(val) ? `[${val.join(' ')}]` : typeof val === 'object' && val !== null ? `{${Object.keys(val).length} vars}` : String(val);
      if (s.length > MAX_RENDER) s = `${s.slice(0, MAX_RENDER)}…`;
      return `${k}=${s}`;
    });
  return `${msg.type.toUpperCase().replace(/-/g, '_')} ${fields.join(' ')}`;
}
