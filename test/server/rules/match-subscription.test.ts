import { describe, expect, it } from '@jest/globals';
import type { GitLabEvent } from '../../../server/src/gitlab/events/event.js';
import { coveringPaths, matchSubscription } from '../../../server/src/rules/match-subscription.js';
import type { Subscription } from '../../../server/src/rules/subscription.js';

function event(overrides: Partial<GitLabEvent> = {}): GitLabEvent {
  return {
    kind: 'merge_request',
    action: 'opened',
    key: 'k',
    project: { id: 7, path: 'Acme/Platform/API', name: 'API', url: 'https://gitlab.example/acme/platform/api', visibility: 'public', defaultBranch: 'main' },
    group: null,
    actor: { username: 'alice', name: 'Alice' },
    target: { type: 'merge_request', iid: 3, title: 'T', url: 'u', reference: '!3', state: 'opened', draft: false, author: { id: 1, username: 'alice', name: 'Alice' } },
    ref: null,
    labels: ['backend', 'bug'],
    confidential: false,
    internal: false,
    occurredAt: null,
    details: {},
    ...overrides,
  } as GitLabEvent;
}

function subscription(overrides: Partial<Subscription> = {}): Subscription {
  return {
    id: '1',
    channelId: 'c',
    targetKind: 'group',
    targetPath: 'acme',
    targetId: null,
    filters: {},
    style: 'full',
    threads: true,
    buttons: true,
    syncReplies: false,
    confidential: false,
    confidentialBy: null,
    privateAccess: false,
    forced: false,
    creatorId: 'u',
    ...overrides,
  };
}

// Feature levels aside (feature-visibility.test.ts): a public project's events are open to all here.
const wanted = (s: Subscription, e: GitLabEvent) => matchSubscription(s, e, { openToAll: e.project?.visibility === 'public' }).wanted;

