// A thread of an app process other than its main one, as the worker sees it: its virtual tid,
// the worker's end of its own channel, and its host tid once its parent has made it.
export class LibosThread {
  /** 0 until the stub reports the host thread it made */
  hostTid = 0;

  constructor(
    readonly vtid: number,
    /** the worker's end of the thread's channel */
    readonly channelFd: number,
  ) {}
}
