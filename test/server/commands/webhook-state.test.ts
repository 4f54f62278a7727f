import { describe, expect, it } from '@jest/globals';
import { webhookState } from '../../../server/src/commands/webhook-health.js';
import type { GitLabHook } from '../../../server/src/gitlab/hooks-api.js';

const now = new Date('2030-01-01T12:00:00Z');
const hook = (alertStatus: string): GitLabHook => ({ id: 7, url: 'https://bridge/webhook', events: ['push_events'], alertStatus, disabledUntil: null });
const project = { targetKind: 'project' as const, lastEventAt: null, poll: false };

describe('webhookState', () => {
  it('says ok when a hook of ours works, disabled when GitLab stopped it, missing when there is none', () => {
    expect(webhookState(project, { hooks: [hook('executable')] }, undefined, now)).toEqual({ state: 'ok', text: 'No event has arrived yet. GitLab hook 7 working.' });
    expect(webhookState(project, { hooks: [hook('disabled')] }, undefined, now)).toMatchObject({ state: 'disabled', text: expect.stringContaining('disabled by GitLab') });
    expect(webhookState(project, { hooks: [] }, undefined, now)).toMatchObject({ state: 'missing' });
  });

  it('says polled for a polled project, and unknown when the hooks cannot be read and nothing arrived', () => {
    expect(webhookState({ ...project, poll: true }, { hooks: [] }, undefined, now)).toMatchObject({ state: 'polled' });
    expect(webhookState(project, { unknown: true }, { state: { polled: true } }, now)).toMatchObject({ state: 'polled' });
    expect(webhookState(project, { unknown: true }, undefined, now)).toMatchObject({ state: 'unknown' });
    expect(webhookState({ ...project, lastEventAt: new Date('2030-01-01T11:00:00Z') }, { unknown: true }, undefined, now)).toMatchObject({ state: 'ok' });
  });

  it('says, in plain text, what polling cannot see of what the subscription asks for', () => {
    expect(webhookState({ ...project, poll: true, filters: { events: ['deployment', 'job'] } }, { hooks: [] }, undefined, now)).toEqual({
      state: 'polled',
      text: 'No event has arrived yet. Polled as asked. Polling cannot see jobs: only a webhook brings those.',
    });
    expect(webhookState({ ...project, poll: true, filters: { events: ['tag_push', 'deployment'] } }, { hooks: [] }, undefined, now).text).toBe('No event has arrived yet. Polled as asked.');
  });
});
