/**
 * ACTION_BUTTONS=off: the admin's switch for the whole bridge. New posts come
 * without buttons; a button or dialog made before does nothing and says why.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { toEncryptionKey } from '../../../server/src/crypto/secret-box.js';
import { createSigner } from '../../../server/src/crypto/signed-claims.js';
import type { FakeChannel } from '../../fakes/fake-mattermost.js';
import { startCommandBridge, type CommandBridge } from '../../helpers/command-bridge.js';
import { webhookFixture } from '../../helpers/fixtures.js';
import { waitFor } from '../../helpers/wait-for.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const signer = createSigner([toEncryptionKey(Buffer.from('cd'.repeat(32), 'hex'))]);
const PROJECT = { id: 950, path: 'acme/quiet' };
const ALICE = { id: 401, username: 'alice.gl', name: 'Alice' };

let bridge: CommandBridge;
let alice: string;
let channel: FakeChannel;

beforeAll(async () => {
  bridge = await startCommandBridge({ users: ['alice'], oauth: true, env: () => ({ ACTION_BUTTONS: 'off' }) });
  alice = bridge.users.alice!;
  bridge.gitlab.addProject(PROJECT.path, { visibility: 'private', id: PROJECT.id });
  const { token } = await bridge.connectGitLab(alice, ALICE);
  bridge.gitlab.grant(token, PROJECT.path, 40);
  bridge.gitlab.addMergeRequest(PROJECT.path, { iid: 1, title: 'No buttons here', authorId: ALICE.id });
  const botId = [...bridge.mattermost.users.values()].find((user) => user.is_bot)!.id;
  channel = bridge.mattermost.addChannel('dev', { type: 'P', members: [alice, botId], teamId: bridge.team.id });
  expect(await bridge.command(alice, `subscriptions add ${PROJECT.path}`, channel.id)).toMatch(/subscribed/i);
}, 120_000);

afterAll(async () => {
  await bridge?.close();
});

async function post(path: string, body: Json): Promise<Json> {
  const response = await fetch(`${bridge.internalUrl}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  expect(response.status).toBe(200);
  return (await response.json()) as Json;
}

describe('buttons turned off for the whole bridge', () => {
  it('posts come without buttons, and an older button or dialog does nothing', async () => {
    const fixture = webhookFixture('merge_request.open.json');
    const payload = JSON.parse(fixture.body) as Json;
    Object.assign(payload.project, { id: PROJECT.id, path_with_namespace: PROJECT.path, visibility_level: 0, web_url: `${bridge.gitlab.url}/${PROJECT.path}` });
    Object.assign(payload.object_attributes, { iid: 1, target_project_id: PROJECT.id, title: 'No buttons here', detailed_merge_status: 'mergeable' });
    const sent = await fetch(`${bridge.publicUrl}/webhook`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Gitlab-Token': 'hook-secret', 'X-Gitlab-Event': fixture.event, 'Idempotency-Key': randomUUID() },
      body: JSON.stringify(payload),
    });
    expect(sent.status).toBe(202);
    const find = () => bridge.mattermost.posts.find((candidate) => candidate.channel_id === channel.id && /No buttons here/.test(candidate.message));
    await waitFor(() => find() !== undefined, 'the post');
    const made = find()!;
    expect(bridge.mattermost.buttonsOf(made.id)).toEqual([]);

    const target = { kind: 'merge_request', project: PROJECT.id, iid: 1 };
    const press = await post('/mattermost/action', {
      user_id: alice,
      channel_id: channel.id,
      post_id: made.id,
      trigger_id: '',
      type: 'button',
      context: { claims: signer.sign('button', { action: 'approve', target, channel: channel.id, audience: 'channel' }, Date.now() + 60_000) },
    });
    expect(press.ephemeral_text).toMatch(/admin turned the GitLab buttons off/);
    const state = signer.sign('dialog', { action: 'comment', target, channel: channel.id, post: made.id, user: alice, audience: 'channel', nonce: 'n1' }, Date.now() + 60_000);
    const submitted = await post('/mattermost/dialog', { type: 'dialog_submission', user_id: alice, channel_id: channel.id, team_id: bridge.team.id, state, submission: { comment: 'hello' } });
    expect(submitted.error).toMatch(/admin turned the GitLab buttons off/);
    expect(bridge.gitlab.mergeRequest(PROJECT.path, 1).approvedBy).toEqual([]);
    expect(bridge.gitlab.mergeRequest(PROJECT.path, 1).notes).toEqual([]);
    // The commands still work.
    expect(await bridge.command(alice, `mr approve ${PROJECT.path}!1`, channel.id)).toMatch(/You approved|did not let you approve/);
  });
});
