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
 *
 * Every lock and unlock asked for within one turn of the event loop goes to
 * PostgreSQL in one statement: delivery takes the locks of all the channels
 * and users it is about to serve at once, and this one session would
 * otherwise be a round trip per lock.
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

/** A lock or unlock waiting for the turn's statement: resolves to pg_try_advisory_lock's or pg_advisory_unlock's answer. */
interface Pending {
  unlock: boolean;
  kind: number;
  key: string;
  resolve(answer: boolean): void;
  reject(error: unknown): void;
}

/** In order; a lock and an unlock of the same name in one turn keep their order (a session's locks count up and down). */
const STATEMENT = `SELECT CASE WHEN op.unlock THEN pg_advisory_unlock(op.kind, hashtext(op.key)) ELSE pg_try_advisory_lock(op.kind, hashtext(op.key)) END AS answer
                     FROM unnest($1::boolean[], $2::int[], $3::text[]) WITH ORDINALITY AS op (unlock, kind, key, position)
                    ORDER BY op.position`;

export function createSessionLocks(connectionString: string, log: Logger): SessionLocks {
  const names = new Set<string>();
  let session: Promise<pg.Client> | undefined;
  let live: pg.Client | undefined;
  let closed = false;
  let pending: { client: pg.Client; ops: Pending[] } | undefined;

  /** Sends, at the end of this turn of the event loop, `op` with every other asked for on `client` meanwhile. */
  const ask = (client: pg.Client, unlock: boolean, kind: number, key: string): Promise<boolean> =>
    new Promise<boolean>((resolve, reject) => {
      let batch = pending;
      if (batch?.client !== client) {
        const turn: { client: pg.Client; ops: Pending[] } = { client, ops: [] };
        batch = pending = turn;
        setImmediate(() => {
          if (pending === turn) pending = undefined;
          const { ops } = turn;
          client
            .query<{ answer: boolean }>({ name: 'session-locks', text: STATEMENT, values: [ops.map((op) => op.unlock), ops.map((op) => op.kind), ops.map((op) => op.key)] })
            .then(
              ({ rows }) => ops.forEach((op, index) => op.resolve(rows[index]?.answer === true)),
              (error: unknown) => ops.forEach((op) => op.reject(error)),
            );
        });
      }
      batch.ops.push({ unlock, kind, key, resolve, reject });
    });

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
        if (!(await ask(client, false, kind, key))) {
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
            await ask(client, true, kind, key);
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
