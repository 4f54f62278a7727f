import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { open, seal, toEncryptionKey } from '../../../server/src/crypto/secret-box.js';

describe('sealing tokens at rest', () => {
  const key = toEncryptionKey(randomBytes(32));
  const other = toEncryptionKey(randomBytes(32));

  it('opens what it sealed, and the ciphertext does not contain the token', () => {
    const sealed = seal('glpat-secret-token', key, 'user:1:access');
    expect(sealed.keyId).toBe(key.id);
    expect(sealed.payload.toString('latin1')).not.toContain('glpat-secret-token');
    expect(open(sealed, [other, key], 'user:1:access')).toBe('glpat-secret-token');
  });

  it('gives a different ciphertext each time', () => {
    expect(seal('t', key, 'c').payload.equals(seal('t', key, 'c').payload)).toBe(false);
  });

  it('refuses a ciphertext moved to another row (other context)', () => {
    expect(() => open(seal('t', key, 'user:1:access'), [key], 'user:2:access')).toThrow();
  });

  it('refuses a tampered ciphertext', () => {
    const sealed = seal('token', key, 'c');
    sealed.payload[sealed.payload.length - 1]! ^= 1;
    expect(() => open(sealed, [key], 'c')).toThrow();
  });

  it('names the missing key when the key is not configured', () => {
    expect(() => open(seal('t', key, 'c'), [other], 'c')).toThrow(new RegExp(key.id));
  });

  it('derives a stable key id that does not reveal the key', () => {
    const raw = randomBytes(32);
    expect(toEncryptionKey(raw).id).toBe(toEncryptionKey(Buffer.from(raw)).id);
    expect(toEncryptionKey(raw).id).not.toContain(raw.toString('hex').slice(0, 8));
  });
});
