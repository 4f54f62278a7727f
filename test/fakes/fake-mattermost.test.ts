import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFakeMattermost, type FakeMattermost } from './fake-mattermost.js';

describe('the fake Mattermost', () => {
  let fake: FakeMattermost;
  beforeAll(async () => {
    fake = await startFakeMattermost();
  });
  afterAll(() => fake.close());

  it('answers an allowed request and records nothing wrong', async () => {
    const { user, token } = fake.addUser('gitlab', { bot: true });
    const response = await fetch(`${fake.url}/api/v4/users/me`, { headers: { Authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: user.id, username: 'gitlab', is_bot: true });
    expect(fake.violations).toEqual([]);
  });

  it('answers 401 without a valid token, as Mattermost does', async () => {
    const response = await fetch(`${fake.url}/api/v4/users/me`, { headers: { Authorization: 'Bearer nope' } });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ status_code: 401 });
  });

  it('records a request the spec does not allow', async () => {
    const before = fake.violations.length;
    const response = await fetch(`${fake.url}/api/v4/posts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ message: 'no channel' }),
    });
    expect(response.status).toBe(400);
    expect(fake.violations.slice(before)).toEqual([expect.stringMatching(/^CreatePost .*channel_id/)]);
  });

  it('records a path that is not in the API', async () => {
    const before = fake.violations.length;
    expect((await fetch(`${fake.url}/api/v4/no/such/thing`)).status).toBe(404);
    expect(fake.violations.slice(before)).toEqual([expect.stringMatching(/no such operation/)]);
  });
});
