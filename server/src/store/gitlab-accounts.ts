/** Connected GitLab accounts and the short-lived records of the connect flow (migration 0007). */
import { createHash, randomBytes } from 'node:crypto';
import { DEFAULT_INSTANCE } from '../config.js';
import { open, seal, type EncryptionKey } from '../crypto/secret-box.js';
import type { Queryable } from './queryable.js';

export interface GitLabTokens {
  accessToken: string;
  refreshToken: string;
  expiresAt: Date;
  scopes: string;
}

export interface GitLabAccount {
  mattermostUserId: string;
  /** Which GitLab (config.gitlabInstances[].name). */
  instance: string;
  gitlabUserId: number;
  gitlabUsername: string;
  /** Null once disconnected by GitLab. */
  tokens: GitLabTokens | null;
  connectedAt: Date;
  refreshedAt: Date | null;
  disconnectedAt: Date | null;
  disconnectReason: string | null;
}

const LIFETIME = "interval '10 minutes'";
const hash = (value: string): string => createHash('sha256').update(value).digest('hex');
/** Binds a sealed token to its row: the user and, beyond the default, the instance (so it opens nowhere else). */
const context = (userId: string, instance: string, which: string): string =>
  instance === DEFAULT_INSTANCE ? `gitlab_accounts:${userId}:${which}` : `gitlab_accounts:${userId}@${instance}:${which}`;
export const newSecret = (): string => randomBytes(32).toString('base64url');

interface Row {
  mattermost_user_id: string;
  instance: string;
  gitlab_user_id: string;
  gitlab_username: string;
  key_id: string | null;
  access_token: Buffer | null;
  refresh_token: Buffer | null;
  expires_at: Date | null;
  scopes: string;
  connected_at: Date;
  refreshed_at: Date | null;
  disconnected_at: Date | null;
  disconnect_reason: string | null;
}

export async function readAccount(db: Queryable, userId: string, instance: string, keys: readonly EncryptionKey[], options: { forUpdate?: boolean } = {}): Promise<GitLabAccount | null> {
  const { rows } = await db.query<Row>(`SELECT * FROM gitlab_accounts WHERE mattermost_user_id = $1 AND instance = $2${options.forUpdate ? ' FOR UPDATE' : ''}`, [userId, instance]);
  const row = rows[0];
  if (!row) return null;
  return toAccount(row, keys);
}

/** The accounts of these users on one instance, by user (users without one are absent). One query for a batch of polls. */
export async function readInstanceAccounts(db: Queryable, userIds: readonly string[], instance: string, keys: readonly EncryptionKey[]): Promise<Map<string, GitLabAccount>> {
  const { rows } = await db.query<Row>('SELECT * FROM gitlab_accounts WHERE mattermost_user_id = ANY($1::text[]) AND instance = $2', [userIds, instance]);
  return new Map(rows.map((row) => [row.mattermost_user_id, toAccount(row, keys)]));
}

/** Every instance's account of the user, the default's first. */
export async function readAccounts(db: Queryable, userId: string, keys: readonly EncryptionKey[]): Promise<GitLabAccount[]> {
  const { rows } = await db.query<Row>(`SELECT * FROM gitlab_accounts WHERE mattermost_user_id = $1 ORDER BY instance <> $2, instance`, [userId, DEFAULT_INSTANCE]);
  return rows.map((row) => toAccount(row, keys));
}

function toAccount(row: Row, keys: readonly EncryptionKey[]): GitLabAccount {
  const userId = row.mattermost_user_id;
  const instance = row.instance;
  const tokens =
    row.key_id && row.access_token && row.refresh_token && row.expires_at
      ? {
          accessToken: open({ keyId: row.key_id, payload: row.access_token }, keys, context(userId, instance, 'access_token')),
          refreshToken: open({ keyId: row.key_id, payload: row.refresh_token }, keys, context(userId, instance, 'refresh_token')),
          expiresAt: row.expires_at,
          scopes: row.scopes,
        }
      : null;
  return {
    mattermostUserId: row.mattermost_user_id,
    instance,
    gitlabUserId: Number(row.gitlab_user_id),
    gitlabUsername: row.gitlab_username,
    tokens,
    connectedAt: row.connected_at,
    refreshedAt: row.refreshed_at,
    disconnectedAt: row.disconnected_at,
    disconnectReason: row.disconnect_reason,
  };
}

/** The Mattermost user a GitLab account is live-connected to, if any. */
export async function connectedUserOf(db: Queryable, instance: string, gitlabUserId: number): Promise<string | null> {
  const { rows } = await db.query<{ id: string }>('SELECT mattermost_user_id AS id FROM gitlab_accounts WHERE instance = $1 AND gitlab_user_id = $2 AND disconnected_at IS NULL', [instance, gitlabUserId]);
  return rows[0]?.id ?? null;
}

