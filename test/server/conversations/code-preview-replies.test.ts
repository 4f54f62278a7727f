/**
 * The bot's code previews in opted-in channels (for mobile): the handler with a
 * real database, the fake GitLab on loopback read through the budgeted client,
 * and a stand-in for the bot's Mattermost gateway. Above all: code reaches a
 * channel only when everyone in it may read it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { createCodePreviewReplies, type CodePreviewGateway, type CodePreviewInstance } from '../../../server/src/conversations/code-preview-replies.js';
import type { ChatPost } from '../../../server/src/conversations/chat-events.js';
import { createPollClient, GitLabHttpError, type PollClient } from '../../../server/src/gitlab/poll-client.js';
import { createLogger } from '../../../server/src/log.js';
import { createRequestBudget } from '../../../server/src/polling/request-budget.js';
import { changeChannelSettings } from '../../../server/src/store/channel-settings.js';
import { createSubscription } from '../../../server/src/store/subscriptions.js';
import { startFakeGitLab, type FakeGitLab } from '../../fakes/fake-gitlab.js';
import { createMigratedDatabase, type MigratedDatabase } from '../../helpers/databases.js';
import { silentLog } from '../../helpers/silent-log.js';

const BOT = 'bot-user-id';
const ALICE = 'mm-alice';
const MALLORY = 'mm-mallory';
const CAROL = 'mm-carol'; // not connected to GitLab
const CODE = ['export function save(path: string): void {', '  // @channel: keep this short', '  write(path);', '}', ''].join('\n');

let database: MigratedDatabase;
let pool: pg.Pool;
let gitlab: FakeGitLab;
let tokens: Record<string, string>;
let gateway: CodePreviewGateway & { replies: Parameters<CodePreviewGateway['createReply']>[0][]; types: Map<string, string>; failNext: boolean };
let client: PollClient;
let handler: ReturnType<typeof createCodePreviewReplies>;
let logLines: string[];
let publicSha: string;
let sequence = 0;

beforeAll(async () => {
  database = await createMigratedDatabase();
  pool = database.pool;
  gitlab = await startFakeGitLab();
  tokens = {
    [ALICE]: gitlab.addUser({ id: 1, username: 'alice', name: 'Alice' }).token,
    [MALLORY]: gitlab.addUser({ id: 2, username: 'mallory', name: 'Mallory' }).token,
  };
  gitlab.addProject('oss/tools/lib', { visibility: 'public' });
  gitlab.addProject('oss/tools/members-code', { visibility: 'public', features: { repository: 'private' } });
  gitlab.addProject('acme/backend/api', { visibility: 'private' });
  gitlab.addProject('acme/backend/other', { visibility: 'private' });
  for (const project of ['oss/tools/members-code', 'acme/backend/api', 'acme/backend/other']) gitlab.grant(tokens[ALICE]!, project, 30);
  publicSha = gitlab.addFile('oss/tools/lib', 'src/save.ts', CODE);
  gitlab.addFile('oss/tools/lib', 'src/save.ts', CODE, { ref: 'feature/login' });
  gitlab.addFile('oss/tools/members-code', 'src/save.ts', CODE);
  gitlab.addFile('acme/backend/api', 'src/secret.ts', CODE);
  gitlab.addFile('acme/backend/other', 'src/secret.ts', CODE);

  const budget = createRequestBudget(pool, { perMinute: 10_000 });
  client = createPollClient({ gitlabUrl: gitlab.url, budget, log: silentLog });
  logLines = [];
  gateway = {
    replies: [],
    types: new Map(),
    failNext: false,
    async currentType(channelId) {
      return gateway.types.get(channelId) ?? null;
    },
    async createReply(reply) {
      if (gateway.failNext) {
        gateway.failNext = false;
        throw new Error('Mattermost answered 500');
      }
      gateway.replies.push(reply);
      return `reply-${gateway.replies.length}`;
    },
  };
  handler = handlerWith(client);
}, 60_000);

function handlerWith(gitlabClient: Pick<PollClient, 'get' | 'anonymousGraphql'>, more: CodePreviewInstance[] = []) {
  return createCodePreviewReplies({
    db: pool,
    instances: [{ name: 'default', url: gitlab.url, gitlab: gitlabClient, callerFor: async (userId) => (tokens[userId] ? { token: tokens[userId]! } : null) }, ...more],
    gateway,
    botUserId: async () => BOT,
    log: createLogger('info', { write: (line: string) => void logLines.push(line) }),
  });
}

/**
 * The fake GitLab has no redirect routes, so a project moved from `oldPath` to `newPath` is played here:
 * REST requests naming the old path go to the new one, as find_project finds a project by a redirect route
 * (lib/api/helpers.rb, `follow_redirects: true`), or (`answer: 301`) are refused with the 301 that most
 * endpoints answer a GET by an old path with (GitLab MR 128642), which the client does not follow. GraphQL's
 * `project(fullPath:)` is left as it is: it goes by routes only.
 */
