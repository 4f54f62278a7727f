/**
 * Processing takes stored webhooks in batches: what a team notices is that
 * every webhook of a batch becomes its post, in order, even when one of them
 * cannot be processed; and that a webhook's post says what was stored, though
 * processing in the door's process takes the payload from memory.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { processDeliveries } from '../../../server/src/delivery/process-deliveries.js';
import { createRecentPayloads } from '../../../server/src/delivery/recent-payloads.js';
import type { FeatureLevelSource } from '../../../server/src/gitlab/project-features.js';
import { createDeliveryBatcher } from '../../../server/src/store/delivery-batcher.js';
import { createSubscription } from '../../../server/src/store/subscriptions.js';
import { startChannelBridge, type ChannelBridge } from '../../helpers/channel-bridge.js';
import { createMigratedDatabase, type MigratedDatabase } from '../../helpers/databases.js';
import { webhookFixture } from '../../helpers/fixtures.js';
import { silentLog } from '../../helpers/silent-log.js';
import { waitFor } from '../../helpers/wait-for.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** process-deliveries.ts's PROCESS_LOCK: holding it in another session pauses processing, as a busy replica would. */
const PROCESS_LOCK = 0x67627031;
const PROJECT = 'batches/project';

function issue(iid: number, title: string): Json {
  const payload = JSON.parse(webhookFixture('issue.open.json').body) as Json;
  payload.project.path_with_namespace = PROJECT;
  payload.object_attributes.id = 5000 + iid;
  payload.object_attributes.iid = iid;
  payload.object_attributes.title = title;
  return payload;
}

describe('processing batches of webhooks', () => {
  let bridge: ChannelBridge;
  let channelId: string;
  beforeAll(async () => {
    bridge = await startChannelBridge();
    channelId = bridge.mattermost.addChannel('batches', { type: 'P', members: [bridge.bot.id] }).id;
    await bridge.subscribe({ channelId, targetKind: 'project', targetPath: PROJECT, filters: { events: ['issue'] }, privateAccess: true });
  });
  afterAll(() => bridge.close());

  /** Runs `send` while processing is held, so that everything it stores is taken in one batch afterwards. */
  async function asOneBatch(send: () => Promise<void>): Promise<void> {
    const holder = new pg.Client({ connectionString: bridge.database.url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1, hashtext($2))', [PROCESS_LOCK, 'default']);
      await send();
    } finally {
      await holder.end();
    }
  }

  it('posts every other webhook of a batch, in order, when one of them cannot be processed, and sets that one aside after five tries', async () => {
    // A fault for one webhook only: writing its post fails, as a bug in processing it would.
    await bridge.pool.query(`
      CREATE FUNCTION refuse_poisoned_post() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.message LIKE '%Poisoned%' THEN RAISE EXCEPTION 'this post is poisoned for the test'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER refuse_poisoned_post BEFORE INSERT ON channel_outbox FOR EACH ROW EXECUTE FUNCTION refuse_poisoned_post();`);
    try {
      const titles = ['First issue', 'Poisoned issue', 'Third issue', 'Fourth issue'];
      await asOneBatch(async () => {
        for (const [index, title] of titles.entries()) expect((await bridge.send('Issue Hook', issue(index + 1, title))).status).toBe(202);
      });

      await waitFor(() => bridge.postsIn(channelId).length === 3, 'the three good webhooks posted', 20_000);
      expect(bridge.postsIn(channelId).map((post) => /(First|Third|Fourth) issue/.exec(post.message)?.[0])).toEqual(['First issue', 'Third issue', 'Fourth issue']);
      // The poisoned one is tried again with later passes, then set aside with its error.
      await waitFor(
        async () => (await bridge.pool.query("SELECT 1 FROM webhook_deliveries WHERE payload->'object_attributes'->>'title' = 'Poisoned issue' AND processed_at IS NOT NULL")).rowCount === 1,
        'the poisoned webhook set aside',
        30_000,
      );
      const { rows } = await bridge.pool.query("SELECT attempts, last_error FROM webhook_deliveries WHERE payload->'object_attributes'->>'title' = 'Poisoned issue'");
      expect(rows[0]).toMatchObject({ attempts: 5, last_error: expect.stringContaining('poisoned for the test') });
      expect(bridge.postsIn(channelId)).toHaveLength(3);
    } finally {
      await bridge.pool.query('DROP TRIGGER refuse_poisoned_post ON channel_outbox; DROP FUNCTION refuse_poisoned_post()');
    }
  });

  it('posts what was stored, a NUL character left out, though processing takes the payload from the door rather than the database', async () => {
    const before = bridge.postsIn(channelId).length;
    expect((await bridge.send('Issue Hook', JSON.stringify(issue(11, 'Null\u0000byte here')))).status).toBe(202);
    await bridge.settle();
    const posted = bridge.postsIn(channelId).slice(before).map((post) => post.message);
    expect(posted).toHaveLength(1);
    expect(posted[0]).toContain('Nullbyte here');
    expect(posted[0]).not.toContain('\u0000');
  });
});

