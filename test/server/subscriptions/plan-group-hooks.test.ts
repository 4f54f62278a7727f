/**
 * The rules of a group's project hooks, as pure decisions: what GitLab's refusal of a group hook means,
 * what each project needs, who keeps the set, which events change a group's projects, and the coverage line.
 */
import { describe, expect, it } from '@jest/globals';
import type { GitLabEvent } from '../../../server/src/gitlab/events/event.js';
import { describeCoverage } from '../../../server/src/subscriptions/describe-coverage.js';
import { chooseKeeper, groupHooksUnavailable, planGroupHooks, projectsChangedBy, VERIFY_EVERY_MS, type StoredProjectHook } from '../../../server/src/subscriptions/plan-group-hooks.js';
import { fixtureEvent } from '../../helpers/fixtures.js';

const now = new Date('2030-01-02T12:00:00Z');
const listed = (id: number, path: string, visibility = 'public') => ({ id, path, visibility });
const stored = (projectId: number, path: string, state: StoredProjectHook['state'], verifiedAt: Date | null = null, visibility = 'public'): StoredProjectHook => ({
  projectId,
  path,
  visibility,
  state,
  hookId: state === 'hooked' ? projectId * 10 : null,
  error: state === 'failed' ? 'GitLab answered 500: boom' : null,
  verifiedAt,
});

describe('groupHooksUnavailable', () => {
  it('reads 404 as "no group webhooks here", and 403 so only for an Owner (an EE without the licence)', () => {
    expect(groupHooksUnavailable(404, null)).toBe(true);
    expect(groupHooksUnavailable(403, 50)).toBe(true);
    expect(groupHooksUnavailable(403, 40)).toBe(false);
    expect(groupHooksUnavailable(500, 50)).toBe(false);
  });
});

describe('planGroupHooks', () => {
  it('checks maintained projects not seen hooked lately, keeps fresh ones, notes the others, and drops those gone', () => {
    const plan = planGroupHooks(
      [
        stored(1, 'g/fresh', 'hooked', new Date(now.getTime() - 60_000)),
        stored(2, 'g/stale', 'hooked', new Date(now.getTime() - VERIFY_EVERY_MS - 1)),
        stored(3, 'g/theirs', 'hooked', new Date(now.getTime() - VERIFY_EVERY_MS * 3)),
        stored(4, 'g/archived', 'hooked', now),
        stored(5, 'g/failed', 'failed'),
      ],
      [listed(1, 'g/fresh'), listed(2, 'g/stale'), listed(3, 'g/theirs'), listed(5, 'g/failed'), listed(6, 'g/new'), listed(7, 'g/dev-only')],
      [listed(1, 'g/fresh'), listed(2, 'g/stale'), listed(5, 'g/failed'), listed(6, 'g/new')],
      now,
    );
    expect(plan.steps.map((step) => [step.project.path, step.kind])).toEqual([
      ['g/fresh', 'keep'],
      ['g/stale', 'check'],
      // Hooked by someone else (or before a role was taken away): hooks outlive roles.
      ['g/theirs', 'keep'],
      ['g/failed', 'check'],
      ['g/new', 'check'],
      ['g/dev-only', 'needs_maintainer'],
    ]);
    expect(plan.dropped.map((row) => row.path)).toEqual(['g/archived']);
  });
});

describe('chooseKeeper', () => {
  it('is whoever asked first; another takes over only when they can hook more of the group, or some of it when the keeper left', () => {
    expect(chooseKeeper(null, { userId: 'dev', maintainable: 0 })).toBe('dev');
    expect(chooseKeeper({ requestedBy: 'alice', connected: true, maintainable: 3 }, { userId: 'dev', maintainable: 0 })).toBe('alice');
    expect(chooseKeeper({ requestedBy: 'alice', connected: true, maintainable: 3 }, { userId: 'bob', maintainable: 3 })).toBe('alice');
    expect(chooseKeeper({ requestedBy: 'alice', connected: true, maintainable: 3 }, { userId: 'bob', maintainable: 4 })).toBe('bob');
    expect(chooseKeeper({ requestedBy: 'alice', connected: false, maintainable: 3 }, { userId: 'bob', maintainable: 1 })).toBe('bob');
    expect(chooseKeeper({ requestedBy: 'alice', connected: true, maintainable: 3 }, { userId: 'alice', maintainable: 1 })).toBe('alice');
  });

  it('never hands the set to someone who can hook none of its projects', () => {
    // A keeper whose role went (0 at their last run) is not replaced by a Developer; nor is one who left.
    expect(chooseKeeper({ requestedBy: 'alice', connected: true, maintainable: 0 }, { userId: 'dev', maintainable: 0 })).toBe('alice');
    expect(chooseKeeper({ requestedBy: 'alice', connected: false, maintainable: 3 }, { userId: 'dev', maintainable: 0 })).toBe('alice');
  });
});

