import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { signPayload, verifySignature, verifyToken } from '../../../server/src/gitlab/verify-webhook.js';

describe('X-Gitlab-Token', () => {
  it('accepts the configured secret and refuses anything else', () => {
    expect(verifyToken('s3cret', ['s3cret'])).toBe(true);
    expect(verifyToken('s3cret ', ['s3cret'])).toBe(false);
    expect(verifyToken('S3CRET', ['s3cret'])).toBe(false);
    expect(verifyToken('', ['s3cret'])).toBe(false);
    expect(verifyToken(undefined, ['s3cret'])).toBe(false);
  });

  it('accepts the old and the new secret during a rotation', () => {
    expect(verifyToken('old', ['old', 'new'])).toBe(true);
    expect(verifyToken('new', ['old', 'new'])).toBe(true);
    expect(verifyToken('other', ['old', 'new'])).toBe(false);
  });

  it('accepts nothing when no secret is configured', () => {
    expect(verifyToken('anything', [])).toBe(false);
  });
});

describe('Standard Webhooks signatures', () => {
  const key = `whsec_${randomBytes(32).toString('base64')}`;
  const body = Buffer.from('{"object_kind":"push"}');
  const now = 1_800_000_000_000;
  const timestamp = String(now / 1000);
  const sign = (b: Buffer = body, k = key, ts = timestamp) => `v1,${signPayload('msg_1', ts, b, k).toString('base64')}`;

  it('accepts a correct signature', () => {
    expect(verifySignature({ id: 'msg_1', timestamp, signature: sign() }, body, key, now)).toBe('valid');
  });

  it('accepts when one of several signatures matches (key rotation on the sender)', () => {
    const other = `v1,${randomBytes(32).toString('base64')}`;
    expect(verifySignature({ id: 'msg_1', timestamp, signature: `${other} ${sign()}` }, body, key, now)).toBe('valid');
  });

  it('refuses a tampered body, another key, another id, or an unknown version', () => {
    const signature = sign();
    expect(verifySignature({ id: 'msg_1', timestamp, signature }, Buffer.from('{"object_kind":"tag_push"}'), key, now)).toBe('invalid');
    expect(verifySignature({ id: 'msg_1', timestamp, signature: sign(body, `whsec_${randomBytes(32).toString('base64')}`) }, body, key, now)).toBe('invalid');
    expect(verifySignature({ id: 'msg_2', timestamp, signature }, body, key, now)).toBe('invalid');
    expect(verifySignature({ id: 'msg_1', timestamp, signature: signature.replace('v1,', 'v2,') }, body, key, now)).toBe('invalid');
  });

  it('refuses a timestamp more than five minutes away, either way', () => {
    for (const offset of [-301, 301]) {
      const ts = String(now / 1000 + offset);
      expect(verifySignature({ id: 'msg_1', timestamp: ts, signature: sign(body, key, ts) }, body, key, now)).toBe('stale');
    }
    const ts = String(now / 1000 - 299);
    expect(verifySignature({ id: 'msg_1', timestamp: ts, signature: sign(body, key, ts) }, body, key, now)).toBe('valid');
  });

  it('calls a delivery without the three headers unsigned', () => {
    expect(verifySignature({ id: undefined, timestamp, signature: sign() }, body, key, now)).toBe('missing');
    expect(verifySignature({ id: 'msg_1', timestamp: undefined, signature: sign() }, body, key, now)).toBe('missing');
    expect(verifySignature({ id: 'msg_1', timestamp, signature: undefined }, body, key, now)).toBe('missing');
  });
});
