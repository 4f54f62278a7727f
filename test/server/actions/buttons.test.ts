import { describe, expect, it } from '@jest/globals';
import type { ButtonSpec, MergeRequestState } from '../../../server/src/actions/button-spec.js';
import { buttonsFor } from '../../../server/src/actions/buttons.js';
import { explainRefusal } from '../../../server/src/actions/explain-refusal.js';
import { redrawPost } from '../../../server/src/actions/redraw-post.js';
import { renderButtons, type ButtonClaims } from '../../../server/src/actions/render-buttons.js';
import { createSigner } from '../../../server/src/crypto/signed-claims.js';
import { toEncryptionKey } from '../../../server/src/crypto/secret-box.js';

const open: MergeRequestState = { state: 'opened', draft: false, mergeStatus: 'mergeable', pipeline: null, anyApproval: false, approved: false };
const mr = (state: Partial<MergeRequestState>): ButtonSpec => ({ target: { kind: 'merge_request', project: 1, iid: 2 }, state: { kind: 'merge_request', ...open, ...state } });

describe('which buttons a post shows', () => {
  it('an open merge request: approve, merge, assign, review, comment', () => {
    expect(buttonsFor(mr({}), 'channel')).toEqual(['approve', 'merge', 'assignme', 'review', 'comment']);
  });

  it('no Merge while GitLab says it cannot be merged; Merge when pipeline succeeds while one runs', () => {
    for (const mergeStatus of ['draft_status', 'conflict', 'discussions_not_resolved', 'not_approved', 'need_rebase', 'ci_must_pass']) {
      expect(buttonsFor(mr({ mergeStatus }), 'channel')).not.toContain('merge');
    }
    expect(buttonsFor(mr({ draft: true, mergeStatus: null }), 'channel')).not.toContain('merge');
    expect(buttonsFor(mr({ mergeStatus: 'ci_still_running' }), 'channel')).toContain('automerge');
    expect(buttonsFor(mr({ mergeStatus: null, pipeline: 'running' }), 'channel')).toContain('automerge');
  });

  it('in a channel, Approve stays while approvals are missing and Revoke shows once someone approved; in a DM it toggles', () => {
    expect(buttonsFor(mr({ anyApproval: true }), 'channel').slice(0, 2)).toEqual(['approve', 'unapprove']);
    expect(buttonsFor(mr({ anyApproval: true, approved: true }), 'channel')).not.toContain('approve');
    expect(buttonsFor(mr({ anyApproval: true, viewerApproved: true }), 'direct')[0]).toBe('unapprove');
    expect(buttonsFor(mr({ viewerApproved: false }), 'direct')[0]).toBe('approve');
  });

  it('none on a merged or closed merge request', () => {
    expect(buttonsFor(mr({ state: 'merged' }), 'channel')).toEqual([]);
    expect(buttonsFor(mr({ state: 'closed' }), 'direct')).toEqual([]);
  });

  it('issues, pipelines, jobs and deployments', () => {
    const issue = (state: 'opened' | 'closed'): ButtonSpec => ({ target: { kind: 'issue', project: 1, iid: 3 }, state: { kind: 'issue', state } });
    expect(buttonsFor(issue('opened'), 'channel')).toEqual(['assignme', 'close', 'comment']);
    expect(buttonsFor(issue('closed'), 'channel')).toEqual(['reopen', 'comment']);
    const pipeline = (status: string): ButtonSpec => ({ target: { kind: 'pipeline', project: 1, id: 9 }, state: { kind: 'pipeline', status } });
    expect(buttonsFor(pipeline('failed'), 'channel')).toEqual(['retrypipeline']);
    expect(buttonsFor(pipeline('running'), 'channel')).toEqual(['cancelpipeline']);
    expect(buttonsFor(pipeline('success'), 'channel')).toEqual([]);
    const job = (status: string): ButtonSpec => ({ target: { kind: 'job', project: 1, id: 9 }, state: { kind: 'job', status } });
    expect(buttonsFor(job('failed'), 'direct')).toEqual(['retryjob']);
    expect(buttonsFor(job('pending'), 'direct')).toEqual(['canceljob']);
    const deployment = (status: string): ButtonSpec => ({ target: { kind: 'deployment', project: 1, id: 4 }, state: { kind: 'deployment', status, environment: 'production' } });
    expect(buttonsFor(deployment('blocked'), 'channel')).toEqual(['approvedeployment', 'rejectdeployment']);
    expect(buttonsFor(deployment('running'), 'channel')).toEqual([]);
  });
});

