/**
 * The pure parts of an explanation the end-to-end tests (commands/subscriptions-explain.test.ts)
 * reach only some of: the webhook states GitLab's answer maps to, and who may see an event.
 */
import { describe, expect, it } from '@jest/globals';
import { mayShow } from '../../../server/src/explain/explain-report.js';
import { hookHealth, type HookFacts } from '../../../server/src/explain/hook-health.js';
import type { GitLabHook } from '../../../server/src/gitlab/hooks-api.js';
import type { Subscription } from '../../../server/src/rules/subscription.js';

const hook = (overrides: Partial<GitLabHook> = {}): GitLabHook => ({
  id: 5,
  url: 'https://chat.example/plugins/gitlab-bridge/webhook',
  events: ['merge_requests_events', 'issues_events', 'tag_push_events', 'pipeline_events', 'releases_events'],
  alertStatus: 'executable',
  disabledUntil: null,
  ...overrides,
});

const facts = (overrides: Partial<HookFacts> = {}): HookFacts => ({
  target: { kind: 'project', path: 'acme/web', instance: 'default' },
  report: { hooks: [hook()] },
  events: undefined,
  polling: null,
  arrived: false,
  trigger: 'gitlab',
  now: new Date('2026-12-01T12:00:00Z'),
  ...overrides,
});

describe("a webhook's health, for an explanation", () => {
  it('names the hooks it cannot read, and who can', () => {
    expect(hookHealth(facts({ report: { unknown: true } }))).toEqual({
      state: 'unknown',
      text: 'The bridge cannot read the webhooks of acme/web with your GitLab account: that takes the Maintainer role (Owner for a group), or connecting your account.',
      fix: '/gitlab webhook list acme/web (a Maintainer), or /gitlab webhook add acme/web',
    });
  });

  it('says which event switches a working hook lacks for what is asked', () => {
    const health = hookHealth(facts({ report: { hooks: [hook({ events: ['push_events'] })] }, events: ['merge_request:merged', 'push'] }));
    expect(health).toMatchObject({ state: 'working', text: 'GitLab hook 5 to this bridge works, but does not send merge_requests_events.' });
  });

  it('offers a test event when a working hook brought nothing, and nothing when it did', () => {
    expect(hookHealth(facts())).toMatchObject({ state: 'working', fix: '/gitlab webhook test acme/web sends a test event' });
    expect(hookHealth(facts({ arrived: true }))).toMatchObject({ state: 'working', fix: null });
    const polled = hookHealth(facts({ polling: { asked: true, lastSuccessAt: new Date('2026-12-01T11:57:00Z'), lastError: null } }));
    expect(polled.text).toContain('last polled 3 min ago');
  });

  it('names the instance in the commands of another GitLab', () => {
    expect(hookHealth(facts({ target: { kind: 'group', path: 'acme', instance: 'corp' }, report: { hooks: [] } })).fix).toBe('/gitlab webhook add acme --instance corp (as a Maintainer, or Owner of the group)');
  });
});

describe('who may see what an event was', () => {
  const subscription = (overrides: Partial<Subscription> = {}): Subscription => ({
    id: '1',
    channelId: 'c',
    targetKind: 'project',
    targetPath: 'acme/web',
    targetId: 1,
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
  });
  const channel = (type: string | null, overrides: Partial<Subscription> = {}) => ({ kind: 'channel' as const, subscription: subscription(overrides), channelType: type, channelName: null });
  const open = { openToAll: true, confidential: false };
  const membersOnly = { openToAll: false, confidential: false };
  const secret = { openToAll: false, confidential: true };

  it('shows what everyone may read to everyone', () => {
    expect(mayShow(channel('O'), open)).toBe(true);
    expect(mayShow({ kind: 'admin', channelNames: new Map() }, open)).toBe(true);
  });

  it('shows members-only events where the subscriber had access and the channel is not public, or a system admin forced it there', () => {
    expect(mayShow(channel('P'), membersOnly)).toBe(false);
    expect(mayShow(channel('P', { privateAccess: true }), membersOnly)).toBe(true);
    expect(mayShow(channel('O', { privateAccess: true }), membersOnly)).toBe(false);
    expect(mayShow(channel(null, { privateAccess: true }), membersOnly)).toBe(false);
    expect(mayShow(channel('O', { privateAccess: true, forced: true }), membersOnly)).toBe(true);
    expect(mayShow({ kind: 'admin', channelNames: new Map() }, membersOnly)).toBe(false);
  });

  it('shows confidential content only to a private channel opted in by someone still connected, forced or not', () => {
    const optedIn = { privateAccess: true, confidential: true, confidentialBy: 'u' };
    expect(mayShow(channel('P', optedIn), secret)).toBe(true);
    expect(mayShow(channel('P', { ...optedIn, confidentialBy: null }), secret)).toBe(false);
    expect(mayShow(channel('O', { ...optedIn, forced: true }), secret)).toBe(false);
    expect(mayShow({ kind: 'admin', channelNames: new Map() }, secret)).toBe(false);
  });
});
