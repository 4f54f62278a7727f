import { describe, expect, it } from '@jest/globals';
import { parseEvent } from '../../../../server/src/gitlab/events/parse-event.js';
import { ignoredReason, parseFixture } from './payloads.js';

describe('job', () => {
  it('reads name, stage, status, ref and links', () => {
    const event = parseFixture('job.failed.json');
    expect(event).toMatchObject({ kind: 'job', action: 'failed', key: 'job:1977:failed', ref: 'gitlab-script-trigger', actor: { name: 'User', username: null } });
    expect(event.details).toMatchObject({
      name: 'test',
      stage: 'test',
      url: 'http://192.168.64.1:3005/gitlab-org/gitlab-test/-/jobs/1977',
      pipelineUrl: 'http://192.168.64.1:3005/gitlab-org/gitlab-test/-/pipelines/2366',
      failureReason: 'script_failure',
      durationSeconds: 80.509,
    });
  });

  it('builds the project from `repository.homepage` and `project_id` when there is no project object', () => {
    const event = parseFixture('job.failed.json', (payload) => delete payload.project);
    expect(event.project).toMatchObject({ id: 380, path: 'gitlab-org/gitlab-test', url: 'http://192.168.64.1:3005/gitlab-org/gitlab-test' });
    expect(event.details).toMatchObject({ url: 'http://192.168.64.1:3005/gitlab-org/gitlab-test/-/jobs/1977' });
  });
});

describe('deployment', () => {
  it('reads environment, status, commit, job and actor', () => {
    const event = parseFixture('deployment.success.json');
    expect(event).toMatchObject({ kind: 'deployment', action: 'success', actor: { username: 'root', url: 'http://10.126.0.2:3000/root' }, occurredAt: '2021-04-28T19:50:00.000Z' });
    expect(event.details).toMatchObject({
      environment: 'staging',
      environmentUrl: 'https://staging.example.com',
      shortSha: '279484c0',
      deployableUrl: 'http://10.126.0.2:3000/root/test-deployment-webhooks/-/jobs/796',
    });
  });

  it('reads the ref when the payload has one', () => {
    expect(parseFixture('deployment.success.json', (payload) => (payload.ref = 'main')).ref).toBe('main');
  });
});

describe('release', () => {
  it('reads tag, name, link and notes; the payload names no actor', () => {
    const event = parseFixture('release.create.json');
    expect(event).toMatchObject({ kind: 'release', action: 'created', ref: 'v1.1', actor: null });
    expect(event.details).toMatchObject({ tag: 'v1.1', name: 'v1.1', url: 'https://example.com/gitlab-org/release-webhook-example/-/releases/v1.1', description: 'v1.1 has been released' });
  });

  it('gives two different updates different keys', () => {
    const first = parseFixture('release.create.json', (payload) => (payload.action = 'update'));
    const second = parseFixture('release.create.json', (payload) => {
      payload.action = 'update';
      payload.description = 'Edited notes';
    });
    expect(first.action).toBe('updated');
    expect(first.key).not.toBe(second.key);
  });
});

describe('wiki page, milestone, feature flag, emoji', () => {
  it('reads a wiki page', () => {
    expect(parseFixture('wiki_page.create.json')).toMatchObject({ kind: 'wiki_page', action: 'created', details: { title: 'Awesome', slug: 'awesome' } });
  });

  it('reads a milestone, linking it in its project', () => {
    expect(parseFixture('milestone.create.json').details).toMatchObject({ title: 'v1.0', url: 'http://example.com/gitlabhq/gitlab-test/-/milestones/10', dueDate: '2025-06-30' });
    expect(parseFixture('milestone.create.json', (payload) => (payload.action = 'close')).action).toBe('closed');
  });

  it('reads a feature flag turned on or off', () => {
    expect(parseFixture('feature_flag.json').action).toBe('activated');
    expect(parseFixture('feature_flag.json', (payload) => (payload.object_attributes.active = false)).action).toBe('deactivated');
    expect(ignoredReason('feature_flag.json', (payload) => delete payload.object_attributes.active)).toBe('feature flag without an active state');
  });

  it('puts an emoji on a comment on an issue under that issue', () => {
    const event = parseFixture('emoji.award.note.json');
    expect(event).toMatchObject({ kind: 'emoji', action: 'awarded', target: { type: 'issue', iid: 42, title: 'New issue!' } });
    expect(event.details).toMatchObject({ name: 'thumbsup', awardableType: 'Note', noteBody: 'Testing 123' });
    expect(parseFixture('emoji.award.note.json', (payload) => (payload.object_attributes.action = 'revoke')).action).toBe('revoked');
  });
});

