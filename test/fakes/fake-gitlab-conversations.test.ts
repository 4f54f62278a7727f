/**
 * The fake GitLab's conversations: comments and their threads (internal ones too), award emoji, repository
 * files, and the Note and Emoji webhooks it sends to a receiver on loopback, each rule as GitLab has it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { isIgnored, type GitLabEvent } from '../../server/src/gitlab/events/event.js';
import { parseEvent } from '../../server/src/gitlab/events/parse-event.js';
import type { FakeGitLabHookDelivery } from './fake-gitlab-conversations.js';
import { startFakeGitLab, type FakeGitLab } from './fake-gitlab.js';

type Json = Record<string, unknown>;

/** A webhook receiver: what it got, in order, answering with `status`. */
interface Receiver {
  url: string;
  received: { path: string; headers: http.IncomingHttpHeaders; body: Json }[];
  status: number;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const receiver: Receiver = { url: '', received: [], status: 200, close: async () => {} };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      receiver.received.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json });
      res.writeHead(receiver.status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  receiver.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/gitlab/webhooks/${name}`, import.meta.url), 'utf8')) as Record<string, Json>;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const parsed = (delivery: FakeGitLabHookDelivery): GitLabEvent => {
  const result = parseEvent(delivery.event, delivery.payload);
  if (isIgnored(result)) throw new Error(`ignored: ${result.ignored}`);
  return result;
};

describe("the fake GitLab's conversations", () => {
  let gitlab: FakeGitLab;
  let receiver: Receiver;
  // mia: Maintainer of site and vault; rex: Reporter of vault; gus: Guest of vault; pam: Planner of vault;
  // out: no membership anywhere; dev: Developer of site; gil: Guest of site and of docs.
  const tokens: Record<'mia' | 'rex' | 'gus' | 'pam' | 'out' | 'dev' | 'gil', string> = { mia: '', rex: '', gus: '', pam: '', out: '', dev: '', gil: '' };
  const ids = { mia: 1, rex: 2, gus: 3, pam: 4, out: 5, dev: 6, gil: 7 } as const;
  const site = `/projects/${encodeURIComponent('acme/site')}`;
  const vault = `/projects/${encodeURIComponent('acme/secret/vault')}`;

  beforeAll(async () => {
    gitlab = await startFakeGitLab();
    receiver = await startReceiver();
    gitlab.addGroup('acme', { visibility: 'public' });
    gitlab.addProject('acme/site', { visibility: 'public' });
    gitlab.addProject('acme/intra', { visibility: 'internal' });
    gitlab.addProject('acme/docs', { visibility: 'public', features: { repository: 'private' } });
    gitlab.addGroup('acme/secret', { visibility: 'private' });
    gitlab.addProject('acme/secret/vault', { visibility: 'private' });
    for (const [name, id] of Object.entries(ids)) tokens[name as keyof typeof tokens] = gitlab.addUser({ id, username: name, name: name.toUpperCase() }).token;
    gitlab.grant(tokens.mia, 'acme/site', 40);
    gitlab.grant(tokens.mia, 'acme/secret/vault', 40);
    gitlab.grant(tokens.rex, 'acme/secret/vault', 20);
    gitlab.grant(tokens.gus, 'acme/secret/vault', 10);
    gitlab.grant(tokens.pam, 'acme/secret/vault', 15);
    gitlab.grant(tokens.dev, 'acme/site', 30);
    gitlab.grant(tokens.gil, 'acme/site', 10);
    gitlab.grant(tokens.gil, 'acme/docs', 10);
    for (const project of [site, vault]) {
      const hook = await api('POST', `${project}/hooks`, tokens.mia, { url: `${receiver.url}/all`, token: 'hook-secret', push_events: false, note_events: true, confidential_note_events: true, emoji_events: true });
      expect(hook.status).toBe(201);
    }
    // A hook for public comments only: it must never hear of an internal one.
    expect((await api('POST', `${vault}/hooks`, tokens.mia, { url: `${receiver.url}/public-only`, push_events: false, note_events: true })).status).toBe(201);
  });
  afterEach(() => gitlab.setHookTiming('after-answer'));
  afterAll(async () => {
    await gitlab.close();
    await receiver.close();
  });

  /** An API call as @gitbeaker/rest makes it (a Bearer token, a JSON body); JSON answers parsed, others as text. */
  async function api(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, token?: string, body?: Json, headers: Record<string, string> = {}) {
    const response = await fetch(`${gitlab.url}/api/v4${path}`, {
      method,
      headers: { ...headers, ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    const json = /json/.test(response.headers.get('content-type') ?? '') && text !== '';
    return { status: response.status, body: (json ? JSON.parse(text) : text) as any, headers: response.headers }; // eslint-disable-line @typescript-eslint/no-explicit-any
  }
  const mr = (project: string, iid: number) => `${project}/merge_requests/${iid}`;
  const issue = (project: string, iid: number) => `${project}/issues/${iid}`;
  const noteHook = (noteId: number) => (delivery: FakeGitLabHookDelivery) => (delivery.payload.object_attributes as Json | undefined)?.id === noteId && delivery.payload.object_kind === 'note';

  describe('comments', () => {
    it('takes a comment on a merge request or an issue from whoever reads it, answering GitLab’s note', async () => {
      const request = gitlab.addMergeRequest('acme/site', { title: 'Cache the sidebar', authorId: ids.dev });
      const answer = await api('POST', `${mr(site, request.iid)}/notes`, tokens.out, { body: 'Why cache?' });
      expect(answer.status).toBe(201);
      expect(answer.body).toMatchObject({
        type: null,
        body: 'Why cache?',
        author: { id: ids.out, username: 'out', name: 'OUT' },
        system: false,
        noteable_id: request.id,
        noteable_iid: request.iid,
        noteable_type: 'MergeRequest',
        internal: false,
        confidential: false,
        resolvable: false,
      });
      // The REST note has no discussion_id (Entities::Note); the fake keeps one, 40 hex digits.
      expect(answer.body).not.toHaveProperty('discussion_id');
      expect(gitlab.notesOf('acme/site', 'merge_request', request.iid)).toEqual([
        expect.objectContaining({ id: answer.body.id, body: 'Why cache?', authorId: ids.out, author: 'out', internal: false, discussionId: expect.stringMatching(/^[0-9a-f]{40}$/) }),
      ]);

      const question = gitlab.addIssue('acme/site', { title: 'Sidebar is slow', authorId: ids.dev });
      expect(await api('POST', `${issue(site, question.iid)}/notes`, tokens.gil, { body: 'Seen it too' })).toMatchObject({ status: 201, body: { noteable_type: 'Issue', noteable_iid: question.iid } });
      expect(gitlab.notesOf('acme/site', 'issue', question.iid).map((note) => note.author)).toEqual(['gil']);
      // An empty body is the Note model's error; no token is the notes API's 401.
      expect(await api('POST', `${issue(site, question.iid)}/notes`, tokens.gil, { body: '  ' })).toMatchObject({ status: 400, body: { message: `400 Bad request - Note {:note=>["can't be blank"]}` } });
      expect(await api('POST', `${issue(site, question.iid)}/notes`, undefined, { body: 'Hi' })).toMatchObject({ status: 401, body: { message: '401 Unauthorized' } });
    });

    it('answers a non-member of a private project as if it did not exist, and a Guest as if its merge requests did not', async () => {
      const request = gitlab.addMergeRequest('acme/secret/vault', { title: 'Rotate keys', authorId: ids.mia });
      const task = gitlab.addIssue('acme/secret/vault', { title: 'Audit', authorId: ids.mia });
      expect(await api('POST', `${mr(vault, request.iid)}/notes`, tokens.out, { body: 'Let me in' })).toEqual(expect.objectContaining({ status: 404, body: { message: '404 Project Not Found' } }));
      expect(await api('POST', `${issue(vault, task.iid)}/notes`, tokens.out, { body: 'Let me in' })).toMatchObject({ status: 404, body: { message: '404 Project Not Found' } });
      // Guests of a private project do not see its merge requests, but do see and discuss its issues.
      expect(await api('POST', `${mr(vault, request.iid)}/notes`, tokens.gus, { body: 'Hm' })).toMatchObject({ status: 404, body: { message: '404 Merge Request Not Found' } });
      expect(await api('POST', `${issue(vault, task.iid)}/notes`, tokens.gus, { body: 'Done my part' })).toMatchObject({ status: 201 });
      expect(await api('POST', `${mr(vault, request.iid)}/notes`, tokens.rex, { body: 'Looks right' })).toMatchObject({ status: 201 });
      expect(gitlab.notesOf('acme/secret/vault', 'merge_request', request.iid).map((note) => note.body)).toEqual(['Looks right']);
    });

    it('keeps a confidential issue’s comments to its author, assignees and Planners and above', async () => {
      const secret = gitlab.addIssue('acme/site', { title: 'Leaked key', confidential: true, authorId: ids.out });
      expect(await api('POST', `${issue(site, secret.iid)}/notes`, tokens.gil, { body: 'What key?' })).toMatchObject({ status: 404, body: { message: '404 Issue Not Found' } });
      expect(await api('POST', `${issue(site, secret.iid)}/notes`, tokens.out, { body: 'This one' })).toMatchObject({ status: 201 });
      expect(await api('POST', `${issue(site, secret.iid)}/notes`, tokens.dev, { body: 'Rotated' })).toMatchObject({ status: 201 });
      expect(await api('GET', `${issue(site, secret.iid)}/notes`, tokens.gil)).toMatchObject({ status: 404 });
    });

    it('lets only members comment on a locked discussion, edit there, or react', async () => {
      const settled = gitlab.addIssue('acme/site', { title: 'Tabs or spaces', authorId: ids.dev });
      const before = await api('POST', `${issue(site, settled.iid)}/notes`, tokens.out, { body: 'Tabs!' });
      gitlab.lockDiscussion('acme/site', 'issue', settled.iid);
      expect(await api('POST', `${issue(site, settled.iid)}/notes`, tokens.out, { body: 'Tabs!!' })).toMatchObject({ status: 403, body: { message: '403 Forbidden' } });
      expect(await api('PUT', `${issue(site, settled.iid)}/notes/${before.body.id}`, tokens.out, { body: 'Spaces?' })).toMatchObject({ status: 403 });
      expect(await api('POST', `${issue(site, settled.iid)}/award_emoji`, tokens.out, { name: 'thumbsdown' })).toMatchObject({ status: 404, body: { message: '404 Award Emoji Not Found' } });
      // gil is a Guest: a member.
      expect(await api('POST', `${issue(site, settled.iid)}/notes`, tokens.gil, { body: 'Settled: spaces.' })).toMatchObject({ status: 201 });
      const locked = gitlab.addMergeRequest('acme/site', { title: 'Reformat', authorId: ids.dev, discussionLocked: true });
      expect(await api('POST', `${mr(site, locked.iid)}/notes`, tokens.out, { body: 'No' })).toMatchObject({ status: 403 });
      gitlab.lockDiscussion('acme/site', 'merge_request', locked.iid, false);
      expect(await api('POST', `${mr(site, locked.iid)}/notes`, tokens.out, { body: 'Now yes' })).toMatchObject({ status: 201 });
    });

    it('makes an internal note for Planners and above, silently a public one for a Guest who asks, and hides it from Guests', async () => {
      const task = gitlab.addIssue('acme/secret/vault', { title: 'Incident', authorId: ids.mia });
      const notes = `${issue(vault, task.iid)}/notes`;
      const internal = await api('POST', notes, tokens.rex, { body: 'Customer is Initech', internal: true });
      expect(internal).toMatchObject({ status: 201, body: { internal: true, confidential: true } });
      expect((await api('POST', notes, tokens.pam, { body: 'Planner aside', internal: true })).body).toMatchObject({ internal: true });
      // Notes::BuildService drops `internal` from one who may not mark notes internal: the note is public.
      const guest = await api('POST', notes, tokens.gus, { body: 'Meant to be private', internal: true });
      expect(guest).toMatchObject({ status: 201, body: { internal: false } });
      expect(gitlab.notesOf('acme/secret/vault', 'issue', task.iid).map((note) => [note.body, note.internal])).toEqual([
        ['Customer is Initech', true],
        ['Planner aside', true],
        ['Meant to be private', false],
      ]);
      expect((await api('GET', notes, tokens.gus)).body.map((note: Json) => note.body)).toEqual(['Meant to be private']);
      expect((await api('GET', notes, tokens.rex)).body.map((note: Json) => note.body)).toEqual(['Meant to be private', 'Planner aside', 'Customer is Initech']);
      expect(await api('GET', `${notes}/${internal.body.id}`, tokens.gus)).toMatchObject({ status: 404, body: { message: '404 Note Not Found' } });
      expect(await api('PUT', `${notes}/${internal.body.id}`, tokens.gus, { body: 'x' })).toMatchObject({ status: 403 });
      // Nor do the project's events show it to a Guest.
      const commented = (token: string) => api('GET', `${vault}/events?action=commented`, token).then(({ body }) => (body as Json[]).map((event) => (event.note as Json).body));
      expect(await commented(tokens.gus)).not.toContain('Customer is Initech');
      expect(await commented(tokens.rex)).toContain('Customer is Initech');
    });

    it('puts a reply in its thread, internal when the thread is, and keeps an internal thread from Guests', async () => {
      const task = gitlab.addIssue('acme/secret/vault', { title: 'Outage', authorId: ids.mia });
      const first = await api('POST', `${issue(vault, task.iid)}/notes`, tokens.rex, { body: 'Root cause?', internal: true });
      const [thread] = (await api('GET', `${issue(vault, task.iid)}/discussions`, tokens.rex)).body as Json[];
      expect(thread).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{40}$/), individual_note: true, notes: [{ id: first.body.id, type: null }] });
      const replies = `${issue(vault, task.iid)}/discussions/${thread!.id as string}/notes`;
      // A reply asks nothing about internal: it is internal because its thread is.
      const reply = await api('POST', replies, tokens.mia, { body: 'The DNS' });
      expect(reply).toMatchObject({ status: 201, body: { internal: true, type: 'DiscussionNote', resolvable: true, resolved: false } });
      expect(gitlab.notesOf('acme/secret/vault', 'issue', task.iid)).toEqual([
        expect.objectContaining({ body: 'Root cause?', type: 'DiscussionNote', internal: true, discussionId: thread!.id }),
        expect.objectContaining({ body: 'The DNS', type: 'DiscussionNote', internal: true, discussionId: thread!.id }),
      ]);
      expect((await api('GET', `${issue(vault, task.iid)}/discussions`, tokens.rex)).body).toEqual([expect.objectContaining({ id: thread!.id, individual_note: false })]);
      // A Guest cannot see the thread, so cannot reply to it.
      expect(await api('POST', replies, tokens.gus, { body: 'Me too' })).toMatchObject({ status: 404, body: { message: '404 Discussion Not Found' } });
      expect(await api('GET', `${issue(vault, task.iid)}/discussions`, tokens.gus)).toMatchObject({ status: 200, body: [] });
      expect(await api('POST', `${issue(vault, task.iid)}/discussions/${'0'.repeat(40)}/notes`, tokens.rex, { body: 'Hello?' })).toMatchObject({ status: 404 });
      // A reply to a public comment is public.
      const open = await api('POST', `${issue(vault, task.iid)}/notes`, tokens.gus, { body: 'Status?' });
      const openThread = gitlab.notesOf('acme/secret/vault', 'issue', task.iid).find((note) => note.id === open.body.id)!.discussionId;
      expect((await api('POST', `${issue(vault, task.iid)}/discussions/${openThread}/notes`, tokens.rex, { body: 'Fixed' })).body).toMatchObject({ internal: false });
    });

    it('lets the author or a Maintainer edit and delete a comment, and nobody else', async () => {
      const request = gitlab.addMergeRequest('acme/site', { title: 'Dark mode', authorId: ids.dev });
      const notes = `${mr(site, request.iid)}/notes`;
      const mine = await api('POST', notes, tokens.out, { body: 'Love it' });
      const path = `${notes}/${mine.body.id}`;
      expect(await api('PUT', path, tokens.dev, { body: 'Hate it' })).toMatchObject({ status: 403, body: { message: '403 Forbidden' } });
      expect(await api('DELETE', path, tokens.dev)).toMatchObject({ status: 403 });
      expect(await api('PUT', path, tokens.out, { body: 'Love it, mostly' })).toMatchObject({ status: 200, body: { body: 'Love it, mostly' } });
      expect(await api('PUT', path, tokens.out, { body: ' ' })).toMatchObject({ status: 400, body: { error: 'body is empty' } });
      // A Maintainer has admin_note on every comment of the project (ProjectPolicy).
      expect(await api('PUT', path, tokens.mia, { body: 'Love it (edited by a maintainer)' })).toMatchObject({ status: 200 });
      expect(await api('PUT', `${notes}/999999`, tokens.out, { body: 'x' })).toMatchObject({ status: 404, body: { message: '404 Not found' } });
      expect(await api('DELETE', path, tokens.out)).toMatchObject({ status: 204, body: '' });
      expect(gitlab.notesOf('acme/site', 'merge_request', request.iid)).toEqual([]);
      const other = await api('POST', notes, tokens.gil, { body: 'Off topic' });
      expect(await api('DELETE', `${notes}/${other.body.id}`, tokens.mia)).toMatchObject({ status: 204 });
    });

    it('lists comments newest first unless asked, ordered and paged as asked', async () => {
      const request = gitlab.addMergeRequest('acme/site', { title: 'Paging', authorId: ids.dev });
      const notes = `${mr(site, request.iid)}/notes`;
      const made: number[] = [];
      for (const body of ['one', 'two', 'three']) made.push((await api('POST', notes, tokens.dev, { body })).body.id);
      const bodies = (answer: { body: Json[] }) => answer.body.map((note) => note.body);
      expect(bodies(await api('GET', notes, tokens.out))).toEqual(['three', 'two', 'one']);
      expect(bodies(await api('GET', `${notes}?sort=asc`, tokens.out))).toEqual(['one', 'two', 'three']);
      const page = await api('GET', `${notes}?sort=asc&per_page=2`, tokens.out);
      expect(bodies(page)).toEqual(['one', 'two']);
      expect([page.headers.get('x-total'), page.headers.get('x-next-page')]).toEqual(['3', '2']);
      await api('PUT', `${notes}/${made[0]}`, tokens.dev, { body: 'one, again' });
      expect(bodies(await api('GET', `${notes}?order_by=updated_at&sort=desc`, tokens.out))).toEqual(['one, again', 'three', 'two']);
      expect(await api('GET', `${notes}?order_by=id`, tokens.out)).toMatchObject({ status: 400, body: { error: 'order_by does not have a valid value' } });
    });
  });

  describe('award emoji', () => {
    it('awards an emoji once per user and name, knowing GitLab’s names and aliases, and takes it back for its awarder only', async () => {
      const request = gitlab.addMergeRequest('acme/site', { title: 'Faster builds', authorId: ids.dev });
      const awards = `${mr(site, request.iid)}/award_emoji`;
      const award = await api('POST', awards, tokens.out, { name: 'thumbsup' });
      expect(award).toMatchObject({ status: 201, body: { name: 'thumbsup', user: { id: ids.out, username: 'out' }, awardable_id: request.id, awardable_type: 'MergeRequest' } });
      // AwardEmojis::AddService: every refusal is a 404 with the model's error in it; +1 is thumbsup.
      expect(await api('POST', awards, tokens.out, { name: 'thumbsup' })).toMatchObject({ status: 404, body: { message: '404 Award Emoji Name has already been taken Not Found' } });
      expect(await api('POST', awards, tokens.out, { name: '+1' })).toMatchObject({ status: 404, body: { message: '404 Award Emoji Name has already been taken Not Found' } });
      expect(await api('POST', awards, tokens.out, { name: 'not_an_emoji' })).toMatchObject({ status: 404, body: { message: '404 Award Emoji Name is not a valid emoji name Not Found' } });
      expect(await api('POST', awards, tokens.gil, { name: '+1' })).toMatchObject({ status: 201, body: { name: 'thumbsup' } });
      expect(await api('POST', awards, undefined, { name: 'tada' })).toMatchObject({ status: 404, body: { message: '404 Award Emoji Not Found' } });
      expect(await api('POST', awards, tokens.out, {})).toMatchObject({ status: 400, body: { error: 'name is missing' } });
      expect(gitlab.awardsOf('acme/site', 'merge_request', request.iid).map((given) => [given.name, given.user])).toEqual([
        ['thumbsup', 'out'],
        ['thumbsup', 'gil'],
      ]);
      // Anyone may read a public one's awards.
      expect((await api('GET', awards)).body.map((given: Json) => (given.user as Json).username)).toEqual(['out', 'gil']);

      expect(await api('DELETE', `${awards}/${award.body.id}`, tokens.gil)).toMatchObject({ status: 401, body: { message: '401 Unauthorized' } });
      expect(await api('DELETE', `${awards}/${award.body.id}`, tokens.mia)).toMatchObject({ status: 401 });
      expect(await api('DELETE', `${awards}/${award.body.id}`, tokens.out)).toMatchObject({ status: 204 });
      expect(await api('DELETE', `${awards}/${award.body.id}`, tokens.out)).toMatchObject({ status: 404, body: { message: '404 Not found' } });
      expect(gitlab.awardsOf('acme/site', 'merge_request', request.iid).map((given) => given.user)).toEqual(['gil']);
    });

    it('lets only those who read an issue award on it', async () => {
      const secret = gitlab.addIssue('acme/site', { title: 'Embargoed', confidential: true, authorId: ids.dev });
      expect(await api('POST', `${issue(site, secret.iid)}/award_emoji`, tokens.gil, { name: 'eyes' })).toMatchObject({ status: 404, body: { message: '404 Award Emoji Not Found' } });
      expect(await api('GET', `${issue(site, secret.iid)}/award_emoji`, tokens.gil)).toMatchObject({ status: 404, body: { message: '404 Award Emoji Not Found' } });
      expect(await api('POST', `${issue(site, secret.iid)}/award_emoji`, tokens.dev, { name: 'eyes' })).toMatchObject({ status: 201 });
      expect(await api('POST', `${issue(site, 9999)}/award_emoji`, tokens.dev, { name: 'eyes' })).toMatchObject({ status: 404, body: { message: '404 Not found' } });
      const request = gitlab.addMergeRequest('acme/secret/vault', { title: 'Keys', authorId: ids.mia });
      expect(await api('POST', `${mr(vault, request.iid)}/award_emoji`, tokens.out, { name: 'eyes' })).toMatchObject({ status: 404, body: { message: '404 Project Not Found' } });
      expect(await api('POST', `${mr(vault, request.iid)}/award_emoji`, tokens.gus, { name: 'eyes' })).toMatchObject({ status: 404, body: { message: '404 Award Emoji Not Found' } });
    });
  });

  describe('repository files', () => {
    const file = (project: string, path: string, query = '') => `${project}/repository/files/${encodeURIComponent(path)}${query}`;

    it('answers a file at a branch, a tag, a full or short sha, with its base64 content and the commits', async () => {
      const first = gitlab.addFile('acme/site', 'src/main.ts', 'export const answer = 41;\n');
      const second = gitlab.addFile('acme/site', 'README.md', '# Site\n', { userId: ids.dev });
      const answer = await api('GET', file(site, 'src/main.ts', '?ref=main'));
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        file_name: 'main.ts',
        file_path: 'src/main.ts',
        size: 26,
        encoding: 'base64',
        content: Buffer.from('export const answer = 41;\n').toString('base64'),
        content_sha256: createHash('sha256').update('export const answer = 41;\n').digest('hex'),
        ref: 'main',
        // Git's own blob id for this content (git hash-object).
        blob_id: createHash('sha1').update('blob 26\0export const answer = 41;\n').digest('hex'),
        commit_id: second,
        last_commit_id: first,
        execute_filemode: false,
      });
      expect(answer.headers.get('x-gitlab-commit-id')).toBe(second);
      expect(answer.headers.get('x-gitlab-file-path')).toBe('src/main.ts');

      gitlab.addTag('acme/site', 'v1.0', 'main');
      gitlab.addFile('acme/site', 'src/main.ts', 'export const answer = 42;\n');
      const content = async (ref: string) => {
        const found = await api('GET', file(site, 'src/main.ts', `?ref=${encodeURIComponent(ref)}`));
        return found.status === 200 ? Buffer.from(found.body.content as string, 'base64').toString('utf8') : found;
      };
      expect(await content('main')).toBe('export const answer = 42;\n');
      expect(await content('v1.0')).toBe('export const answer = 41;\n');
      expect(await content(first)).toBe('export const answer = 41;\n');
      expect(await content(first.slice(0, 8))).toBe('export const answer = 41;\n');
      expect((await api('GET', file(site, 'src/main.ts', '?ref=v1.0'))).body).toMatchObject({ ref: 'v1.0', commit_id: second, last_commit_id: first });
      // The raw file, at the default branch unless a ref is given.
      const raw = await api('GET', file(site, 'src/main.ts', '/raw'));
      expect([raw.status, raw.body, raw.headers.get('content-type')]).toEqual([200, 'export const answer = 42;\n', 'text/plain; charset=utf-8']);
      expect((await api('GET', file(site, 'src/main.ts', '/raw?ref=v1.0'))).body).toBe('export const answer = 41;\n');
    });

    it('keeps a file on its branch, and says which of commit, file or ref is wrong as GitLab does', async () => {
      const sha = gitlab.addFile('acme/site', 'docs/plan.md', 'Draft plan\n', { ref: 'feature-plan' });
      expect((await api('GET', file(site, 'docs/plan.md', '?ref=feature-plan'))).body).toMatchObject({ commit_id: sha, ref: 'feature-plan' });
      expect(await api('GET', file(site, 'docs/plan.md', '?ref=main'))).toMatchObject({ status: 404, body: { message: '404 File Not Found' } });
      expect(await api('GET', file(site, 'docs/plan.md', '?ref=no-such-branch'))).toMatchObject({ status: 404, body: { message: '404 Commit Not Found' } });
      expect(await api('GET', file(site, 'docs/plan.md'))).toMatchObject({ status: 400, body: { error: 'ref is missing' } });
      expect(await api('GET', file(site, '../etc/passwd', '?ref=main'))).toMatchObject({ status: 400, body: { error: 'file_path should be a valid file path' } });
    });

    it('shows code to whoever may read it: anyone on a public project, signed-in users on an internal one, Reporters on a private one', async () => {
      gitlab.addFile('acme/intra', 'config.yml', 'env: staging\n');
      gitlab.addFile('acme/secret/vault', 'keys.txt', 'hunter2\n');
      gitlab.addFile('acme/docs', 'guide.md', 'Members only\n');
      const read = async (project: string, path: string, token?: string) => (await api('GET', file(project, path, '?ref=main'), token)).status;
      const intra = `/projects/${encodeURIComponent('acme/intra')}`;
      const docs = `/projects/${encodeURIComponent('acme/docs')}`;
      expect(await read(site, 'README.md')).toBe(200);
      expect(await api('GET', file(intra, 'config.yml', '?ref=main'))).toMatchObject({ status: 404, body: { message: '404 Project Not Found' } });
      expect(await read(intra, 'config.yml', tokens.out)).toBe(200);
      expect(await api('GET', file(vault, 'keys.txt', '?ref=main'), tokens.out)).toMatchObject({ status: 404, body: { message: '404 Project Not Found' } });
      // A Guest sees the private project but not its code; a Planner neither.
      expect(await api('GET', file(vault, 'keys.txt', '?ref=main'), tokens.gus)).toMatchObject({ status: 403, body: { message: '403 Forbidden' } });
      expect(await read(vault, 'keys.txt', tokens.pam)).toBe(403);
      expect(await api('GET', file(vault, 'keys.txt', '/raw'), tokens.gus)).toMatchObject({ status: 403 });
      expect(await read(vault, 'keys.txt', tokens.rex)).toBe(200);
      // A public project whose repository is for members only: a Guest member reads it, others do not.
      expect(await read(docs, 'guide.md', tokens.out)).toBe(403);
      expect(await read(docs, 'guide.md')).toBe(403);
      expect(await read(docs, 'guide.md', tokens.gil)).toBe(200);
    });
  });

  describe('webhooks', () => {
    it('sends the Note Hook with GitLab’s headers, and a payload shaped as GitLab’s that the bridge reads', async () => {
      const request = gitlab.addMergeRequest('acme/site', { title: 'Add search', authorId: ids.dev, reviewerIds: [ids.mia] });
      const answer = await api('POST', `${mr(site, request.iid)}/notes`, tokens.gil, { body: 'Needs a test' });
      const [delivery] = await gitlab.waitForHooks(noteHook(answer.body.id));
      expect(delivery!.status).toBe(200);
      expect(delivery!.headers).toEqual({
        'Content-Type': 'application/json',
        'User-Agent': 'GitLab/18.6.0',
        'Idempotency-Key': expect.stringMatching(UUID),
        'X-Gitlab-Event': 'Note Hook',
        'X-Gitlab-Webhook-UUID': expect.stringMatching(UUID),
        'X-Gitlab-Instance': gitlab.url,
        'X-Gitlab-Token': 'hook-secret',
        'X-Gitlab-Event-UUID': expect.stringMatching(UUID),
      });
      // The receiver got what the fake says it sent.
      const received = receiver.received.find((request) => (request.body.object_attributes as Json).id === answer.body.id)!;
      expect(received.headers['x-gitlab-token']).toBe('hook-secret');
      expect(received.headers['x-gitlab-event-uuid']).toBe(delivery!.headers['X-Gitlab-Event-UUID']);
      expect(received.body).toEqual(delivery!.payload);

      // Every key GitLab's documented payload has (webhook_events.md), at each level the bridge reads.
      const documented = fixture('note.merge_request.json');
      expect(Object.keys(delivery!.payload).sort()).toEqual(expect.arrayContaining(Object.keys(documented).sort()));
      expect(Object.keys(delivery!.payload.object_attributes as Json)).toEqual(expect.arrayContaining(Object.keys(documented.object_attributes!)));
      expect(Object.keys(delivery!.payload.merge_request as Json)).toEqual(expect.arrayContaining(Object.keys(documented.merge_request!).filter((key) => !['position', 'assignee'].includes(key))));
      expect(delivery!.payload).toMatchObject({
        object_kind: 'note',
        event_type: 'note',
        user: { id: ids.gil, username: 'gil', name: 'GIL' },
        object_attributes: { note: 'Needs a test', noteable_type: 'MergeRequest', action: 'create', discussion_id: expect.stringMatching(/^[0-9a-f]{40}$/), url: `${gitlab.url}/acme/site/-/merge_requests/${request.iid}#note_${answer.body.id}` },
        merge_request: { iid: request.iid, title: 'Add search', reviewer_ids: [ids.mia] },
      });
      expect((delivery!.payload.object_attributes as Json).created_at).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
      const event = parsed(delivery!);
      expect(event).toMatchObject({ kind: 'note', key: `note:${answer.body.id}`, confidential: false, target: { type: 'merge_request', iid: request.iid, title: 'Add search', state: 'opened', url: `${gitlab.url}/acme/site/-/merge_requests/${request.iid}` } });
      expect(event.details).toMatchObject({ body: 'Needs a test', discussionId: gitlab.notesOf('acme/site', 'merge_request', request.iid)[0]!.discussionId });
    });

    it('sends an internal note, and any note on a confidential issue, only as the Confidential Note Hook', async () => {
      gitlab.setHookTiming('before-answer');
      const task = gitlab.addIssue('acme/secret/vault', { title: 'Breach', authorId: ids.mia });
      const internal = await api('POST', `${issue(vault, task.iid)}/notes`, tokens.rex, { body: 'Customer data involved', internal: true });
      // Before the answer, every delivery of the request finished: none went to the public-only hook.
      const sent = gitlab.hooksSent().filter(noteHook(internal.body.id));
      expect(sent.map((delivery) => [delivery.url, delivery.event])).toEqual([[`${receiver.url}/all`, 'Confidential Note Hook']]);
      expect(sent[0]!.payload).toMatchObject({ event_type: 'confidential_note', object_attributes: { note: 'Customer data involved' } });
      expect(parsed(sent[0]!)).toMatchObject({ kind: 'note', confidential: true });

      const hidden = gitlab.addIssue('acme/secret/vault', { title: 'Embargo', authorId: ids.mia, confidential: true });
      const onConfidential = await api('POST', `${issue(vault, hidden.iid)}/notes`, tokens.rex, { body: 'Not yet public' });
      const about = gitlab.hooksSent().filter(noteHook(onConfidential.body.id));
      expect(about.map((delivery) => delivery.event)).toEqual(['Confidential Note Hook']);
      expect(about[0]!.payload).toMatchObject({ event_type: 'confidential_note', issue: { confidential: true } });
      expect(Object.keys(about[0]!.payload.issue as Json)).toEqual(expect.arrayContaining(Object.keys(fixture('note.issue.json').issue!).filter((key) => !['position', 'branch_name'].includes(key))));

      // A public comment goes to both hooks as the Note Hook.
      const open = await api('POST', `${issue(vault, task.iid)}/notes`, tokens.rex, { body: 'Status page updated' });
      expect(
        gitlab
          .hooksSent()
          .filter(noteHook(open.body.id))
          .map((delivery) => [delivery.url, delivery.event])
          .sort(),
      ).toEqual([
        [`${receiver.url}/all`, 'Note Hook'],
        [`${receiver.url}/public-only`, 'Note Hook'],
      ]);
    });

    it('sends a Note Hook with action update on an edit, none on a delete, and one for a comment made on GitLab’s side', async () => {
      gitlab.setHookTiming('before-answer');
      const question = gitlab.addIssue('acme/site', { title: 'Docs', authorId: ids.dev });
      const made = await api('POST', `${issue(site, question.iid)}/notes`, tokens.dev, { body: 'Typo in intro' });
      await api('PUT', `${issue(site, question.iid)}/notes/${made.body.id}`, tokens.dev, { body: 'Typo in the intro' });
      // The same text again changes nothing, and sends nothing.
      await api('PUT', `${issue(site, question.iid)}/notes/${made.body.id}`, tokens.dev, { body: 'Typo in the intro' });
      await api('DELETE', `${issue(site, question.iid)}/notes/${made.body.id}`, tokens.dev);
      expect(gitlab.hooksSent().filter(noteHook(made.body.id)).map((delivery) => (delivery.payload.object_attributes as Json).action)).toEqual(['create', 'update']);

      const note = gitlab.addNote('acme/site', { targetType: 'Issue', targetIid: question.iid, authorId: ids.mia, body: 'Fixed on main' });
      const [delivery] = await gitlab.waitForHooks(noteHook(note.id));
      expect(delivery!.payload).toMatchObject({ user: { username: 'mia' }, object_attributes: { note: 'Fixed on main', discussion_id: note.discussionId } });
    });

    it('sends the Emoji Hook when an emoji is awarded and when it is taken back', async () => {
      const question = gitlab.addIssue('acme/site', { title: 'Roadmap', authorId: ids.dev });
      const award = await api('POST', `${issue(site, question.iid)}/award_emoji`, tokens.gil, { name: 'rocket' });
      const isAward = (action: string) => (delivery: FakeGitLabHookDelivery) => delivery.event === 'Emoji Hook' && (delivery.payload.object_attributes as Json).id === award.body.id && delivery.payload.event_type === action;
      const [awarded] = await gitlab.waitForHooks(isAward('award'));
      expect(awarded!.headers['X-Gitlab-Token']).toBe('hook-secret');
      expect(awarded!.payload).toMatchObject({
        object_kind: 'emoji',
        event_type: 'award',
        user: { username: 'gil' },
        object_attributes: { name: 'rocket', user_id: ids.gil, awardable_type: 'Issue', awardable_id: question.id, action: 'award', awarded_on_url: `${gitlab.url}/acme/site/-/issues/${question.iid}` },
        issue: { iid: question.iid, title: 'Roadmap' },
      });
      const documented = fixture('emoji.award.note.json');
      expect(Object.keys(awarded!.payload)).toEqual(expect.arrayContaining(Object.keys(documented).filter((key) => key !== 'note')));
      expect(Object.keys(awarded!.payload.object_attributes as Json)).toEqual(expect.arrayContaining(Object.keys(documented.object_attributes!)));
      expect(parsed(awarded!)).toMatchObject({ kind: 'emoji', target: { type: 'issue', iid: question.iid, title: 'Roadmap' } });

      await api('DELETE', `${issue(site, question.iid)}/award_emoji/${award.body.id}`, tokens.gil);
      const [revoked] = await gitlab.waitForHooks(isAward('revoke'));
      expect(revoked!.payload).toMatchObject({ event_type: 'revoke', object_attributes: { action: 'revoke', name: 'rocket' } });

      const given = gitlab.addAward('acme/site', 'issue', question.iid, { name: '+1', userId: ids.mia });
      expect(given.name).toBe('thumbsup');
      await gitlab.waitForHooks((delivery) => delivery.event === 'Emoji Hook' && (delivery.payload.object_attributes as Json).id === given.id);
    });

    it('passes on the X-Gitlab-Event-UUID a request carried, and stops a hook that comes round again in that chain', async () => {
      gitlab.setHookTiming('before-answer');
      const question = gitlab.addIssue('acme/site', { title: 'Loop', authorId: ids.dev });
      const notes = `${issue(site, question.iid)}/notes`;
      const chain = '2f6c1b3e-5d4a-4c8b-9e7f-0a1b2c3d4e5f';
      const first = await api('POST', notes, tokens.dev, { body: 'From a hook' }, { 'X-Gitlab-Event-UUID': chain });
      const [sent] = gitlab.hooksSent().filter(noteHook(first.body.id));
      expect(sent).toMatchObject({ blocked: false, status: 200, headers: { 'X-Gitlab-Event-UUID': chain } });
      // The same hook again in the same chain: RecursionDetection blocks it, and nothing is sent.
      const again = await api('POST', notes, tokens.dev, { body: 'From the hook again' }, { 'X-Gitlab-Event-UUID': chain });
      expect(again.status).toBe(201);
      const [blocked] = gitlab.hooksSent().filter(noteHook(again.body.id));
      expect(blocked).toMatchObject({ blocked: true, status: null });
      expect(receiver.received.some((request) => (request.body.object_attributes as Json).id === again.body.id)).toBe(false);
      // Without the header, each request starts a chain of its own.
      const [one, two] = [await api('POST', notes, tokens.dev, { body: 'a' }), await api('POST', notes, tokens.dev, { body: 'b' })];
      const uuidOf = (id: number) => gitlab.hooksSent().find(noteHook(id))!.headers['X-Gitlab-Event-UUID'];
      expect(uuidOf(one.body.id)).not.toBe(uuidOf(two.body.id));
      expect(uuidOf(one.body.id)).not.toBe(chain);
    });

    it('delivers before the answer when told to, or a while after it, and records the receiver’s status', async () => {
      const question = gitlab.addIssue('acme/site', { title: 'Race', authorId: ids.dev });
      const notes = `${issue(site, question.iid)}/notes`;
      gitlab.setHookTiming('before-answer');
      const early = await api('POST', notes, tokens.dev, { body: 'Hook first' });
      // Nothing awaited since the answer: the receiver had it already.
      expect(receiver.received.some((request) => (request.body.object_attributes as Json).id === early.body.id)).toBe(true);

      gitlab.setHookTiming('after-answer', 1000);
      receiver.status = 500;
      const late = await api('POST', notes, tokens.dev, { body: 'Answer first' });
      expect(gitlab.hooksSent().some(noteHook(late.body.id))).toBe(false);
      const [delivery] = await gitlab.waitForHooks(noteHook(late.body.id));
      receiver.status = 200;
      expect(delivery).toMatchObject({ status: 500, error: null, blocked: false });
    });

    it('sends nothing to a disabled hook', async () => {
      gitlab.setHookTiming('before-answer');
      const [hook] = gitlab.hooksOf('acme/site');
      gitlab.disableHook(hook!.id);
      const question = gitlab.addIssue('acme/site', { title: 'Quiet', authorId: ids.dev });
      const note = await api('POST', `${issue(site, question.iid)}/notes`, tokens.dev, { body: 'Anyone?' });
      expect(gitlab.hooksSent().filter(noteHook(note.body.id))).toEqual([]);
      // Back once its temporary disabling is over.
      gitlab.disableHook(hook!.id, { until: new Date(Date.now() - 1000) });
      const later = await api('POST', `${issue(site, question.iid)}/notes`, tokens.dev, { body: 'Hello again' });
      expect(gitlab.hooksSent().filter(noteHook(later.body.id))).toHaveLength(1);
    });
  });
});
