// The file checks of an instance (trusted and allowed files, the policy) as the leader makes
// them from the manifest and its signature: host paths resolved against the launcher's working
// directory, host symlinks followed. The workers get the result (src/libos/fs/trusted.ts).
import { realpathSync } from 'node:fs';
import path from 'node:path';
import type { FileCheckConfig, TrustedFileCheck } from '../libos/fs/trusted.js';
import { HOST_RESOLV_CONF, type Manifest } from './schema.js';
import type { Signature } from './signature.js';
import { toByteString } from '../pal/host.js';

/** The path and, if it differs, the host's real path of it (when it exists). */
function withRealPath(p: string): string[] {
  try {
    const real = realpathSync.native(p);
    return real === p ? [p] : [p, real];
  } catch {
    return [p];
  }
}

/**
 * The file checks of an instance running `manifest`, with `signature` its checked signature
 * file (signatureForRun; by default the one `gramine-ts run` attached to the manifest). Relative
 * URIs are resolved against `cwd` (the launcher's working directory, as for the mounts).
 * Throws when the manifest lists trusted files without a sha256 and there is no signature.
 */
export function fileCheckConfig(
  manifest: Manifest,
  signature: Signature | null = manifest.signature ?? null,
  cwd: string = process.cwd(),
): FileCheckConfig {
  const builtIn = manifest.sourceBytes.length === 0 && manifest.trustedFiles.length === 0 && manifest.allowedFiles.length === 0;
  const trusted: TrustedFileCheck[] = [];
  const listed = new Set<string>();
  const trust = (file: string, sha256: string, size: number | null): void => {
    for (const p of withRealPath(file)) {
      const bytes = toByteString(p);
      if (listed.has(bytes)) continue;
      listed.add(bytes);
      trusted.push({ path: bytes, sha256, size });
    }
  };
  for (const f of manifest.trustedFiles) {
    if (f.sha256 !== null) trust(path.resolve(cwd, f.path), f.sha256, null);
    else if (signature === null) throw new Error(`trusted file ${f.uri} has no sha256 and the manifest has no signature`);
  }
  for (const f of signature?.trustedFiles ?? []) {
    trust(path.resolve(cwd, path.posix.normalize(f.uri.slice('file:'.length))), f.sha256, f.size);
  }

  // as Gramine matches them: an entry covers itself and, with or without a trailing "/",
  // everything under it (so a directory created later is covered too)
  const allowed: string[] = [];
  const allowedPaths = manifest.allowedFiles.map((f) => path.resolve(cwd, f.path));
  if (manifest.extraRuntimeDomainNames) allowedPaths.push(HOST_RESOLV_CONF);
  for (const p of allowedPaths) {
    for (const q of withRealPath(p)) {
      allowed.push(toByteString(q));
      if (q !== '/') allowed.push(toByteString(`${q}/`));
    }
  }
  return { enabled: !builtIn, policy: manifest.fileCheckPolicy, trusted, allowed: [...new Set(allowed)] };
}

