/**
 * The dialogs some buttons open first: Merge (its squash and delete-branch
 * choices, the merge request's own as defaults), Comment, and a deployment's
 * Approve / Reject (an optional comment). Interactive dialog rules from
 * Mattermost's model.DialogElement: titles at most 24 characters, textareas at
 * most 3000. Pure.
 *
 * A dialog's JSON, `state` included, is shown to the presser's client, so the
 * state is signed and names the presser (ButtonClaims are never shown).
 */
import type { ActionTarget } from './button-spec.js';
import type { ActionName, Audience } from './buttons.js';

/** Dialogs open this long; a submission later is refused. */
export const DIALOG_LIFETIME_MS = 30 * 60_000;
export const COMMENT_MAX = 3000;

export const DIALOG_ACTIONS = new Set<ActionName>(['merge', 'automerge', 'comment', 'approvedeployment', 'rejectdeployment']);

export interface DialogClaims {
  action: ActionName;
  target: ActionTarget;
  channel: string;
  /** The post pressed, redrawn after the action. */
  post: string;
  /** The Mattermost user the dialog was opened for. */
  user: string;
  audience: Audience;
  /** One per dialog: submitting the same dialog twice acts once. */
  nonce: string;
  /** Merge: the head commit when the dialog opened. */
  sha?: string;
}

export interface DialogElement {
  display_name: string;
  name: string;
  type: 'bool' | 'textarea';
  optional: boolean;
  default?: string;
  help_text?: string;
  placeholder?: string;
  max_length?: number;
}

export interface Dialog {
  callback_id: string;
  title: string;
  introduction_text: string;
  elements: DialogElement[];
  submit_label: string;
  notify_on_cancel: boolean;
  state: string;
}

export function mergeDialog(state: string, facts: { name: string; squash: boolean; removeSourceBranch: boolean; automatic: boolean }): Dialog {
  return {
    callback_id: 'merge',
    title: facts.automatic ? 'Merge when it passes' : 'Merge',
    introduction_text: facts.automatic
      ? `${facts.name} will be merged as you once its pipeline succeeds.`
      : `Merge ${facts.name} as you?`,
    elements: [
      { display_name: 'Squash commits', name: 'squash', type: 'bool', optional: true, default: String(facts.squash) },
      { display_name: 'Delete source branch', name: 'remove_source_branch', type: 'bool', optional: true, default: String(facts.removeSourceBranch) },
    ],
    submit_label: facts.automatic ? 'Set to merge' : 'Merge',
    notify_on_cancel: false,
    state,
  };
}

export function commentDialog(state: string, name: string): Dialog {
  return {
    callback_id: 'comment',
    title: 'Comment in GitLab',
    introduction_text: `Your comment on ${name}, posted in GitLab as you.`,
    elements: [{ display_name: 'Comment', name: 'comment', type: 'textarea', optional: false, max_length: COMMENT_MAX, placeholder: 'Markdown works, as in GitLab' }],
    submit_label: 'Comment',
    notify_on_cancel: false,
    state,
  };
}

export function deploymentDialog(state: string, facts: { approve: boolean; environment: string; approvers: string | null }): Dialog {
  const who = facts.approvers ? ` May approve: ${facts.approvers}.` : '';
  return {
    callback_id: facts.approve ? 'approvedeployment' : 'rejectdeployment',
    title: facts.approve ? 'Approve deployment' : 'Reject deployment',
    introduction_text: `${facts.approve ? 'Approve' : 'Reject'} the deployment to **${facts.environment}** as you.${who}`,
    elements: [{ display_name: 'Comment', name: 'comment', type: 'textarea', optional: true, max_length: COMMENT_MAX, help_text: 'Optional; kept with the approval in GitLab' }],
    submit_label: facts.approve ? 'Approve' : 'Reject',
    notify_on_cancel: false,
    state,
  };
}
