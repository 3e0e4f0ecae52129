// /dev/attestation: Gramine's low-level attestation interface, of the simulated type
// (docs/attestation.md). What the app writes -- user_report_data, target_info, a key -- it writes
// natively into a host file (writes are the data plane: they never reach the worker), which is
// read when it matters: user_report_data and target_info are memfds this worker keeps for its
// process, read when the process opens report or quote; keys/NAME are the instance's, memfds the
// leader holds, so that every process sees a key another one wrote. What is made with the
// platform secret (the derived keys, reports, quotes) the leader makes, when the file is opened.
import { host } from '../../../pal/host.js';
import { AT_FDCWD, MFD_CLOEXEC, O_CLOEXEC, O_RDONLY } from '../../../pal/linux-abi.js';
import { DERIVED_KEY_NAMES, isDerivedKeyName } from '../../../attestation/derive.js';
import { ATTESTATION_TYPE, KEY_SIZE, TARGET_INFO_SIZE, USER_REPORT_DATA_SIZE } from '../../../attestation/formats.js';
import { check } from '../../errno.js';
import type { LibosProcess } from '../../process.js';
import { KEY_FILES_DIR, MEMFD_PREFIX } from '../scratch-names.js';
import { textFile, WRITABLE_FILE_MODE, type PseudoDir, type PseudoFile } from '../pseudo/node.js';

const DIR = '/dev/attestation';

/** The files a process writes before it asks for a report or a quote: its own, as in Gramine. */
interface WrittenFiles {
  user_report_data: number;
  target_info: number;
}
const WRITTEN = ['user_report_data', 'target_info'] as const;

const writtenFiles = new WeakMap<LibosProcess, WrittenFiles>();

/** The process's written files (empty memfds at first), closed with it. */
function writtenFilesOf(proc: LibosProcess): WrittenFiles {
  const known = writtenFiles.get(proc);
  if (known) return known;
  const files: Partial<WrittenFiles> = {};
  try {
    for (const name of WRITTEN) {
      files[name] = check(host.memfdCreate(`${MEMFD_PREFIX}${DIR}/${name}`, MFD_CLOEXEC), `memfd for ${DIR}/${name}`);
      host.fchmod(files[name], WRITABLE_FILE_MODE);
    }
  } catch (e) {
    for (const fd of Object.values(files)) host.close(fd);
    throw e;
  }
  const made = files as WrittenFiles;
  writtenFiles.set(proc, made);
  proc.releaseWith(() => WRITTEN.forEach((name) => host.close(made[name])));
  return made;
}

/**
 * The first `size` bytes of host file `fd`, zero-padded: what Gramine takes of a shorter or a
 * longer write to user_report_data or target_info.
 */
function leadingBytes(fd: number, size: number, what: string): Buffer {
  const out = Buffer.alloc(size);
  check(host.pread(fd, out, 0), `read ${what}`);
  return out;
}

/** A REPORT of the process's user_report_data, for the enclave its target_info names (all zeros if none: as SGX's EREPORT). */
async function report(proc: LibosProcess): Promise<Buffer> {
  const files = writtenFilesOf(proc);
  const targetInfo = leadingBytes(files.target_info, TARGET_INFO_SIZE, `${DIR}/target_info`);
  const reportData = leadingBytes(files.user_report_data, USER_REPORT_DATA_SIZE, `${DIR}/user_report_data`);
  return proc.instance.attestation(proc, 'report', '', Buffer.concat([targetInfo, reportData]));
}

async function quote(proc: LibosProcess): Promise<Buffer> {
  const reportData = leadingBytes(writtenFilesOf(proc).user_report_data, USER_REPORT_DATA_SIZE, `${DIR}/user_report_data`);
  return proc.instance.attestation(proc, 'quote', '', reportData);
}

/**
 * Gramine's deprecated protected_files_key (gone since its v1.5): the key `default` as 32 hex
 * digits, or nothing when there is none. Read-only here: the app's writes are native, and a hex
 * copy of the key could not be kept one with the key.
 */
async function protectedFilesKey(proc: LibosProcess): Promise<string> {
  const file = (await proc.instance.keyFiles(proc)).find((k) => k.name === 'default');
  if (!file) return '';
  const fd = check(host.openat(AT_FDCWD, file.path, O_RDONLY | O_CLOEXEC, 0), `open ${KEY_FILES_DIR}/default`);
  try {
    const key = Buffer.alloc(KEY_SIZE + 1);
    return check(host.pread(fd, key, 0), `read ${KEY_FILES_DIR}/default`) === KEY_SIZE ? key.subarray(0, KEY_SIZE).toString('hex') : '';
  } finally {
    host.close(fd);
  }
}

/** keys/: the manifest's keys (read and write: the instance's) and the derived keys (read-only, as Gramine mounts them over). */
const keysDir: PseudoDir = {
  kind: 'dir',
  names: async (proc) => [...new Set([...(await proc.instance.keyFiles(proc)).map((k) => k.name), ...DERIVED_KEY_NAMES])],
  lookup: async (proc, name) => {
    if (isDerivedKeyName(name)) return textFile((p) => p.instance.attestation(p, 'key', name, null));
    const file = (await proc.instance.keyFiles(proc)).find((k) => k.name === name);
    // a key's size is its key's (the leader seals one with a value at 16 bytes): `echo -n KEY > FILE` replaces it
    return file ? { kind: 'host', hostPath: file.path, fixedSize: true } : null;
  },
};

const readOnly: Record<string, PseudoFile> = {
  attestation_type: textFile(() => ATTESTATION_TYPE),
  my_target_info: textFile((proc) => proc.instance.attestation(proc, 'target-info', '', null)),
  report: textFile(report),
  quote: textFile(quote),
  protected_files_key: textFile(protectedFilesKey),
};

/** /dev/attestation. */
export const attestationDir: PseudoDir = {
  kind: 'dir',
  names: () => [...WRITTEN, ...Object.keys(readOnly), 'keys'],
  lookup: (proc, name) => {
    if (name === 'keys') return keysDir;
    if (name === 'user_report_data' || name === 'target_info') return { kind: 'host', hostPath: `/proc/self/fd/${writtenFilesOf(proc)[name]}` };
    return Object.hasOwn(readOnly, name) ? readOnly[name]! : null;
  },
};
