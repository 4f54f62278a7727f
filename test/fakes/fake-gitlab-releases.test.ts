/**
 * The fake GitLab's tags, releases and deployment lists: the parameters, orders, pages and permissions the
 * real routes have (sources in fake-gitlab-releases.ts), and the push events tags make.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFakeGitLab, type FakeGitLab } from './fake-gitlab.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PROJECT = 'acme/rocket';
let gitlab: FakeGitLab;
let projectId: number;
let developer: string;
let guest: string;
let stranger: string;

beforeAll(async () => {
  gitlab = await startFakeGitLab();
  projectId = gitlab.addProject(PROJECT, { visibility: 'private' }).id;
  developer = gitlab.addUser({ id: 1, username: 'dev', name: 'Dev' }).token;
  guest = gitlab.addUser({ id: 2, username: 'guest', name: 'Guest' }).token;
  stranger = gitlab.addUser({ id: 3, username: 'stranger', name: 'Stranger' }).token;
  gitlab.grant(developer, PROJECT, 30);
  gitlab.grant(guest, PROJECT, 10);
  gitlab.push(PROJECT, { ref: 'main', userId: 1, commits: [{ message: 'First' }] });
});

afterAll(async () => {
  await gitlab?.close();
});

async function get(token: string, path: string): Promise<{ status: number; body: Json; headers: Headers }> {
  const response = await fetch(`${gitlab.url}/api/v4${path}`, { headers: { 'PRIVATE-TOKEN': token } });
  return { status: response.status, body: (await response.json()) as Json, headers: response.headers };
}

describe('tags', () => {
  beforeAll(() => {
    gitlab.pushTag(PROJECT, 'v1.2.0', { userId: 1 });
    gitlab.pushTag(PROJECT, 'v1.10.0', { userId: 1, message: 'Annotated' });
    gitlab.pushTag(PROJECT, 'nightly', { userId: 1 });
  });

  it('records a push event for each, as a tag push', () => {
    const pushes = gitlab.eventsOf(PROJECT).filter((event) => event.pushData?.ref_type === 'tag');
    expect(pushes.map((event) => [event.actionName, event.pushData?.ref, event.pushData?.action, event.pushData?.commit_from])).toEqual([
      ['pushed new', 'v1.2.0', 'created', null],
      ['pushed new', 'v1.10.0', 'created', null],
      ['pushed new', 'nightly', 'created', null],
    ]);
    // An annotated tag's ref points at its tag object.
    const annotated = gitlab.tagsOf(PROJECT).find((tag) => tag.name === 'v1.10.0')!;
    expect(pushes[1]!.pushData?.commit_to).toBe(annotated.target);
    expect(annotated.target).not.toBe(annotated.sha);
  });

  it('lists them newest first, or by name or version, searched by prefix, suffix or part', async () => {
    const names = async (query: string) => ((await get(developer, `/projects/${projectId}/repository/tags${query}`)).body as Json[]).map((tag) => tag.name);
    expect(await names('')).toEqual(['nightly', 'v1.10.0', 'v1.2.0']);
    expect(await names('?order_by=name&sort=asc')).toEqual(['nightly', 'v1.10.0', 'v1.2.0']);
    expect(await names('?order_by=version&sort=asc')).toEqual(['nightly', 'v1.2.0', 'v1.10.0']);
    expect(await names('?search=%5Ev1')).toEqual(['v1.10.0', 'v1.2.0']);
    expect(await names('?search=0%24')).toEqual(['v1.10.0', 'v1.2.0']);
    expect(await names('?search=igh')).toEqual(['nightly']);
    expect(await names('?per_page=1&page_token=nightly')).toEqual(['v1.10.0']);
    expect((await get(developer, `/projects/${projectId}/repository/tags?page_token=nope`)).status).toBe(422);
    expect((await get(developer, `/projects/${projectId}/repository/tags?order_by=date`)).status).toBe(400);
  });

  it('shows one with its message and commit; 404 for none; 403 for a guest of a private project, who may not read the code', async () => {
    const { status, body } = await get(developer, `/projects/${projectId}/repository/tags/v1.10.0`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ name: 'v1.10.0', message: 'Annotated', commit: { title: 'First' }, release: null, protected: false });
    expect((await get(developer, `/projects/${projectId}/repository/tags/v9`)).body).toEqual({ message: '404 Tag Not Found' });
    expect((await get(guest, `/projects/${projectId}/repository/tags/v1.10.0`)).status).toBe(403);
    expect((await get(stranger, `/projects/${projectId}/repository/tags`)).status).toBe(404);
  });
});

describe('releases', () => {
  let between: string;

  beforeAll(async () => {
    gitlab.addRelease(PROJECT, { tag: 'v1.2.0', userId: 1, name: 'One two', releasedAt: '2030-01-01T00:00:00.000Z' });
    gitlab.addRelease(PROJECT, { tag: 'v2.0.0', userId: 1, name: 'Two', description: 'Big' });
    await new Promise((resolve) => setTimeout(resolve, 5));
    between = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    gitlab.updateRelease(PROJECT, 'v1.2.0', { description: 'Edited' });
  });

  it('makes the tag a release names when it is new, with its push event', () => {
    expect(gitlab.tagsOf(PROJECT).map((tag) => tag.name)).toContain('v2.0.0');
    expect(gitlab.eventsOf(PROJECT).some((event) => event.pushData?.ref === 'v2.0.0')).toBe(true);
  });

  it('lists them by release date (default) or creation, newest first unless asked', async () => {
    const tags = async (query: string) => ((await get(developer, `/projects/${projectId}/releases${query}`)).body as Json[]).map((release) => release.tag_name);
    expect(await tags('')).toEqual(['v1.2.0', 'v2.0.0']);
    expect(await tags('?order_by=created_at')).toEqual(['v2.0.0', 'v1.2.0']);
    expect(await tags('?order_by=created_at&sort=asc')).toEqual(['v1.2.0', 'v2.0.0']);
    expect((await get(developer, `/projects/${projectId}/releases?order_by=name`)).status).toBe(400);
  });

  it('filters on when they were last updated, which the answer does not show', async () => {
    const { body } = await get(developer, `/projects/${projectId}/releases?updated_after=${encodeURIComponent(between)}`);
    expect((body as Json[]).map((release) => [release.tag_name, release.description])).toEqual([['v1.2.0', 'Edited']]);
    expect((body as Json[])[0]).not.toHaveProperty('updated_at');
    expect((await get(developer, `/projects/${projectId}/releases?updated_after=yesterday`)).status).toBe(400);
  });

  it('shows a guest the releases but not their tags or commits; nothing to someone who cannot see the project', async () => {
    const [release] = (await get(guest, `/projects/${projectId}/releases?order_by=created_at`)).body as Json[];
    expect(release).toMatchObject({ name: 'Two', description: 'Big', _links: { self: `${gitlab.url}/${PROJECT}/-/releases/v2.0.0` } });
    expect(release).not.toHaveProperty('tag_name');
    expect(release).not.toHaveProperty('commit');
    expect((await get(stranger, `/projects/${projectId}/releases`)).status).toBe(404);
  });

  it('goes when deleted; its tag stays', async () => {
    gitlab.deleteRelease(PROJECT, 'v2.0.0');
    expect(((await get(developer, `/projects/${projectId}/releases`)).body as Json[]).map((release) => release.tag_name)).toEqual(['v1.2.0']);
    expect((await get(developer, `/projects/${projectId}/repository/tags/v2.0.0`)).status).toBe(200);
  });
});

describe('deployments', () => {
  let first: number;
  let second: number;
  let between: string;

  beforeAll(async () => {
    first = gitlab.addDeployment(PROJECT, { environment: 'staging', status: 'running', userId: 1 }).id;
    second = gitlab.addDeployment(PROJECT, { environment: 'production', status: 'running', userId: 1 }).id;
    await new Promise((resolve) => setTimeout(resolve, 5));
    between = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    gitlab.setDeploymentStatus(first, 'success');
  });

  it('lists them by id, or by updated_at with updated_after (inclusive), with their environment and user', async () => {
    const { body } = await get(developer, `/projects/${projectId}/deployments`);
    expect((body as Json[]).map((deployment) => deployment.id)).toEqual([first, second]);
    expect((body as Json[])[0]).toMatchObject({ status: 'success', environment: { name: 'staging' }, user: { username: 'dev' }, ref: 'main' });
    expect((body as Json[])[0]).not.toHaveProperty('approvals');
    const updated = (await get(developer, `/projects/${projectId}/deployments?updated_after=${encodeURIComponent(between)}&order_by=updated_at&sort=asc`)).body as Json[];
    expect(updated.map((deployment) => deployment.id)).toEqual([first]);
    const inclusive = (await get(developer, `/projects/${projectId}/deployments?updated_after=${encodeURIComponent(updated[0]!.updated_at as string)}&order_by=updated_at`)).body as Json[];
    expect(inclusive.map((deployment) => deployment.id)).toEqual([first]);
    expect(((await get(developer, `/projects/${projectId}/deployments?status=running`)).body as Json[]).map((deployment) => deployment.id)).toEqual([second]);
    expect(((await get(developer, `/projects/${projectId}/deployments?environment=production`)).body as Json[]).map((deployment) => deployment.id)).toEqual([second]);
  });

  it('are for Reporters and above: a guest is refused', async () => {
    expect((await get(guest, `/projects/${projectId}/deployments`)).status).toBe(403);
    expect((await get(developer, `/projects/${projectId}/deployments?status=done`)).status).toBe(400);
  });
});