describe('buttons as a Mattermost attachment', () => {
  const signer = createSigner([toEncryptionKey(Buffer.alloc(32, 1))]);
  const rendering = { signer, actionUrl: 'http://bridge.internal:3501/mattermost/action', now: 1_800_000_000_000 };

  it('each button calls the action URL with a signed context naming the action, the object and the channel', () => {
    const [attachment] = renderButtons(mr({}), 'channel', 'channel1', rendering);
    expect(attachment!.actions.map((action) => [action.id, action.name])).toEqual([
      ['approve', 'Approve'],
      ['merge', 'Merge'],
      ['assignme', 'Assign me'],
      ['review', 'Review'],
      ['comment', 'Comment'],
    ]);
    for (const action of attachment!.actions) {
      expect(action.id).toMatch(/^[a-z0-9]+$/);
      expect(action.integration.url).toBe(rendering.actionUrl);
      const verified = signer.verify<ButtonClaims>('button', action.integration.context.claims, rendering.now);
      expect(verified).toEqual({ ok: true, claims: { action: action.id, target: { kind: 'merge_request', project: 1, iid: 2 }, channel: 'channel1', audience: 'channel' } });
      expect(signer.verify('button', action.integration.context.claims, rendering.now + 31 * 86_400_000)).toEqual({ ok: false, reason: 'expired' });
    }
  });

  it('a deployment says where it waits and who may approve, without letting the name ping anyone', () => {
    const blocked = (readableBy: 'deployment' | 'maintainers'): ButtonSpec => ({
      target: { kind: 'deployment', project: 1, id: 4 },
      state: { kind: 'deployment', status: 'blocked', environment: '@channel prod', approvers: { text: 'Maintainers (2)', readableBy } },
    });
    const [attachment] = renderButtons(blocked('deployment'), 'channel', 'c', rendering);
    expect(attachment!.text).toContain('may approve: Maintainers (2)');
    expect(attachment!.text).not.toMatch(/@channel/);
    // Protection rules only Maintainers may read stay out of channels; a DM's one reader read them.
    expect(renderButtons(blocked('maintainers'), 'channel', 'c', rendering)[0]!.text).not.toContain('may approve');
    expect(renderButtons(blocked('maintainers'), 'direct', 'c', rendering)[0]!.text).toContain('may approve: Maintainers (2)');
  });

  it('redrawing replaces a thread root status paragraph, and keeps the other props', () => {
    const sign = (spec: ButtonSpec) => renderButtons(spec, 'channel', 'c', rendering);
    const redrawn = redrawPost(
      { message: 'Ann opened !2\n\nStatus: **Open**', props: { from_bot: 'true', attachments: [] } },
      { target: { kind: 'merge_request', project: 1, iid: 2 }, state: { kind: 'merge_request', ...open, state: 'merged' }, statusLine: 'Status: **Merged**' },
      { audience: 'channel', channelId: 'c' },
      sign,
    );
    expect(redrawn.message).toBe('Ann opened !2\n\nStatus: **Merged**');
    expect(redrawn.props).toEqual({ from_bot: 'true', attachments: [] });
  });
});

describe("GitLab's refusals in plain words", () => {
  it('names the reason a merge was refused', () => {
    expect(explainRefusal('merge', '!2', { status: 405, message: '405 Method Not Allowed' }, 'discussions_not_resolved')).toBe('GitLab cannot merge !2 now: its discussions are not all resolved.');
    expect(explainRefusal('merge', '!2', { status: 406, message: 'Branch cannot be merged' })).toContain('conflicts');
    expect(explainRefusal('merge', '!2', { status: 409, message: 'SHA does not match HEAD of source branch' })).toContain('New commits were pushed');
    expect(explainRefusal('approve', '!2', { status: 401, message: '401 Unauthorized' })).toContain('did not let you approve');
    expect(explainRefusal('retryjob', 'job #5', { status: 403, message: '403 Forbidden - Job is not retryable' })).toContain('Job is not retryable');
  });
});
