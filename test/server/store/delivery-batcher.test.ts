/**
 * Group commit of webhook deliveries, against real PostgreSQL: many concurrent
 * stores become few statements, and every caller still gets its own answer.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { createDeliveryBatcher, DEFAULT_MAX_BATCH, InboxOverloadedError } from '../../../server/src/store/delivery-batcher.js';
import { migrate } from '../../../server/src/store/migrate.js';
import type { Queryable } from '../../../server/src/store/queryable.js';
import type { IncomingDelivery, StoreOutcome } from '../../../server/src/store/webhook-inbox.js';
import { createTestDatabase, openPool, testServers, type TestDatabase } from '../../helpers/databases.js';
import { webhookFixture } from '../../helpers/fixtures.js';
import { silentLog } from '../../helpers/silent-log.js';

function delivery(overrides: Partial<IncomingDelivery> = {}): IncomingDelivery {
  const key = randomUUID();
  return {
    dedupeKey: `idempotency:${key}`,
    event: 'Push Hook',
    idempotencyKey: key,
    eventUuid: undefined,
    webhookUuid: undefined,
    instanceHeader: undefined,
    instance: 'default',
    signed: false,
    payload: JSON.stringify({ object_kind: 'push', key }),
    ...overrides,
  };
}

/** The pool, recording how many deliveries each batch INSERT carried and the most INSERTs in flight at once. */
function spying(pool: pg.Pool): { db: Queryable; batches: number[]; mostInFlight: () => number } {
  const batches: number[] = [];
  let inFlight = 0;
  let most = 0;
  const db = {
    query: async (config: pg.QueryConfig) => {
      if (!config.text.startsWith('INSERT')) return pool.query(config);
      batches.push((config.values![0] as unknown[]).length);
      most = Math.max(most, (inFlight += 1));
      try {
        return await pool.query(config);
      } finally {
        inFlight -= 1;
      }
    },
  } as unknown as Queryable;
  return { db, batches, mostInFlight: () => most };
}

