/**
 * A token refresh waits for GitLab without holding the database: no pooled
 * connection sits in a transaction while GitLab answers, and refreshes of one
 * user are still made one at a time.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { startCommandBridge, type CommandBridge } from '../../helpers/command-bridge.js';

let running: CommandBridge;
let alice: string;
beforeAll(async () => {
  running = await startCommandBridge({ users: ['alice'], oauth: true });
  alice = running.users.alice!;
  await running.connectGitLab(alice, { id: 4242, username: 'alice.gl', name: 'Alice' });
}, 120_000);
afterAll(() => running?.close());

it('keeps no database transaction open while GitLab takes its time to refresh a token, and refreshes once', async () => {
  running.gitlab.expireAccessTokens();
  await running.pool.query("UPDATE gitlab_accounts SET expires_at = now() - interval '1 minute'");
  running.gitlab.setTokenDelay(1500);
  try {
    // What an operator sees in pg_stat_activity while two commands wait for the same refresh.
    const held: string[] = [];
    let done = false;
    const answers = Promise.all([running.command(alice, 'me'), running.command(alice, 'me')]).finally(() => (done = true));
    while (!done) {
      const { rows } = await running.pool.query<{ application_name: string; query: string }>(
        `SELECT application_name, query FROM pg_stat_activity
         WHERE datname = current_database() AND application_name LIKE 'gitlab-bridge%' AND state LIKE 'idle in transaction%'`,
      );
      held.push(...rows.map((row) => `${row.application_name}: ${row.query}`));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (const answer of await answers) expect(answer).toContain('Token: accepted by GitLab');
    expect(held).toEqual([]);
    expect(running.gitlab.oauthRequests.filter((request) => request.grantType === 'refresh_token')).toHaveLength(1);
  } finally {
    running.gitlab.setTokenDelay(0);
  }
});
