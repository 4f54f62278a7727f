/**
 * Personal direct messages end to end: GitLab webhooks into a running bridge,
 * DMs out of the fake Mattermost, with connected users, their settings and
 * GitLab's own idea of who may see a private project.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startCommandBridge, type CommandBridge } from '../../helpers/command-bridge.js';
import { webhookFixture } from '../../helpers/fixtures.js';
import { waitFor } from '../../helpers/wait-for.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let bridge: CommandBridge;
let alice: string;
let bob: string;
let carol: string;

const PRIVATE_PROJECT = { id: 501, path: 'secret/vault' };

beforeAll(async () => {
  bridge = await startCommandBridge({ users: ['alice', 'bob', 'carol'], oauth: true });
  ({ alice, bob, carol } = bridge.users as { alice: string; bob: string; carol: string });
  // The fixtures' people: user1 (id 6) is asked to review; 51 authors the MRs; root (1) acts.
  await bridge.connectGitLab(alice, { id: 6, username: 'user1', name: 'User1' });
  await bridge.connectGitLab(bob, { id: 51, username: 'author', name: 'The Author' });
  await bridge.connectGitLab(carol, { id: 77, username: 'carol', name: 'Carol' });
  bridge.gitlab.addProject(PRIVATE_PROJECT.path, { visibility: 'private', id: PRIVATE_PROJECT.id });
  // The fixtures' public project: the bridge reads its feature levels before skipping access checks.
  bridge.gitlab.addProject('gitlabhq/gitlab-test', { visibility: 'public', id: 1 });
  const aliceToken = bridge.gitlab.addUser({ id: 6, username: 'user1', name: 'User1' }).token;
  bridge.gitlab.grant(aliceToken, PRIVATE_PROJECT.path, 30);
}, 120_000);

afterAll(async () => {
  await bridge?.close();
});

async function send(name: string, edit: (payload: Json) => void = () => undefined, uuid = randomUUID()): Promise<void> {
  const fixture = webhookFixture(name);
  const payload = JSON.parse(fixture.body) as Json;
  edit(payload);
  const response = await fetch(`${bridge.publicUrl}/webhook`, {
    method: 'POST',
    // Each delivery its own Idempotency-Key, as GitLab 17.4+ sends them (a project hook's and a group hook's differ).
    headers: { 'Content-Type': 'application/json', 'X-Gitlab-Token': 'hook-secret', 'X-Gitlab-Event': fixture.event, 'X-Gitlab-Event-UUID': uuid, 'Idempotency-Key': randomUUID() },
    body: JSON.stringify(payload),
  });
  expect(response.status).toBe(202);
}

/** Everything stored is processed and every queued DM is sent or set aside. */
async function settled(): Promise<void> {
  await waitFor(async () => {
    const { rows } = await bridge.pool.query<{ busy: string }>(
      `SELECT (SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NULL) + (SELECT count(*) FROM direct_outbox WHERE state = 'pending') AS busy`,
    );
    return rows[0]!.busy === '0';
  }, 'webhooks processed and direct messages sent').catch(async (error: unknown) => {
    const { rows } = await bridge.pool.query(`SELECT id, event, attempts, last_error FROM webhook_deliveries WHERE processed_at IS NULL`);
    const { rows: direct } = await bridge.pool.query(`SELECT mattermost_user_id, notification_key, last_error FROM direct_outbox WHERE state = 'pending'`);
    const warnings = bridge.bridge.logs.filter((line) => line.level === "warn" || line.level === "error");
    throw new Error(`${(error as Error).message}: ${JSON.stringify({ deliveries: rows, direct, warnings })}`);
  });
}

const dms = (userId: string, pattern: RegExp) => bridge.mattermost.directMessagesTo(userId).filter((post) => pattern.test(post.message));

function privately(payload: Json): void {
  payload.project.id = PRIVATE_PROJECT.id;
  payload.project.path_with_namespace = PRIVATE_PROJECT.path;
  payload.project.visibility_level = 0;
  payload.object_attributes.target_project_id = PRIVATE_PROJECT.id;
}