describe('projectsChangedBy', () => {
  it('names the groups above a project created (system hook), and the project itself by id', () => {
    const event = fixtureEvent('system.project_create.json', (payload) => {
      payload.path_with_namespace = 'Acme/Ops/New';
      payload.project_id = 507;
    });
    expect(projectsChangedBy(event)).toEqual({ paths: ['acme', 'acme/ops', 'acme/ops/new'], projectIds: [507] });
  });

  it("takes a group hook's Project and Subgroup events, and a project's archiving (project_update)", () => {
    expect(projectsChangedBy(fixtureEvent('project.destroy.json'))).toMatchObject({ projectIds: [expect.any(Number)] });
    expect(projectsChangedBy(fixtureEvent('subgroup.create.json'))).toEqual({ paths: ['group1', 'group1/subgroup1'], projectIds: [] });
    const archived = fixtureEvent('system.project_create.json', (payload) => {
      payload.event_name = 'project_update';
    });
    expect(projectsChangedBy(archived)).toMatchObject({ projectIds: [74] });
  });

  it('ignores everything else', () => {
    expect(projectsChangedBy(fixtureEvent('push.json'))).toBeNull();
    expect(projectsChangedBy(fixtureEvent('system.user_create.json'))).toBeNull();
    expect(projectsChangedBy({ kind: 'issue', action: 'opened', project: null, group: null, details: { kind: 'issue' } } as unknown as GitLabEvent)).toBeNull();
  });
});

describe('describeCoverage', () => {
  const set = { groupPath: 'acme', requesterConnected: true, listedAt: new Date(now.getTime() - 5 * 60_000), lastError: null };
  const projects = [
    stored(1, 'acme/site', 'hooked', now),
    stored(2, 'acme/ops/deploy', 'hooked', now, 'private'),
    stored(3, 'acme/docs', 'needs_maintainer'),
    stored(4, 'acme/secret', 'needs_maintainer', null, 'private'),
  ];
  const options = { mayName: () => true, keeperName: 'alice', trigger: 'gitlab', now };

  it('says how many are hooked and names those that need a Maintainer', () => {
    const view = describeCoverage(set, projects, options);
    expect(view.state).toBe('partial');
    expect(view.markdown).toBe(
      "Project hooks (no group webhooks on this GitLab): 2 of 4 projects hooked; 2 need a Maintainer: `acme/docs` and `acme/secret` · kept in step hourly with alice's GitLab account · checked 5 min ago",
    );
    expect(view.text).toBe("Project hooks: 2 of 4 projects hooked; 2 need a Maintainer: acme/docs and acme/secret · kept in step hourly with alice's GitLab account · checked 5 min ago.");
  });

  it('counts, without naming, what the reader may not be told of', () => {
    const view = describeCoverage(set, projects, { ...options, mayName: (project) => project.visibility === 'public' });
    expect(view.text).toContain('2 need a Maintainer: acme/docs and 1 not public');
    expect(view.text).not.toContain('secret');
  });

  it('says when the keeper left, and names failures with GitLab’s answer, its mentions disarmed', () => {
    const failed = [...projects.slice(0, 2), { ...stored(5, 'acme/web', 'failed'), error: 'GitLab answered 500: ask @channel' }];
    const view = describeCoverage({ ...set, requesterConnected: false }, failed, options);
    expect(view.state).toBe('stopped');
    expect(view.markdown).toContain('**1 failed:** `acme/web` (`GitLab answered 500: ask @\u200Bchannel`)');
    expect(view.markdown).toContain("**alice is no longer connected to GitLab, so new projects get no hook** until someone runs `/gitlab webhook add acme --projects`");
  });

  it('names at most ten projects, and says when nothing was looked at yet or all are hooked', () => {
    const many = Array.from({ length: 13 }, (_, index) => stored(index, `acme/p${String(index).padStart(2, '0')}`, 'needs_maintainer'));
    expect(describeCoverage(set, many, options).text).toContain('acme/p09 and 3 more');
    expect(describeCoverage({ ...set, listedAt: null }, [], options)).toMatchObject({ state: 'pending', text: expect.stringContaining('not looked at yet') });
    expect(describeCoverage(set, projects.slice(0, 2), options)).toMatchObject({ state: 'complete' });
  });
});