describe('access token, vulnerability', () => {
  it('reads a project token and a group token', () => {
    expect(parseFixture('access_token.expiring.project.json')).toMatchObject({ action: 'expiring', project: { path: 'flightjs/Flight' }, group: null, details: { scope: 'project', expiresAt: '2024-01-26' } });
    expect(parseFixture('access_token.expiring.group.json')).toMatchObject({ project: null, group: { id: 35, path: 'twitter', name: 'Twitter' }, details: { scope: 'group' } });
  });

  it('takes a vulnerability’s project from its URL', () => {
    const event = parseFixture('vulnerability.json');
    expect(event).toMatchObject({ action: 'confirmed', project: { id: 50, path: 'flightjs/Flight', url: 'https://example.com/flightjs/Flight' } });
    expect(event.details).toMatchObject({ severity: 'high', file: 'Gemfile.lock', identifiers: ['Gemnasium-29dce398-220a-4315-8c84-16cd8b6d9b05', 'CVE-2024-41123'] });
  });
});

describe('group hooks: member, project, subgroup', () => {
  it.each([
    ['member.add_to_group.json', 'added', 'Guest'],
    ['member.update_for_group.json', 'updated', 'Developer'],
    ['member.remove_from_group.json', 'removed', 'Guest'],
    ['member.access_request_to_group.json', 'access_requested', 'Guest'],
  ])('reads %s', (name, action, accessLevel) => {
    const event = parseFixture(name);
    expect(event).toMatchObject({ kind: 'member', action, actor: null, group: { id: 100, path: 'webhook-test' } });
    expect(event.details).toMatchObject({ member: { username: 'test_user', name: 'Test User', id: 64 }, accessLevel });
  });

  it('reads a project created in a group, with the group as its namespace', () => {
    expect(parseFixture('project.create.json')).toMatchObject({
      action: 'created',
      project: { id: 22, path: 'group1/project1', url: '', visibility: 'private' },
      group: { path: 'group1' },
      details: { ownerNames: ['John'] },
    });
  });

  it('reads a subgroup, under its parent group', () => {
    expect(parseFixture('subgroup.destroy.json')).toMatchObject({ action: 'destroyed', group: { id: 7, path: 'group1' }, details: { path: 'group1/subgroup1' } });
  });

  it('ignores group events it does not know', () => {
    expect(parseEvent('Member Hook', { event_name: 'user_teleport' })).toMatchObject({ ignored: 'unsupported member event: user_teleport' });
  });
});

describe('system hooks', () => {
  it('reads a project created', () => {
    expect(parseFixture('system.project_create.json')).toMatchObject({ kind: 'system', action: 'project_create', project: { id: 74, path: 'jsmith/storecloud' } });
  });

  it('reads a user created, keeping their email out', () => {
    const event = parseFixture('system.user_create.json');
    expect(event.details).toEqual({ kind: 'system', subject: 'John Smith', user: { id: 41, username: 'js', name: 'John Smith', url: null }, accessLevel: null, refs: [] });
    expect(JSON.stringify(event)).not.toContain('js@gitlabhq.com');
  });

  it('reads a user added to a project', () => {
    expect(parseFixture('system.user_add_to_team.json')).toMatchObject({ project: { path: 'jsmith/storecloud' }, details: { user: { username: 'johnsmith' }, accessLevel: 'Maintainer' } });
  });

  it('reads a repository update', () => {
    expect(parseFixture('system.repository_update.json')).toMatchObject({ actor: { name: 'John Smith' }, project: { path: 'jsmith/example' }, details: { refs: ['master'] } });
  });
});
