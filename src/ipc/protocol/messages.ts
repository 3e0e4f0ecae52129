// Messages between the leader and its workers. Versioned; each has a schema that every received
// message is checked against, and a one-line rendering for --leader-log.
import { object, ProtocolError, t, type Check } from './schema.js';

export const PROTOCOL_VERSION = 1;

const v = t.literal(PROTOCOL_VERSION);

/** The LibOS state a forked child starts from (its parent's, at the fork). */
const checkpoint = object({
  /** the working directory: an fd of the parent's worker, to take with pidfd_getfd */
  cwdFd: t.int, umask: t.int, uid: t.int, gid: t.int, groups: t.array(t.int),
  nofileCur: t.nullable(t.str), nofileMax: t.nullable(t.str), reservedFdBase: t.int,
  logLevel: t.str, traceFile: t.nullable(t.str),
});

const waitTarget = t.oneOf(['pid', 'pgid', 'any'] as const);

const schemas = {
  /** worker -> leader: booted (or done with its last process) and ready for a process */
  'worker-ready': object({ type: t.literal('worker-ready'), v, workerPid: t.int }),
  /** leader -> worker: become the first process of the instance */
  'start-process': object({
    type: t.literal('start-process'), v, vpid: t.int, ppid: t.int, pgid: t.int, sid: t.int,
    filename: t.str, argv: t.array(t.str), env: t.record(t.str), cwd: t.str,
    uid: t.int, gid: t.int, groups: t.array(t.int), umask: t.int, logLevel: t.str,
    /** development aid: append the names of the syscalls the app made to this file */
    traceFile: t.nullable(t.str),
    /** the CPU the worker and its app share (a round trip between CPUs costs 3-5x), or null */
    cpu: t.nullable(t.int),
  }),
  /** worker -> leader: the program could not be started (exec failure before any app code ran) */
  'start-failed': object({ type: t.literal('start-failed'), v, vpid: t.int, errno: t.int, message: t.str }),
  /** worker -> leader: the first process ended, as its host parent saw it */
  'process-exited': object({
    type: t.literal('process-exited'), v, vpid: t.int, code: t.nullable(t.int), signal: t.nullable(t.int),
  }),
  /** worker -> leader: the app of this worker is gone (its channel closed); the worker is free */
  'process-gone': object({ type: t.literal('process-gone'), v, vpid: t.int }),
  /** worker -> leader: fork `parentVpid`; the child's channel end is fd `channelFd` of `parentWorkerPid` */
  'fork-request': object({
    type: t.literal('fork-request'), v, reqId: t.int, parentVpid: t.int, parentWorkerPid: t.int,
    channelFd: t.int, checkpoint,
  }),
  /** leader -> worker: the fork is done on our side (childVpid), or failed (errno) */
  'fork-reply': object({ type: t.literal('fork-reply'), v, reqId: t.int, childVpid: t.int, errno: t.int }),
  /** leader -> worker: become the forked child `vpid`; take the channel end from the parent's worker */
  'adopt-fork': object({
    type: t.literal('adopt-fork'), v, vpid: t.int, ppid: t.int, pgid: t.int, sid: t.int,
    parentWorkerPid: t.int, channelFd: t.int, checkpoint, cpu: t.nullable(t.int),
  }),
  /** worker -> leader: the channel end is taken (errno 0), or could not be (the fork fails) */
  'adopt-ack': object({ type: t.literal('adopt-ack'), v, vpid: t.int, errno: t.int }),
  /** leader -> worker: the child's worker has its copies of the channel end and the cwd: close yours */
  'fork-channel-taken': object({ type: t.literal('fork-channel-taken'), v, channelFd: t.int, cwdFd: t.int }),
  /** worker -> leader: the parent's stub forked: the child is this host process (or -errno: it failed) */
  'fork-adopted': object({ type: t.literal('fork-adopted'), v, vpid: t.int, hostPid: t.int }),
  /** leader -> the first worker (host parent of every app process): reap this host process */
  'reap': object({ type: t.literal('reap'), v, hostPid: t.int }),
  /** worker -> leader: a host process it reaped ended with this wait status */
  'host-exited': object({ type: t.literal('host-exited'), v, hostPid: t.int, status: t.int }),
  /** worker -> leader: wait for a child of `vpid` */
  'wait-request': object({
    type: t.literal('wait-request'), v, reqId: t.int, vpid: t.int, target: waitTarget, id: t.int,
    noHang: t.bool, noReap: t.bool,
  }),
  /** leader -> worker: a child's status (vpid 0: none ready with noHang), or errno */
  'wait-reply': object({
    type: t.literal('wait-reply'), v, reqId: t.int, vpid: t.int, status: t.int, uid: t.int, errno: t.int,
  }),
  /** worker -> leader: `sender` sends `sig` (0: existence check) to a pid, a group, or all */
  'kill-request': object({
    type: t.literal('kill-request'), v, reqId: t.int, sender: t.int, target: t.oneOf(['pid', 'pgid', 'all'] as const),
    id: t.int, sig: t.int, code: t.int,
  }),
  'kill-reply': object({ type: t.literal('kill-reply'), v, reqId: t.int, errno: t.int }),
  /**
   * leader -> worker: queue this signal for process `vpid` (siginfo fields, virtual); with an
   * `ackId`, answer signal-queued once it is pending on the host process
   */
  'signal': object({
    type: t.literal('signal'), v, vpid: t.int, signo: t.int, code: t.int, pid: t.int, uid: t.int,
    status: t.nullable(t.int), ackId: t.nullable(t.int),
    /** the target's host pid, for a forked child whose worker may not have heard from it yet */
    hostPid: t.nullable(t.int),
  }),
  'signal-queued': object({ type: t.literal('signal-queued'), v, ackId: t.int }),
  /** worker -> leader: process groups and sessions (setpgid, setsid, getpgid, getsid) */
  'pgrp-request': object({
    type: t.literal('pgrp-request'), v, reqId: t.int, caller: t.int,
    op: t.oneOf(['setpgid', 'setsid', 'getpgid', 'getsid'] as const), pid: t.int, pgid: t.int,
  }),
  'pgrp-reply': object({ type: t.literal('pgrp-reply'), v, reqId: t.int, value: t.int, errno: t.int }),
  /** leader -> worker: process `vpid` is now in group `pgid` of session `sid` */
  'pgrp-changed': object({ type: t.literal('pgrp-changed'), v, vpid: t.int, pgid: t.int, sid: t.int }),
  /** leader -> worker: the process's parent exited; it now belongs to `ppid` */
  'reparent': object({ type: t.literal('reparent'), v, vpid: t.int, ppid: t.int }),
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
