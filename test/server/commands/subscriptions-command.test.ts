/**
 * `/gitlab subscriptions …` end to end: setup provisions the fake Mattermost,
 * a bridge runs with what it made, and commands arrive as Mattermost sends
 * them; GitLab is a fake on loopback too.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { FakeChannel } from '../../fakes/fake-mattermost.js';
import { startCommandBridge, type CommandBridge } from '../../helpers/command-bridge.js';

let running: CommandBridge;
let users: Record<'alice' | 'carol' | 'dana', string>;

beforeEach(async () => {
  running = await startCommandBridge({ users: ['alice', 'carol', 'dana'] });
  users = running.users as typeof users;
  running.gitlab.addProject('platform/web', { visibility: 'public' });
  running.gitlab.addGroup('platform/infra', { visibility: 'public' });
  running.gitlab.addProject('secret/vault', { visibility: 'private' });
});
afterEach(() => running.close());

const gitlabCommand = (channel: FakeChannel, userId: string, text: string) => running.command(userId, text, channel.id);
const botPosts = (channel: FakeChannel) => running.mattermost.posts.filter((post) => post.channel_id === channel.id);
const botId = () => [...running.mattermost.users.values()].find((user) => user.username === 'gitlab')!.id;

describe('/gitlab subscriptions', () => {
  it('adds a public project with filters, announces it in the channel, lists it, and audits it', async () => {
    const channel = running.mattermost.addChannel('dev', { type: 'O', members: [users.alice], teamId: running.team.id });
    const answer = await gitlabCommand(channel, users.alice, 'subscriptions add https://gitlab.example.invalid/x --events mr');
    expect(answer).toContain("is not on this bridge's GitLab");

    const added = await gitlabCommand(channel, users.alice, `subscriptions add ${running.gitlab.url}/Platform/Web/-/merge_requests/3 --events "mr:merged, issues" --style=compact --no-threads`);
    expect(added).toMatch(/^Subscribed this channel to `platform\/web` \(subscription \d+\): events: merge_request:merged, issue · pipelines: failed, fixed \(default\) · style compact · no threads\.$/);
    const [row] = (await running.pool.query('SELECT * FROM subscriptions')).rows;
    expect(row).toMatchObject({ channel_id: channel.id, team_id: running.team.id, target_kind: 'project', target_path: 'platform/web', style: 'compact', threads: false, creator_id: users.alice });
    expect(row.filters).toEqual({ events: ['merge_request:merged', 'issue'] });
    expect(botPosts(channel).map((post) => post.message)).toEqual([expect.stringMatching(/^alice subscribed this channel to the GitLab project \[platform\/web\]/)]);
    expect((await running.pool.query("SELECT actor, action FROM audit_log WHERE action LIKE 'subscription.%'")).rows).toEqual([{ actor: users.alice, action: 'subscription.created' }]);

    // Changing it takes what deleting it takes: its creator, or a channel, team or system admin.
    expect(await gitlabCommand(channel, users.carol, `subscriptions edit ${row.id} --labels bug`)).toBe('Only whoever added this subscription, or a channel, team or system admin, can change it.');
    const edited = await gitlabCommand(channel, users.alice, `subscriptions edit ${row.id} --labels bug --threads --style=full`);
    expect(edited).toBe(`Changed subscription ${row.id} (\`platform/web\`): events: merge_request:merged, issue · labels (any): \`bug\` · pipelines: failed, fixed (default) · style full.`);
    expect(await gitlabCommand(channel, users.alice, 'subscriptions edit platform/web --confidential')).toContain('only go to a private channel');
    expect(await gitlabCommand(channel, users.alice, 'subscriptions edit platform/web')).toContain('Say what to change');
    expect(botPosts(channel).at(-1)!.message).toMatch(/^alice changed this channel's subscription to `platform\/web`/);
    expect((await running.pool.query("SELECT actor FROM audit_log WHERE action = 'subscription.edited'")).rows).toEqual([{ actor: users.alice }]);
    await gitlabCommand(channel, users.alice, `subscriptions edit ${row.id} --no-threads --style compact --labels=`);

    const listed = await gitlabCommand(channel, users.carol, 'subscriptions list');
    expect(listed).toContain(`**${row.id}** · project \`platform/web\``);
    expect(listed).toContain('added by alice');
    expect(listed).toContain('no threads');
  });

  it('turns the buttons on posts off with `--buttons off` and back on with `edit --buttons on`, refusing any other word', async () => {
    const channel = running.mattermost.addChannel('dev', { type: 'O', members: [users.alice], teamId: running.team.id });
    const buttonsOf = async () => (await running.pool.query('SELECT buttons FROM subscriptions')).rows.map((row: { buttons: boolean }) => row.buttons);
    expect(await gitlabCommand(channel, users.alice, 'subscriptions add platform/web --buttons maybe')).toBe('`--buttons` is `on` or `off`.');
    expect(await buttonsOf()).toEqual([]);

    expect(await gitlabCommand(channel, users.alice, 'subscriptions add platform/web --buttons off')).toMatch(/ · style full · no buttons\.$/);
    expect(await buttonsOf()).toEqual([false]);
    expect(await gitlabCommand(channel, users.alice, 'subscriptions list')).toContain('style full · no buttons ·');

    expect(await gitlabCommand(channel, users.alice, 'subscriptions edit platform/web --buttons yes')).toBe('`--buttons` is `on` or `off`.');
    expect(await buttonsOf()).toEqual([false]);
    expect(await gitlabCommand(channel, users.alice, 'subscriptions edit platform/web --buttons on')).toMatch(/ · style full\.$/);
    expect(await buttonsOf()).toEqual([true]);
    expect(await gitlabCommand(channel, users.alice, 'subscriptions list')).not.toContain('no buttons');
    // Other changes keep it as it is.
    await gitlabCommand(channel, users.alice, 'subscriptions edit platform/web --buttons=off');
    await gitlabCommand(channel, users.alice, 'subscriptions edit platform/web --style compact');
    expect(await buttonsOf()).toEqual([false]);
  });

  it('sends thread replies to GitLab by default in a private channel and not in a public one, says so, and switches with `--sync-replies`', async () => {
    const open = running.mattermost.addChannel('open', { type: 'O', members: [users.alice], teamId: running.team.id });
    const hidden = running.mattermost.addChannel('hidden', { type: 'P', members: [users.alice, botId()], teamId: running.team.id });
    const stored = async (channel: FakeChannel) => (await running.pool.query('SELECT sync_replies FROM subscriptions WHERE channel_id = $1 ORDER BY id', [channel.id])).rows.map((row: { sync_replies: boolean }) => row.sync_replies);

    expect(await gitlabCommand(open, users.alice, 'subscriptions add platform/web')).not.toContain('replies → GitLab');
    expect(await stored(open)).toEqual([false]);
    const added = await gitlabCommand(hidden, users.alice, 'subscriptions add platform/web');
    expect(added).toMatch(/ · style full · replies → GitLab\.$/);
    expect(await stored(hidden)).toEqual([true]);
    // The channel hears it too, and the audit keeps what was decided.
    expect(botPosts(hidden).at(-1)!.message).toContain('replies → GitLab');
    const audited = (await running.pool.query("SELECT details FROM audit_log WHERE action = 'subscription.created' ORDER BY id")).rows.map((row: { details: { settings: { syncReplies: boolean } } }) => row.details.settings.syncReplies);
    expect(audited).toEqual([false, true]);

    // Said outright, the choice wins over the channel's type.
    await gitlabCommand(open, users.alice, 'subscriptions add platform/infra --sync-replies on');
    await gitlabCommand(hidden, users.alice, 'subscriptions add platform/infra --sync-replies off');
    expect(await stored(open)).toEqual([false, true]);
    expect(await stored(hidden)).toEqual([true, false]);
    expect(await gitlabCommand(hidden, users.alice, 'subscriptions add secret/vault --sync-replies sometimes')).toBe('`--sync-replies` is `on` or `off`.');

    const listed = await gitlabCommand(hidden, users.alice, 'subscriptions list');
    expect(listed).toMatch(/`platform\/web` · [^\n]* · replies → GitLab · added by alice/);
    expect(listed).not.toMatch(/`platform\/infra` · [^\n]*replies → GitLab/);

    expect(await gitlabCommand(hidden, users.alice, 'subscriptions edit platform/web --sync-replies off')).toMatch(/ · style full\.$/);
    expect(await gitlabCommand(open, users.alice, 'subscriptions edit platform/web --sync-replies on')).toMatch(/ · replies → GitLab\.$/);
    expect(await stored(hidden)).toEqual([false, false]);
    expect(await stored(open)).toEqual([true, true]);
    // Another change keeps it; someone else may not change it.
    await gitlabCommand(open, users.alice, 'subscriptions edit platform/web --style compact');
    expect(await stored(open)).toEqual([true, true]);
    expect(await gitlabCommand(open, users.carol, 'subscriptions edit platform/web --sync-replies off')).toBe('Only whoever added this subscription, or a channel, team or system admin, can change it.');
    expect(await stored(open)).toEqual([true, true]);
    const edited = (await running.pool.query("SELECT details FROM audit_log WHERE action = 'subscription.edited' ORDER BY id")).rows.map((row: { details: { settings: { syncReplies: boolean } } }) => row.details.settings.syncReplies);
    expect(edited).toEqual([false, true, true]);
  });

  it('answers the likely mistakes with one clear line and stores nothing', async () => {
    const open = running.mattermost.addChannel('open', { type: 'O', members: [users.alice], teamId: running.team.id });
    const hidden = running.mattermost.addChannel('hidden', { type: 'P', members: [users.alice], teamId: running.team.id });
    expect(await gitlabCommand(open, users.alice, 'subscriptions add secret/vault')).toContain('is not a public GitLab project or group');
    expect(await gitlabCommand(open, users.alice, 'subscriptions add platform/web --events builds')).toContain('`builds` is not an event kind');
    expect(await gitlabCommand(open, users.alice, 'subscriptions add platform/web --colour red')).toMatch(/^Unknown option '--colour'\. Usage: `\/gitlab subscriptions add/);
    expect(await gitlabCommand(open, users.alice, 'subscriptions add platform/web --confidential')).toContain('only go to a private channel');
    // Confidential issues go only where someone GitLab shows them to vouches for them: not without an account.
    const secure = running.mattermost.addChannel('secure', { type: 'P', members: [users.alice, botId()], teamId: running.team.id });
    expect(await gitlabCommand(secure, users.alice, 'subscriptions add platform/web --confidential')).toBe(
      'Confidential issues and notes go only where a subscriber GitLab shows them to vouches for them. Connect your GitLab account first: `/gitlab connect`.',
    );
    expect(await gitlabCommand(open, users.alice, 'subscriptions add platform/web --exclude "legacy/*"')).toContain('this is a project');
    expect(await gitlabCommand(hidden, users.alice, 'subscriptions add platform/web')).toContain('/invite @gitlab');
    expect(await gitlabCommand(open, users.alice, 'subscriptions add')).toContain('Name one project or group');
    expect((await running.pool.query('SELECT count(*)::int AS n FROM subscriptions')).rows[0].n).toBe(0);

    expect(await gitlabCommand(open, users.alice, 'subscriptions add platform/infra --exclude platform/infra/legacy/*')).toMatch(/^Subscribed/);
    expect(await gitlabCommand(open, users.alice, 'subscriptions add platform/infra')).toContain('already follows `platform/infra`');
  });

  it('lets the creator or a channel admin change or delete a subscription, but not another member', async () => {
    const channel = running.mattermost.addChannel('dev', { type: 'O', members: [users.alice, users.carol, users.dana], admins: [users.dana], teamId: running.team.id });
    await gitlabCommand(channel, users.alice, 'subscriptions add platform/web');
    await gitlabCommand(channel, users.alice, 'subscriptions add platform/infra');
    const [web, infra] = (await running.pool.query('SELECT id FROM subscriptions ORDER BY target_path DESC')).rows.map((row) => String(row.id));

    expect(await gitlabCommand(channel, users.carol, `subscriptions delete ${web}`)).toBe('Only whoever added this subscription, or a channel, team or system admin, can delete it.');
    expect(await gitlabCommand(channel, users.carol, `subscriptions edit ${web} --style compact`)).toBe('Only whoever added this subscription, or a channel, team or system admin, can change it.');
    expect(await gitlabCommand(channel, users.dana, `subscriptions edit ${web} --style compact`)).toMatch(/^Changed subscription/);
    expect(await gitlabCommand(channel, users.dana, `subscriptions delete #${web}`)).toBe(`Deleted subscription ${web} (\`platform/web\`).`);
    expect(await gitlabCommand(channel, users.alice, 'subscriptions delete platform/INFRA')).toBe(`Deleted subscription ${infra} (\`platform/infra\`).`);
    expect(await gitlabCommand(channel, users.alice, 'subscriptions delete platform/web')).toContain('has no subscription');
    expect((await running.pool.query('SELECT count(*)::int AS n FROM subscriptions')).rows[0].n).toBe(0);
    expect(botPosts(channel).at(-1)!.message).toBe('alice unsubscribed this channel from the GitLab group `platform/infra`.');
    expect((await running.pool.query("SELECT actor FROM audit_log WHERE action = 'subscription.deleted' ORDER BY id")).rows.map((row) => row.actor)).toEqual([users.dana, users.alice]);
  });

  it("cannot ping the channel through the bot's announcement with a filter value", async () => {
    const channel = running.mattermost.addChannel('town', { type: 'O', members: [users.alice], teamId: running.team.id });
    const live = /@(channel|all|here|dana)\b/;
    expect(await gitlabCommand(channel, users.alice, 'subscriptions add platform/infra --labels "@channel, bug" --branches @all --exclude @here --exclude-authors @@dana')).toMatch(/^Subscribed/);
    const [added] = botPosts(channel);
    expect(added!.user_id).toBe(botId());
    expect(added!.message).not.toMatch(live);
    // Still readable, as inline code.
    expect(added!.message).toContain('labels (any): `@\u200Bchannel`, `bug` · branches: `@\u200Ball`');
    expect(added!.message).toContain('excluding `@\u200Bhere`');
    expect(added!.message).toContain('ignoring `@\u200Bdana`');

    const { id } = (await running.pool.query('SELECT id FROM subscriptions WHERE channel_id = $1', [channel.id])).rows[0];
    expect(await gitlabCommand(channel, users.alice, `subscriptions edit ${id} --labels @here`)).toMatch(/^Changed/);
    expect(botPosts(channel)).toHaveLength(2);
    expect(botPosts(channel).at(-1)!.message).not.toMatch(live);
  });
});
