/**
 * New GitLab to-dos found by polling, as personal notices (pure). A to-do
 * gets the key the webhook path gives the same happening (a review request,
 * an assignment, a mention), so whichever path is first sends it and the other
 * finds it sent. Keys of an instance other than the default carry its name, as
 * the webhook path's do (gitlab/instances.ts), so two GitLabs' ids never meet.
 */
import { DEFAULT_INSTANCE, scopedKey } from '../gitlab/instances.js';
import type { WorkTodo } from '../gitlab/work-query.js';
import type { PersonalKind } from './personal-kinds.js';
import type { Recipient } from './personal-notifications.js';

export interface TodoNotice {
  kind: PersonalKind;
  key: string;
  family: string | null;
  threadKey: string | null;
}

export function todoNotice(todo: WorkTodo, recipient: Recipient, instance: string = DEFAULT_INSTANCE): TodoNotice | null {
  const kind = kindOf(todo.action);
  const { settings } = recipient;
  if (!settings.enabled || settings.disabledKinds.includes(kind)) return null;
  if (todo.author?.id != null && recipient.mutedGitLabUserIds.includes(todo.author.id)) return null;
  // GitLab makes no to-do for your own actions, except one you mark yourself: nothing to tell.
  if (todo.author?.id === recipient.gitlabUserId && todo.action === 'marked') return null;
  const item = todo.projectId !== null && todo.targetIid !== null && todo.targetType !== 'other' ? `${scopedKey(instance, String(todo.projectId))}:${todo.targetType}:${todo.targetIid}` : null;
  const me = recipient.gitlabUserId;
  const name = recipient.gitlabUsername;
  const key = (() => {
    if (item && todo.action === 'review_requested') return `review:${item}:${me}`;
    if (item && todo.action === 'assigned') return `assigned:${item}:${me}`;
    if (todo.action === 'mentioned' || todo.action === 'directly_addressed') {
      if (todo.noteId !== null) return `note:${scopedKey(instance, String(todo.noteId))}:${name}`;
      if (item) return `mention:${item}:description:${name}`;
    }
    return `todo:${scopedKey(instance, String(todo.id))}`;
  })();
  const family = item && todo.action === 'build_failed' ? `build_failed:${item}:${me}` : null;
  return { kind, key, family, threadKey: item };
}

function kindOf(action: string): PersonalKind {
  switch (action) {
    case 'review_requested':
      return 'reviews';
    case 'assigned':
      return 'assignments';
    case 'mentioned':
    case 'directly_addressed':
      return 'mentions';
    case 'build_failed':
      return 'pipelines';
    case 'unmergeable':
      return 'merge_requests';
    default:
      return 'todos';
  }
}
