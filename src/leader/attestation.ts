// The instance's side of /dev/attestation (docs/attestation.md): its identity, its keys, and
// everything made with the platform secret, which no worker ever holds.
//
// * The keys of the manifest (fs.insecure__keys.NAME, and the key_name of each encrypted mount)
//   are instance-wide state: each is a memfd the leader holds, which every worker opens for its
//   app through /proc/<leader>/fd/N. A key an app writes is then the instance's at once, for all
//   of its processes, through the host kernel (the app's writes are native). A key with a value
//   is sealed at 16 bytes: a longer write fails (EPERM) and the key stays as it was; a key without
//   one (a mount's, not in fs.insecure__keys) is an empty file until its first write.
// * The derived keys, reports and quotes are made here on request, from the platform secret
//   (read at the first request that needs it) and the instance's identity: the measurement its
//   workers attest to and the SHA-256 of the public key that signed its manifest (zeros: unsigned).
import { mrsignerOf, TARGET_INFO_SIZE, targetInfoOf, USER_REPORT_DATA_SIZE, type Identity } from '../attestation/formats.js';
import { loadPlatformSecret, platformSecretPath } from '../attestation/platform-secret.js';
import type { Message } from '../ipc/protocol/messages.js';
import { Errno, errnoName } from '../libos/errno.js';
import { WRITABLE_FILE_MODE } from '../libos/fs/pseudo/node.js';
import { KEY_FILES_DIR, MEMFD_PREFIX } from '../libos/fs/scratch-names.js';
import type { Manifest } from '../manifest/index.js';
import { host } from '../pal/host.js';
import { MFD_CLOEXEC } from '../pal/linux-abi.js';

type Request = Message<'attestation-request'>;
type Reply = Message<'attestation-reply'>;

const MFD_ALLOW_SEALING = 2;
const F_SEAL_SEAL = 1;
const F_SEAL_SHRINK = 2;
const F_SEAL_GROW = 4;
/** the kernel's limit on a memfd's name (without its NUL) */
const MEMFD_NAME_MAX = 249;

/** The names of the manifest's keys, with their values (null: a mount's key the manifest gives no value). */
function manifestKeys(manifest: Manifest): Map<string, Buffer | null> {
  const keys = new Map<string, Buffer | null>();
  for (const [name, value] of Object.entries(manifest.insecureKeys)) keys.set(name, Buffer.from(value, 'hex'));
  for (const m of manifest.mounts) if (m.type === 'encrypted' && !keys.has(m.keyName)) keys.set(m.keyName, null);
  return keys;
}

export class InstanceAttestation {
  /** key name -> the leader's memfd of it */
  private readonly keyFiles = new Map<string, number>();
  private secret: Uint8Array | null = null;
  private secretProblem: string | null = null;
  /** MRSIGNER */
  private readonly signer: Uint8Array;

  /**
   * `measurement`: what the instance's workers attest to; `warn`: one line for the user (a key
   * that cannot be a file, a platform secret that cannot be read).
   */
  constructor(
    private readonly measurement: Promise<Uint8Array>,
    manifest: Manifest,
    private readonly warn: (line: string) => void,
    private readonly secretFile: string = platformSecretPath(),
  ) {
    this.signer = mrsignerOf(manifest.signature?.signer);
    for (const [name, value] of manifestKeys(manifest)) {
      const fd = this.makeKeyFile(name, value);
      if (fd >= 0) this.keyFiles.set(name, fd);
    }
  }

  /** A memfd holding key `name` (`value`, or nothing yet), or -1 with a warning. */
  private makeKeyFile(name: string, value: Buffer | null): number {
    const memfdName = `${MEMFD_PREFIX}${KEY_FILES_DIR}/${name}`;
    if (name === '.' || name === '..' || name.includes('/') || Buffer.byteLength(memfdName) > MEMFD_NAME_MAX) {
      this.warn(`the key ${JSON.stringify(name)} cannot be a file of ${KEY_FILES_DIR}: the app cannot read or write it`);
      return -1;
    }
    const fd = host.memfdCreate(memfdName, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) {
      this.warn(`${KEY_FILES_DIR}/${name}: no memfd for it (${errnoName(fd)})`);
      return -1;
    }
    host.fchmod(fd, WRITABLE_FILE_MODE);
    if (value !== null) {
      const done = host.pwrite(fd, value, 0) === value.length && host.addSeals(fd, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) === 0;
      if (!done) {
        host.close(fd);
        this.warn(`${KEY_FILES_DIR}/${name}: could not write it`);
        return -1;
      }
    }
    return fd;
  }

  /** The platform secret, read at the first request that needs it; null (said once) if it cannot be. */
  private platformSecret(): Uint8Array | null {
    if (this.secret) return this.secret;
    try {
      this.secret = loadPlatformSecret(this.secretFile);
    } catch (e) {
      // a PlatformSecretError, naming the file and what is wrong with it
      const problem = e instanceof Error ? e.message : String(e);
      if (this.secretProblem !== problem) this.warn(`/dev/attestation: ${problem}`);
      this.secretProblem = problem;
    }
    return this.secret;
  }

  private async identity(): Promise<Identity> {
    return { measurement: await this.measurement, signer: this.signer };
  }

  /** The answer to `m`: never throws for what a worker sends (a bad size is EINVAL). */
  async answer(m: Request): Promise<Reply> {
    const reply = (data: Uint8Array | null, errno = 0, keyFiles: Reply['keyFiles'] = []): Reply =>
      ({ type: 'attestation-reply', v: 1, reqId: m.reqId, errno, data: data === null ? null : Buffer.from(data), keyFiles });
    const { op, name } = m;
    if (op === 'key-files') return reply(null, 0, [...this.keyFiles].map(([key, fd]) => ({ name: key, path: `/proc/${process.pid}/fd/${fd}` })));
    const id = await this.identity();
    if (op === 'target-info') return reply(targetInfoOf(id));
    const dataSize = { key: 0, report: TARGET_INFO_SIZE + USER_REPORT_DATA_SIZE, quote: USER_REPORT_DATA_SIZE }[op];
    const data = m.data ?? Buffer.alloc(0);
    if (data.length !== dataSize) return reply(null, Errno.EINVAL);
    // what Gramine's /dev/attestation says when the platform cannot attest
    const secret = this.platformSecret();
    if (!secret) return reply(null, Errno.EACCES);
    // the key derivation (HKDF) and the Ed25519 code are loaded by the first request that needs
    // them, not at every instance's start
    if (op === 'report') {
      const { makeReport } = await import('../attestation/report.js');
      return reply(makeReport(secret, id, data.subarray(0, TARGET_INFO_SIZE), data.subarray(TARGET_INFO_SIZE)));
    }
    if (op === 'quote') {
      const { makeQuote } = await import('../attestation/quote.js');
      return reply(makeQuote(secret, id, data));
    }
    const { derivedKey, isDerivedKeyName } = await import('../attestation/derive.js');
    return isDerivedKeyName(name) ? reply(derivedKey(secret, name, id)) : reply(null, Errno.ENOENT);
  }

  /** The leader's fd of key `name` (its current content is the key), or null: no such key. */
  keyFileOf(name: string): number | null {
    return this.keyFiles.get(name) ?? null;
  }

  /** The instance has ended. */
  dispose(): void {
    for (const fd of this.keyFiles.values()) host.close(fd);
    this.keyFiles.clear();
    this.secret?.fill(0);
    this.secret = null;
  }
}
