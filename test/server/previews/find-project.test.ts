/**
 * Finding the project a code link names (findProject), against the fake GitLab
 * through the budgeted client: GET /projects/:id by the URL-encoded path, as the
 * user, answers its id and its path now.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { createPollClient, GitLabHttpError, GitLabRateLimitedError, type PollClient } from '../../../server/src/gitlab/poll-client.js';
import { createRequestBudget } from '../../../server/src/polling/request-budget.js';
import { findProject } from '../../../server/src/previews/find-project.js';
import { startFakeGitLab, type FakeGitLab } from '../../fakes/fake-gitlab.js';
import { createMigratedDatabase, type MigratedDatabase } from '../../helpers/databases.js';
import { silentLog } from '../../helpers/silent-log.js';

let database: MigratedDatabase;
let pool: pg.Pool;
let gitlab: FakeGitLab;
let client: PollClient;
let member: string;
let stranger: string;

beforeAll(async () => {
  database = await createMigratedDatabase();
  pool = database.pool;
  gitlab = await startFakeGitLab();
  member = gitlab.addUser({ id: 1, username: 'member', name: 'Member' }).token;
  stranger = gitlab.addUser({ id: 2, username: 'stranger', name: 'Stranger' }).token;
  gitlab.addProject('Acme/Backend/API', { visibility: 'private' });
  gitlab.grant(member, 'Acme/Backend/API', 20);
  client = createPollClient({ gitlabUrl: gitlab.url, budget: createRequestBudget(pool, { perMinute: 10_000 }), log: silentLog });
}, 60_000);

afterAll(async () => {
  await gitlab?.close();
  await database?.close();
});

describe('findProject', () => {
  it('answers the id and the path as GitLab spells it, however the link wrote it', async () => {
    const id = [...gitlab.projects.values()].find((project) => project.path_with_namespace === 'Acme/Backend/API')!.id;
    expect(await findProject(client, member, 'acme/backend/api')).toEqual({ id, path: 'Acme/Backend/API' });
    expect(gitlab.requests.at(-1)).toMatchObject({ path: '/api/v4/projects/acme%2Fbackend%2Fapi', token: member });
  });

  it('answers null for a project the user may not see, or that does not exist', async () => {
    expect(await findProject(client, stranger, 'acme/backend/api')).toBeNull();
    expect(await findProject(client, member, 'acme/backend/nothing')).toBeNull();
  });

  it('answers null for a redirect it was not followed through, and throws what is not an answer about the project', async () => {
    const moved: Pick<PollClient, 'get'> = { get: () => Promise.reject(new GitLabHttpError(301, '301 Moved Permanently', 'GET')) };
    expect(await findProject(moved, member, 'old/path')).toBeNull();
    const odd: Pick<PollClient, 'get'> = { get: async <T>() => ({ body: { id: '7', path_with_namespace: 'a/b' } as T, headers: new Headers() }) };
    expect(await findProject(odd, member, 'a/b')).toBeNull();
    const limited: Pick<PollClient, 'get'> = { get: () => Promise.reject(new GitLabRateLimitedError(new Date())) };
    await expect(findProject(limited, member, 'a/b')).rejects.toBeInstanceOf(GitLabRateLimitedError);
  });
});
