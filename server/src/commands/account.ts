/** `/gitlab connect`, `disconnect` and `me`: the user's GitLab account. */
import type pg from 'pg';
import type { GitLabConnections } from '../accounts/gitlab-connections.js';
import type { EncryptionKey } from '../crypto/secret-box.js';
import { fetchTokenInfo } from '../gitlab/oauth.js';
import { createConnectLink, readAccount } from '../store/gitlab-accounts.js';
import type { Subcommand } from './command-router.js';

export interface AccountDeps {
  pool: pg.Pool;
  connections: GitLabConnections | null;
  keys: readonly EncryptionKey[];
  /** PUBLIC_URL: where the user's browser reaches the bridge. */
  publicUrl: string | undefined;
  gitlabUrl: string;
}

const NOT_SET_UP = 'GitLab accounts cannot be connected yet: the bridge needs GITLAB_OAUTH_CLIENT_ID, GITLAB_OAUTH_CLIENT_SECRET and PUBLIC_URL. Ask your admin.';

export const connectCommand: Subcommand<AccountDeps> = {
  name: 'connect',
  summary: 'connect your GitLab account (a link, valid 10 minutes, works once)',
  usage: 'connect',
  async run(call, _args, deps) {
    if (!deps.connections || !deps.publicUrl) return NOT_SET_UP;
    const account = await readAccount(deps.pool, call.userId, deps.keys);
    if (account?.tokens) return `You are connected to GitLab as **${account.gitlabUsername}**. To use another account, \`/${call.trigger} disconnect\` first.`;
    const link = await createConnectLink(deps.pool, call.userId);
    return `[Connect your GitLab account](${deps.publicUrl.replace(/\/+$/, '')}/oauth/connect?link=${link}). The link is only for you, works once and expires in 10 minutes.`;
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
  summary: 'your GitLab connection: which account, whether GitLab still accepts it, its scopes',
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
    return lines.join('\n');
  },
};
