// Local reports of the simulated type: an SGX REPORT (formats.ts) whose MAC is AES-128-CMAC
// over the body, as SGX's, keyed with the report key of the *target* -- the enclave named by the
// TARGETINFO the app wrote -- so that only code with that measurement can check it (it reads
// its own report key, /dev/attestation/keys/_sgx_report_key, as an SGX enclave runs EGETKEY).
import { timingSafeEqual } from 'node:crypto';

import { aesCmac } from '../protected-files/crypto.js';
import { reportKey } from './derive.js';
import { REPORT, REPORT_BODY_SIZE, REPORT_SIZE, reportBodyOf, targetMeasurement, type Identity } from './formats.js';

/**
 * The REPORT of instance `id` carrying `reportData`, for the enclave `targetInfo` names. Its key
 * id is all zeros: there is one report key per platform and measurement, not one per boot.
 */
export function makeReport(secret: Uint8Array, id: Identity, targetInfo: Uint8Array, reportData: Uint8Array): Buffer {
  const report = Buffer.alloc(REPORT_SIZE);
  report.set(reportBodyOf(id, reportData), REPORT.body);
  const key = reportKey(secret, targetMeasurement(targetInfo));
  report.set(aesCmac(key, report.subarray(REPORT.body, REPORT.body + REPORT_BODY_SIZE)), REPORT.mac);
  key.fill(0);
  return report;
}

/** Does `report`'s MAC check out with `key` (the verifier's own report key)? */
export function reportMacMatches(key: Uint8Array, report: Uint8Array): boolean {
  if (report.length !== REPORT_SIZE) return false;
  const mac = aesCmac(key, report.subarray(REPORT.body, REPORT.body + REPORT_BODY_SIZE));
  return timingSafeEqual(mac, report.subarray(REPORT.mac, REPORT_SIZE));
}
