// A one-line progress bar on stderr for the long offline commands (`sign`, `pf`), and byte counts
// for people.

/** `n` bytes in B, KiB, MiB, GiB or TiB, one decimal. */
export function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let u = 0;
  let v = n;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** A one-line progress bar on a TTY, redrawn at most every 100 ms. */
export class ProgressBar {
  private files = 0;
  private bytes = 0;
  private lastDraw = 0;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly totalFiles: number,
    private readonly totalBytes: number,
    /** what is being done, at the start of the line */
    private readonly doing = 'signing',
  ) {}

  addBytes(n: number): void {
    this.bytes += n;
    this.maybeDraw();
  }

  fileDone(): void {
    this.files++;
    this.maybeDraw();
  }

  finish(): void {
    this.draw();
    this.out.write('\n');
  }

  private maybeDraw(): void {
    const now = Date.now();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.draw();
  }

  private draw(): void {
    const fraction = this.totalBytes > 0 ? Math.min(1, this.bytes / this.totalBytes) : this.files / Math.max(1, this.totalFiles);
    const width = 30;
    const full = Math.round(fraction * width);
    const bar = '#'.repeat(full) + '-'.repeat(width - full);
    const pct = `${Math.floor(fraction * 100)}%`.padStart(4);
    this.out.write(
      `\r${this.doing} [${bar}] ${pct}  ${this.files}/${this.totalFiles} files  ${humanBytes(this.bytes)}/${humanBytes(this.totalBytes)}\x1b[K`,
    );
  }
}
