/**
 * The facts the import plan needs, read without changing anything: channels and people from Mattermost
 * (as the admin token's user, who may read every channel), which targets GitLab shows to anyone (asked
 * with no token at all), and what the bridge's database already has.
 */
import type { Channel } from '@mattermost/types/channels';
import type { Team } from '@mattermost/types/teams';
import type { UserProfile } from '@mattermost/types/users';
import { BridgeError } from '../../errors.js';
import { findTargetOfKind } from '../../gitlab/find-target.js';
import { MattermostHttpError, type MattermostClient } from '../../mattermost/client.js';
import { readAsked, readImported, importKey } from '../../store/official-plugin-imports.js';
import type { Queryable } from '../../store/queryable.js';
import { mapSubscription } from './map-features.js';
import { targetKey, type ChannelFacts, type PlanFacts, type UserFacts } from './plan-import.js';
import type { OfficialPluginState } from './read-source.js';

export interface FactDeps {
  db: Queryable;
  admin: MattermostClient;
  /** The bot's user id; null before setup made it (then it is a member nowhere). */
  botUserId: string | null;
  gitlabUrl: string;
  instance: string;
}

/** Mattermost is asked this many things at once. */
const PARALLEL = 8;

export async function gatherFacts(deps: FactDeps, state: OfficialPluginState): Promise<PlanFacts> {
  const me = await deps.admin.getMe();
  const channelIds = [...new Set(state.subscriptions.map((stored) => stored.channelId))];
  const userIds = [...new Set([...state.subscriptions.map((stored) => stored.creatorId), ...(state.connectedUsers ?? [])])].filter((id) => /^[a-z0-9]{26}$/.test(id));
  const targets = new Map<string, { kind: 'project' | 'group'; path: string }>();
  for (const stored of state.subscriptions) {
    const mapped = mapSubscription(stored.key, stored.features);
    if (mapped.ok) targets.set(targetKey(mapped.subscription.kind, mapped.subscription.path), mapped.subscription);
  }

  const teams = new Map<string, Promise<string | null>>();
  const teamName = (teamId: string) => {
    if (!teamId) return Promise.resolve(null);
    if (!teams.has(teamId)) teams.set(teamId, deps.admin.getTeam(teamId).then((team: Team) => team.name, () => null));
    return teams.get(teamId)!;
  };
  const channels = new Map<string, ChannelFacts | null>();
  await inBatches(channelIds, async (channelId) => channels.set(channelId, await channelFacts(deps, channelId, teamName)));

  const users = new Map<string, UserFacts>();
  for (let start = 0; start < userIds.length; start += 100) {
    for (const user of (await deps.admin.getProfilesByIds(userIds.slice(start, start + 100))) as UserProfile[]) users.set(user.id, userFacts(user));
  }

  const publicTargets = new Map<string, { id: number; path: string } | null>();
  await inBatches([...targets], async ([key, target]) => {
    let found;
    try {
      found = await findTargetOfKind(deps.gitlabUrl, target.kind, target.path);
    } catch (error) {
      throw new BridgeError('import_source_unusable', `cannot ask GitLab (${deps.gitlabUrl}) whether ${target.path} is public: ${(error as Error).message}`, {
        hint: 'check GITLAB_URL and that GitLab answers; nothing was changed',
      });
    }
    publicTargets.set(key, found?.visibility === 'public' ? { id: found.id, path: found.path } : null);
  });

  const { rows: existing } = await deps.db.query<{ channel_id: string; target_kind: 'project' | 'group'; target_path: string }>(
    'SELECT channel_id, target_kind, target_path FROM subscriptions WHERE channel_id = ANY($1::text[]) AND instance = $2',
    [channelIds, deps.instance],
  );
  const { rows: connected } = await deps.db.query<{ id: string }>(
    'SELECT mattermost_user_id AS id FROM gitlab_accounts WHERE mattermost_user_id = ANY($1::text[]) AND instance = $2 AND disconnected_at IS NULL',
    [userIds, deps.instance],
  );
  return {
    channels,
    publicTargets,
    imported: await readImported(deps.db, deps.instance),
    existing: new Set(existing.map((row) => importKey(row.channel_id, row.target_kind, row.target_path))),
    users,
    admin: userFacts(me),
    connected: new Set(connected.map((row) => row.id)),
    askedBefore: await readAsked(deps.db, deps.instance, userIds),
    connectedInPlugin: state.connectedUsers,
  };
}

async function channelFacts(deps: FactDeps, channelId: string, teamName: (teamId: string) => Promise<string | null>): Promise<ChannelFacts | null> {
  const channel = (await deps.admin.getChannel(channelId).catch(notFoundAsNull)) as Channel | null;
  if (!channel) return null;
  const botIsMember = deps.botUserId !== null && (await deps.admin.getChannelMember(channelId, deps.botUserId).catch(notFoundAsNull)) !== null;
  return { id: channel.id, name: channel.name, type: channel.type, archived: channel.delete_at > 0, teamId: channel.team_id, teamName: await teamName(channel.team_id), botIsMember };
}

function userFacts(user: UserProfile): UserFacts {
  return { id: user.id, username: user.username, active: user.delete_at === 0 && !user.is_bot };
}

function notFoundAsNull(error: unknown): null {
  if (error instanceof MattermostHttpError && (error.status === 404 || error.status === 403)) return null;
  throw error;
}

async function inBatches<T>(items: readonly T[], work: (item: T) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < items.length; start += PARALLEL) await Promise.all(items.slice(start, start + PARALLEL).map(work));
}
