// The secrets of one instance, made by the leader: the platform key workers MAC their reports
// with (handed to each worker on a private fd), the PSK every channel uses, and the measurement
// a worker must report to be given the PSK.
import { WORKER_CODE } from '../paths.js';
import { createInstancePsk } from '../tls-psk/provisioning.js';
import { measureWorkerCode } from '../tls-psk/measurement.js';

export interface InstanceSecrets {
  platformKey: Uint8Array;
  psk: Buffer;
  expectedMeasurement: Promise<Uint8Array>;
  /** the manifest bytes measured (workers are sent them to measure with their code) */
  manifest: Uint8Array;
}

/** What the code and manifest of this instance measure to, as every worker must report. */
export function expectedMeasurement(manifest: Uint8Array): Promise<Uint8Array> {
  return measureWorkerCode({ ...WORKER_CODE, manifest });
}

export function createInstanceSecrets(platformKey: Uint8Array, manifest: Uint8Array): InstanceSecrets {
  return { platformKey, psk: createInstancePsk(), expectedMeasurement: expectedMeasurement(manifest), manifest };
}