export async function saveAccount(
  db: Queryable,
  account: { mattermostUserId: string; instance: string; gitlabUserId: number; gitlabUsername: string },
  tokens: GitLabTokens,
  key: EncryptionKey,
): Promise<void> {
  const userId = account.mattermostUserId;
  const instance = account.instance;
  await db.query(
    `INSERT INTO gitlab_accounts (mattermost_user_id, gitlab_user_id, gitlab_username, key_id, access_token, refresh_token, expires_at, scopes, instance)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (mattermost_user_id, instance) DO UPDATE SET gitlab_user_id = $2, gitlab_username = $3, key_id = $4, access_token = $5, refresh_token = $6,
       expires_at = $7, scopes = $8, connected_at = now(), refreshed_at = NULL, disconnected_at = NULL, disconnect_reason = NULL`,
    [
      userId,
      account.gitlabUserId,
      account.gitlabUsername,
      key.id,
      seal(tokens.accessToken, key, context(userId, instance, 'access_token')).payload,
      seal(tokens.refreshToken, key, context(userId, instance, 'refresh_token')).payload,
      tokens.expiresAt,
      tokens.scopes,
      instance,
    ],
  );
}

/**
 * Stores refreshed tokens; with `connectedAt`, only while the row is still that connection (not one made
 * again meanwhile, nor a disconnected one). Reports whether it stored them.
 */
export async function saveRefreshedTokens(
  db: Queryable,
  userId: string,
  instance: string,
  tokens: GitLabTokens,
  key: EncryptionKey,
  only: { connectedAt?: Date } = {},
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE gitlab_accounts SET key_id = $2, access_token = $3, refresh_token = $4, expires_at = $5, scopes = $6, refreshed_at = now()
     WHERE mattermost_user_id = $1 AND instance = $8 AND ($7::timestamptz IS NULL OR (date_trunc('milliseconds', connected_at) = $7 AND disconnected_at IS NULL))`,
    [
      userId,
      key.id,
      seal(tokens.accessToken, key, context(userId, instance, 'access_token')).payload,
      seal(tokens.refreshToken, key, context(userId, instance, 'refresh_token')).payload,
      tokens.expiresAt,
      tokens.scopes,
      only.connectedAt ?? null,
      instance,
    ],
  );
  return (rowCount ?? 0) > 0;
}

/** Forgets the tokens but keeps why, for `/gitlab me`. Reports whether this call did it (so the user is told once). */
export async function markDisconnected(db: Queryable, userId: string, instance: string, reason: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE gitlab_accounts SET key_id = NULL, access_token = NULL, refresh_token = NULL, expires_at = NULL, disconnected_at = now(), disconnect_reason = $2
     WHERE mattermost_user_id = $1 AND instance = $3 AND disconnected_at IS NULL`,
    [userId, reason, instance],
  );
  return (rowCount ?? 0) > 0;
}

export async function deleteAccount(db: Queryable, userId: string, instance: string): Promise<void> {
  await db.query('DELETE FROM gitlab_accounts WHERE mattermost_user_id = $1 AND instance = $2', [userId, instance]);
}

export async function createConnectLink(db: Queryable, userId: string, instance: string = DEFAULT_INSTANCE): Promise<string> {
  const link = newSecret();
  await db.query(`INSERT INTO connect_links (link_hash, mattermost_user_id, instance, expires_at) VALUES ($1, $2, $3, now() + ${LIFETIME})`, [hash(link), userId, instance]);
  return link;
}

/**
 * The user a live link was made for, without using it up: a visit that only sends the browser to
 * Mattermost's login, or one by another user, must leave it working for its owner.
 */
export async function connectLinkOwner(db: Queryable, link: string): Promise<{ userId: string; instance: string } | null> {
  const { rows } = await db.query<{ id: string; instance: string }>('SELECT mattermost_user_id AS id, instance FROM connect_links WHERE link_hash = $1 AND expires_at > now()', [
    hash(link),
  ]);
  const row = rows[0];
  return row ? { userId: row.id, instance: row.instance } : null;
}

/** Uses the link up for the user it was made for, once: false when it is gone, stale or someone else's. */
export async function consumeConnectLink(db: Queryable, link: string, userId: string): Promise<boolean> {
  const { rows } = await db.query<{ live: boolean }>('DELETE FROM connect_links WHERE link_hash = $1 AND mattermost_user_id = $2 RETURNING expires_at > now() AS live', [
    hash(link),
    userId,
  ]);
  return rows[0]?.live === true;
}