describe('processing with the payloads the door just stored', () => {
  let database: MigratedDatabase;
  // Public projects' levels unknown: the look-ahead runs, as it always does in the bridge.
  const features: FeatureLevelSource = { levelsFor: async (projects) => new Map([...projects.keys()].map((id) => [id, null])) };
  beforeAll(async () => {
    database = await createMigratedDatabase();
    await createSubscription(database.pool, { channelId: 'channel-1', targetKind: 'project', targetPath: PROJECT, filters: { events: ['issue'] }, privateAccess: true, creatorId: 'creator' });
  });
  afterAll(() => database.close());

  const queuedMessages = async () => (await database.pool.query<{ message: string }>('SELECT message FROM channel_outbox ORDER BY id')).rows.map((row) => row.message);

  it('takes a payload from memory when the door left it there, and from the database otherwise', async () => {
    const batcher = createDeliveryBatcher(database.pool);
    const recent = createRecentPayloads();
    const store = async (title: string) => {
      const outcome = await batcher.store({
        dedupeKey: `key-${title}`, event: 'Issue Hook', idempotencyKey: undefined, eventUuid: undefined, webhookUuid: undefined,
        instanceHeader: undefined, instance: 'default', signed: false, payload: JSON.stringify(issue(title.length, title)),
      });
      if (!outcome.stored) throw new Error('not stored');
      return outcome.id;
    };
    const fromMemory = await store('Stored in the database');
    await store('Only in the database');
    // What the door would have left: the same delivery's text (changed here, to tell where processing read it).
    recent.remember(fromMemory, JSON.stringify(issue('Stored in the database'.length, 'Taken from memory')));

    expect(await processDeliveries(database.pool, silentLog, { gitlabUrl: 'http://gitlab.example.com', buttons: false }, features, recent)).toBe(2);

    const messages = await queuedMessages();
    expect(messages).toHaveLength(2);
    expect(messages[0]).toContain('Taken from memory');
    expect(messages[1]).toContain('Only in the database');
    // Taken once: processed, it is forgotten.
    expect(recent.take(fromMemory)).toBeUndefined();
    await batcher.close();
  });
});

describe('the payloads kept for processing', () => {
  it('keeps payloads until taken, once, within its size and age bounds', () => {
    let clock = 0;
    const recent = createRecentPayloads({ maxChars: 10, maxAgeMs: 1000, now: () => clock });
    recent.remember('1', '{"a":1}');
    recent.remember('2', '{"b":2}'); // would exceed 10 characters: not kept
    expect(recent.take('2')).toBeUndefined();
    expect(recent.take('1')).toBe('{"a":1}');
    expect(recent.take('1')).toBeUndefined();

    recent.remember('3', '{"c":3}');
    clock = 1000;
    recent.remember('4', '{}'); // the older one has aged out meanwhile
    expect(recent.take('3')).toBeUndefined();
    expect(recent.take('4')).toBe('{}');
  });
});