describe('personal direct messages from webhooks', () => {
  it('a review request reaches the reviewer once, even when a project hook and a group hook both send it', async () => {
    const mr = (payload: Json) => {
      payload.object_attributes.iid = 41;
      payload.object_attributes.title = 'Review me @channel';
      payload.assignees = [];
    };
    await send('merge_request.update.reviewers.json', mr);
    await send('merge_request.update.reviewers.json', mr); // the group hook's delivery: another key
    await settled();
    const received = dms(alice, /requested your review/);
    expect(received).toHaveLength(1);
    expect(received[0]!.message).toContain('Administrator');
    expect(received[0]!.message).not.toMatch(/@channel/);
    expect(dms(bob, /requested your review/)).toHaveLength(0);
  });

  it('later DMs about the same MR are threaded under the first', async () => {
    await send('merge_request.update.reviewers.json', (payload) => {
      payload.object_attributes.iid = 42;
      payload.assignees = [];
    });
    await settled();
    await send('note.merge_request.json', (payload) => {
      payload.project.id = 1;
      payload.project.visibility_level = 20;
      payload.merge_request.iid = 42;
      payload.merge_request.author_id = 51;
      payload.merge_request.reviewer_ids = [6];
      payload.object_attributes.id = 9042;
      payload.object_attributes.note = 'Please have a look at the tests';
    });
    await settled();
    const [first] = dms(alice, /requested your review on merge request \[!42/);
    const comment = dms(alice, /commented on/);
    expect(comment).toHaveLength(1);
    expect(comment[0]!.root_id).toBe(first!.id);
    // The author hears of the comment on their MR too.
    expect(dms(bob, /commented on/)).toHaveLength(1);
  });

  it('about a private project, only people GitLab lets see it are told', async () => {
    await send('merge_request.update.reviewers.json', (payload) => {
      privately(payload);
      payload.object_attributes.iid = 7;
      payload.changes.reviewers.current = [
        { id: 6, name: 'User1', username: 'user1' },
        { id: 77, name: 'Carol', username: 'carol' },
      ];
      payload.reviewers = payload.changes.reviewers.current;
      payload.assignees = [];
    });
    await settled();
    expect(dms(alice, /secret\/vault/)).toHaveLength(1);
    expect(dms(carol, /secret\/vault/)).toHaveLength(0);
    const { rows } = await bridge.pool.query<{ state: string }>(`SELECT state FROM direct_outbox WHERE mattermost_user_id = $1`, [carol]);
    expect(rows.map((row) => row.state)).toEqual(['skipped']);
  });

  it('a failed pipeline and the next success on its ref: "failed", then "passed again"', async () => {
    const pipeline = (status: string, id: number) => (payload: Json) => {
      payload.user = { id: 51, name: 'The Author', username: 'author' };
      payload.object_attributes.id = id;
      payload.object_attributes.status = status;
      payload.object_attributes.ref = 'feature-x';
      payload.merge_request = null;
    };
    await send('pipeline.failed.json', pipeline('failed', 9001));
    await settled();
    await send('pipeline.success.json', pipeline('success', 9002));
    await settled();
    const messages = dms(bob, /pipeline #900/).map((post) => post.message);
    expect(messages).toHaveLength(2);
    expect(messages[0]).toMatch(/:x: .*pipeline #9001.* failed/);
    expect(messages[1]).toMatch(/pipeline #9002.* passed again/);
  });

  it('settings, mutes and own actions are obeyed', async () => {
    expect(await bridge.command(bob, 'settings merge-requests off')).toMatch(/merge/i);
    await send('merge_request.approval.json', (payload) => {
      payload.object_attributes.iid = 43;
      payload.object_attributes.author_id = 51;
    });
    await settled();
    expect(dms(bob, /approved/)).toHaveLength(0);
    expect(await bridge.command(bob, 'settings merge-requests on')).toMatch(/merge/i);
    await send('merge_request.approval.json', (payload) => {
      payload.object_attributes.iid = 44;
      payload.object_attributes.author_id = 51;
    });
    await settled();
    expect(dms(bob, /approved/)).toHaveLength(1);

    // Approving your own MR is not news; nor is anything from someone you muted.
    await send('merge_request.approval.json', (payload) => {
      payload.object_attributes.iid = 45;
      payload.object_attributes.author_id = 51;
      payload.user = { id: 51, name: 'The Author', username: 'author' };
    });
    bridge.gitlab.addUser({ id: 1, username: 'root', name: 'Administrator' });
    expect(await bridge.command(bob, 'mute add root')).toMatch(/root/);
    await send('merge_request.approval.json', (payload) => {
      payload.object_attributes.iid = 46;
      payload.object_attributes.author_id = 51;
    });
    await settled();
    expect(dms(bob, /approved/)).toHaveLength(1);
  });
});