export async function createOAuthState(db: Queryable, userId: string, instance: string, codeVerifier: string, key: EncryptionKey): Promise<string> {
  const state = newSecret();
  await db.query(
    `INSERT INTO oauth_states (state_hash, mattermost_user_id, instance, key_id, code_verifier, expires_at) VALUES ($1, $2, $3, $4, $5, now() + ${LIFETIME})`,
    [hash(state), userId, instance, key.id, seal(codeVerifier, key, `oauth_states:${hash(state)}`).payload],
  );
  return state;
}

/** The sign-in a `state` belongs to (the Mattermost user who started it), once: a replayed or stale state gives null. */
export async function consumeOAuthState(db: Queryable, state: string, keys: readonly EncryptionKey[]): Promise<{ userId: string; instance: string; codeVerifier: string } | null> {
  const { rows } = await db.query<{ id: string; instance: string; key_id: string; code_verifier: Buffer; live: boolean }>(
    'DELETE FROM oauth_states WHERE state_hash = $1 RETURNING mattermost_user_id AS id, instance, key_id, code_verifier, expires_at > now() AS live',
    [hash(state)],
  );
  const row = rows[0];
  if (!row?.live) return null;
  return { userId: row.id, instance: row.instance, codeVerifier: open({ keyId: row.key_id, payload: row.code_verifier }, keys, `oauth_states:${hash(state)}`) };
}

/** Why `rotate-key` had to drop an account's tokens (shown by `/gitlab me`). */
export const KEY_LOST_REASON = 'its tokens were sealed with an encryption key this bridge no longer has';

/**
 * Moves up to `limit` accounts whose tokens are sealed under another key to `key` (rotate-key), inside the
 * caller's transaction. Tokens that no key in `keys` opens are dropped and the account marked disconnected.
 */
export async function resealAccounts(db: Queryable, key: EncryptionKey, keys: readonly EncryptionKey[], limit: number): Promise<{ resealed: number; lost: string[] }> {
  const { rows } = await db.query<{ mattermost_user_id: string; instance: string; key_id: string; access_token: Buffer; refresh_token: Buffer }>(
    `SELECT mattermost_user_id, instance, key_id, access_token, refresh_token FROM gitlab_accounts
      WHERE key_id IS NOT NULL AND key_id <> $1 ORDER BY mattermost_user_id, instance LIMIT $2 FOR UPDATE`,
    [key.id, limit],
  );
  const lost: string[] = [];
  for (const row of rows) {
    const { mattermost_user_id: userId, instance } = row;
    let tokens: [string, string];
    try {
      tokens = [
        open({ keyId: row.key_id, payload: row.access_token }, keys, context(userId, instance, 'access_token')),
        open({ keyId: row.key_id, payload: row.refresh_token }, keys, context(userId, instance, 'refresh_token')),
      ];
    } catch {
      await markDisconnected(db, userId, instance, KEY_LOST_REASON);
      lost.push(userId);
      continue;
    }
    await db.query('UPDATE gitlab_accounts SET key_id = $2, access_token = $3, refresh_token = $4 WHERE mattermost_user_id = $1 AND instance = $5', [
      userId,
      key.id,
      seal(tokens[0], key, context(userId, instance, 'access_token')).payload,
      seal(tokens[1], key, context(userId, instance, 'refresh_token')).payload,
      instance,
    ]);
  }
  return { resealed: rows.length - lost.length, lost };
}

/** The same for sign-ins in progress; one no key opens is dropped (its user simply connects again). */
export async function resealOAuthStates(db: Queryable, key: EncryptionKey, keys: readonly EncryptionKey[], limit: number): Promise<number> {
  const { rows } = await db.query<{ state_hash: string; key_id: string; code_verifier: Buffer }>(
    'SELECT state_hash, key_id, code_verifier FROM oauth_states WHERE key_id <> $1 ORDER BY state_hash LIMIT $2 FOR UPDATE',
    [key.id, limit],
  );
  for (const row of rows) {
    const where = `oauth_states:${row.state_hash}`;
    let verifier: string;
    try {
      verifier = open({ keyId: row.key_id, payload: row.code_verifier }, keys, where);
    } catch {
      await db.query('DELETE FROM oauth_states WHERE state_hash = $1', [row.state_hash]);
      continue;
    }
    await db.query('UPDATE oauth_states SET key_id = $2, code_verifier = $3 WHERE state_hash = $1', [row.state_hash, key.id, seal(verifier, key, where).payload]);
  }
  return rows.length;
}
