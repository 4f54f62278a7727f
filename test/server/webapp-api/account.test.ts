/**
 * GET /me and GET /users/{id}/gitlab through a running bridge: before and
 * after connecting GitLab the way a person does, and /me counting as activity
 * for polling.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startCommandBridge, type CommandBridge } from '../../helpers/command-bridge.js';
import { waitFor } from '../../helpers/wait-for.js';
import { webappClient } from '../../helpers/webapp-client.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let bridge: CommandBridge;

beforeAll(async () => {
  bridge = await startCommandBridge({ users: ['alice', 'bob'], oauth: true, env: () => ({ POLL_INTERVAL_SECONDS: '3600' }) });
}, 120_000);

afterAll(async () => {
  await bridge?.close();
});

describe('GET /me', () => {
  it('says a user without GitLab is not connected, and how to connect', async () => {
    const me = await webappClient(bridge, 'bob')<Json>('GET', '/me');
    expect(me.status).toBe(200);
    expect(me.body).toEqual({
      user: { id: bridge.users.bob, username: 'bob' },
      connected: false,
      gitlab: null,
      gitlabUrl: bridge.gitlab.url.replace(/\/+$/, ''),
      // Each GitLab the bridge knows (here one), and whether the viewer is connected there.
      instances: [{ name: 'default', label: new URL(bridge.gitlab.url).host, url: bridge.gitlab.url.replace(/\/+$/, ''), connected: false }],
      connectUrl: '/plugins/gitlab-bridge/oauth/connect',
      settings: null,
      features: { connect: true, createIssues: true, writes: true },
    });
  });

  it('shows the GitLab account once connected, with the user\'s settings', async () => {
    await bridge.connectGitLab(bridge.users.alice!, { id: 6, username: 'User1', name: 'User One' });
    expect(await bridge.command(bridge.users.alice!, 'settings reminder 08:15')).toMatch(/08:15/);
    const me = await webappClient(bridge, 'alice')<Json>('GET', '/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      connected: true,
      gitlab: { username: 'User1', userId: 6, webUrl: `${bridge.gitlab.url.replace(/\/+$/, '')}/User1` },
      settings: { enabled: true, reminder: { enabled: true, time: '08:15' }, buttons: true },
    });
  });

  it('counts as activity: a user seen in the webapp is polled at the active pace', async () => {
    const alice = bridge.users.alice!;
    await waitFor(async () => (await bridge.pool.query("SELECT 1 FROM poll_jobs WHERE kind = 'user' AND subject = $1 AND last_success_at IS NOT NULL", [alice])).rows.length === 1, 'the first poll of the user', 20_000);
    await bridge.pool.query('UPDATE gitlab_accounts SET last_active_at = NULL WHERE mattermost_user_id = $1', [alice]);
    await bridge.pool.query("UPDATE poll_jobs SET next_run_at = now() + interval '1 day' WHERE kind = 'user' AND subject = $1", [alice]);
    expect((await webappClient(bridge, 'alice')('GET', '/me')).status).toBe(200);
    // Recorded without holding up the answer.
    const row = async () =>
      (
        await bridge.pool.query<{ last_active_at: Date | null; next_run_at: Date }>(
          "SELECT a.last_active_at, j.next_run_at FROM gitlab_accounts a JOIN poll_jobs j ON j.kind = 'user' AND j.subject = a.mattermost_user_id WHERE a.mattermost_user_id = $1",
          [alice],
        )
      ).rows[0];
    // The activity and the new poll time are two writes after the answer: wait for both.
    // POLL_ACTIVE_INTERVAL_SECONDS defaults to half of the hour-long POLL_INTERVAL_SECONDS: well within a day.
    await waitFor(async () => {
      const seen = await row();
      return seen?.last_active_at != null && seen.next_run_at.getTime() < Date.now() + 2 * 3600_000;
    }, 'the activity recorded and the next poll brought forward from a day away');
  });
});

describe('GET /users/{userId}/gitlab', () => {
  it('names another user\'s linked GitLab account for the popover', async () => {
    const answer = await webappClient(bridge, 'bob')<Json>('GET', `/users/${bridge.users.alice}/gitlab`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ username: 'User1', webUrl: `${bridge.gitlab.url.replace(/\/+$/, '')}/User1` });
  });

  it('answers 404 for a user without GitLab, and 400 for something that is no user id', async () => {
    const bob = webappClient(bridge, 'bob');
    const missing = await bob('GET', `/users/${bridge.users.bob}/gitlab`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: 'not_found' });
    const bad = await bob('GET', '/users/..%2F..%2Fme/gitlab');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'bad_request', error: expect.stringMatching(/userId/) });
  });

  it('forgets the account once the user disconnects', async () => {
    expect(await bridge.command(bridge.users.alice!, 'disconnect')).toMatch(/disconnect/i);
    const answer = await webappClient(bridge, 'bob')('GET', `/users/${bridge.users.alice}/gitlab`);
    expect(answer.status).toBe(404);
    const me = await webappClient(bridge, 'alice')<Json>('GET', '/me');
    expect(me.body).toMatchObject({ connected: false, gitlab: null, settings: null });
  });
});
