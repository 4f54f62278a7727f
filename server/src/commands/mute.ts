/**
 * `/gitlab mute add | delete | list`: GitLab users whose actions never DM you. A mute is of one
 * GitLab's user (`--instance`, or the instance a profile link is on, else the default): the same
 * username on another GitLab may be someone else.
 */
import type pg from 'pg';
import { gitlabApi, gitlabRefusal } from '../gitlab/api.js';
import { addMute, deleteMutes, listMutes, MAX_MUTES } from '../store/gitlab-mutes.js';
import { commandInstance, connectCommandFor, INSTANCE_OPTION, onInstance, type InstanceChoiceDeps } from './command-instance.js';
import type { Subcommand } from './command-router.js';

export interface MuteDeps extends InstanceChoiceDeps {
  pool: pg.Pool;
}

const USAGE = 'mute add <gitlab user> | delete <gitlab user> | list';

export const muteCommand: Subcommand<MuteDeps> = {
  name: 'mute',
  summary: 'mute a GitLab user: nothing they do sends you a direct message (channels still show it); `--instance` names the GitLab when the bridge has several',
  usage: USAGE,
  options: INSTANCE_OPTION,
  async run(call, { values, positionals }, deps) {
    const [action = '', who, ...extra] = positionals;
    const verb = action.toLowerCase();
    const named = typeof values.instance === 'string';
    if (verb === 'list' && !who) {
      const chosen = named ? commandInstance(deps, values, []) : null;
      if (typeof chosen === 'string') return chosen;
      const mutes = await listMutes(deps.pool, call.userId, chosen?.name);
      if (mutes.length === 0) return `You have muted nobody${chosen ? onInstance(deps, chosen) : ''}. \`/${call.trigger} mute add <gitlab user>\` mutes someone.`;
      return [`#### GitLab users you muted (${mutes.length})`, ...mutes.map((mute) => `- ${mute.gitlabUsername}${onInstance(deps, { name: mute.instance })}, since ${mute.createdAt.toISOString().slice(0, 10)}`)].join('\n');
    }
    if (!['add', 'delete', 'remove'].includes(verb) || !who || extra.length > 0) return `Usage: \`/${call.trigger} ${USAGE}\``;
    const instance = commandInstance(deps, values, [who]);
    if (typeof instance === 'string') return instance;
    const username = gitlabUsername(who, instance.url);
    if (!username) return `\`${who}\` is not a GitLab username (or a link to a GitLab profile).`;
    if (verb !== 'add') {
      // Without a GitLab named (or a link), the username is unmuted wherever it was muted: the list shows each.
      const explicit = named || /^https?:\/\//i.test(who.trim());
      const removed = await deleteMutes(deps.pool, call.userId, { gitlabUsername: username, ...(explicit ? { instance: instance.name } : {}) });
      if (removed.length === 0) return `You had not muted ${username}${explicit ? onInstance(deps, instance) : ''}.`;
      return `Unmuted ${removed.map((mute) => `${mute.gitlabUsername}${onInstance(deps, { name: mute.instance })}`).join(' and ')}.`;
    }

    const caller = instance.connections ? await instance.connections.callerFor(call.userId) : null;
    if (!caller) return `Muting is about your direct messages, which need your GitLab account${onInstance(deps, instance)}: ${connectCommandFor(call, instance)} first.`;
    let found: { id: number; username: string } | undefined;
    try {
      [found] = (await gitlabApi(instance.url, caller.token).Users.all({ username, maxPages: 1 })) as unknown as { id: number; username: string }[];
    } catch (error) {
      const refusal = gitlabRefusal(error);
      if (!refusal) throw error;
      return `GitLab answered ${refusal.status} when asked about ${username}: ${refusal.message}`;
    }
    if (!found) return `GitLab${onInstance(deps, instance)} has no user \`${username}\`.`;
    if (found.id === caller.gitlabUserId) return 'That is you: your own actions never send you a direct message anyway.';
    if ((await listMutes(deps.pool, call.userId)).length >= MAX_MUTES) return `You have muted ${MAX_MUTES} users, the most there can be: unmute someone first.`;
    const added = await addMute(deps.pool, call.userId, { gitlabUserId: found.id, gitlabUsername: found.username, instance: instance.name });
    const where = onInstance(deps, instance);
    return added
      ? `Muted ${found.username}${where}: nothing they do ${where ? 'there' : 'in GitLab'} will send you a direct message. \`/${call.trigger} mute delete ${found.username}\` undoes it.`
      : `You had already muted ${found.username}${where}.`;
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