function movedProject(oldPath: string, newPath: string, answer: 'served' | 301 = 'served'): Pick<PollClient, 'get' | 'anonymousGraphql'> {
  const old = `/projects/${encodeURIComponent(oldPath)}`.toLowerCase();
  return {
    async get<T>(token: string, path: string, query?: Parameters<PollClient['get']>[2]) {
      const lower = path.toLowerCase();
      if (lower !== old && !lower.startsWith(`${old}/`)) return client.get<T>(token, path, query);
      if (answer === 301) throw new GitLabHttpError(301, '301 Moved Permanently', `GET /api/v4${path}`);
      return client.get<T>(token, `/projects/${encodeURIComponent(newPath)}${path.slice(old.length)}`, query);
    },
    anonymousGraphql: (query, variables) => client.anonymousGraphql(query, variables),
  };
}

afterAll(async () => {
  await gitlab?.close();
  await database?.close();
});

beforeEach(() => {
  gateway.replies.length = 0;
});

/** A channel of `type` with code previews on (or off), and its id. */
async function channel(type: 'O' | 'P', codePreviews = true): Promise<string> {
  const id = `channel-${(sequence += 1)}`;
  gateway.types.set(id, type);
  await changeChannelSettings(pool, id, { codePreviews }, ALICE);
  return id;
}

function post(channelId: string, message: string, overrides: Partial<ChatPost> = {}): ChatPost {
  const now = Date.now();
  return { id: `post-${(sequence += 1)}`, channel_id: channelId, root_id: '', user_id: ALICE, message, create_at: now, update_at: now, edit_at: 0, delete_at: 0, type: '', ...overrides };
}

const link = (project: string, rest = 'main/src/save.ts#L1-3') => `${gitlab.url}/${project}/-/blob/${rest}`;
const filesAsked = () => gitlab.requests.filter((request) => request.path.includes('/repository/files/')).length;

