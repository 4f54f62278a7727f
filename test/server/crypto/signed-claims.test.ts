import { describe, expect, it } from '@jest/globals';
import { createSigner } from '../../../server/src/crypto/signed-claims.js';
import { toEncryptionKey } from '../../../server/src/crypto/secret-box.js';

const key = toEncryptionKey(Buffer.alloc(32, 7));
const other = toEncryptionKey(Buffer.alloc(32, 9));
const NOW = 1_800_000_000_000;

describe('signed button contexts and dialog states', () => {
  const signer = createSigner([key]);

  it('gives back the claims it signed, until they expire', () => {
    const signed = signer.sign('button', { action: 'approve', channel: 'c1' }, NOW + 1000);
    expect(signer.verify('button', signed, NOW)).toEqual({ ok: true, claims: { action: 'approve', channel: 'c1' } });
    expect(signer.verify('button', signed, NOW + 1000)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses claims changed after signing, a made-up signature, or junk', () => {
    const signed = signer.sign('button', { action: 'approve', channel: 'c1' }, NOW + 1000);
    const [, signature] = signed.split('.');
    const altered = `${Buffer.from(JSON.stringify({ c: { action: 'merge', channel: 'c1' }, exp: NOW + 1000 })).toString('base64url')}.${signature}`;
    expect(signer.verify('button', altered, NOW)).toEqual({ ok: false, reason: 'forged' });
    expect(signer.verify('button', `${signed.split('.')[0]}.${Buffer.alloc(32).toString('base64url')}`, NOW)).toEqual({ ok: false, reason: 'forged' });
    for (const junk of [undefined, 42, '', 'a.b.c', 'x'.repeat(9000), {}]) expect(signer.verify('button', junk, NOW)).toEqual({ ok: false, reason: 'forged' });
  });

  it('keeps purposes apart: a button context is no dialog state', () => {
    const signed = signer.sign('button', { user: 'u1' }, NOW + 1000);
    expect(signer.verify('dialog', signed, NOW)).toEqual({ ok: false, reason: 'forged' });
  });

  it('refuses what another key signed, and accepts a previous key during a rotation', () => {
    const foreign = createSigner([other]).sign('button', { action: 'approve' }, NOW + 1000);
    expect(signer.verify('button', foreign, NOW)).toEqual({ ok: false, reason: 'forged' });
    expect(createSigner([key, other]).verify('button', foreign, NOW)).toMatchObject({ ok: true });
  });
});
