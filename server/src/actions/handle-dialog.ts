/**
 * A dialog submitted, as Mattermost sends it to INTERNAL_URL/mattermost/dialog
 * (SubmitDialogRequest):
 *
 * - Who can reach it: anyone who reaches the internal listener. The dialog's
 *   JSON, `state` included, was shown to the presser's client, so a state is
 *   only good for the user it was signed for: Mattermost sets `user_id` from the
 *   submitter's session, and a state signed for someone else is refused.
 * - Who it acts as: that user, with their own GitLab token, after checking
 *   again that they are a member of the post's channel.
 * - What the caller sees: the dialog closes (or shows GitLab's refusal in it),
 *   and the post is redrawn for everyone in the channel.
 */
import { refuseWrite } from '../accounts/write-access.js';
import type { Logger } from '../log.js';
import { audit } from '../store/audit-log.js';
import { ACTION_DOES } from './buttons.js';
import type { ActionOptions } from './perform-action.js';
import { COMMENT_MAX, type DialogClaims } from './dialogs.js';
import { notConnected, type ActionDeps } from './handle-press.js';
import { depsOnInstance } from './action-instance.js';
import { instanceOf } from './button-spec.js';
import { redrawPost } from './redraw-post.js';
import { runAction } from './run-action.js';

/** What the dialog route answers: `{}` closes the dialog; `error` keeps it open and shows why. */
export interface DialogAnswer {
  error?: string;
  errors?: Record<string, string>;
}

interface DialogRequest {
  userId: string;
  cancelled: boolean;
  state: unknown;
  submission: Record<string, unknown>;
}

const MATTERMOST_ID = /^[a-z0-9]{26}$/;

export function readDialogRequest(body: unknown): DialogRequest | null {
  if (typeof body !== 'object' || body === null) return null;
  const fields = body as Record<string, unknown>;
  if (typeof fields.user_id !== 'string' || !MATTERMOST_ID.test(fields.user_id)) return null;
  const submission = typeof fields.submission === 'object' && fields.submission !== null ? (fields.submission as Record<string, unknown>) : {};
  return { userId: fields.user_id, cancelled: fields.cancelled === true, state: fields.state, submission };
}

export async function handleDialog(deps: ActionDeps, request: DialogRequest): Promise<DialogAnswer> {
  if (request.cancelled) return {};
  const log = deps.log.child({ user: request.userId });
  const verified = deps.signer.verify<DialogClaims>('dialog', request.state, deps.now());
  if (!verified.ok) {
    if (verified.reason === 'expired') return { error: 'This dialog was open too long (30 minutes). Close it and press the button again.' };
    // Any Mattermost user can submit any state (the dialog's URL is shown to clients): logged, not audited.
    log.warn({ reason: 'forged' }, 'dialog submission refused');
    deps.count?.('unknown', 'dialog', 'refused_forged');
    return { error: 'This dialog was not opened by the GitLab bridge (or was changed), so nothing was done.' };
  }
  const claims = verified.claims;
  // The GitLab the button's post came from, signed into the target like the rest of the claims.
  const here = depsOnInstance(deps, claims.target);
  if (!here) return { error: 'This dialog is about a GitLab this bridge is no longer connected to, so nothing was done.' };
  // Opened before the admin chose read-only access: nothing is done.
  const readOnly = refuseWrite(here.scopeSetting, ACTION_DOES[claims.action]);
  if (readOnly) return { error: readOnly.text };
  if (!deps.buttons) return { error: 'The admin turned the GitLab buttons off. The `/gitlab` commands still work.' };
  if (claims.user !== request.userId) return refuse(deps, request, log, 'other_user', 'This dialog was opened for someone else, so nothing was done.');
  if (!(await deps.gateway.isMember(claims.channel, request.userId))) return refuse(deps, request, log, 'not_member', 'Only members of the channel can use its buttons.');

  const options = readOptions(claims, request.submission);
  if ('errors' in options) return options;
  const caller = here.connections ? await here.connections.callerFor(request.userId) : null;
  if (!caller) return { error: await notConnected(here, request.userId, instanceOf(claims.target)) };

  log.info({ action: claims.action }, 'dialog submitted');
  const result = await runAction(here, { action: claims.action, target: claims.target, userId: request.userId, caller, options, via: 'dialog', nonce: claims.nonce, postId: claims.post });
  if (!result.outcome) return { error: result.text };
  const { outcome } = result;
  if (!outcome.changed) return { error: outcome.text };
  if (outcome.state && deps.buttons) {
    const post = await deps.gateway.readPost(claims.post).catch(() => null);
    if (post && post.channelId === claims.channel) {
      const statusLine = claims.audience === 'direct' ? outcome.statusLine : outcome.channelStatusLine;
      const redrawn = redrawPost(post, { target: outcome.target, state: outcome.state, statusLine }, { audience: claims.audience, channelId: claims.channel }, deps.buttons);
      // Done is done: a post that cannot be redrawn now is redrawn by the webhook that follows.
      await deps.gateway.updatePost(post.id, redrawn.message, redrawn.props).catch((error: unknown) => log.warn({ err: error }, 'could not redraw the post after a dialog'));
    }
  }
  return {};
}

function readOptions(claims: DialogClaims, submission: Record<string, unknown>): ActionOptions | { errors: Record<string, string> } {
  switch (claims.action) {
    case 'merge':
    case 'automerge':
      return { squash: submission.squash === true || submission.squash === 'true', removeSourceBranch: submission.remove_source_branch === true || submission.remove_source_branch === 'true', ...(claims.sha ? { sha: claims.sha } : {}) };
    case 'comment': {
      const comment = typeof submission.comment === 'string' ? submission.comment.trim() : '';
      if (!comment) return { errors: { comment: 'Write the comment first.' } };
      if (comment.length > COMMENT_MAX) return { errors: { comment: `At most ${COMMENT_MAX} characters.` } };
      return { comment };
    }
    case 'approvedeployment':
    case 'rejectdeployment': {
      const comment = typeof submission.comment === 'string' ? submission.comment.trim().slice(0, COMMENT_MAX) : '';
      return comment ? { comment } : {};
    }
    default:
      return {};
  }
}

async function refuse(deps: ActionDeps, request: DialogRequest, log: Logger, reason: string, text: string): Promise<DialogAnswer> {
  log.warn({ reason }, 'dialog submission refused');
  deps.count?.('unknown', 'dialog', `refused_${reason}`);
  await audit(deps.pool, { actor: request.userId, action: 'gitlab.dialog_refused', target: 'dialog', details: { reason } });
  return { error: text };
}
