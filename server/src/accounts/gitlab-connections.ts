/**
 * Users' GitLab connections: finishing the OAuth flow, handing out a fresh
 * access token, and disconnecting. GitLab rotates both tokens on every
 * refresh, so two refreshes at once would log the user out: refreshes are
 * serialised per user across replicas (an advisory lock on the lock session,
 * then the row is read again, as another replica may have refreshed it). No
 * connection or transaction is held while GitLab answers: a slow GitLab must
 * not take the database's connections with it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { DEFAULT_INSTANCE } from '../config.js';
import type { EncryptionKey } from '../crypto/secret-box.js';
import { exchangeCode, fetchCurrentUser, OAuthGrantError, refreshTokens, revokeToken, type OAuthApp } from '../gitlab/oauth.js';
import type { Logger } from '../log.js';
import { parseScopes } from './write-access.js';
import { audit } from '../store/audit-log.js';
import { publishLiveEvent } from '../store/live-events.js';
import type { Queryable } from '../store/queryable.js';
import { connectedUserOf, deleteAccount, markDisconnected, readAccount, readInstanceAccounts, saveAccount, saveRefreshedTokens, type GitLabAccount } from '../store/gitlab-accounts.js';
import type { SessionLocks } from '../store/session-locks.js';
import { STOP_REASONS, stopConfidentialDelivery } from '../subscriptions/stop-confidential.js';

/** Refresh this long before GitLab's expiry, so a token handed out still works for the call it is for. */
const REFRESH_MARGIN_MS = 2 * 60_000;
/** Arbitrary, fixed: the advisory lock class for per-user refreshes. */
const REFRESH_LOCK = 0x67627034;
/** A refresh someone else is making is waited for this long (GitLab's token call has its own timeout). */
const REFRESH_WAIT_MS = 30_000;
const REFRESH_POLL_MS = 100;

export interface ConnectionDeps {
  pool: pg.Pool;
  /** The GitLab instance these connections are to (config.gitlabInstances[].name). */
  instance: string;
  /** Where the per-user refresh locks are held (a session outside the pool). */
  locks: SessionLocks;
  /** Seals new tokens; `keys` open old ones (during a key rotation there are two). */
  key: EncryptionKey;
  keys: readonly EncryptionKey[];
  app: OAuthApp;
  notify(userId: string, message: string): Promise<void>;
  log: Logger;
}

/** A connected user as GitLab knows them, with a token fit to use now. */
export interface GitLabCaller {
  token: string;
  gitlabUserId: number;
  gitlabUsername: string;
  /** What GitLab granted the token ("api", "read_user"…), as stored when it was issued (write-access.ts asks). */
  scopes?: string[];
}

export type CompleteOutcome = { ok: true; gitlabUsername: string } | { ok: false; reason: string };

export interface GitLabConnections {
  complete(userId: string, code: string, codeVerifier: string): Promise<CompleteOutcome>;
  /** A working access token, refreshed when due; null when the user is not (or no longer) connected. */
  accessTokenFor(userId: string): Promise<string | null>;
  /** The same, with the GitLab user it acts as (for calls that name the user, such as group memberships). */
  callerFor(userId: string): Promise<GitLabCaller | null>;
  /** callerFor for many users, read in one query (a batch of polls); a user who is not connected maps to null. */
  callersFor(userIds: readonly string[]): Promise<Map<string, GitLabCaller | null>>;
  /** Revokes at GitLab (best effort) and forgets; the GitLab username, or null when there was nothing. */
  disconnect(userId: string): Promise<string | null>;
}

