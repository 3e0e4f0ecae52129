// Names the LibOS gives to host objects it makes for the app, so that the reverse map (vfs.ts)
// can tell them apart.

/** memfds the LibOS makes for the app are named MEMFD_PREFIX + their instance path. */
export const MEMFD_PREFIX = 'gts:';

/**
 * The instance's keys are memfds the leader holds, named MEMFD_PREFIX + KEY_FILES_DIR + "/" +
 * the key's name: the instance path of each (leader/attestation.ts).
 */
export const KEY_FILES_DIR = '/dev/attestation/keys';

/** The directory of the scratch tmpfs holding the stand-ins of pseudo directories. */
export const PSEUDO_DIR = 'pseudo';

/** The sealed copies of trusted files are named TRUSTED_MEMFD_PREFIX + their host path. */
export const TRUSTED_MEMFD_PREFIX = 'trusted:';

/** The directory of the scratch tmpfs where the leader keeps the instance's copies of trusted files. */
export const TRUSTED_COPIES_DIR = 'trusted';

/**
 * The plaintext copies of an encrypted mount's files (libos/fs/encrypted/) are memfds named
 * ENCRYPTED_MEMFD_PREFIX + the host path of the protected file: a fsync on one is a write-back.
 */
export const ENCRYPTED_MEMFD_PREFIX = 'encrypted:';
