// Why a protected file cannot be opened, read or written. Every error names the file (the label
// its opener gave), the node when one is at fault, and the errno a syscall should fail with.
// Gramine fails every integrity problem of an encrypted file with EACCES (libos_fs_encrypted.c
// maps each failed pf_* call to -EACCES), and so do these; the class and `code` say which problem.
import { describePhysical, type NodeRef } from './format.js';

export type PfErrorCode =
  | 'NOT_PROTECTED'
  | 'BAD_VERSION'
  | 'METADATA_AUTH'
  | 'NAME_MISMATCH'
  | 'NODE_AUTH'
  | 'TRUNCATED'
  | 'PENDING_WRITE'
  | 'BAD_ARGUMENT'
  | 'STORAGE'
  | 'CLOSED';

export class ProtectedFileError extends Error {
  override name = 'ProtectedFileError';

  constructor(
    readonly code: PfErrorCode,
    /** errno name for a syscall failing on this */
    readonly errno: string,
    /** the file, as its opener named it */
    readonly file: string,
    detail: string,
    /** the node at fault, if one is */
    readonly node: NodeRef | null = null,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${detail}`, options);
  }
}

export function describeNode(node: NodeRef): string {
  return node.kind === 'metadata' ? 'node 0 (metadata)' : `node ${node.physical} (${node.kind === 'mht' ? 'MHT' : 'data'} node ${node.logical})`;
}

/** No "GRAFS_PF" header, or a host size that is not whole nodes: not a protected file. */
export class PfNotProtectedError extends ProtectedFileError {
  override name = 'PfNotProtectedError';
  constructor(file: string, detail: string) {
    super('NOT_PROTECTED', 'EACCES', file, `not a protected file: ${detail}`, describePhysical(0));
  }
}

export class PfVersionError extends ProtectedFileError {
  override name = 'PfVersionError';
  constructor(file: string, major: number) {
    super('BAD_VERSION', 'EACCES', file, `protected-file format version ${major} is not supported (1 and 2 are)`, describePhysical(0));
  }
}

/** The metadata node does not authenticate: the two causes cannot be told apart. */
export class PfMetadataAuthError extends ProtectedFileError {
  override name = 'PfMetadataAuthError';
  constructor(file: string) {
    super('METADATA_AUTH', 'EACCES', file, 'wrong key, or the metadata node was modified (it fails authentication)', describePhysical(0));
  }
}

export class PfNameMismatchError extends ProtectedFileError {
  override name = 'PfNameMismatchError';
  constructor(
    file: string,
    readonly expected: Buffer,
    readonly stored: Buffer,
  ) {
    super(
      'NAME_MISMATCH',
      'EACCES',
      file,
      `bound to the name ${JSON.stringify(stored.toString('latin1'))}, not ${JSON.stringify(expected.toString('latin1'))} (renamed or swapped on the host?)`,
      describePhysical(0),
    );
  }
}

/** A data or MHT node fails its GCM tag: changed, moved within the file, or taken from another file. */
export class PfNodeAuthError extends ProtectedFileError {
  override name = 'PfNodeAuthError';
  constructor(file: string, node: NodeRef) {
    super('NODE_AUTH', 'EACCES', file, `${describeNode(node)} fails authentication (modified, moved, or from another file)`, node);
  }
}

/** The host file ends before a node the file's size needs. */
export class PfTruncatedError extends ProtectedFileError {
  override name = 'PfTruncatedError';
  constructor(file: string, detail: string, node: NodeRef | null) {
    super('TRUNCATED', 'EACCES', file, `truncated: ${detail}`, node);
  }
}

/** Gramine left its "write pending" flag set: its recovery journal must repair the file first. */
export class PfPendingWriteError extends ProtectedFileError {
  override name = 'PfPendingWriteError';
  constructor(file: string) {
    super('PENDING_WRITE', 'EACCES', file, 'a write was interrupted (the pending-write flag is set): Gramine must recover it from its recovery file first', describePhysical(0));
  }
}

export class PfArgumentError extends ProtectedFileError {
  override name = 'PfArgumentError';
  constructor(file: string, detail: string, errno = 'EINVAL') {
    super('BAD_ARGUMENT', errno, file, detail);
  }
}

/** The storage under the file failed; the errno is the storage's own when it has one. */
export class PfStorageError extends ProtectedFileError {
  override name = 'PfStorageError';
  constructor(file: string, what: string, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException | null)?.code;
    const errno = typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : 'EIO';
    super('STORAGE', errno, file, `${what}: ${cause instanceof Error ? cause.message : String(cause)}`, null, { cause });
  }
}

/** The file was closed, or a flush failed part-way and left it unusable. */
export class PfClosedError extends ProtectedFileError {
  override name = 'PfClosedError';
  constructor(file: string, why: string, errno = 'EBADF') {
    super('CLOSED', errno, file, why);
  }
}
