// What the instance's programs used that gramine-ts does not support: each logged once for the
// instance (not once per process: a script's 400 processes would say it 400 times), and all of
// them named in one line when the instance ends.

/** Distinct names kept: the workers are the instance's own, but nothing grows without bound. */
const MAX_FEATURES = 512;

export class UnsupportedReport {
  private readonly counts = new Map<string, number>();

  /**
   * Counts from a worker (feature -> times since its last report). Calls `firstSeen` for each
   * feature new to the instance.
   */
  add(counts: Readonly<Record<string, number>>, firstSeen: (feature: string) => void): void {
    for (const [feature, n] of Object.entries(counts)) {
      if (!Number.isSafeInteger(n) || n <= 0) continue;
      const had = this.counts.get(feature);
      if (had === undefined) {
        if (this.counts.size >= MAX_FEATURES) continue;
        firstSeen(feature);
      }
      this.counts.set(feature, (had ?? 0) + n);
    }
  }

  /** The line for the user at the end, or null if nothing unsupported was used. */
  summary(): string | null {
    if (!this.counts.size) return null;
    const used = [...this.counts].map(([feature, n]) => `${feature} (${n}x)`).join(', ');
    return `gramine-ts: the program used what gramine-ts does not support: ${used} — see docs/syscalls.md`;
  }
}
