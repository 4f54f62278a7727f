/**
 * An action once its caller is known to be allowed to ask: claims the press
 * (pressing twice does one thing), acts as the person through GitLab, and
 * writes the audit entry. Buttons, dialogs and slash commands all end here.
 */
import { createHash } from 'node:crypto';
import type { GitLabCaller } from '../accounts/gitlab-connections.js';
import { refuseWrite, type ScopeSetting } from '../accounts/write-access.js';
import { audit } from '../store/audit-log.js';
import { claimPress, forgetPress, recordPressAnswer, releasePress } from '../store/action-presses.js';
import type { Queryable } from '../store/queryable.js';
import { scopedKey } from '../gitlab/instances.js';
import { instanceOf, type ActionTarget } from './button-spec.js';
import { ACTION_DOES, type ActionName } from './buttons.js';
import { DIALOG_LIFETIME_MS } from './dialogs.js';
import { gitlabAsUser } from './gitlab-as-user.js';
import { performAction, type ActionOptions, type ActionOutcome } from './perform-action.js';

/** Actions on the object itself: two people pressing them at once must not do them twice (a second retry, a second merge). */
const ONCE_PER_OBJECT = new Set<ActionName>(['merge', 'automerge', 'close', 'reopen', 'retrypipeline', 'cancelpipeline', 'retryjob', 'canceljob']);

export interface RunActionDeps {
  pool: Queryable;
  gitlabUrl: string;
  /** GITLAB_OAUTH_SCOPES of the instance: read_api (or a token granted only that) means nothing is written. */
  scopeSetting: ScopeSetting;
  /** For /metrics: each action asked for, how it came, and its outcome. */
  count?(action: string, via: string, outcome: string): void;
}

export interface ActionCall {
  action: ActionName;
  target: ActionTarget;
  /** The Mattermost user acting, and their GitLab connection. */
  userId: string;
  caller: GitLabCaller;
  options?: ActionOptions;
  /** `button`, `dialog` or `command`, for the audit log. */
  via: 'button' | 'dialog' | 'command';
  /** A dialog's own nonce: the same dialog submitted twice acts once, a new dialog acts again. */
  nonce?: string;
  /** Where it was pressed, for the audit log. */
  postId?: string;
}

/** `null` outcome: a press just like it is at work or was just answered; `text` says so. */
export type RunResult = { outcome: ActionOutcome } | { outcome: null; text: string };

export async function runAction(deps: RunActionDeps, call: ActionCall): Promise<RunResult> {
  // Every action writes: a read-only bridge says so rather than letting GitLab refuse (insufficient_scope).
  const refusal = refuseWrite(deps.scopeSetting, ACTION_DOES[call.action], call.caller.scopes);
  if (refusal) {
    deps.count?.(call.action, call.via, `refused_${refusal.reason}`);
    return { outcome: { changed: false, text: refusal.text, state: null, statusLine: null, channelStatusLine: null, target: call.target } };
  }
  const key = pressKey(call, call.action);
  // The same dialog submitted again is told its answer for as long as the dialog lives.
  const replay = call.nonce && !ONCE_PER_OBJECT.has(call.action) ? Math.ceil(DIALOG_LIFETIME_MS / 1000) : undefined;
  const claim = await claimPress(deps.pool, key, replay);
  if (!claim.first) {
    if (claim.answer === null) return { outcome: null, text: 'That is already being done: someone pressed it a moment ago.' };
    // Nobody is shown someone else's answer (it is in their words, and about what they may see).
    if (claim.by === call.userId) return { outcome: null, text: claim.answer };
    return { outcome: null, text: 'Someone else did that a moment ago. If it still needs doing, press again in a few seconds.' };
  }
  let outcome: ActionOutcome;
  try {
    outcome = await act(deps, call);
  } catch (error) {
    await releasePress(deps.pool, key, claim.at);
    throw error;
  }
  if (!outcome.changed && !outcome.uncertain) {
    // Refused or already done: nothing to protect from a second try.
    await releasePress(deps.pool, key, claim.at);
    return { outcome };
  }
  // Done, or perhaps done (GitLab stopped answering after being asked): a repeat is told so, not done again.
  await recordPressAnswer(deps.pool, key, claim.at, call.userId, outcome.text);
  const opposite = OPPOSITES[call.action];
  // Approving after revoking (or closing after reopening) is new: the earlier answer no longer stands.
  if (outcome.changed && opposite) await forgetPress(deps.pool, pressKey(call, opposite));
  return { outcome };
}

const OPPOSITES: Partial<Record<ActionName, ActionName>> = { approve: 'unapprove', unapprove: 'approve', close: 'reopen', reopen: 'close' };

/** The action at GitLab, and its audit entry when it changed something. */
async function act(deps: RunActionDeps, call: ActionCall): Promise<ActionOutcome> {
  const outcome = await performAction(gitlabAsUser(deps.gitlabUrl, call.caller.token), call.action, call.target, { gitlabUserId: call.caller.gitlabUserId }, call.options);
  deps.count?.(call.action, call.via, outcome.changed ? 'done' : 'not_done');
  if (!outcome.changed) return outcome;
  await audit(deps.pool, {
    actor: call.userId,
    action: `gitlab.${call.action}`,
    target: targetName(call.target),
    details: { via: call.via, gitlabUser: call.caller.gitlabUsername, ...(call.postId ? { post: call.postId } : {}), ...(outcome.details ?? {}) },
  });
  return outcome;
}

/** `merge_request:12:4`; another instance's object carries its name (`corp~merge_request:12:4`): project ids repeat across instances. */
export function targetName(target: ActionTarget): string {
  return scopedKey(instanceOf(target), 'iid' in target ? `${target.kind}:${target.project}:${target.iid}` : `${target.kind}:${target.project}:${target.id}`);
}

function pressKey(call: ActionCall, named: ActionName): string {
  // Per object: whoever presses and from whichever dialog. Per person: one press, or one dialog's submission.
  const who = ONCE_PER_OBJECT.has(named) ? ['*'] : [call.userId, call.nonce ?? ''];
  // Merging now and merging once the pipeline passes are one thing to claim.
  const action = named === 'automerge' ? 'merge' : named;
  return createHash('sha256').update([action, targetName(call.target), ...who].join('\n')).digest('hex');
}
