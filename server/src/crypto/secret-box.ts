/**
 * AES-256-GCM for tokens at rest. The key id travels beside the ciphertext so
 * keys can be rotated; a context string (e.g. "user:42:access_token") is bound
 * in as associated data, so a ciphertext copied to another row does not open.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export interface EncryptionKey {
  id: string;
  key: Buffer;
}

export interface Sealed {
  keyId: string;
  /** 12-byte IV, 16-byte tag, then the ciphertext. */
  payload: Buffer;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A short, stable id derived from the key; it reveals nothing usable about the key. */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('gitlab-bridge key id\0').update(key).digest('hex').slice(0, 16);
}

export function toEncryptionKey(key: Buffer): EncryptionKey {
  if (key.length !== 32) throw new Error('an AES-256 key is 32 bytes');
  return { id: keyIdOf(key), key };
}

export function seal(plaintext: string, key: EncryptionKey, context: string): Sealed {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { keyId: key.id, payload: Buffer.concat([iv, cipher.getAuthTag(), body]) };
}

/** Throws when the key is unknown or the payload, key or context do not match. */
export function open(sealed: Sealed, keys: readonly EncryptionKey[], context: string): string {
  const key = keys.find((candidate) => candidate.id === sealed.keyId);
  if (!key) throw new Error(`no encryption key with id ${sealed.keyId} is configured`);
  if (sealed.payload.length < IV_BYTES + TAG_BYTES) throw new Error('sealed value is truncated');
  const decipher = createDecipheriv('aes-256-gcm', key.key, sealed.payload.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(sealed.payload.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  const body = sealed.payload.subarray(IV_BYTES + TAG_BYTES);
  return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
}
