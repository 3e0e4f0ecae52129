// The instance's CPUs: those in the worker's affinity when it started (before it pins itself to
// one CPU beside its app), seen by the app as CPUs 0..n-1. Also the two ways Linux prints a CPU
// set in /sys: a hex mask ("3", "00000001,00000003") and a list ("0-1,4").
import { host } from '../../../pal/host.js';

/** Read at load, as process.ts does: module loading is over before a worker pins itself. */
const INITIAL_AFFINITY = host.getAffinity();

/** The host numbers of the CPUs set in an affinity mask, ascending. */
export function cpusOfMask(mask: Uint8Array): number[] {
  const out: number[] = [];
  for (let byte = 0; byte < mask.length; byte++)
    for (let bit = 0; bit < 8; bit++) if (mask[byte]! & (1 << bit)) out.push(byte * 8 + bit);
  return out;
}

let cached: number[] | null = null;

/** The instance's CPUs, by their host numbers, ascending (the app's CPU i is the i-th). */
export function instanceCpus(): number[] {
  if (!cached) {
    cached = cpusOfMask(INITIAL_AFFINITY);
    if (cached.length === 0) cached = [0]; // the kernel refused: one CPU, as a safe guess
  }
  return cached;
}

/** Host CPU number -> the app's CPU number, for the instance's CPUs. */
export function hostToAppCpu(): Map<number, number> {
  return new Map(instanceCpus().map((h, i) => [h, i]));
}

/** A CPU set as Linux's "%*pb": 32-bit hex words, comma-separated, `nbits` wide. */
export function formatCpuMask(cpus: Iterable<number>, nbits: number): string {
  const words = Math.max(1, Math.ceil(nbits / 32));
  const w = new Array<number>(words).fill(0);
  for (const c of cpus) if (c >= 0 && c < words * 32) w[c >> 5]! |= 1 << (c & 31);
  const parts: string[] = [];
  for (let i = words - 1; i >= 0; i--) {
    const hex = (w[i]! >>> 0).toString(16);
    const width = i === words - 1 && nbits % 32 !== 0 ? Math.ceil((nbits % 32) / 4) : 8;
    parts.push(hex.padStart(width, '0'));
  }
  return parts.join(',');
}

/** A CPU set as Linux's "%*pbl": ranges, "0-3,5". Empty: "". */
export function formatCpuList(cpus: Iterable<number>): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    out.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return out.join(',');
}

/** Parse Linux's hex CPU mask ("00000001,00000003"). */
export function parseCpuMask(text: string): number[] {
  const words = text.trim().split(',').reverse();
  const out: number[] = [];
  words.forEach((word, wi) => {
    const v = parseInt(word || '0', 16);
    for (let bit = 0; bit < 32; bit++) if (Number.isFinite(v) && (v >>> bit) & 1) out.push(wi * 32 + bit);
  });
  return out;
}

/** Parse Linux's CPU list ("0-3,5"). */
export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    if (part === '') continue;
    const [a, b] = part.split('-');
    const lo = parseInt(a!, 10);
    const hi = b === undefined ? lo : parseInt(b, 10);
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) continue;
    for (let c = lo; c <= hi; c++) out.push(c);
  }
  return out;
}

/** A host CPU set (mask text) as the app's: only the instance's CPUs, renumbered. */
export function hostMaskToApp(text: string): number[] {
  const map = hostToAppCpu();
  return parseCpuMask(text).flatMap((h) => (map.has(h) ? [map.get(h)!] : []));
}