export function createGitLabConnections(deps: ConnectionDeps): GitLabConnections {
  return {
    async complete(userId, code, codeVerifier) {
      const tokens = await exchangeCode(deps.app, code, codeVerifier);
      const user = await fetchCurrentUser(deps.app.gitlabUrl, tokens.accessToken);
      const holder = await connectedUserOf(deps.pool, deps.instance, user.id);
      if (holder && holder !== userId) {
        await revokeToken(deps.app, tokens.refreshToken).catch(() => undefined);
        return { ok: false, reason: `the GitLab account ${user.username} is already connected to another Mattermost user; disconnect it there first` };
      }
      await saveAccount(deps.pool, { mattermostUserId: userId, instance: deps.instance, gitlabUserId: user.id, gitlabUsername: user.username }, tokens, deps.key);
      await audit(deps.pool, { actor: userId, action: 'account.connected', target: `gitlab_user:${user.id}`, details: { gitlabUsername: user.username, instance: deps.instance } });
      await announceConnection(deps.pool, userId, true);
      await deps
        .notify(
          userId,
          `You are connected to GitLab as **${user.username}**. Next: \`/gitlab todo\` shows what waits for you, \`/gitlab settings\` chooses which direct messages you get, \`/gitlab subscriptions add group/project\` subscribes a channel, and \`/gitlab help\` lists everything.`,
        )
        .catch((error: unknown) => deps.log.warn({ err: error, user: userId }, 'could not send the welcome message'));
      return { ok: true, gitlabUsername: user.username };
    },

    async accessTokenFor(userId) {
      return (await callerFor(userId))?.token ?? null;
    },

    callerFor,

    async callersFor(userIds) {
      const accounts = await readInstanceAccounts(deps.pool, userIds, deps.instance, deps.keys);
      const callers = new Map<string, GitLabCaller | null>();
      for (const userId of userIds) {
        const account = accounts.get(userId);
        callers.set(userId, account ? await callerOf(userId, account) : null);
      }
      return callers;
    },

    async disconnect(userId) {
      const account = await readAccount(deps.pool, userId, deps.instance, deps.keys);
      if (!account) return null;
      if (account.tokens) {
        // Revoking the refresh token revokes its access token too; a GitLab that is down must not keep the user connected.
        await revokeToken(deps.app, account.tokens.refreshToken).catch((error: unknown) => deps.log.warn({ err: error, user: userId }, 'could not revoke the GitLab token'));
      }
      await deleteAccount(deps.pool, userId, deps.instance);
      // Confidential content this user vouched for stops with the connection.
      await stopConfidentialDelivery(deps.pool, { confidentialBy: userId, instance: deps.instance }, STOP_REASONS.disconnected, userId);
      await audit(deps.pool, { actor: userId, action: 'account.disconnected', target: `gitlab_user:${account.gitlabUserId}`, details: { gitlabUsername: account.gitlabUsername, instance: deps.instance } });
      await announceConnection(deps.pool, userId, false);
      return account.gitlabUsername;
    },
  };

  async function callerFor(userId: string): Promise<GitLabCaller | null> {
    const account = await readAccount(deps.pool, userId, deps.instance, deps.keys);
    return account ? callerOf(userId, account) : null;
  }

  /** The account's caller, its token refreshed first when it is about to expire. */
  async function callerOf(userId: string, account: GitLabAccount): Promise<GitLabCaller | null> {
    if (!account.tokens) return null;
    const token = account.tokens.expiresAt.getTime() - Date.now() > REFRESH_MARGIN_MS ? account.tokens.accessToken : await refresh(userId);
    return token ? { token, gitlabUserId: account.gitlabUserId, gitlabUsername: account.gitlabUsername, scopes: parseScopes(account.tokens.scopes) } : null;
  }

  /** One refresh per user at a time, across replicas; whoever finds one running waits for it and uses its tokens. */
  async function refresh(userId: string): Promise<string | null> {
    const deadline = Date.now() + REFRESH_WAIT_MS;
    for (;;) {
      // Per user and instance: each instance's tokens rotate on their own.
      const lock = await deps.locks.tryLock(REFRESH_LOCK, deps.instance === DEFAULT_INSTANCE ? userId : `${userId}@${deps.instance}`);
      if (lock) {
        try {
          return await refreshLocked(userId);
        } finally {
          await lock.release();
        }
      }
      if (Date.now() > deadline) throw new Error('a refresh of this GitLab connection by another request did not finish in time');
      await sleep(REFRESH_POLL_MS);
    }
  }

  async function refreshLocked(userId: string): Promise<string | null> {
    // Read again under the lock: whoever held it before may have refreshed already.
    const account = await readAccount(deps.pool, userId, deps.instance, deps.keys);
    if (!account?.tokens) return null;
    if (account.tokens.expiresAt.getTime() - Date.now() > REFRESH_MARGIN_MS) return account.tokens.accessToken;
    let fresh;
    try {
      fresh = await refreshTokens(deps.app, account.tokens.refreshToken);
    } catch (error) {
      if (!(error instanceof OAuthGrantError && error.error === 'invalid_grant')) throw error;
      return revoked(userId, account);
    }
    // Only over the connection just refreshed: a user who connected again meanwhile keeps the new one.
    if (await saveRefreshedTokens(deps.pool, userId, deps.instance, fresh, deps.key, { connectedAt: account.connectedAt })) return fresh.accessToken;
    return (await readAccount(deps.pool, userId, deps.instance, deps.keys))?.tokens?.accessToken ?? null;
  }

  /** GitLab refused the refresh token: forget the connection (unless it changed meanwhile), and tell the user once. */
  async function revoked(userId: string, used: GitLabAccount): Promise<string | null> {
    const client = await deps.pool.connect();
    let told = false;
    let token: string | null = null;
    try {
      await client.query('BEGIN');
      const account = await readAccount(client, userId, deps.instance, deps.keys, { forUpdate: true });
      if (account?.tokens && account.tokens.refreshToken !== used.tokens?.refreshToken) {
        token = account.tokens.accessToken; // refreshed or connected again meanwhile: that one stands
      } else if (account) {
        told = await markDisconnected(client, userId, deps.instance, 'GitLab refused the connection: it was revoked or has expired');
        await audit(client, { actor: 'gitlab', action: 'account.revoked', target: `gitlab_user:${account.gitlabUserId}`, details: { user: userId, instance: deps.instance } });
        if (told) await announceConnection(client, userId, false);
        if (told) await stopConfidentialDelivery(client, { confidentialBy: userId, instance: deps.instance }, STOP_REASONS.disconnected, 'gitlab');
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    if (told) {
      await deps
        .notify(userId, 'Your GitLab connection stopped working: GitLab no longer accepts it (it was revoked or has expired). Run `/gitlab connect` to connect again.')
        .catch((error: unknown) => deps.log.warn({ err: error, user: userId }, 'could not tell the user their GitLab connection ended'));
    }
    return token;
  }
}

/** Open webapps of the user show the change at once (the "Connect GitLab" button, or their lists). */
async function announceConnection(db: Queryable, userId: string, connected: boolean): Promise<void> {
  await publishLiveEvent(db, { kind: 'connection', userId, data: { connected } });
}
