/**
 * "Public" means the feature is public, also where nobody has connected a GitLab account: GitLab is
 * then asked, without a token, what a public project shows someone not signed in. A feature it shows
 * them is posted to a public channel; one it keeps to members, or one it does not say, is not.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readAnonymousLevels } from '../../../server/src/gitlab/project-features.js';
import { createSubscription } from '../../../server/src/store/subscriptions.js';
import type { FakeGitLabFeature } from '../../fakes/fake-gitlab.js';
import { startCommandBridge, type CommandBridge } from '../../helpers/command-bridge.js';
import { intoPublicProject as into, sendFixture } from '../../helpers/fixtures.js';
import { waitFor } from '../../helpers/wait-for.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const titled = (title: string) => (payload: Json) => (payload.object_attributes.title = title);

/** A bridge whose GitLab knows these projects, with a public channel subscribed to each by someone not connected. */
async function startWithProjects(options: { oauth: boolean }, projects: { id: number; path: string; visibility: 'public' | 'internal'; features?: Partial<Record<FakeGitLabFeature, 'private'>> }[]) {
  const bridge = await startCommandBridge({ users: ['bob'], oauth: options.oauth, env: () => ({ GITLAB_WEBHOOK_SECRET: 'hook-secret' }) });
  const bob = bridge.users.bob!;
  const bot = [...bridge.mattermost.users.values()].find((user) => user.username === 'gitlab')!.id;
  const channels = new Map<string, string>();
  for (const project of projects) {
    bridge.gitlab.addProject(project.path, { visibility: project.visibility, id: project.id, features: project.features });
    const channel = bridge.mattermost.addChannel(project.path.replace('/', '-'), { type: 'O', members: [bot], teamId: bridge.team.id });
    await createSubscription(bridge.pool, {
      channelId: channel.id,
      targetKind: 'project',
      targetPath: project.path,
      filters: { events: ['merge_request', 'issue'] },
      privateAccess: false,
      creatorId: bob,
    });
    channels.set(project.path, channel.id);
  }
  return { bridge, channels };
}

async function send(bridge: CommandBridge, name: string, ...edits: ((payload: Json) => void)[]): Promise<void> {
  expect(await sendFixture(bridge.publicUrl, 'hook-secret', name, ...edits)).toBe(202);
}

async function settled(bridge: CommandBridge): Promise<void> {
  await waitFor(async () => {
    const { rows } = await bridge.pool.query<{ busy: string }>(
      `SELECT (SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NULL)
            + (SELECT count(*) FROM channel_outbox WHERE state = 'pending') AS busy`,
    );
    return rows[0]!.busy === '0';
  }, 'webhooks processed and posts sent');
}

const messagesIn = (bridge: CommandBridge, channelId: string) => bridge.mattermost.posts.filter((post) => post.channel_id === channelId).map((post) => post.message);
const anonymousGraphQL = (bridge: CommandBridge) => bridge.gitlab.requests.filter((request) => request.path === '/api/graphql');

