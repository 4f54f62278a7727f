/**
 * Advisory locks held on one database session of their own, outside the pool.
 *
 * Some work must be single-file across replicas and yet spans calls to
 * Mattermost or GitLab that can take seconds (a channel's posts in order, a
 * user's token refresh). Holding a pooled connection for that long lets a slow
 * Mattermost starve everything else of connections; a lease row needs a
 * migration and keeps a dead replica's work blocked until it expires. Instead,
 * every such lock of this process lives on this one session: taking and giving
 * back a lock are single quick statements, nothing waits on the session in
 * between, and a replica that dies (or loses the session) releases all of its
 * locks at once, as PostgreSQL ends the session.
 *
 * Session locks are re-entrant within a session, so exclusion inside this
 * process is kept by a set of held names. A lost session means lost locks:
 * `held()` turns false, and the holder stops before its next step.
 */
import pg from 'pg';
import type { Logger } from '../log.js';

export interface SessionLock {
  /** False once released, or once the session it was taken on is gone (another replica may hold it now). */
  held(): boolean;
  /** Idempotent; never rejects (a session that cannot unlock is ended, which unlocks). */
  release(): Promise<void>;
}

export interface SessionLocks {
  /** Takes (kind, key) if no one holds it, here or in any other session; null when someone does. */
  tryLock(kind: number, key: string): Promise<SessionLock | null>;
  close(): Promise<void>;
}

const CONNECT_TIMEOUT_MS = 5000;

export function createSessionLocks(connectionString: string, log: Logger): SessionLocks {
  const names = new Set<string>();
  let session: Promise<pg.Client> | undefined;
  let live: pg.Client | undefined;
  let closed = false;

  const forget = (client: pg.Client) => {
    if (live === client) live = undefined;
    session = undefined;
  };

  const connect = (): Promise<pg.Client> =>
    (session ??= (async () => {
      // Keep-alive: a session cut by the network (not closed) is noticed, and its locks known lost, sooner.
      const client = new pg.Client({ connectionString, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, application_name: 'gitlab-bridge-locks', keepAlive: true });
      client.on('error', (error) => {
        log.warn({ err: { message: error.message } }, 'lost the database session that holds delivery locks; reconnecting when next needed');
        forget(client);
        void client.end().catch(() => undefined);
      });
      client.once('end', () => forget(client));
      try {
        await client.connect();
      } catch (error) {
        session = undefined;
        throw error;
      }
      live = client;
      return client;
    })());

  return {
    async tryLock(kind, key) {
      if (closed) throw new Error('the lock session is closed: the bridge is stopping');
      const name = `${kind}:${key}`;
      if (names.has(name)) return null;
      names.add(name);
      let client: pg.Client;
      try {
        client = await connect();
        const { rows } = await client.query<{ locked: boolean }>({ name: 'session-lock', text: 'SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked', values: [kind, key] });
        if (!rows[0]?.locked) {
          names.delete(name);
          return null;
        }
      } catch (error) {
        names.delete(name);
        throw error;
      }
      let released = false;
      return {
        held: () => !released && live === client,
        async release() {
          if (released) return;
          released = true;
          names.delete(name);
          if (live !== client) return; // the session is gone, and the lock with it
          try {
            await client.query({ name: 'session-unlock', text: 'SELECT pg_advisory_unlock($1, hashtext($2))', values: [kind, key] });
          } catch (error) {
            // Unknown whether it was unlocked: ending the session surely does.
            log.warn({ err: { message: (error as Error).message } }, 'could not release a delivery lock; ending its session');
            forget(client);
            await client.end().catch(() => undefined);
          }
        },
      };
    },

    async close() {
      closed = true;
      const pending = session;
      session = undefined;
      live = undefined;
      const client = await pending?.catch(() => undefined);
      await client?.end().catch(() => undefined);
    },
  };
}
