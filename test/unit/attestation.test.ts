// The simulated attestation type's parts (src/attestation/): where the platform secret is and
// how it is made and checked, the key derivations, reports and quotes.
import { chmodSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DERIVED_KEY_NAMES, derivedKey, quotingSecretKey, reportKey } from '../../src/attestation/derive.js';
import {
  mrsignerOf, QUOTE, QUOTE_SIZE, REPORT, REPORT_BODY, REPORT_SIZE, TARGET_INFO_SIZE, targetInfoOf, type Identity,
} from '../../src/attestation/formats.js';
import { loadPlatformSecret, PlatformSecretError, platformSecretPath } from '../../src/attestation/platform-secret.js';
import { makeQuote, quotingPublicKey, verifyQuote } from '../../src/attestation/quote.js';
import { makeReport, reportMacMatches } from '../../src/attestation/report.js';
import { makeTempDir, removeTempDir } from '../helpers/run.js';

let dir: string;
beforeAll(() => {
  dir = makeTempDir('gts-attestation-unit-');
});
afterAll(() => removeTempDir(dir));

const secret = new Uint8Array(32).fill(1);
const id: Identity = { measurement: new Uint8Array(32).fill(0xaa), signer: mrsignerOf('bb'.repeat(32)) };
const reportData = Buffer.alloc(64, 0x5c);

