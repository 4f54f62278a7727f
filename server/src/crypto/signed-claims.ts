/**
 * Claims the bridge hands to Mattermost and must get back unchanged: a button's
 * `context` and a dialog's `state`. Signed with HMAC-SHA256 under a key derived
 * from the encryption key (HKDF, one key per purpose), so a forged or altered
 * claim is refused, and checked in constant time. Claims signed with a previous
 * encryption key (ENCRYPTION_KEY_PREVIOUS) still verify during a rotation.
 * Pure apart from the clock the caller passes.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { EncryptionKey } from './secret-box.js';

export type ClaimPurpose = 'button' | 'dialog';

export interface Signer {
  sign(purpose: ClaimPurpose, claims: object, expiresAt: number): string;
  /** The claims, or why they are refused. `now` is epoch milliseconds. */
  verify<T>(purpose: ClaimPurpose, signed: unknown, now: number): { ok: true; claims: T } | { ok: false; reason: 'forged' | 'expired' };
}

export function createSigner(keys: readonly EncryptionKey[]): Signer {
  if (keys.length === 0) throw new Error('signing needs a key');
  const derived = (purpose: ClaimPurpose) => keys.map((key) => Buffer.from(hkdfSync('sha256', key.key, Buffer.alloc(0), `gitlab-bridge ${purpose} claims v1`, 32)));
  const byPurpose: Record<ClaimPurpose, Buffer[]> = { button: derived('button'), dialog: derived('dialog') };

  const mac = (key: Buffer, body: string) => createHmac('sha256', key).update(body).digest();

  return {
    sign(purpose, claims, expiresAt) {
      const body = Buffer.from(JSON.stringify({ c: claims, exp: expiresAt })).toString('base64url');
      return `${body}.${mac(byPurpose[purpose][0]!, body).toString('base64url')}`;
    },

    verify<T>(purpose: ClaimPurpose, signed: unknown, now: number) {
      if (typeof signed !== 'string' || signed.length > 8192) return { ok: false, reason: 'forged' } as const;
      const [body, signature, extra] = signed.split('.');
      if (!body || !signature || extra !== undefined) return { ok: false, reason: 'forged' } as const;
      const given = Buffer.from(signature, 'base64url');
      // Every key is tried, whichever matches, so the time taken says nothing about which one did.
      let matched = false;
      for (const key of byPurpose[purpose]) {
        const expected = mac(key, body);
        if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true;
      }
      if (!matched) return { ok: false, reason: 'forged' } as const;
      let parsed: { c?: unknown; exp?: unknown };
      try {
        parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { c?: unknown; exp?: unknown };
      } catch {
        return { ok: false, reason: 'forged' } as const;
      }
      if (typeof parsed.exp !== 'number' || typeof parsed.c !== 'object' || parsed.c === null) return { ok: false, reason: 'forged' } as const;
      if (parsed.exp <= now) return { ok: false, reason: 'expired' } as const;
      return { ok: true, claims: parsed.c as T } as const;
    },
  };
}
