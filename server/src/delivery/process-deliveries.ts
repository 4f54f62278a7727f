/**
 * Turns stored webhook deliveries into queued channel posts. One replica at a
 * time (a transaction-scoped advisory lock) so posts are queued in the order
 * GitLab's deliveries were stored; each delivery is handled in its own
 * savepoint so one bad payload never holds up the others.
 *
 * Whether a public project's event is public depends on its feature levels,
 * which only GitLab knows: before the transaction, the pending deliveries are
 * read and the levels of the public projects they name are made ready
 * (gitlab/project-features.ts), with no connection held while GitLab answers.
 * The transaction then takes only deliveries looked at that way.
 *
 * What it decided for each subscription that could have wanted a delivery is
 * recorded with the rest of the batch (explain/delivery-record.ts), so that
 * `/gitlab subscriptions explain` can say why something did or did not arrive.
 */
import type pg from 'pg';
import type { GitLabEvent, ParseResult } from '../gitlab/events/event.js';
import { isIgnored } from '../gitlab/events/event.js';
import type { FeatureLevelSource } from '../gitlab/project-features.js';
import { isOpenToAll, needsFeatureLevels, type FeatureLevels } from '../rules/feature-visibility.js';
import { parseEvent } from '../gitlab/events/parse-event.js';
import { DEFAULT_INSTANCE, inInstance, projectKeyOf } from '../gitlab/instances.js';
import type { Logger } from '../log.js';
import { renderPost } from '../render/render-post.js';
import { coveringPaths, eventPath, matchSubscription, type EventAudience } from '../rules/match-subscription.js';
import type { Subscription } from '../rules/subscription.js';
import { enqueuePosts } from '../store/channel-outbox.js';
import { enqueueDirectMessages, type QueuedDirectMessage } from '../store/direct-outbox.js';
import type { Queryable } from '../store/queryable.js';
import { findCandidates, markEventsArrived } from '../store/subscriptions.js';
import { reconcileGroupHooksSoon } from '../store/group-hook-sets.js';
import { projectsChangedBy } from '../subscriptions/plan-group-hooks.js';
import { recordParticipants, type Participation } from '../store/thread-participants.js';
import { readObjectStatus, readObjectStatuses, recordRefPipeline, writeObjectStatuses } from '../store/tracked-objects.js';
import { pollUsersSoon } from '../store/user-polls-soon.js';
import { buttonSpecsOf } from '../actions/button-spec.js';
import { discussionThreadKey } from '../conversations/thread-target.js';
import { bridgeOriginChannel } from './bridge-origin.js';
import { advanceStatus, objectKey, renderStatusLine, type ObjectStatus } from './object-status.js';
import { DirectMessageLookups, planDirectMessages } from './plan-direct-messages.js';
import type { RecentPayloads } from './recent-payloads.js';
import type { People } from './plan-work-refresh.js';
import { planPosts, type PlannedPost } from './plan-posts.js';
import { plannedRecord, sourceOf, unplannedRecord, type DeliveryRecord } from '../explain/delivery-record.js';
import { recordDeliveries } from '../store/delivery-explanations.js';
import type { Verdict } from '../rules/match-subscription.js';

/** Arbitrary, fixed: the advisory lock that makes processing single-file across replicas. */
const PROCESS_LOCK = 0x67627031;
const BATCH = 100;
/** Most deliveries one pass takes (per GitLab instance). */
export const DELIVERIES_PER_PASS = BATCH;
/** A delivery that fails this often (a bug, not an outage) is set aside with its error. */
const MAX_ATTEMPTS = 5;
const FINISHED_PIPELINE = new Set(['success', 'failed', 'canceled', 'skipped']);

interface DeliveryRow {
  id: string;
  event: string;
  /** Null when the look-ahead already parsed it (Prepared.parsed). */
  payload: unknown;
  attempts: number;
  idempotency_key: string | null;
  event_uuid: string | null;
}

/** What the look-ahead before the transaction found: the deliveries it parsed, and the feature levels of their public projects. */
interface Prepared {
  parsed: Map<string, ParseResult | Error>;
  /** Projects whose levels were made ready (null: unknown, so members-only). */
  levels: Map<number, FeatureLevels | null>;
  /** The newest delivery looked at; the transaction takes none after it. */
  upTo: string | null;
  /** False without a source of levels: then nothing is looked up, and every public project's feature counts as unknown. */
  lookedAhead: boolean;
}