describe('which subscriptions want an event', () => {
  it('covers every subgroup below a group, and nothing beside it', () => {
    expect(wanted(subscription(), event())).toBe(true);
    expect(wanted(subscription({ targetPath: 'acme/platform' }), event())).toBe(true);
    expect(wanted(subscription({ targetPath: 'acm' }), event())).toBe(false);
    expect(wanted(subscription({ targetKind: 'project', targetPath: 'acme/platform/api' }), event())).toBe(true);
    expect(wanted(subscription({ targetKind: 'project', targetPath: 'acme/platform' }), event())).toBe(false);
    expect(coveringPaths('Acme/Platform/API')).toEqual(['acme', 'acme/platform', 'acme/platform/api']);
  });

  it('leaves out excluded paths and everything under them', () => {
    const s = subscription({ filters: { exclude: ['acme/platform/*'] } });
    expect(wanted(s, event())).toBe(false);
    expect(wanted(subscription({ filters: { exclude: ['acme/legacy/*'] } }), event())).toBe(true);
  });

  it('sends non-public events only where the subscriber was shown to have access', () => {
    const internal = event({ project: { ...event().project!, visibility: 'internal' } });
    expect(wanted(subscription(), internal)).toBe(false);
    expect(wanted(subscription({ privateAccess: true }), internal)).toBe(true);
  });

  it('sends confidential and internal content only to subscriptions that opted in', () => {
    for (const secret of [event({ confidential: true }), event({ internal: true })]) {
      expect(wanted(subscription({ privateAccess: true }), secret)).toBe(false);
      expect(wanted(subscription({ privateAccess: true, confidential: true, confidentialBy: 'u' }), secret)).toBe(true);
    }
  });

  it('sends confidential and internal content only while someone connected vouches for the opt-in', () => {
    for (const secret of [event({ confidential: true }), event({ internal: true })]) {
      expect(wanted(subscription({ privateAccess: true, confidential: true, confidentialBy: null }), secret)).toBe(false);
    }
    expect(wanted(subscription({ privateAccess: true, confidential: true, confidentialBy: null }), event())).toBe(true);
  });

  it('filters on kinds and actions, with sensible defaults', () => {
    expect(wanted(subscription(), event({ kind: 'push', action: 'pushed' }))).toBe(false);
    expect(wanted(subscription(), event({ kind: 'note', action: 'commented' }))).toBe(false);
    const onlyMerged = subscription({ filters: { events: ['merge_request:merged'] } });
    expect(wanted(onlyMerged, event())).toBe(false);
    expect(wanted(onlyMerged, event({ action: 'merged' }))).toBe(true);
  });

  it('posts failed and fixed pipelines on the default branch and MRs by default', () => {
    const pipeline = (action: string, ref: string, target: GitLabEvent['target'] = null) => event({ kind: 'pipeline', action, ref, target });
    expect(wanted(subscription(), pipeline('failed', 'main'))).toBe(true);
    expect(wanted(subscription(), pipeline('fixed', 'main'))).toBe(true);
    expect(wanted(subscription(), pipeline('success', 'main'))).toBe(false);
    expect(wanted(subscription(), pipeline('failed', 'feature/x'))).toBe(false);
    expect(wanted(subscription(), pipeline('failed', 'feature/x', event().target))).toBe(true);
    const branches = subscription({ filters: { branches: ['release/*'], pipelines: ['success', 'running'] } });
    expect(wanted(branches, pipeline('success', 'release/1.2'))).toBe(true);
    expect(wanted(branches, pipeline('fixed', 'release/1.2'))).toBe(true);
    expect(wanted(branches, pipeline('failed', 'release/1.2'))).toBe(false);
    expect(wanted(branches, pipeline('success', 'main'))).toBe(false);
  });

  it('matches labels with any or all', () => {
    expect(wanted(subscription({ filters: { labels: ['Bug', 'frontend'] } }), event())).toBe(true);
    expect(wanted(subscription({ filters: { labels: ['bug', 'frontend'], labelsMatch: 'all' } }), event())).toBe(false);
    expect(wanted(subscription({ filters: { labels: ['bug', 'backend'], labelsMatch: 'all' } }), event())).toBe(true);
  });

  it('holds back drafts when asked, and announces them once ready', () => {
    const draft = event({ target: { ...event().target!, draft: true } });
    expect(wanted(subscription(), draft)).toBe(true);
    expect(wanted(subscription({ filters: { drafts: 'exclude' } }), draft)).toBe(false);
    const ready = event({ action: 'updated', details: { kind: 'merge_request', changes: { draft: 'to_ready' } } as unknown as GitLabEvent['details'] });
    const readyOnly = subscription({ filters: { drafts: 'ready', events: ['merge_request:opened'] } });
    expect(wanted(readyOnly, ready)).toBe(true);
    expect(wanted(readyOnly, event({ action: 'updated' }))).toBe(false);
  });

  it('leaves out excluded authors, of the action or of the MR', () => {
    expect(wanted(subscription({ filters: { excludeAuthors: ['@Alice'] } }), event())).toBe(false);
    expect(wanted(subscription({ filters: { excludeAuthors: ['renovate-bot'] } }), event({ actor: { username: 'renovate-bot', name: 'Renovate' } }))).toBe(false);
    expect(wanted(subscription({ filters: { excludeAuthors: ['bob'] } }), event())).toBe(true);
  });

  it('names the rule of each refusal by a stable code, with a sentence that says what did not match', () => {
    const refusal = (s: Subscription, e: GitLabEvent, openToAll = e.project?.visibility === 'public') => {
      const verdict = matchSubscription(s, e, { openToAll });
      return verdict.wanted ? null : { rule: verdict.rule, reason: verdict.reason };
    };
    const draft = event({ target: { ...event().target!, draft: true } });
    const cases: [Subscription, GitLabEvent, string, RegExp][] = [
      [subscription({ targetPath: 'other' }), event(), 'outside_target', /outside the subscribed/],
      [subscription({ filters: { exclude: ['acme/platform/*'] } }), event(), 'excluded_path', /^acme\/platform\/api is excluded \(--exclude acme\/platform\/\*\)$/],
      [subscription(), event({ project: { ...event().project!, visibility: 'private' } }), 'not_visible', /not open to everyone/],
      [subscription({ privateAccess: true }), event({ confidential: true }), 'confidential_not_opted_in', /not opted in/],
      [subscription({ confidential: true, confidentialBy: null }), event({ internal: true }), 'confidential_not_vouched', /nobody connected with access vouches/],
      [subscription(), event({ kind: 'push', action: 'pushed' }), 'kind_not_selected', /^event push:pushed not selected \(events: merge_request,issue,tag_push,pipeline,release\)$/],
      [subscription(), event({ kind: 'pipeline', action: 'success', ref: 'main' }), 'pipeline_status', /^pipeline status success not selected \(pipelines: failed,fixed\)$/],
      [subscription({ filters: { events: ['push'], branches: ['release/*'] } }), event({ kind: 'push', action: 'pushed', ref: 'main' }), 'branch_filter', /^branch main not selected \(branches: release\/\*\)$/],
      [subscription(), event({ kind: 'pipeline', action: 'failed', ref: 'feature/x', target: null }), 'branch_filter', /neither the default branch/],
      [subscription({ filters: { labels: ['ui', 'urgent'] } }), event(), 'label_filter', /^label filter ui,urgent did not match labels: backend,bug$/],
      [subscription({ filters: { drafts: 'exclude' } }), draft, 'draft', /^draft merge request \(drafts: exclude\)$/],
      [subscription({ filters: { excludeAuthors: ['ALICE'] } }), event(), 'excluded_author', /^alice is an excluded author$/],
    ];
    for (const [s, e, rule, reason] of cases) expect(refusal(s, e)).toEqual({ rule, reason: expect.stringMatching(reason) });
  });
});
