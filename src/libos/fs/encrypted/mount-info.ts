// What makes a chroot mount an encrypted one, and the names its files take on the host.
import { normalizeBoundName } from '../../../protected-files/index.js';

export interface EncryptedMount {
  /** the key of the mount: /dev/attestation/keys/<keyName> (its content when a file is opened) */
  keyName: string;
  /** the manifest's uri without "file:": the host path Gramine binds the files below */
  boundRoot: string;
}

/** The name file `rel` of the mount is bound to (Gramine's: names.ts). */
export function boundNameOf(mount: EncryptedMount, rel: string): string {
  return normalizeBoundName(`${mount.boundRoot}/${rel}`);
}
