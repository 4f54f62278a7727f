/** `/gitlab mute add | delete | list`: GitLab users whose actions never DM you. */
import type pg from 'pg';
import type { GitLabConnections } from '../accounts/gitlab-connections.js';
import { gitlabApi, gitlabRefusal } from '../gitlab/api.js';
import { addMute, deleteMute, listMutes, MAX_MUTES } from '../store/gitlab-mutes.js';
import type { Subcommand } from './command-router.js';

export interface MuteDeps {
  pool: pg.Pool;
  connections: GitLabConnections | null;
  gitlabUrl: string;
}

const USAGE = 'mute add <gitlab user> | delete <gitlab user> | list';

export const muteCommand: Subcommand<MuteDeps> = {
  name: 'mute',
  summary: "mute a GitLab user: nothing they do sends you a direct message (channels still show it)",
  usage: USAGE,
  async run(call, { positionals }, deps) {
    const [action = '', who, ...extra] = positionals;
    const verb = action.toLowerCase();
    if (verb === 'list' && !who) {
      const mutes = await listMutes(deps.pool, call.userId);
      if (mutes.length === 0) return `You have muted nobody. \`/${call.trigger} mute add <gitlab user>\` mutes someone.`;
      return [`#### GitLab users you muted (${mutes.length})`, ...mutes.map((mute) => `- ${mute.gitlabUsername}, since ${mute.createdAt.toISOString().slice(0, 10)}`)].join('\n');
    }
    if (!['add', 'delete', 'remove'].includes(verb) || !who || extra.length > 0) return `Usage: \`/${call.trigger} ${USAGE}\``;
    const username = gitlabUsername(who, deps.gitlabUrl);
    if (!username) return `\`${who}\` is not a GitLab username (or a link to a GitLab profile).`;
    if (verb !== 'add') {
      const removed = await deleteMute(deps.pool, call.userId, { gitlabUsername: username });
      return removed ? `Unmuted ${removed.gitlabUsername}.` : `You had not muted ${username}.`;
    }

    const caller = deps.connections ? await deps.connections.callerFor(call.userId) : null;
    if (!caller) return `Muting is about your direct messages, which need your GitLab account: \`/${call.trigger} connect\` first.`;
    let found: { id: number; username: string } | undefined;
    try {
      [found] = (await gitlabApi(deps.gitlabUrl, caller.token).Users.all({ username, maxPages: 1 })) as unknown as { id: number; username: string }[];
    } catch (error) {
      const refusal = gitlabRefusal(error);
      if (!refusal) throw error;
      return `GitLab answered ${refusal.status} when asked about ${username}: ${refusal.message}`;
    }
    if (!found) return `GitLab has no user \`${username}\`.`;
    if (found.id === caller.gitlabUserId) return 'That is you: your own actions never send you a direct message anyway.';
    if ((await listMutes(deps.pool, call.userId)).length >= MAX_MUTES) return `You have muted ${MAX_MUTES} users, the most there can be: unmute someone first.`;
    const added = await addMute(deps.pool, call.userId, { gitlabUserId: found.id, gitlabUsername: found.username });
    return added ? `Muted ${found.username}: nothing they do in GitLab will send you a direct message. \`/${call.trigger} mute delete ${found.username}\` undoes it.` : `You had already muted ${found.username}.`;
  },
};

/** `alice`, `@alice` or `<GITLAB_URL>/alice` → `alice`; undefined when it cannot be a username. */
export function gitlabUsername(input: string, gitlabUrl: string): string | undefined {
  let name = input.trim().replace(/^@/, '');
  const base = gitlabUrl.replace(/\/+$/, '');
  if (/^https?:\/\//i.test(name)) {
    if (!name.toLowerCase().startsWith(`${base.toLowerCase()}/`)) return undefined;
    name = name.slice(base.length + 1).replace(/\/+$/, '');
  }
  // GitLab's rule: letters, digits, '_', '-', '.'; not starting with '-' or '.'.
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/.test(name) ? name : undefined;
}