/**
 * Processes one batch; returns how many deliveries it took (0 = nothing to do,
 * or another replica is at it). The batch is handled with shared look-ups and
 * one write of each kind; if anything in it fails, it is redone one delivery
 * at a time so the failing one is isolated and the rest go through.
 */
/** What planning needs besides the database: GitLab's address, and whether posts may carry buttons (ACTION_BUTTONS). */
export interface PlanSettings {
  gitlabUrl: string;
  buttons: boolean;
  /** False when the bridge may not write (GITLAB_OAUTH_SCOPES=read_api): no thread says that replies become GitLab comments. */
  replies?: boolean;
  /** Whose deliveries: each instance's are processed on their own (its own lock, URL and feature levels). */
  instance?: string;
}

export async function processDeliveries(
  pool: pg.Pool,
  log: Logger,
  settings: PlanSettings,
  features: FeatureLevelSource | null = null,
  recent: RecentPayloads | null = null,
): Promise<number> {
  const instance = settings.instance ?? DEFAULT_INSTANCE;
  const prepared = await prepare(pool, log, features, instance, recent);
  if (prepared.lookedAhead && prepared.upTo === null) return 0;
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    const taken = await begin(client, prepared, instance);
    if (!taken) return 0;
    const rows = readyRows(taken, prepared, instance);
    const logFor = (row: DeliveryRow) => log.child({ delivery: row.id, event: row.event, correlationId: row.idempotency_key ?? row.event_uuid ?? undefined });
    try {
      const batch = new Batch(client, prepared, instance, log);
      await batch.prefetch(rows);
      for (const row of rows) await planDelivery(batch, row, logFor(row), settings);
      await batch.write(rows.map((row) => row.id));
      await client.query('COMMIT');
      return rows.length;
    } catch {
      // Something in the batch failed: start over, one delivery at a time, so that only the failing one is held back.
      // (A new transaction rather than a savepoint around every batch: a subtransaction costs PostgreSQL on every pass.)
      await client.query('ROLLBACK');
    }
    const again = await begin(client, prepared, instance, rows.map((row) => row.id));
    if (!again) return 0;
    for (const row of again) await processAlone(client, row, logFor(row), settings, prepared);
    await client.query('COMMIT');
    return again.length;
  } catch (error) {
    broken = error as Error;
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release(broken);
  }
}

/**
 * Opens the transaction and takes the pending deliveries in it (up to BATCH, none past what the look-ahead saw;
 * with `only`, just those of these that are still pending); null when another replica is processing.
 */
async function begin(client: pg.PoolClient, prepared: Prepared, instance: string, only: string[] | null = null): Promise<DeliveryRow[] | null> {
  await client.query('BEGIN');
  const lock = await client.query<{ locked: boolean }>({ name: 'process-deliveries-lock', text: 'SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS locked', values: [PROCESS_LOCK, instance] });
  if (!lock.rows[0]?.locked) {
    await client.query('ROLLBACK');
    return null;
  }
  const { rows } = await client.query<DeliveryRow>({
    name: 'process-deliveries-take',
    text: `SELECT id, event, CASE WHEN id = ANY($2::bigint[]) THEN NULL ELSE payload END AS payload, attempts, idempotency_key, event_uuid
             FROM webhook_deliveries
            WHERE processed_at IS NULL AND instance = $4 AND ($3::bigint IS NULL OR id <= $3) AND ($5::bigint[] IS NULL OR id = ANY($5::bigint[]))
            ORDER BY id LIMIT $1 FOR UPDATE`,
    values: [BATCH, [...prepared.parsed.keys()], prepared.upTo, instance, only],
  });
  return rows;
}

/**
 * Reads the pending deliveries (no lock: the transaction takes them) and makes the feature levels of
 * the public projects they name ready, asking GitLab for those not known lately. No connection is
 * held meanwhile.
 */