describe('public projects where GitLab sign-in is offered but nobody has connected', () => {
  const ALL_PUBLIC = { id: 402, path: 'open/everything', visibility: 'public' as const };
  const MEMBERS_ONLY_MRS = { id: 401, path: 'open/tools', visibility: 'public' as const, features: { merge_requests: 'private' as const } };
  // The payload still says public, but GitLab no longer shows the project to anyone not signed in.
  const NOW_INTERNAL = { id: 403, path: 'open/closing', visibility: 'internal' as const };
  const LATER = { id: 404, path: 'open/later', visibility: 'public' as const };
  let bridge: CommandBridge;
  let channels: Map<string, string>;

  beforeAll(async () => {
    ({ bridge, channels } = await startWithProjects({ oauth: true }, [ALL_PUBLIC, MEMBERS_ONLY_MRS, NOW_INTERNAL, LATER]));
  }, 120_000);
  afterAll(async () => {
    await bridge?.close();
  });

  it('posts the events of a project whose features are all public in a public channel', async () => {
    await send(bridge, 'merge_request.open.json', into(ALL_PUBLIC), titled('An open change'));
    await send(bridge, 'issue.open.json', into(ALL_PUBLIC), titled('An open issue'));
    await settled(bridge);
    const messages = messagesIn(bridge, channels.get(ALL_PUBLIC.path)!);
    expect(messages.some((message) => message.includes('An open change'))).toBe(true);
    expect(messages.some((message) => message.includes('An open issue'))).toBe(true);
    // Asked once, without a token, and remembered for the next events.
    expect(anonymousGraphQL(bridge)).toHaveLength(1);
  });

  it('leaves out the merge requests of a project that keeps them to members, and posts its issues', async () => {
    await send(bridge, 'merge_request.open.json', into(MEMBERS_ONLY_MRS), titled('Members-only change'));
    await send(bridge, 'issue.open.json', into(MEMBERS_ONLY_MRS), titled('Everyone may read this issue'));
    await settled(bridge);
    const messages = messagesIn(bridge, channels.get(MEMBERS_ONLY_MRS.path)!);
    expect(messages.some((message) => message.includes('Everyone may read this issue'))).toBe(true);
    expect(messages.some((message) => message.includes('Members-only change'))).toBe(false);
  });

  it('treats the events of a project GitLab does not show anonymous callers as members-only', async () => {
    await send(bridge, 'issue.open.json', into(NOW_INTERNAL), titled('No longer for everyone'));
    await settled(bridge);
    expect(messagesIn(bridge, channels.get(NOW_INTERNAL.path)!)).toEqual([]);
    const { rows } = await bridge.pool.query<{ levels: unknown }>('SELECT levels FROM project_features WHERE project_id = $1', [NOW_INTERNAL.id]);
    expect(rows).toEqual([{ levels: { visibility: null, levels: {}, publicJobs: null } }]);
  });

  it('asks without a token as well when the only connected user’s token is refused', async () => {
    await bridge.connectGitLab(bridge.users.bob!, { id: 51, username: 'bob', name: 'Bob' });
    bridge.gitlab.revokeAuthorization(51);
    await send(bridge, 'merge_request.open.json', into(LATER), titled('Still for everyone'));
    await settled(bridge);
    expect(messagesIn(bridge, channels.get(LATER.path)!).some((message) => message.includes('Still for everyone'))).toBe(true);
    const asked = bridge.gitlab.requests.filter((request) => request.path === `/api/v4/projects/${LATER.id}` || request.path === '/api/graphql');
    expect(asked.slice(-2).map(({ path, status, token }) => ({ path, status, signedIn: token !== undefined }))).toEqual([
      { path: `/api/v4/projects/${LATER.id}`, status: 401, signedIn: true },
      { path: '/api/graphql', status: 200, signedIn: false },
    ]);
  });
});

describe('public projects where GitLab sign-in is not set up at all', () => {
  const ALL_PUBLIC = { id: 402, path: 'open/everything', visibility: 'public' as const };
  let bridge: CommandBridge;
  let channels: Map<string, string>;

  beforeAll(async () => {
    ({ bridge, channels } = await startWithProjects({ oauth: false }, [ALL_PUBLIC]));
  }, 120_000);
  afterAll(async () => {
    await bridge?.close();
  });

  it('posts the events of a project whose features are all public in a public channel', async () => {
    await send(bridge, 'merge_request.open.json', into(ALL_PUBLIC), titled('An open change'));
    await settled(bridge);
    expect(messagesIn(bridge, channels.get(ALL_PUBLIC.path)!).some((message) => message.includes('An open change'))).toBe(true);
  });
});

describe('reading what GitLab shows anonymous callers', () => {
  const everything = {
    id: 'gid://gitlab/Project/7',
    visibility: 'public',
    issuesEnabled: true,
    mergeRequestsEnabled: true,
    wikiEnabled: true,
    snippetsEnabled: true,
    jobsEnabled: true,
    publicJobs: true,
    repository: { exists: true },
  };

  it('takes a feature it shows as public, and anything else as unknown', () => {
    expect(readAnonymousLevels(everything, 7)).toEqual({
      visibility: 'public',
      levels: { issues: 'enabled', merge_requests: 'enabled', wiki: 'enabled', snippets: 'enabled', builds: 'enabled', repository: 'enabled' },
      publicJobs: true,
    });
    // A members-only feature comes back false (or null: ProjectFeature#get_permission without a user).
    expect(readAnonymousLevels({ ...everything, mergeRequestsEnabled: null, jobsEnabled: false, repository: null }, 7)?.levels).toEqual({ issues: 'enabled', wiki: 'enabled', snippets: 'enabled' });
  });

  it('knows nothing from an answer without the fields, or about another project', () => {
    expect(readAnonymousLevels({ id: 'gid://gitlab/Project/7' }, 7)).toEqual({ visibility: null, levels: {}, publicJobs: null });
    // The path now names another project: its levels are not this one's.
    expect(readAnonymousLevels({ ...everything, id: 'gid://gitlab/Project/8' }, 7)).toBeNull();
    expect(readAnonymousLevels(null, 7)).toBeNull();
  });
});
