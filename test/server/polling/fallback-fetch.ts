/**
 * Test helpers for the polling fallback: a fake GitLab that answers exactly
 * what `lookupsFor` asks (so a lookup it forgets shows as a missing post), and
 * the parse → render path both webhooks and polled hooks take.
 */
import { expect } from '@jest/globals';
import type { GitLabEvent } from '../../../server/src/gitlab/events/event.js';
import { isIgnored } from '../../../server/src/gitlab/events/event.js';
import { parseEvent } from '../../../server/src/gitlab/events/parse-event.js';
import { hookFromEvent, lookupsFor, type EventContext, type HookFromApi } from '../../../server/src/polling/hooks-from-api.js';
import type { RestApprovals, RestCommit, RestEvent, RestIssue, RestMergeRequest, RestNote, RestProject, RestTag } from '../../../server/src/polling/rest-shapes.js';
import { renderPost } from '../../../server/src/render/render-post.js';
import { parseFixture, type Payload } from '../gitlab/events/payloads.js';

/** What the fake GitLab holds besides the project. */
export interface FakeGitLab {
  mergeRequest?: RestMergeRequest;
  approvals?: RestApprovals;
  issue?: RestIssue;
  note?: RestNote;
  /** The branch history, newest first. */
  commits?: RestCommit[];
  tags?: RestTag[];
}

/** The context a poller would fetch for `event`: only what lookupsFor asked for. */
export function fetchContext(event: RestEvent, project: RestProject, gitlab: FakeGitLab): EventContext {
  const lookups = lookupsFor(event);
  if (!lookups) throw new Error(`lookupsFor skipped the ${event.action_name} event`);
  const context: EventContext = { project };
  if (lookups.mergeRequest !== undefined) context.mergeRequest = gitlab.mergeRequest?.iid === lookups.mergeRequest ? gitlab.mergeRequest : null;
  if (lookups.approvals !== undefined) context.approvals = gitlab.approvals ?? null;
  if (lookups.issue !== undefined) context.issue = gitlab.issue?.iid === lookups.issue ? gitlab.issue : null;
  if (lookups.note) context.note = gitlab.note?.id === lookups.note.noteId ? gitlab.note : null;
  const history = gitlab.commits ?? [];
  if (lookups.commit !== undefined) context.commit = history.find((commit) => commit.id === lookups.commit) ?? null;
  if (lookups.commits) {
    // `from..to`: from `to` back to, not including, `from`.
    const { from, to, perPage } = lookups.commits;
    const start = history.findIndex((commit) => commit.id === to);
    const end = from === null ? -1 : history.findIndex((commit) => commit.id === from);
    context.commits = start < 0 ? [] : history.slice(start, end < 0 ? undefined : end).slice(0, perPage);
  }
  if (lookups.tag !== undefined) context.tag = gitlab.tags?.find((tag) => tag.name === lookups.tag) ?? null;
  return context;
}

/** The hook built from a polled event, after fetching what it asked for. */
export function pollHook(event: RestEvent, project: RestProject, gitlab: FakeGitLab = {}): HookFromApi | null {
  return hookFromEvent(event, fetchContext(event, project, gitlab));
}

export function parseHook(hook: { event: string; payload: unknown } | null): GitLabEvent {
  if (!hook) throw new Error('no hook was built');
  const result = parseEvent(hook.event, hook.payload);
  if (isIgnored(result)) throw new Error(`the built hook was ignored: ${result.ignored}`);
  return result;
}

/** How the render CLI and a subscription with every feature on render. */
export const RENDER_OPTIONS = { gitlabUrl: 'http://example.com' };

export function fullPost(event: GitLabEvent): { message: string } {
  return renderPost(event, 'full', RENDER_OPTIONS);
}

/**
 * What channel rules read: kind, action, project (with visibility), actor,
 * target, ref, labels, confidentiality. The target's URL is left out: some
 * older fixtures' noteables carry none, and the post links the comment instead.
 */
export function ruleFacts(event: GitLabEvent): Record<string, unknown> {
  const { url: _url, ...target } = event.target ?? { url: null };
  return {
    kind: event.kind,
    action: event.action,
    project: event.project,
    actor: event.actor,
    target: event.target ? target : null,
    ref: event.ref,
    labels: event.labels,
    confidential: event.confidential,
    internal: event.internal,
  };
}

/** Asserts the polled hook gives the fixture's post and rule facts; returns both events for further checks. */
export function expectSamePost(hook: { event: string; payload: unknown } | null, fixture: string, edit?: (payload: Payload) => void): { polled: GitLabEvent; webhook: GitLabEvent } {
  const webhook = parseFixture(fixture, edit);
  const polled = parseHook(hook);
  expect(fullPost(polled)).toEqual(fullPost(webhook));
  expect(ruleFacts(polled)).toEqual(ruleFacts(webhook));
  return { polled, webhook };
}