async function prepare(pool: pg.Pool, log: Logger, features: FeatureLevelSource | null, instance: string, recent: RecentPayloads | null): Promise<Prepared> {
  const prepared: Prepared = { parsed: new Map(), levels: new Map(), upTo: null, lookedAhead: features !== null };
  if (!features) return prepared;
  const { rows } = await pool.query<{ id: string; event: string }>({
    name: 'process-deliveries-look-ahead',
    text: 'SELECT id, event FROM webhook_deliveries WHERE processed_at IS NULL AND instance = $2 ORDER BY id LIMIT $1',
    values: [BATCH, instance],
  });
  const payloads = await payloadsOf(pool, rows, recent);
  const projects = new Map<number, string>();
  for (const row of rows) {
    const parsed = parseSafely(row.event, payloads.get(row.id), instance);
    prepared.parsed.set(row.id, parsed);
    if (!(parsed instanceof Error) && !isIgnored(parsed) && needsFeatureLevels(parsed)) projects.set(parsed.project!.id!, parsed.project!.path);
    prepared.upTo = row.id;
  }
  if (projects.size > 0) {
    try {
      prepared.levels = await features.levelsFor(projects);
    } catch (error) {
      // The cache itself failed: the levels stay unknown (members-only) rather than holding up delivery.
      log.warn({ err: error }, 'could not make the feature levels of public projects ready; their events count as members-only');
      for (const id of projects.keys()) prepared.levels.set(id, null);
    }
  }
  return prepared;
}

/** The deliveries' payloads: those the door of this process just stored from memory, the others from the database. */
async function payloadsOf(pool: pg.Pool, rows: readonly { id: string }[], recent: RecentPayloads | null): Promise<Map<string, unknown>> {
  const payloads = new Map<string, unknown>();
  const missing: string[] = [];
  for (const { id } of rows) {
    const payload = parsedOrUndefined(recent?.take(id));
    if (payload === undefined) missing.push(id);
    else payloads.set(id, payload);
  }
  if (missing.length > 0) {
    const stored = await pool.query<{ id: string; payload: unknown }>({
      name: 'process-deliveries-payloads',
      text: 'SELECT id, payload FROM webhook_deliveries WHERE id = ANY($1::bigint[])',
      values: [missing],
    });
    for (const row of stored.rows) payloads.set(row.id, row.payload);
  }
  return payloads;
}

