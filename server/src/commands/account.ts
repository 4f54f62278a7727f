/** `/gitlab connect`, `disconnect` and `me`: the user's GitLab account. */
import type pg from 'pg';
import type { GitLabConnections } from '../accounts/gitlab-connections.js';
import { describeScopeSetting, parseScopes, refuseWrite, type ScopeSetting } from '../accounts/write-access.js';
import type { EncryptionKey } from '../crypto/secret-box.js';
import { DEFAULT_INSTANCE, knownNames, type GitLabInstances } from '../gitlab/instances.js';
import { fetchTokenInfo } from '../gitlab/oauth.js';
import { createConnectLink, readAccount } from '../store/gitlab-accounts.js';
import { readDirectMessageRecord } from '../store/direct-message-log.js';
import { listMutes } from '../store/gitlab-mutes.js';
import { readNotificationSettings } from '../store/notification-settings.js';
import { PERSONAL_KINDS } from '../rules/personal-kinds.js';
import type { Subcommand } from './command-router.js';

/** One GitLab instance as the account commands see it. */
export interface AccountInstance {
  name: string;
  url: string;
  connections: GitLabConnections | null;
  /** Its GITLAB_OAUTH_SCOPES (or GITLAB_<NAME>_OAUTH_SCOPES). */
  scopeSetting: ScopeSetting;
}

export interface AccountDeps {
  pool: pg.Pool;
  /** The default instance's connections. */
  connections: GitLabConnections | null;
  /** Every configured GitLab; absent, only the default one (connections, gitlabUrl, scopeSetting). */
  instances?: GitLabInstances;
  accountInstance?(name: string): AccountInstance | undefined;
  keys: readonly EncryptionKey[];
  /** PUBLIC_URL: where the user's browser reaches the bridge. */
  publicUrl: string | undefined;
  gitlabUrl: string;
  /** GITLAB_OAUTH_SCOPES: what connections are asked for, shown by `me`. */
  scopeSetting: ScopeSetting;
  /** False without a bot token: then no direct message can go out, which `me` says. */
  canSendDirectMessages: boolean;
}

const NOT_SET_UP = 'GitLab accounts cannot be connected yet: the bridge needs GITLAB_OAUTH_CLIENT_ID, GITLAB_OAUTH_CLIENT_SECRET and PUBLIC_URL. Ask your admin.';

/** The instance a command names (`connect corp`), or the default; an error in words for a name not configured. */
function instanceFor(deps: AccountDeps, name: string | undefined): AccountInstance | string {
  const fallback: AccountInstance = { name: DEFAULT_INSTANCE, url: deps.gitlabUrl, connections: deps.connections, scopeSetting: deps.scopeSetting };
  if (!deps.instances || !deps.accountInstance) return name === undefined ? fallback : `This bridge is connected to one GitLab only (${deps.gitlabUrl}): run the command without a name.`;
  const chosen = name === undefined ? deps.instances.default : deps.instances.byName(name);
  if (!chosen) return `This bridge has no GitLab instance \`${name}\`; it knows ${knownNames(deps.instances)}.`;
  return deps.accountInstance(chosen.name) ?? fallback;
}

/** " on corp" once there are several GitLabs, else nothing: one GitLab needs no name. */
function onWhich(deps: AccountDeps, instance: AccountInstance): string {
  return deps.instances?.several ? ` on **${deps.instances.label(instance.name)}**` : '';
}

export const connectCommand: Subcommand<AccountDeps> = {
  name: 'connect',
  summary: 'connect your GitLab account (a link for your own browser, signed in to Mattermost as you: valid 10 minutes, works once); name the GitLab when the bridge has several',
  usage: 'connect [instance]',
  async run(call, { positionals }, deps) {
    if (positionals.length > 1) return `Usage: \`/${call.trigger} connect [instance]\``;
    const instance = instanceFor(deps, positionals[0]);
    if (typeof instance === 'string') return instance;
    if (!instance.connections || !deps.publicUrl) return NOT_SET_UP;
    const account = await readAccount(deps.pool, call.userId, instance.name, deps.keys);
    const suffix = instance.name === DEFAULT_INSTANCE ? '' : ` ${instance.name}`;
    if (account?.tokens) {
      return `You are connected to GitLab${onWhich(deps, instance)} as **${account.gitlabUsername}**. To use another account, \`/${call.trigger} disconnect${suffix}\` first.`;
    }
    const link = await createConnectLink(deps.pool, call.userId, instance.name);
    return `[Connect your GitLab account${onWhich(deps, instance)}](${deps.publicUrl.replace(/\/+$/, '')}/oauth/connect?link=${link}). It works only in a browser signed in to Mattermost as you (it asks you to sign in otherwise), once, within 10 minutes.`;
  },
};