async function rowCount(pool: pg.Pool): Promise<number> {
  return (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM webhook_deliveries')).rows[0]!.n;
}

const storedId = (outcome: StoreOutcome): string => {
  if (!outcome.stored) throw new Error(`expected a stored delivery, got a duplicate of ${outcome.duplicateOf}`);
  return outcome.id;
};

describe.each(testServers())('delivery batcher on $label', (server) => {
  let database: TestDatabase;
  let pool: pg.Pool;

  beforeEach(async () => {
    database = await createTestDatabase(server);
    pool = openPool(database.url);
    await migrate(pool, silentLog);
  });
  afterEach(async () => {
    await pool.end();
    await database.drop();
  });

  it('stores 200 concurrent deliveries in a few statements, each caller getting the id of its own row', async () => {
    const { db, batches } = spying(pool);
    const batcher = createDeliveryBatcher(db);
    const deliveries = Array.from({ length: 200 }, () => delivery());

    const outcomes = await Promise.all(deliveries.map((d) => batcher.store(d)));

    const ids = outcomes.map(storedId);
    expect(new Set(ids).size).toBe(200);
    expect(await rowCount(pool)).toBe(200);
    const { rows } = await pool.query<{ id: string; dedupe_key: string }>('SELECT id, dedupe_key FROM webhook_deliveries');
    const keyById = new Map(rows.map((row) => [row.id, row.dedupe_key]));
    deliveries.forEach((d, index) => expect(keyById.get(ids[index]!)).toBe(d.dedupeKey));
    // The first is written at once; the rest accumulate meanwhile and go out in a few batches.
    expect(batches[0]).toBe(1);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(200);
    expect(batches.length).toBeLessThanOrEqual(1 + Math.ceil(199 / DEFAULT_MAX_BATCH));
    expect(Math.max(...batches)).toBeLessThanOrEqual(DEFAULT_MAX_BATCH);
    await batcher.close();
  });

  it('gives the deliveries of one statement ids in their order of arrival', async () => {
    const batcher = createDeliveryBatcher(pool, { maxBatch: 500, maxConcurrent: 1 });
    const ids = (await Promise.all(Array.from({ length: 120 }, () => batcher.store(delivery())))).map((outcome) => Number(storedId(outcome)));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    await batcher.close();
  });

  it('writes a lone delivery at once, never puts more than maxBatch in one statement nor runs more than maxConcurrent', async () => {
    const { db, batches, mostInFlight } = spying(pool);
    const batcher = createDeliveryBatcher(db, { maxBatch: 10, maxConcurrent: 2 });

    const started = Date.now();
    storedId(await batcher.store(delivery()));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(batches).toEqual([1]);
    // One delivery at a time is no burst: the delivery workers need not step back.
    expect(batcher.busy()).toBe(false);

    const outcomes = await Promise.all(Array.from({ length: 45 }, () => batcher.store(delivery())));
    expect(batcher.busy()).toBe(true);
    expect(new Set(outcomes.map(storedId)).size).toBe(45);
    expect(batches.slice(1).reduce((a, b) => a + b, 0)).toBe(45);
    expect(Math.max(...batches)).toBeLessThanOrEqual(10);
    expect(mostInFlight()).toBe(2);
    expect(await rowCount(pool)).toBe(46);
    await batcher.close();
  });

  it('lets a delivery that comes in a stream wait for company, up to gatherMs, while a lone one is written at once', async () => {
    const { db, batches } = spying(pool);
    const batcher = createDeliveryBatcher(db, { gatherMs: 1000 });
    // Two deliveries one after the other: no stream yet, each is written at once.
    storedId(await batcher.store(delivery()));
    storedId(await batcher.store(delivery()));
    expect(batches).toEqual([1, 1]);
    // A third soon after them: a stream. It waits for the next two rather than committing alone.
    const third = batcher.store(delivery());
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(batches).toEqual([1, 1]);
    const rest = [batcher.store(delivery()), batcher.store(delivery())];
    const outcomes = await Promise.all([third, ...rest]);
    expect(new Set(outcomes.map(storedId)).size).toBe(3);
    expect(batches).toEqual([1, 1, 3]);
    expect(await rowCount(pool)).toBe(5);
    await batcher.close();
  });

  it('counts as a stream only deliveries closer together than half of gatherMs: a steady trickle is written at once', async () => {
    const { db, batches } = spying(pool);
    const batcher = createDeliveryBatcher(db, { gatherMs: 2000 });
    // Three deliveries 0.6 s apart: the third comes 1.2 s after the first, within gatherMs but over half of it,
    // so it does not wait the 2 s for company.
    for (let index = 0; index < 3; index += 1) {
      if (index > 0) await new Promise((resolve) => setTimeout(resolve, 600));
      const started = performance.now();
      storedId(await batcher.store(delivery()));
      expect(performance.now() - started).toBeLessThan(1000);
    }
    expect(batches).toEqual([1, 1, 1]);
    await batcher.close();
  });

  it('writes what is gathering at once when closed', async () => {
    const batcher = createDeliveryBatcher(pool, { gatherMs: 60_000 });
    storedId(await batcher.store(delivery()));
    storedId(await batcher.store(delivery()));
    const gathering = batcher.store(delivery());
    await new Promise((resolve) => setTimeout(resolve, 50)); // gathering now, for a minute
    const started = Date.now();
    await batcher.close();
    storedId(await gathering);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await rowCount(pool)).toBe(3);
  });

  it('keeps the payloads of one statement under maxBatchChars, sending a larger payload alone', async () => {
    const { db, batches } = spying(pool);
    const batcher = createDeliveryBatcher(db, { maxBatchChars: 100 });
    const sized = (chars: number) => delivery({ payload: JSON.stringify({ pad: 'x'.repeat(chars - 10) }) });
    const deliveries = [sized(40), sized(40), sized(40), sized(40), sized(250), sized(40), sized(40)];

    const outcomes = await Promise.all(deliveries.map((d) => batcher.store(d)));

    expect(new Set(outcomes.map(storedId)).size).toBe(7);
    // The first alone (idle), then at most two 40-character payloads per statement, and the big one by itself.
    expect(batches).toEqual([1, 2, 1, 1, 2]);
    await batcher.close();
  });

  it('answers later copies of a key in the same batch as duplicates of the first, which wins', async () => {
    const { db, batches } = spying(pool);
    const batcher = createDeliveryBatcher(db);
    const first = delivery({ payload: '{"copy":1}' });
    const copies = [2, 3].map((n) => ({ ...first, payload: `{"copy":${n}}` }));

    const [lone, ...outcomes] = await Promise.all([batcher.store(delivery()), batcher.store(first), ...copies.map((c) => batcher.store(c))]);

    storedId(lone!);
    expect(batches).toEqual([1, 1]); // the three copies shared the second statement as one row
    const id = storedId(outcomes[0]!);
    expect(outcomes.slice(1)).toEqual([
      { stored: false, duplicateOf: id },
      { stored: false, duplicateOf: id },
    ]);
    const { rows } = await pool.query('SELECT id, payload FROM webhook_deliveries WHERE dedupe_key = $1', [first.dedupeKey]);
    expect(rows).toEqual([{ id, payload: { copy: 1 } }]);
    await batcher.close();
  });

  it('answers keys stored earlier as duplicates of the existing row, beside new ones in the same batch', async () => {
    const earlier = [delivery(), delivery()];
    const batcher = createDeliveryBatcher(pool);
    // One at a time: each is written alone, before the batch below.
    const earlierIds = [storedId(await batcher.store(earlier[0]!)), storedId(await batcher.store(earlier[1]!))];
    const fresh = [delivery(), delivery()];

    const outcomes = await Promise.all([
      batcher.store(fresh[0]!),
      batcher.store({ ...earlier[1]!, payload: '{"replayed":true}' }),
      batcher.store(fresh[1]!),
      batcher.store(earlier[0]!),
      batcher.store(earlier[1]!),
    ]);

    expect(outcomes[1]).toEqual({ stored: false, duplicateOf: earlierIds[1] });
    expect(outcomes[3]).toEqual({ stored: false, duplicateOf: earlierIds[0] });
    expect(outcomes[4]).toEqual({ stored: false, duplicateOf: earlierIds[1] });
    const freshIds = [storedId(outcomes[0]!), storedId(outcomes[2]!)];
    expect(freshIds).not.toContain(earlierIds[0]);
    expect(await rowCount(pool)).toBe(4);
    // And a later, separate write sees the batch's rows as duplicates too.
    expect(await batcher.store(fresh[1]!)).toEqual({ stored: false, duplicateOf: freshIds[1] });
    await batcher.close();
  });

  it('rejects every caller of a failing batch and stores nothing of it', async () => {
    const batcher = createDeliveryBatcher(pool);
    storedId(await batcher.store(delivery()));
    await pool.query('ALTER TABLE webhook_deliveries RENAME TO webhook_deliveries_away');

    const results = await Promise.allSettled(Array.from({ length: 20 }, () => batcher.store(delivery())));

    expect(results.map((r) => r.status)).toEqual(Array(20).fill('rejected'));
    for (const result of results) expect(String((result as PromiseRejectedResult).reason)).toMatch(/webhook_deliveries/);
    await pool.query('ALTER TABLE webhook_deliveries_away RENAME TO webhook_deliveries');
    expect(await rowCount(pool)).toBe(1);
    // The batcher carries on once the database does.
    storedId(await batcher.store(delivery()));
    await batcher.close();
  });

  it('rejects every waiting caller when the database connection is gone', async () => {
    const other = openPool(database.url);
    await migrate(other, silentLog);
    const batcher = createDeliveryBatcher(other);
    await other.end();

    const results = await Promise.allSettled(Array.from({ length: 5 }, () => batcher.store(delivery())));

    expect(results.map((r) => r.status)).toEqual(Array(5).fill('rejected'));
    expect(await rowCount(pool)).toBe(0);
  });

  it('refuses deliveries, rather than holding them, while the database hangs; stores again once it answers', async () => {
    const [first, second, third, fourth] = [delivery(), delivery(), delivery(), delivery()];
    const size = first.payload.length;
    const batcher = createDeliveryBatcher(pool, { maxConcurrent: 1, gatherMs: 0, maxWaitMs: 300, maxHeldChars: Math.floor(2.5 * size) });
    // What was written is no longer held: three writes leave room for two more.
    const earlier = [delivery(), delivery(), delivery()];
    for (const one of earlier) storedId(await batcher.store(one));
    // A transaction holding the table stands in for a database that takes a write and does not answer.
    const locker = await pool.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE webhook_deliveries IN ACCESS EXCLUSIVE MODE');
    try {
      const hung = batcher.store(first); // written, and waiting on the lock
      const waiting = batcher.store(second); // waits for the one write there may be
      const settled: string[] = [];
      const overflowing = batcher.store(third).finally(() => settled.push('third'));
      const waitedOut = waiting.finally(() => settled.push('second'));
      // Past what it may hold: refused at once, not after the wait.
      await expect(overflowing).rejects.toThrow(InboxOverloadedError);
      await expect(overflowing).rejects.toThrow(/already waiting for the database/);
      // Waited maxWaitMs without its write starting: refused then.
      await expect(waitedOut).rejects.toThrow(/did not take this delivery within 300 ms/);
      expect(settled).toEqual(['third', 'second']);

      await locker.query('ROLLBACK');
      storedId(await hung);
      storedId(await batcher.store(fourth));
      const { rows } = await pool.query<{ idempotency_key: string }>('SELECT idempotency_key FROM webhook_deliveries ORDER BY id');
      expect(rows.map((row) => row.idempotency_key)).toEqual([...earlier, first, fourth].map((one) => one.idempotencyKey));
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      locker.release();
      await batcher.close();
    }
  });

  it('writes beside a slow write once a delivery has waited gatherMs, rather than refusing it', async () => {
    // The first INSERT takes as long as the test says (a large payload, a row lock): the second connection is free.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let inserts = 0;
    const db = {
      query: async (config: pg.QueryConfig) => {
        if (config.text.startsWith('INSERT') && (inserts += 1) === 1) await held;
        return pool.query(config);
      },
    } as unknown as Queryable;
    const batcher = createDeliveryBatcher(db, { maxConcurrent: 2, gatherMs: 20, maxWaitMs: 500 });
    const slow = batcher.store(delivery());
    const next = delivery();
    storedId(await batcher.store(next));
    expect(batcher.busy()).toBe(false); // one slow write is no burst
    release();
    storedId(await slow);
    await batcher.close();
  });

  it('fails the rest of a split batch at once when the database stops answering, without a statement for each', async () => {
    const refused = Object.assign(new Error('invalid input syntax for type json'), { code: '22P02' });
    const cancelled = Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });
    const statements: number[] = [];
    const db = {
      query: async (config: pg.QueryConfig) => {
        const keys = config.values![0] as string[];
        statements.push(keys.length);
        // The first is written; the four that waited for it share a statement that PostgreSQL refuses for a
        // value; the first of them written alone then times out.
        if (statements.length === 1) return { rows: keys.map((key, index) => ({ id: String(index + 1), dedupe_key: key })) };
        throw statements.length === 2 ? refused : cancelled;
      },
    } as unknown as Queryable;
    const batcher = createDeliveryBatcher(db, { maxConcurrent: 1, gatherMs: 0 });
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => batcher.store(delivery())));
    expect(statements).toEqual([1, 4, 1]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'rejected', 'rejected']);
    expect(results.slice(1).map((result) => (result as PromiseRejectedResult).reason)).toEqual(Array(4).fill(cancelled));
    await batcher.close();
  });

  it('always takes a delivery larger than maxHeldChars when it holds nothing else', async () => {
    const batcher = createDeliveryBatcher(pool, { maxHeldChars: 10 });
    storedId(await batcher.store(delivery()));
    await batcher.close();
  });

  it('fails only the delivery whose payload PostgreSQL refuses, not the others batched with it', async () => {
    const batcher = createDeliveryBatcher(pool);
    const good = [delivery(), delivery(), delivery()];
    // Not JSON: the door never hands such a payload over, but the store must not rely on that.
    const poison = delivery({ payload: '{"n":' });

    const results = await Promise.allSettled([batcher.store(delivery()), batcher.store(good[0]!), batcher.store(poison), batcher.store(good[1]!), batcher.store(good[2]!)]);

    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(await rowCount(pool)).toBe(4);
    await batcher.close();
  });

  it('fails only the delivery PostgreSQL cannot index (a limit, class 54), not the others batched with it', async () => {
    const batcher = createDeliveryBatcher(pool);
    // The door digests long keys; the store must not rely on that either.
    const tooLong = delivery({ dedupeKey: `idempotency:${randomBytes(5000).toString('base64')}` });

    const results = await Promise.allSettled([batcher.store(delivery()), batcher.store(delivery()), batcher.store(tooLong), batcher.store(delivery())]);

    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(await rowCount(pool)).toBe(3);
    await batcher.close();
  });

  it('keeps the payload JSON as sent, the fixture and awkward strings alike', async () => {
    const batcher = createDeliveryBatcher(pool);
    const fixture = webhookFixture('merge_request.open.json');
    const awkward = {
      quotes: 'say "hi"',
      backslashes: 'C:\\path\\{x}',
      braces: '{a,b}',
      newline: 'line 1\nline 2\ttab',
      unicode: 'héllo 世界 🦊',
      nested: { list: [1, 2.5, null, true, 'NULL'], empty: {} },
      nothing: null,
    };
    const sent = [delivery({ event: fixture.event, payload: fixture.body }), delivery({ payload: JSON.stringify(awkward) }), delivery({ payload: '{}' })];

    const outcomes = await Promise.all(sent.map((d) => batcher.store(d)));

    for (const [index, outcome] of outcomes.entries()) {
      const { rows } = await pool.query('SELECT event, payload FROM webhook_deliveries WHERE id = $1', [storedId(outcome)]);
      expect(rows[0].event).toBe(sent[index]!.event);
      expect(rows[0].payload).toEqual(JSON.parse(sent[index]!.payload));
    }
    await batcher.close();
  });

  it('stores every header column, null when absent', async () => {
    const batcher = createDeliveryBatcher(pool);
    const full = delivery({ eventUuid: 'e-1', webhookUuid: 'hook-1', instanceHeader: 'https://gitlab.example.com', instance: 'corp', signed: true });
    const bare = delivery({ idempotencyKey: undefined, dedupeKey: 'sha256:abc' });
    const [a, b] = await Promise.all([batcher.store(full), batcher.store(bare)]);
    const byId = async (outcome: StoreOutcome) =>
      (await pool.query('SELECT dedupe_key, idempotency_key, event_uuid, webhook_uuid, instance_header, instance, signed FROM webhook_deliveries WHERE id = $1', [storedId(outcome)])).rows[0];
    expect(await byId(a!)).toEqual({
      dedupe_key: full.dedupeKey,
      idempotency_key: full.idempotencyKey,
      event_uuid: 'e-1',
      webhook_uuid: 'hook-1',
      instance_header: 'https://gitlab.example.com',
      instance: 'corp',
      signed: true,
    });
    expect(await byId(b!)).toEqual({ dedupe_key: 'sha256:abc', idempotency_key: null, event_uuid: null, webhook_uuid: null, instance_header: null, instance: 'default', signed: false });
    await batcher.close();
  });

  it('on close, finishes what it was given and refuses anything later', async () => {
    const batcher = createDeliveryBatcher(pool);
    const pending = Array.from({ length: 30 }, () => batcher.store(delivery()));
    const closing = batcher.close();
    await expect(batcher.store(delivery())).rejects.toThrow(/closed/);
    await closing;
    const outcomes = await Promise.all(pending);
    expect(outcomes.every((o) => o.stored)).toBe(true);
    expect(await rowCount(pool)).toBe(30);
    await batcher.close();
  });
});
