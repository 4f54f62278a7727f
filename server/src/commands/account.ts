/** `/gitlab connect`, `disconnect` and `me`: the user's GitLab account. */
import type pg from 'pg';
import type { GitLabConnections } from '../accounts/gitlab-connections.js';
import type { EncryptionKey } from '../crypto/secret-box.js';
import { fetchTokenInfo } from '../gitlab/oauth.js';
import { createConnectLink, readAccount } from '../store/gitlab-accounts.js';
import { readDirectMessageRecord } from '../store/direct-message-log.js';
import { listMutes } from '../store/gitlab-mutes.js';
import { readNotificationSettings } from '../store/notification-settings.js';
import { PERSONAL_KINDS } from '../rules/personal-kinds.js';
import type { Subcommand } from './command-router.js';

export interface AccountDeps {
  pool: pg.Pool;
  connections: GitLabConnections | null;
  keys: readonly EncryptionKey[];
  /** PUBLIC_URL: where the user's browser reaches the bridge. */
  publicUrl: string | undefined;
  gitlabUrl: string;
  /** False without a bot token: then no direct message can go out, which `me` says. */
  canSendDirectMessages: boolean;
}

const NOT_SET_UP = 'GitLab accounts cannot be connected yet: the bridge needs GITLAB_OAUTH_CLIENT_ID, GITLAB_OAUTH_CLIENT_SECRET and PUBLIC_URL. Ask your admin.';

export const connectCommand: Subcommand<AccountDeps> = {
  name: 'connect',
  summary: 'connect your GitLab account (a link for your own browser, signed in to Mattermost as you: valid 10 minutes, works once)',
  usage: 'connect',
  async run(call, _args, deps) {
    if (!deps.connections || !deps.publicUrl) return NOT_SET_UP;
    const account = await readAccount(deps.pool, call.userId, deps.keys);
    if (account?.tokens) return `You are connected to GitLab as **${account.gitlabUsername}**. To use another account, \`/${call.trigger} disconnect\` first.`;
    const link = await createConnectLink(deps.pool, call.userId);
    return `[Connect your GitLab account](${deps.publicUrl.replace(/\/+$/, '')}/oauth/connect?link=${link}). It works only in a browser signed in to Mattermost as you (it asks you to sign in otherwise), once, within 10 minutes.`;
  },
};

export const disconnectCommand: Subcommand<AccountDeps> = {
  name: 'disconnect',
  summary: 'disconnect your GitLab account (its token is revoked at GitLab)',
  usage: 'disconnect',
  async run(call, _args, deps) {
    if (!deps.connections) return NOT_SET_UP;
    const username = await deps.connections.disconnect(call.userId);
    return username ? `Disconnected from GitLab (${username}); its token is revoked.` : 'You had no GitLab account connected.';
  },
};

export const meCommand: Subcommand<AccountDeps> = {
  name: 'me',
  summary: 'your GitLab connection and notifications: which account, whether GitLab still accepts it, your settings, mutes and the last direct message',
  usage: 'me',
  async run(call, _args, deps) {
    if (!deps.connections) return NOT_SET_UP;
    const account = await readAccount(deps.pool, call.userId, deps.keys);
    if (!account) return `You have no GitLab account connected: \`/${call.trigger} connect\`.`;
    if (!account.tokens) {
      return `Your GitLab connection (${account.gitlabUsername}) ended on ${account.disconnectedAt?.toISOString().slice(0, 16).replace('T', ' ')} UTC: ${account.disconnectReason}. Run \`/${call.trigger} connect\` to connect again.`;
    }
    const lines = [`#### Your GitLab connection`, `- Account: **${account.gitlabUsername}** on ${deps.gitlabUrl}`, `- Connected since ${account.connectedAt.toISOString().slice(0, 10)}`];
    const token = await deps.connections.accessTokenFor(call.userId);
    const info = token ? await fetchTokenInfo(deps.gitlabUrl, token).catch(() => undefined) : null;
    if (info === undefined) lines.push('- GitLab did not answer just now, so the token could not be checked.');
    else if (info === null) lines.push(`- **GitLab no longer accepts the token.** Run \`/${call.trigger} connect\` to connect again.`);
    else lines.push(`- Token: accepted by GitLab, scopes ${info.scopes.join(', ')}`);
    lines.push(...(await notificationLines(call.userId, call.trigger, deps)));
    return lines.join('\n');
  },
};

/** The rest of the answer to "why am I not getting DMs?": the switches, the mutes, and what the last DM did. */
async function notificationLines(userId: string, trigger: string, deps: AccountDeps): Promise<string[]> {
  const [settings, mutes, record] = await Promise.all([readNotificationSettings(deps.pool, userId), listMutes(deps.pool, userId), readDirectMessageRecord(deps.pool, userId)]);
  const kinds = Object.keys(PERSONAL_KINDS);
  const on = kinds.filter((kind) => !settings.disabledKinds.includes(kind as keyof typeof PERSONAL_KINDS));
  const lines = [
    settings.enabled
      ? `- Direct messages: on for ${on.length === kinds.length ? 'every kind' : on.length === 0 ? '**no kind** (all switched off one by one)' : `${on.join(', ')} (off: ${settings.disabledKinds.join(', ')})`}`
      : `- Direct messages: **off**: \`/${trigger} settings notifications on\` turns them back on`,
    `- Daily reminder: ${settings.reminder.enabled ? `at ${settings.reminder.time}${settings.reminder.onlyWhenChanged ? ', only when something changed' : ''}` : 'off'}`,
    `- Buttons on direct messages: ${settings.buttons ? 'on' : `off: \`/${trigger} settings buttons on\` turns them back on`}`,
    `- Your replies in threads that go to GitLab: ${settings.syncReplies ? 'posted as your GitLab comments' : `kept in Mattermost: \`/${trigger} settings replies on\` sends them`}`,
    `- Muted GitLab users: ${mutes.length === 0 ? 'none' : mutes.map((mute) => mute.gitlabUsername).join(', ')}`,
  ];
  if (!deps.canSendDirectMessages) lines.push('- **The bridge has no bot token, so it cannot send direct messages at all.** Ask your admin.');
  const when = (at: Date) => `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  lines.push(record?.lastSentAt ? `- Last direct message: ${when(record.lastSentAt)}, “${record.lastSentSummary}”` : '- Last direct message: none sent yet');
  if (record?.lastFailedAt && (!record.lastSentAt || record.lastFailedAt > record.lastSentAt)) {
    lines.push(`- **The last attempt to message you failed** (${when(record.lastFailedAt)}): ${record.lastFailure}`);
  }
  return lines;
}