export const disconnectCommand: Subcommand<AccountDeps> = {
  name: 'disconnect',
  summary: 'disconnect your GitLab account (its token is revoked at GitLab); name the GitLab when the bridge has several',
  usage: 'disconnect [instance]',
  async run(call, { positionals }, deps) {
    if (positionals.length > 1) return `Usage: \`/${call.trigger} disconnect [instance]\``;
    const instance = instanceFor(deps, positionals[0]);
    if (typeof instance === 'string') return instance;
    if (!instance.connections) return NOT_SET_UP;
    const username = await instance.connections.disconnect(call.userId);
    return username ? `Disconnected from GitLab${onWhich(deps, instance)} (${username}); its token is revoked.` : `You had no GitLab account connected${onWhich(deps, instance)}.`;
  },
};

export const meCommand: Subcommand<AccountDeps> = {
  name: 'me',
  summary: 'your GitLab connection and notifications: which account, whether GitLab still accepts it, your settings, mutes and the last direct message',
  usage: 'me',
  async run(call, _args, deps) {
    if (!deps.instances?.several || !deps.accountInstance) {
      if (!deps.connections) return NOT_SET_UP;
      const instance = instanceFor(deps, undefined) as AccountInstance;
      const lines = await connectionLines(call.userId, call.trigger, deps, instance);
      if (typeof lines === 'string') return lines;
      return [`#### Your GitLab connection`, ...lines, ...(await notificationLines(call.userId, call.trigger, deps))].join('\n');
    }
    // Several GitLabs: one part per instance, then the settings, which are the same for all.
    const parts: string[] = [];
    for (const config of deps.instances.all) {
      const instance = deps.accountInstance(config.name);
      if (!instance) continue;
      const label = deps.instances.label(config.name);
      const lines = instance.connections ? await connectionLines(call.userId, call.trigger, deps, instance) : 'Not set up on this bridge yet (no OAuth application).';
      parts.push(`#### GitLab on ${label}`, ...(typeof lines === 'string' ? [lines] : lines));
    }
    return [...parts, '#### Notifications', ...(await notificationLines(call.userId, call.trigger, deps))].join('\n');
  },
};

/** The account's lines for one instance, or one sentence when there is no live connection there. */
async function connectionLines(userId: string, trigger: string, deps: AccountDeps, instance: AccountInstance): Promise<string[] | string> {
  const connect = `/${trigger} connect${instance.name === DEFAULT_INSTANCE ? '' : ` ${instance.name}`}`;
  const account = await readAccount(deps.pool, userId, instance.name, deps.keys);
  if (!account) return `You have no GitLab account connected${onWhich(deps, instance)}: \`${connect}\`.`;
  if (!account.tokens) {
    return `Your GitLab connection (${account.gitlabUsername}) ended on ${account.disconnectedAt?.toISOString().slice(0, 16).replace('T', ' ')} UTC: ${account.disconnectReason}. Run \`${connect}\` to connect again.`;
  }
  const lines = [`- Account: **${account.gitlabUsername}** on ${instance.url}`, `- Connected since ${account.connectedAt.toISOString().slice(0, 10)}`];
  const token = await instance.connections!.accessTokenFor(userId);
  const info = token ? await fetchTokenInfo(instance.url, token).catch(() => undefined) : null;
  if (info === undefined) lines.push('- GitLab did not answer just now, so the token could not be checked.');
  else if (info === null) lines.push(`- **GitLab no longer accepts the token.** Run \`${connect}\` to connect again.`);
  else lines.push(`- Token: accepted by GitLab, scopes ${info.scopes.join(', ')}`);
  lines.push(...scopeLines(instance.scopeSetting, info?.scopes ?? parseScopes(account.tokens.scopes)));
  return lines;
}

/** What the bridge asks for, and what that means for this token (accounts/write-access.ts decides). */
function scopeLines(setting: ScopeSetting, tokenScopes: string[]): string[] {
  const lines = [`- This bridge asks GitLab for ${describeScopeSetting(setting)}`];
  const refusal = refuseWrite(setting, 'write', tokenScopes);
  if (refusal?.reason === 'read_only' && tokenScopes.includes('api')) lines.push('- Your token was made with api before that: it keeps working, and the bridge only reads with it');
  if (refusal?.reason === 'token_read_only') lines.push('- **Your token is read-only**, so the bridge cannot act for you (approve, merge, comment…): disconnect and connect again to allow it');
  return lines;
}

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