describe('code previews in a channel that opted in', () => {
  it('replies once in the thread with the lines of a public project’s file, read as the poster and pinned to the commit', async () => {
    const id = await channel('O');
    const posted = post(id, `Look at ${link('oss/tools/lib')} please`);
    await handler.handle({ kind: 'posted', post: posted }, 'socket');
    expect(gateway.replies).toHaveLength(1);
    const [reply] = gateway.replies;
    expect(reply).toMatchObject({ channelId: id, rootId: posted.id, forPostId: posted.id });
    expect(reply!.message).toContain('```typescript\nexport function save(path: string): void {\n  // @channel: keep this short\n  write(path);\n```');
    expect(reply!.message).toContain(`/oss/tools/lib/-/blob/${publicSha}/src/save.ts#L1-3`);
    expect(reply!.message).toContain('lines 1–3');
    const { rows } = await pool.query('SELECT reply_post_id FROM code_preview_replies WHERE post_id = $1', [posted.id]);
    expect(rows).toEqual([{ reply_post_id: 'reply-1' }]);
  });

  it('answers a reply in a thread in that thread, and a branch with slashes', async () => {
    const id = await channel('O');
    await handler.handle({ kind: 'posted', post: post(id, link('oss/tools/lib', 'feature/login/src/save.ts#L3'), { root_id: 'the-root' }) }, 'socket');
    expect(gateway.replies).toMatchObject([{ rootId: 'the-root', message: expect.stringContaining('on `feature/login`') }]);
  });

  it('replies once when the post is heard twice, even at the same moment (socket and catch-up)', async () => {
    const id = await channel('O');
    const posted = post(id, link('oss/tools/lib'));
    await Promise.all([handler.handle({ kind: 'posted', post: posted }, 'socket'), handler.handle({ kind: 'posted', post: posted }, 'catch-up')]);
    await handler.handle({ kind: 'posted', post: posted }, 'catch-up');
    expect(gateway.replies).toHaveLength(1);
  });

  it('answers up to three links in one reply', async () => {
    const id = await channel('O');
    const links = ['#L1', '#L2', '#L3', '#L4'].map((anchor) => link('oss/tools/lib', `main/src/save.ts${anchor}`));
    await handler.handle({ kind: 'posted', post: post(id, links.join('\n')) }, 'socket');
    expect(gateway.replies).toHaveLength(1);
    expect(gateway.replies[0]!.message.match(/```typescript/g)).toHaveLength(3);
  });
});

describe('who may see the code', () => {
  it('does not show a private file in a public channel, though the poster may read it', async () => {
    const id = await channel('O');
    await handler.handle({ kind: 'posted', post: post(id, link('acme/backend/api', 'main/src/secret.ts#L1')) }, 'socket');
    expect(gateway.replies).toEqual([]);
  });

  it('does not show code a public project keeps to members in a public channel', async () => {
    const id = await channel('O');
    await handler.handle({ kind: 'posted', post: post(id, link('oss/tools/members-code')) }, 'socket');
    expect(gateway.replies).toEqual([]);
  });

  it('does not show a private file in a private channel without a subscription to that project', async () => {
    const id = await channel('P');
    await createSubscription(pool, { channelId: id, targetKind: 'project', targetPath: 'acme/backend/other', privateAccess: true, creatorId: ALICE });
    await handler.handle({ kind: 'posted', post: post(id, link('acme/backend/api', 'main/src/secret.ts#L1')) }, 'socket');
    expect(gateway.replies).toEqual([]);
  });

  it('does not show it when the channel’s subscription was not shown to have access, or leaves the project out', async () => {
    const unvouched = await channel('P');
    await createSubscription(pool, { channelId: unvouched, targetKind: 'project', targetPath: 'acme/backend/api', privateAccess: false, creatorId: ALICE });
    const excluded = await channel('P');
    await createSubscription(pool, { channelId: excluded, targetKind: 'group', targetPath: 'acme', privateAccess: true, creatorId: ALICE, filters: { exclude: ['acme/backend/*'] } });
    for (const id of [unvouched, excluded]) await handler.handle({ kind: 'posted', post: post(id, link('acme/backend/api', 'main/src/secret.ts#L1')) }, 'socket');
    expect(gateway.replies).toEqual([]);
  });

  it('shows a private file in a private channel whose subscription (project or group) has access', async () => {
    const byProject = await channel('P');
    await createSubscription(pool, { channelId: byProject, targetKind: 'project', targetPath: 'acme/backend/api', privateAccess: true, creatorId: ALICE });
    const byGroup = await channel('P');
    await createSubscription(pool, { channelId: byGroup, targetKind: 'group', targetPath: 'acme', privateAccess: true, creatorId: ALICE });
    for (const id of [byProject, byGroup]) await handler.handle({ kind: 'posted', post: post(id, link('acme/backend/api', 'main/src/secret.ts#L1-2')) }, 'socket');
    expect(gateway.replies.map((reply) => reply.channelId)).toEqual([byProject, byGroup]);
  });

  it('stops showing it once the channel is made public', async () => {
    const id = await channel('P');
    await createSubscription(pool, { channelId: id, targetKind: 'project', targetPath: 'acme/backend/api', privateAccess: true, creatorId: ALICE });
    gateway.types.set(id, 'O');
    await handler.handle({ kind: 'posted', post: post(id, link('acme/backend/api', 'main/src/secret.ts#L1')) }, 'socket');
    expect(gateway.replies).toEqual([]);
  });

  it('reads as the poster: a poster who may not read the file gets no reply, even where the channel could see it', async () => {
    const id = await channel('P');
    await createSubscription(pool, { channelId: id, targetKind: 'project', targetPath: 'acme/backend/api', privateAccess: true, creatorId: ALICE });
    await handler.handle({ kind: 'posted', post: post(id, link('acme/backend/api', 'main/src/secret.ts#L1'), { user_id: MALLORY }) }, 'socket');
    expect(gateway.replies).toEqual([]);
    const asMallory = gitlab.requests.filter((request) => request.path.startsWith('/api/v4/projects/') && request.token === tokens[MALLORY]);
    expect(asMallory.length).toBeGreaterThan(0);
  });
});

describe('which project a link names', () => {
  const projectId = (path: string) => [...gitlab.projects.values()].find((project) => project.path_with_namespace === path)!.id;
  const filesRead = () => gitlab.requests.filter((request) => request.path.includes('/repository/files/')).map((request) => request.path);

  it('judges a moved project by its path now: its old path does not borrow the old group’s subscription', async () => {
    const id = await channel('P');
    await createSubscription(pool, { channelId: id, targetKind: 'group', targetPath: 'team', privateAccess: true, creatorId: ALICE });
    const before = filesRead().length;
    await handlerWith(movedProject('team/legacy/api', 'acme/backend/api')).handle({ kind: 'posted', post: post(id, link('team/legacy/api', 'main/src/secret.ts#L1')) }, 'socket');
    expect(gateway.replies).toEqual([]);
    // Not even read: the audience is settled before the file is asked for.
    expect(filesRead().length).toBe(before);
  });

  it('shows a moved project’s file where its path now is covered, read by its id and linked at that path', async () => {
    const id = await channel('P');
    await createSubscription(pool, { channelId: id, targetKind: 'group', targetPath: 'acme', privateAccess: true, creatorId: ALICE });
    const before = filesRead().length;
    await handlerWith(movedProject('team/legacy/api', 'acme/backend/api')).handle({ kind: 'posted', post: post(id, link('team/legacy/api', 'main/src/secret.ts#L1')) }, 'socket');
    expect(gateway.replies).toHaveLength(1);
    expect(gateway.replies[0]!.message).toMatch(new RegExp(`/acme/backend/api/-/blob/[0-9a-f]{40}/src/secret\\.ts#L1\\b`));
    expect(gateway.replies[0]!.message).not.toContain('team/legacy');
    expect(filesRead().slice(before)).toEqual([`/api/v4/projects/${projectId('acme/backend/api')}/repository/files/src%2Fsecret.ts`]);
  });

  it('does not answer, nor warn, when GitLab redirects an old path instead of serving it', async () => {
    const id = await channel('P');
    await createSubscription(pool, { channelId: id, targetKind: 'group', targetPath: 'team', privateAccess: true, creatorId: ALICE });
    const warnings = logLines.length;
    await handlerWith(movedProject('team/legacy/api', 'acme/backend/api', 301)).handle({ kind: 'posted', post: post(id, link('team/legacy/api', 'main/src/secret.ts#L1')) }, 'socket');
    expect(gateway.replies).toEqual([]);
    expect(logLines.slice(warnings).filter((line) => line.includes('could not answer'))).toEqual([]);
  });

  it('links a path written in other letters at the project’s own path (GitLab finds paths case-insensitively)', async () => {
    const id = await channel('P');
    await createSubscription(pool, { channelId: id, targetKind: 'project', targetPath: 'acme/backend/api', privateAccess: true, creatorId: ALICE });
    await handler.handle({ kind: 'posted', post: post(id, link('ACME/Backend/API', 'main/src/secret.ts#L1')) }, 'socket');
    expect(gateway.replies).toHaveLength(1);
    expect(gateway.replies[0]!.message).toContain(`${gitlab.url}/acme/backend/api/-/blob/`);
    expect(gateway.replies[0]!.message).not.toContain('ACME');
  });
});

describe('what is not answered', () => {
  it('asks GitLab nothing in a channel that did not opt in, for the bot’s own posts, system posts, other hosts and the unconnected', async () => {
    const off = await channel('O', false);
    const on = await channel('O');
    const before = filesAsked();
    for (const ignored of [
      post(off, link('oss/tools/lib')),
      post(on, link('oss/tools/lib'), { user_id: BOT }),
      post(on, link('oss/tools/lib'), { type: 'system_join_channel' }),
      post(on, `https://gitlab.com/oss/tools/lib/-/blob/main/src/save.ts#L1`),
      post(on, link('oss/tools/lib'), { user_id: CAROL }),
      post(on, `Quoted: \`${link('oss/tools/lib')}\``),
    ]) {
      await handler.handle({ kind: 'posted', post: ignored }, 'socket');
    }
    await handler.handle({ kind: 'edited', post: post(on, link('oss/tools/lib')) }, 'socket');
    expect(gateway.replies).toEqual([]);
    expect(filesAsked()).toBe(before);
  });

  it('never throws: bad input and a failing Mattermost are logged, and the post is not answered twice', async () => {
    await expect(handler.handle({ kind: 'posted', post: {} as ChatPost }, 'socket')).resolves.toBeUndefined();
    await expect(handler.handle({ kind: 'posted', post: null as unknown as ChatPost }, 'socket')).resolves.toBeUndefined();
    const id = await channel('O');
    const posted = post(id, link('oss/tools/lib'));
    gateway.failNext = true;
    await expect(handler.handle({ kind: 'posted', post: posted }, 'socket')).resolves.toBeUndefined();
    expect(logLines.some((line) => line.includes('could not answer a code link'))).toBe(true);
    await handler.handle({ kind: 'posted', post: posted }, 'catch-up');
    expect(gateway.replies).toEqual([]);
  });
});

describe('several GitLab instances', () => {
  let corp: FakeGitLab;
  let corpTokens: Record<string, string>;
  let twoInstances: ReturnType<typeof createCodePreviewReplies>;

  beforeAll(async () => {
    corp = await startFakeGitLab();
    // Alice on corp is another GitLab account; Carol, not connected on the default instance, is on corp.
    corpTokens = { [ALICE]: corp.addUser({ id: 1, username: 'alice.corp', name: 'Alice' }).token, [CAROL]: corp.addUser({ id: 3, username: 'carol.corp', name: 'Carol' }).token };
    // The same paths as on the default instance, other projects.
    corp.addProject('oss/tools/lib', { visibility: 'public' });
    corp.addFile('oss/tools/lib', 'src/save.ts', 'export const corp = true;\n');
    corp.addProject('acme/backend/api', { visibility: 'private' });
    corp.grant(corpTokens[ALICE]!, 'acme/backend/api', 30);
    corp.addFile('acme/backend/api', 'src/secret.ts', 'export const corpSecret = 1;\n');
    const corpClient = createPollClient({ gitlabUrl: corp.url, budget: createRequestBudget(pool, { perMinute: 10_000, instance: 'corp' }), log: silentLog });
    twoInstances = handlerWith(client, [{ name: 'corp', url: corp.url, gitlab: corpClient, callerFor: async (userId) => (corpTokens[userId] ? { token: corpTokens[userId]! } : null) }]);
  }, 30_000);

  afterAll(async () => {
    await corp?.close();
  });

  const corpLink = (project: string, rest = 'main/src/save.ts#L1') => `${corp.url}/${project}/-/blob/${rest}`;

  it('reads a corp link on corp, as the poster’s corp account, and a default link beside it on the default GitLab, in the order written', async () => {
    const id = await channel('O');
    const defaultRequests = gitlab.requests.length;
    await twoInstances.handle({ kind: 'posted', post: post(id, `${corpLink('oss/tools/lib')} and ${link('oss/tools/lib')}`) }, 'socket');
    expect(gateway.replies).toHaveLength(1);
    const message = gateway.replies[0]!.message;
    expect(message.indexOf('export const corp = true;')).toBeGreaterThanOrEqual(0);
    expect(message.indexOf('export const corp = true;')).toBeLessThan(message.indexOf('export function save'));
    expect(message).toContain(`${corp.url}/oss/tools/lib/-/blob/`);
    // Corp's files were read with the corp token only; the default GitLab saw only the default token.
    const corpReads = corp.requests.filter((request) => request.path.includes('/repository/files/'));
    expect(corpReads.length).toBeGreaterThan(0);
    expect(corpReads.every((request) => request.token === corpTokens[ALICE])).toBe(true);
    expect(gitlab.requests.slice(defaultRequests).every((request) => request.token === undefined || request.token === tokens[ALICE])).toBe(true);
  });

  it('answers a poster connected on corp only, for a corp link', async () => {
    const id = await channel('O');
    await twoInstances.handle({ kind: 'posted', post: post(id, corpLink('oss/tools/lib'), { user_id: CAROL }) }, 'socket');
    expect(gateway.replies).toHaveLength(1);
    // The same person's default-instance link: not connected there, no reply.
    await twoInstances.handle({ kind: 'posted', post: post(id, link('oss/tools/lib'), { user_id: CAROL }) }, 'socket');
    expect(gateway.replies).toHaveLength(1);
  });

  it('a default-instance subscription does not vouch for a corp project of the same path, and a corp one does', async () => {
    const byDefault = await channel('P');
    await createSubscription(pool, { channelId: byDefault, targetKind: 'project', targetPath: 'acme/backend/api', privateAccess: true, creatorId: ALICE });
    await twoInstances.handle({ kind: 'posted', post: post(byDefault, corpLink('acme/backend/api', 'main/src/secret.ts#L1')) }, 'socket');
    expect(gateway.replies).toEqual([]);
    const byCorp = await channel('P');
    await createSubscription(pool, { channelId: byCorp, targetKind: 'project', targetPath: 'acme/backend/api', privateAccess: true, creatorId: ALICE, instance: 'corp' });
    await twoInstances.handle({ kind: 'posted', post: post(byCorp, corpLink('acme/backend/api', 'main/src/secret.ts#L1')) }, 'socket');
    expect(gateway.replies.map((reply) => reply.channelId)).toEqual([byCorp]);
    expect(gateway.replies[0]!.message).toContain('corpSecret');
  });

  it('leaves links to a host no instance is on alone', async () => {
    const id = await channel('O');
    const before = corp.requests.length + gitlab.requests.length;
    await twoInstances.handle({ kind: 'posted', post: post(id, 'https://gitlab.elsewhere.example/oss/tools/lib/-/blob/main/src/save.ts#L1') }, 'socket');
    expect(gateway.replies).toEqual([]);
    expect(corp.requests.length + gitlab.requests.length).toBe(before);
  });
});
