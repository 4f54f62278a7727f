/**
 * The lock session, as two replicas see it: locks asked for together (delivery takes those of all the
 * channels it is about to serve at once) each get their own answer, and exclusion holds between sessions.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createSessionLocks, type SessionLock, type SessionLocks } from '../../../server/src/store/session-locks.js';
import { createMigratedDatabase, type MigratedDatabase } from '../../helpers/databases.js';
import { silentLog } from '../../helpers/silent-log.js';

const KIND = 0x7465_7374;
let database: MigratedDatabase;
let first: SessionLocks;
let second: SessionLocks;

beforeAll(async () => {
  database = await createMigratedDatabase();
  first = createSessionLocks(database.url, silentLog);
  second = createSessionLocks(database.url, silentLog);
});
afterAll(async () => {
  await first.close();
  await second.close();
  await database.close();
});

const names = Array.from({ length: 12 }, (_, index) => `channel-${index}`);

it('answers each of many locks asked for at once, refusing only those another replica holds', async () => {
  const held = await Promise.all(names.filter((_, index) => index % 3 === 0).map((name) => first.tryLock(KIND, name)));
  expect(held.every((lock) => lock !== null)).toBe(true);

  const answers = await Promise.all(names.map((name) => second.tryLock(KIND, name)));
  expect(answers.map((lock) => lock !== null)).toEqual(names.map((_, index) => index % 3 !== 0));

  // Given back together, they are free for the other replica, and only those.
  await Promise.all(held.map((lock) => lock!.release()));
  const now = await Promise.all(names.map((name) => first.tryLock(KIND, name)));
  expect(now.map((lock) => lock !== null)).toEqual(names.map((_, index) => index % 3 === 0));

  await Promise.all([...answers, ...now].filter((lock): lock is SessionLock => lock !== null).map((lock) => lock.release()));
});

it('refuses a name this process holds already, and gives it again once released in the same turn', async () => {
  const lock = await first.tryLock(KIND, 'channel-x');
  expect(lock).not.toBeNull();
  expect(await first.tryLock(KIND, 'channel-x')).toBeNull();
  const [, again] = await Promise.all([lock!.release(), first.tryLock(KIND, 'channel-x')]);
  expect(again).not.toBeNull();
  // Still exclusive: the other replica cannot take it while this one holds it again.
  expect(await second.tryLock(KIND, 'channel-x')).toBeNull();
  await again!.release();
  const other = await second.tryLock(KIND, 'channel-x');
  expect(other).not.toBeNull();
  await other!.release();
});
