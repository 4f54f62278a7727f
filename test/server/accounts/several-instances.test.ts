/**
 * One GitLab account per instance: `/gitlab connect corp` signs in at the second GitLab (its own OAuth
 * application), `me` shows each connection, `disconnect corp` leaves the default one alone, and a
 * sign-in started for one instance can only finish on it. Real bridge process, two fake GitLabs and
 * the fake Mattermost on loopback, real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { browse, startCommandBridge, type CommandBridge } from '../../helpers/command-bridge.js';

let running: CommandBridge;
let alice: string;
let bob: string;

beforeAll(async () => {
  running = await startCommandBridge({ users: ['alice', 'bob'], oauth: true, corp: true });
  alice = running.users.alice!;
  bob = running.users.bob!;
}, 120_000);
afterAll(() => running.close());

const accounts = async (userId: string) =>
  (await running.pool.query<{ instance: string; gitlab_username: string }>('SELECT instance, gitlab_username FROM gitlab_accounts WHERE mattermost_user_id = $1 ORDER BY instance', [userId])).rows;

describe('several GitLab instances: one account per instance', () => {
  it('connects to each instance through its own OAuth application, and `me` shows both', async () => {
    await running.connectGitLab(alice, { id: 11, username: 'alice.default', name: 'Alice' });
    await running.connectGitLab(alice, { id: 11, username: 'alice.corp', name: 'Alice at Corp' }, 'corp');
    // The same GitLab user id on two instances is two people as far as each instance is concerned.
    expect(await accounts(alice)).toEqual([
      { instance: 'corp', gitlab_username: 'alice.corp' },
      { instance: 'default', gitlab_username: 'alice.default' },
    ]);
    const me = await running.command(alice, 'me');
    expect(me).toContain(`#### GitLab on ${new URL(running.gitlab.url).host}`);
    expect(me).toContain('#### GitLab on corp');
    expect(me).toContain(`**alice.default** on ${running.gitlab.url}`);
    expect(me).toContain(`**alice.corp** on ${running.corp!.url}`);
    expect(await running.command(alice, 'connect corp')).toContain('You are connected to GitLab on **corp** as **alice.corp**');
  });

  it('answers in words for an instance the bridge does not have', async () => {
    expect(await running.command(bob, 'connect elsewhere')).toMatch(/no GitLab instance `elsewhere`; it knows `127\.0\.0\.1:\d+`, `corp`/);
  });

  it('disconnects one instance and leaves the other connected', async () => {
    await running.connectGitLab(bob, { id: 21, username: 'bob.default', name: 'Bob' });
    await running.connectGitLab(bob, { id: 22, username: 'bob.corp', name: 'Bob' }, 'corp');
    expect(await running.command(bob, 'disconnect corp')).toBe('Disconnected from GitLab on **corp** (bob.corp); its token is revoked.');
    expect(await accounts(bob)).toEqual([{ instance: 'default', gitlab_username: 'bob.default' }]);
    const me = await running.command(bob, 'me');
    expect(me).toContain('You have no GitLab account connected on **corp**: `/gitlab connect corp`.');
    expect(me).toContain('**bob.default**');
  });

  it("sends a corp link's browser to corp's sign-in only, whatever ?instance= it adds", async () => {
    const answer = await running.command(bob, 'connect corp');
    const link = /\((http[^)]+\/oauth\/connect\?link=[^)]+)\)/.exec(answer)![1]!;
    const first = await fetch(`${link}&instance=default`, { redirect: 'manual', headers: { Cookie: `MMAUTHTOKEN=${running.sessions.bob}` } });
    expect(first.status).toBe(302);
    const authorize = new URL(first.headers.get('location')!);
    expect(authorize.origin).toBe(new URL(running.corp!.url).origin);
    expect(authorize.searchParams.get('client_id')).toBe('corp-app');
    // Finish it as a corp user: the account lands on corp, not on the default instance.
    running.corp!.addUser({ id: 23, username: 'bob.corp2', name: 'Bob' });
    running.corp!.signIn(23);
    const consent = await fetch(authorize, { redirect: 'manual' });
    running.corp!.signOut();
    expect(consent.status).toBe(302);
    // Back at the bridge, in bob's browser.
    const done = await browse(consent.headers.get('location')!, { cookie: `MMAUTHTOKEN=${running.sessions.bob}` });
    expect(done.status).toBe(200);
    expect(await accounts(bob)).toEqual([
      { instance: 'corp', gitlab_username: 'bob.corp2' },
      { instance: 'default', gitlab_username: 'bob.default' },
    ]);
  });
});
