/**
 * `rotate-key`'s work: every sealed value moved to the new key a batch per
 * transaction, so an interrupted run keeps what it did and the next one
 * resumes. Only once nothing is left under another key does the database
 * record the new key as its own.
 */
import type pg from 'pg';
import { KEY_ID_SETTING } from '../crypto/encryption-key.js';
import type { EncryptionKey } from '../crypto/secret-box.js';
import { resealAccounts, resealOAuthStates } from './gitlab-accounts.js';
import { writeSetting } from './settings.js';

export interface RotationResult {
  resealed: number;
  /** Mattermost users whose tokens no configured key opened: now disconnected. */
  lost: string[];
  /** False when stopped by `maxBatches` with work left. */
  done: boolean;
}

export async function rotateTokens(
  pool: pg.Pool,
  options: { key: EncryptionKey; keys: readonly EncryptionKey[]; batchSize?: number; maxBatches?: number },
): Promise<RotationResult> {
  const { key, keys, batchSize = 100, maxBatches = Infinity } = options;
  const result: RotationResult = { resealed: 0, lost: [], done: false };
  for (let batch = 0; batch < maxBatches; batch += 1) {
    const client = await pool.connect();
    let seen = 0;
    try {
      await client.query('BEGIN');
      const accounts = await resealAccounts(client, key, keys, batchSize);
      const states = await resealOAuthStates(client, key, keys, batchSize);
      await client.query('COMMIT');
      result.resealed += accounts.resealed;
      result.lost.push(...accounts.lost);
      seen = accounts.resealed + accounts.lost.length + states;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    if (seen === 0) {
      await writeSetting(pool, KEY_ID_SETTING, key.id);
      result.done = true;
      break;
    }
  }
  return result;
}