describe('the platform secret', () => {
  it('is found where the environment says, else in the XDG state directory (for a user that is not root)', () => {
    expect(platformSecretPath({ GRAMINE_TS_PLATFORM_SECRET: 'rel/secret' })).toBe(path.resolve('rel/secret'));
    if (process.geteuid!() === 0) {
      expect(platformSecretPath({ HOME: '/home/u' })).toBe('/var/lib/gramine-ts/platform-secret');
      return;
    }
    expect(platformSecretPath({ HOME: '/home/u' })).toBe('/home/u/.local/state/gramine-ts/platform-secret');
    expect(platformSecretPath({ HOME: '/home/u', XDG_STATE_HOME: '/state' })).toBe('/state/gramine-ts/platform-secret');
    // a relative XDG_STATE_HOME is ignored, as the XDG rules say
    expect(platformSecretPath({ HOME: '/home/u', XDG_STATE_HOME: 'state' })).toBe('/home/u/.local/state/gramine-ts/platform-secret');
  });

  it('is made on first use (32 bytes, mode 0600, in a directory made 0700), and the same after', () => {
    const file = path.join(dir, 'made', 'secret');
    expect(() => loadPlatformSecret(file, false)).toThrow(/there is none/);
    const first = loadPlatformSecret(file);
    expect(first).toHaveLength(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(loadPlatformSecret(file)).toEqual(first);
  });

  it('is refused when others may read it, or when it has the wrong size', () => {
    const file = path.join(dir, 'bad');
    writeFileSync(file, Buffer.alloc(32));
    chmodSync(file, 0o640);
    expect(() => loadPlatformSecret(file)).toThrow(PlatformSecretError);
    expect(() => loadPlatformSecret(file)).toThrow(`platform secret ${file}: mode 0640 lets others use it`);
    chmodSync(file, 0o600);
    writeFileSync(file, Buffer.alloc(31));
    expect(() => loadPlatformSecret(file)).toThrow(`platform secret ${file}: 31 bytes, not 32`);
  });
});

describe('key derivations', () => {
  it('give a distinct key for each use, measurement and signer, and the same one each time', () => {
    const keys = DERIVED_KEY_NAMES.map((n) => Buffer.from(derivedKey(secret, n, id)).toString('hex'));
    expect(new Set(keys).size).toBe(keys.length);
    for (const k of keys) expect(k).toHaveLength(32);
    expect(Buffer.from(derivedKey(secret, '_sgx_mrenclave', id)).toString('hex')).toBe(keys[0]);
    const other = { ...id, measurement: new Uint8Array(32).fill(0xab) };
    expect(Buffer.from(derivedKey(secret, '_sgx_mrenclave', other)).toString('hex')).not.toBe(keys[0]);
    expect(Buffer.from(derivedKey(secret, '_sgx_mrsigner', other)).toString('hex')).toBe(keys[1]);
    expect(Buffer.from(derivedKey(new Uint8Array(32).fill(2), '_sgx_mrenclave', id)).toString('hex')).not.toBe(keys[0]);
    expect(quotingSecretKey(secret)).toHaveLength(32);
  });

  it('name an unsigned manifest by zeros, a signed one by the SHA-256 of its key', () => {
    expect(mrsignerOf(undefined)).toEqual(new Uint8Array(32));
    expect(Buffer.from(mrsignerOf('00'.repeat(32))).toString('hex')).toBe('66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925');
  });
});

describe('reports', () => {
  it('have the SGX layout, and a MAC only the target\'s report key checks', () => {
    const target = targetInfoOf(id);
    expect(target).toHaveLength(TARGET_INFO_SIZE);
    const report = makeReport(secret, id, target, reportData);
    expect(report).toHaveLength(REPORT_SIZE);
    expect(report.subarray(REPORT_BODY.mrEnclave, REPORT_BODY.mrEnclave + 32)).toEqual(Buffer.from(id.measurement));
    expect(report.subarray(REPORT_BODY.mrSigner, REPORT_BODY.mrSigner + 32)).toEqual(Buffer.from(id.signer));
    expect(report.subarray(REPORT_BODY.reportData, REPORT_BODY.reportData + 64)).toEqual(reportData);
    expect(report.subarray(REPORT.keyId, REPORT.mac)).toEqual(Buffer.alloc(32));
    expect(reportMacMatches(reportKey(secret, id.measurement), report)).toBe(true);
    expect(reportMacMatches(reportKey(secret, new Uint8Array(32)), report)).toBe(false);
    const changed = Buffer.from(report);
    changed[REPORT_BODY.reportData]! ^= 1;
    expect(reportMacMatches(reportKey(secret, id.measurement), changed)).toBe(false);
  });
});

describe('quotes', () => {
  const quote = makeQuote(secret, id, reportData);
  const want = { platformKey: quotingPublicKey(secret), measurement: id.measurement, signer: id.signer, reportData };

  it('carry the report body at the offset an SGX quote has it, and verify', () => {
    expect(quote).toHaveLength(QUOTE_SIZE);
    expect(quote.toString('latin1', 0, 8)).toBe('GTSQUOTE');
    expect(quote.toString('latin1', QUOTE.type, QUOTE.type + 9)).toBe('simulated');
    expect(quote.subarray(QUOTE.body + REPORT_BODY.reportData, QUOTE.body + REPORT_BODY.reportData + 64)).toEqual(reportData);
    expect(verifyQuote(quote, want)).toMatchObject({ ok: true });
    // shorter expected report data is compared zero-padded
    const short = makeQuote(secret, id, Buffer.concat([Buffer.from('abc'), Buffer.alloc(61)]));
    expect(verifyQuote(short, { ...want, reportData: Buffer.from('abc') })).toMatchObject({ ok: true });
  });

  it('are refused, saying why, when anything differs', () => {
    const reason = (bytes: Uint8Array, w = want) => {
      const v = verifyQuote(bytes, w);
      return v.ok ? 'ok' : v.reason;
    };
    for (let i = 0; i < QUOTE_SIZE; i += 37) {
      const changed = Buffer.from(quote);
      changed[i]! ^= 0x10;
      expect(reason(changed)).not.toBe('ok');
    }
    expect(reason(quote.subarray(0, 100))).toMatch(/has 496 bytes, this one 100/);
    expect(reason(Buffer.alloc(QUOTE_SIZE))).toMatch(/not a gramine-ts quote/);
    expect(reason(quote, { ...want, platformKey: quotingPublicKey(new Uint8Array(32)) })).toMatch(/^bad signature/);
    expect(reason(quote, { ...want, measurement: new Uint8Array(32) })).toMatch(/^measurement a{64}, not the expected 0{64}$/);
    expect(reason(quote, { ...want, signer: new Uint8Array(32) })).toMatch(/^signer /);
    expect(reason(quote, { ...want, reportData: Buffer.alloc(64) })).toMatch(/^report data /);
  });
});