/** The door only stores what PostgreSQL takes as JSON; should JavaScript see it otherwise, the stored row decides. */
function parsedOrUndefined(json: string | undefined): unknown {
  if (json === undefined) return undefined;
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The deliveries the look-ahead saw, in order. One it did not see (stored by a transaction that
 * committed late, with a lower id) and that needs levels ends the batch: the next pass prepares it.
 */
function readyRows(rows: DeliveryRow[], prepared: Prepared, instance: string): DeliveryRow[] {
  if (!prepared.lookedAhead) return rows;
  const unseen = rows.findIndex((row) => {
    if (prepared.parsed.has(row.id)) return false;
    const parsed = parseSafely(row.event, row.payload, instance);
    prepared.parsed.set(row.id, parsed);
    return !(parsed instanceof Error) && !isIgnored(parsed) && needsFeatureLevels(parsed) && !prepared.levels.has(parsed.project!.id!);
  });
  return unseen < 0 ? rows : rows.slice(0, unseen);
}

function parseSafely(event: string, payload: unknown, instance: string): ParseResult | Error {
  try {
    return parseOn(event, payload, instance);
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

function parseOn(event: string, payload: unknown, instance: string): ParseResult {
  const parsed = parseEvent(event, payload);
  return isIgnored(parsed) ? parsed : inInstance(parsed, instance);
}

async function processAlone(client: pg.PoolClient, row: DeliveryRow, log: Logger, settings: PlanSettings, prepared: Prepared): Promise<void> {
  await client.query('SAVEPOINT delivery');
  try {
    const batch = new Batch(client, prepared, settings.instance ?? DEFAULT_INSTANCE, log);
    await planDelivery(batch, row, log, settings);
    await batch.write([row.id]);
    await client.query('RELEASE SAVEPOINT delivery');
  } catch (error) {
    await client.query('ROLLBACK TO SAVEPOINT delivery');
    const giveUp = row.attempts + 1 >= MAX_ATTEMPTS;
    log.error({ err: error, attempts: row.attempts + 1, givenUp: giveUp }, 'webhook delivery could not be processed');
    const message = String((error as Error).message ?? error).slice(0, 1000);
    await client.query(
      `UPDATE webhook_deliveries SET attempts = attempts + 1, last_error = $2, processed_at = CASE WHEN $3 THEN now() END WHERE id = $1`,
      [row.id, message, giveUp],
    );
    if (giveUp) await recordGivenUp(client, row, message, prepared, settings.instance ?? DEFAULT_INSTANCE, log);
  }
}

/**
 * A delivery set aside after failing: the channels that could have had it can be told why they did not.
 * In a savepoint of its own, so that failing to say so never undoes setting the delivery aside.
 */
async function recordGivenUp(client: pg.PoolClient, row: DeliveryRow, message: string, prepared: Prepared, instance: string, log: Logger): Promise<void> {
  await client.query('SAVEPOINT explain');
  try {
    const batch = new Batch(client, prepared, instance, log);
    const parsed = batch.parse(row);
    const about = isIgnored(parsed) ? parsed.about : { kind: parsed.kind, action: parsed.action, path: eventPath(parsed), projectId: parsed.project?.id ?? null };
    if (about?.path) {
      const record = unplannedRecord({
        deliveryId: row.id,
        source: sourceOf(row.idempotency_key),
        about: { ...about, path: about.path },
        event: isIgnored(parsed) ? undefined : { event: parsed, audience: batch.audienceOf(parsed) },
        candidates: await batch.findCandidates(coveringPaths(about.path), about.projectId),
        rule: 'processing_error',
        reason: `processing failed ${MAX_ATTEMPTS} times and was given up: ${message}`,
      });
      if (record) await recordDeliveries(client, instance, [record]);
    }
    await client.query('RELEASE SAVEPOINT explain');
  } catch (error) {
    await client.query('ROLLBACK TO SAVEPOINT explain');
    log.warn({ err: error }, 'could not record why a given-up delivery was not posted');
  }
}

/** Look-ups shared by a batch's deliveries, and the writes they add up to. */
class Batch {
  private readonly candidates = new Map<string, Promise<Subscription[]>>();
  /** Objects' statuses as stored, read for the whole batch at once (prefetch). */
  private readonly stored = new Map<string, ObjectStatus | null>();
  /** Objects' statuses as this batch's events left them: what write() stores. */
  private readonly statuses = new Map<string, ObjectStatus | null>();
  private readonly posts: { deliveryId: string; post: PlannedPost }[] = [];
  private readonly directMessages: QueuedDirectMessage[] = [];
  private readonly participations: Participation[] = [];
  /** What was decided per candidate subscription, for `subscriptions explain`. */
  private readonly records: DeliveryRecord[] = [];
  private readonly changedWork = { ids: new Set<number>(), usernames: new Set<string>() };
  readonly directLookups: DirectMessageLookups;
  /** Subscriptions covering a delivery's project: their webhooks are arriving. */
  readonly reached = new Set<string>();
  /** Where projects were created, removed, archived or moved: the groups kept in step with project hooks look again. */
  readonly changedProjects = { paths: new Set<string>(), projectIds: new Set<number>() };

  constructor(
    readonly db: Queryable,
    private readonly prepared: Prepared,
    readonly instance: string,
    private readonly log: Logger,
  ) {
    this.directLookups = new DirectMessageLookups(db, instance);
  }

  /** The delivery's event, parsed by the look-ahead when it saw it, else here (once: planning asks again). */
  parse(row: DeliveryRow): ParseResult {
    let parsed = this.prepared.parsed.get(row.id);
    if (!parsed) this.prepared.parsed.set(row.id, (parsed = parseOn(row.event, row.payload, this.instance)));
    if (parsed instanceof Error) throw parsed;
    return parsed;
  }

  /**
   * Reads in one statement each what the batch's events will ask about one by one: the statuses of their
   * merge requests and issues, and who took part in them. An event that turns out not to need them costs nothing.
   */
  async prefetch(rows: readonly DeliveryRow[]): Promise<void> {
    const keys = new Set<string>();
    for (const row of rows) {
      let parsed: ParseResult;
      try {
        parsed = this.parse(row);
      } catch {
        continue; // planning it fails, and the batch is redone one delivery at a time
      }
      const key = isIgnored(parsed) ? null : objectKey(parsed);
      if (key) keys.add(key);
    }
    if (keys.size === 0) return;
    const [statuses] = await Promise.all([readObjectStatuses(this.db, [...keys]), this.directLookups.prefetchParticipants([...keys])]);
    for (const key of keys) this.stored.set(key, statuses.get(key) ?? null);
  }

  /** Who may see the event: everyone only when its project and the feature it belongs to are public. */
  audienceOf(event: GitLabEvent): EventAudience {
    const levels = event.project?.id != null ? (this.prepared.levels.get(event.project.id) ?? null) : null;
    return { openToAll: isOpenToAll(event, levels) };
  }

  findCandidates(paths: string[], projectId: number | null): Promise<Subscription[]> {
    const key = `${paths.join('\n')}\n${projectId ?? ''}`;
    let found = this.candidates.get(key);
    if (!found) this.candidates.set(key, (found = findCandidates(this.db, paths, projectId, this.instance)));
    return found;
  }

  async advanceStatus(key: string, event: GitLabEvent): Promise<ObjectStatus | null> {
    const previous = this.statuses.has(key) ? this.statuses.get(key)! : this.stored.has(key) ? this.stored.get(key)! : await readObjectStatus(this.db, key);
    const next = advanceStatus(previous, event);
    this.statuses.set(key, next);
    return next;
  }

  explain(record: DeliveryRecord | null): void {
    if (record) this.records.push(record);
  }

  queue(deliveryId: string, posts: PlannedPost[]): void {
    for (const post of posts) this.posts.push({ deliveryId, post });
  }

  queueDirect(messages: QueuedDirectMessage[], participations: Participation[]): void {
    this.directMessages.push(...messages);
    this.participations.push(...participations);
  }

  /** People whose polls run soon, so their sidebars follow the webhook. */
  refreshWork(people: People): void {
    people.ids.forEach((id) => this.changedWork.ids.add(id));
    people.usernames.forEach((name) => this.changedWork.usernames.add(name));
  }

  /**
   * Why each delivery was or was not posted, in a savepoint of its own: failing to say so must never
   * hold up the posts (the batch would be redone one delivery at a time, each failing the same way).
   */
  private async recordExplanations(): Promise<void> {
    if (this.records.length === 0) return;
    await this.db.query('SAVEPOINT explain');
    try {
      await recordDeliveries(this.db, this.instance, this.records);
      await this.db.query('RELEASE SAVEPOINT explain');
    } catch (error) {
      await this.db.query('ROLLBACK TO SAVEPOINT explain');
      this.log.warn({ err: error }, 'could not record why deliveries were or were not posted');
    }
  }

  async write(deliveryIds: string[]): Promise<void> {
    await writeObjectStatuses(this.db, this.statuses);
    await enqueuePosts(this.db, this.posts);
    await enqueueDirectMessages(this.db, this.directMessages);
    await recordParticipants(this.db, this.participations);
    await this.recordExplanations();
    if (this.reached.size > 0) await markEventsArrived(this.db, [...this.reached]);
    await reconcileGroupHooksSoon(this.db, { paths: [...this.changedProjects.paths], projectIds: [...this.changedProjects.projectIds] }, this.instance);
    await pollUsersSoon(this.db, { ids: [...this.changedWork.ids], usernames: [...this.changedWork.usernames] }, this.instance);
    await this.db.query({
      name: 'process-deliveries-done',
      text: 'UPDATE webhook_deliveries SET processed_at = now(), attempts = attempts + 1 WHERE id = ANY($1::bigint[])',
      values: [deliveryIds],
    });
  }
}

async function planDelivery(batch: Batch, row: DeliveryRow, log: Logger, settings: PlanSettings): Promise<void> {
  const { gitlabUrl } = settings;
  const parsed = batch.parse(row);
  if (isIgnored(parsed)) {
    if (parsed.ignored.startsWith('unknown event kind')) log.info({ reason: parsed.ignored }, 'webhook of an unknown kind acknowledged and ignored');
    else log.debug({ reason: parsed.ignored }, 'webhook needs no post');
    const about = parsed.about;
    if (about?.path) {
      const candidates = await batch.findCandidates(coveringPaths(about.path), about.projectId);
      batch.explain(unplannedRecord({ deliveryId: row.id, source: sourceOf(row.idempotency_key), about: { ...about, path: about.path }, candidates, rule: 'ignored', reason: parsed.ignored }));
    }
    return;
  }
  const event = await detectFixedPipeline(batch.db, parsed);
  const changed = projectsChangedBy(event);
  changed?.paths.forEach((path) => batch.changedProjects.paths.add(path));
  changed?.projectIds.forEach((id) => batch.changedProjects.projectIds.add(id));
  const audience = batch.audienceOf(event);

  const path = eventPath(event);
  const candidates = path ? await batch.findCandidates(coveringPaths(path), event.project?.id ?? null) : [];
  for (const subscription of candidates) batch.reached.add(subscription.id);
  const verdicts = new Map<string, Verdict>();
  const wanted = candidates.filter((subscription) => {
    const verdict = matchSubscription(subscription, event, audience);
    verdicts.set(subscription.id, verdict);
    if (!verdict.wanted) log.debug({ subscription: subscription.id, rule: verdict.rule, reason: verdict.reason }, 'subscription skips event');
    return verdict.wanted;
  });

  let thread: { key: string; status: string | null } | null = null;
  let status: ObjectStatus | null = null;
  const key = objectKey(event);
  const discussion = internalDiscussionOf(event);
  // Objects are tracked only in projects some channel follows: that is where threads are.
  if (key && candidates.length > 0) {
    status = await batch.advanceStatus(key, event);
    // An internal note starts a thread of its own, so a reply to it becomes an internal note, never a public comment.
    thread = discussion ? { key: discussionThreadKey(key, discussion), status: null } : { key, status: status ? renderStatusLine(status) : null };
  }
  const specs = settings.buttons ? buttonSpecsOf(event, status) : { own: null, thread: null };
  const buttons = discussion ? { ...specs, thread: null } : specs;
  const echoChannel = await bridgeOriginChannel(batch.db, event, key);
  const planned = planPosts(event, wanted, (wantedEvent, style) => renderPost(wantedEvent, style, { gitlabUrl }), thread, audience, buttons);
  const posts = planned.filter(
    // What a reply or reaction in this channel made in GitLab is already there.
    (post) => post.channelId !== echoChannel,
  ).map((post) => (settings.replies === false ? { ...post, syncReplies: false } : post));
  batch.queue(row.id, posts);
  batch.explain(plannedRecord({ deliveryId: row.id, source: sourceOf(row.idempotency_key), event, audience, candidates, verdicts, planned, echoChannel }));
  const direct = await planDirectMessages(batch.directLookups, event, gitlabUrl, audience, buttons);
  batch.queueDirect(echoChannel ? direct.messages.map((message) => ({ ...message, seenInChannel: echoChannel })) : direct.messages, direct.participations);
  batch.refreshWork(direct.changedWork);
  // A line per post-making webhook; hooks nobody subscribed to would only add noise.
  const made = posts.length + direct.messages.length;
  log[made > 0 ? 'info' : 'debug']({ kind: event.kind, action: event.action, key: event.key, channels: posts.length, directMessages: direct.messages.length }, 'webhook processed');
}

/** The GitLab discussion of an internal note (its thread is the discussion's), or null. */
function internalDiscussionOf(event: GitLabEvent): string | null {
  if (event.details.kind !== 'note' || !event.internal || !event.target) return null;
  return event.details.discussionId ?? `note${event.details.id}`;
}

/** A ref's pipeline succeeding after its previous one failed is reported as "fixed". */
async function detectFixedPipeline(db: Queryable, event: GitLabEvent): Promise<GitLabEvent> {
  if (event.details.kind !== 'pipeline' || !event.ref || !FINISHED_PIPELINE.has(event.action)) return event;
  const pipelineId = event.details.id;
  if (!event.project) return event;
  const project = projectKeyOf(event);
  const { previous } = await recordRefPipeline(db, project, event.ref, pipelineId, event.action);
  return event.action === 'success' && previous === 'failed' ? { ...event, action: 'fixed' } : event;
}
