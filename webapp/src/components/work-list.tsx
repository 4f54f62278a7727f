/** One of the five lists: merge requests and issues with what matters at a glance, or to-dos to mark done. */
import React, { useEffect, useState } from 'react';
import type { ListName, WorkItem, WorkTodo } from '../api/types';
import { formatAge } from '../format/age';
import { usePluginState, useServices } from '../services';
import { Approvals, Badge, Labels, PipelineBadge } from './bits';

const EMPTY: Record<ListName, string> = {
  reviews: 'No merge requests wait for your review.',
  assigned_mrs: 'No merge requests are assigned to you.',
  my_mrs: 'You have no open merge requests.',
  assigned_issues: 'No open issues are assigned to you.',
  todos: 'No pending to-dos. Nice.',
};

/** Which GitLab an item is on, once the bridge has several (the server sends a label only then). */
function InstanceLabel({ label }: { label: string | undefined }): React.ReactElement | null {
  return label ? <Badge>{label}</Badge> : null;
}

export function WorkItemRow({ item }: { item: WorkItem }): React.ReactElement {
  return (
    <li className="glb-item">
      <a className="glb-item-title glb-link" href={item.url} target="_blank" rel="noopener noreferrer">
        {item.title}
      </a>
      <div className="glb-meta">
        <span>{item.reference}</span>
        <InstanceLabel label={item.instanceLabel} />
        {item.author ? <span>{`by @${item.author.username}`}</span> : null}
        <span title={item.createdAt}>{formatAge(item.createdAt)}</span>
        {item.draft ? <Badge>Draft</Badge> : null}
        {item.conflicts ? <Badge bad>Conflicts</Badge> : null}
        <PipelineBadge status={item.pipelineStatus} />
        <Approvals approvals={item.approvals} />
      </div>
      <div className="glb-meta">
        <Labels labels={item.labels} />
      </div>
    </li>
  );
}

const TODO_ACTIONS: Record<string, string> = {
  review_requested: 'Review requested',
  assigned: 'Assigned',
  mentioned: 'Mentioned',
  directly_addressed: 'Mentioned',
  build_failed: 'Pipeline failed',
  marked: 'Added',
  approval_required: 'Approval required',
  unmergeable: 'Cannot merge',
  merge_train_removed: 'Removed from merge train',
  member_access_requested: 'Access requested',
  review_submitted: 'Review submitted',
};

export function TodoRow({ todo }: { todo: WorkTodo }): React.ReactElement {
  const { controller } = useServices();
  // Marking done writes to GitLab: a read-only bridge shows the to-do without the button.
  const writes = usePluginState((plugin) => plugin.me?.features.writes !== false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const done = async () => {
    setBusy(true);
    setError(null);
    try {
      await controller.markTodoDone(todo);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
      setBusy(false);
    }
  };
  return (
    <li className="glb-item">
      <div style={{ display: 'flex', gap: 8, justifyContent: 'space-between', alignItems: 'flex-start' }}>
        <div>
          {todo.url ? (
            <a className="glb-item-title glb-link" href={todo.url} target="_blank" rel="noopener noreferrer">
              {todo.targetTitle}
            </a>
          ) : (
            <span className="glb-item-title">{todo.targetTitle}</span>
          )}
          <div className="glb-meta">
            <span>{TODO_ACTIONS[todo.action] ?? todo.action.replace(/_/g, ' ')}</span>
            {todo.projectPath ? <span>{todo.projectPath}</span> : null}
            <InstanceLabel label={todo.instanceLabel} />
            {todo.author ? <span>{`by @${todo.author.username}`}</span> : null}
            <span title={todo.createdAt}>{formatAge(todo.createdAt)}</span>
          </div>
        </div>
        {writes ? (
          <button type="button" className="glb-btn" aria-label={`Mark done: ${todo.targetTitle}`} disabled={busy} onClick={done}>
            Done
          </button>
        ) : null}
      </div>
      {error ? (
        <div role="status" className="glb-error">
          {error}
        </div>
      ) : null}
    </li>
  );
}

export function WorkList({ list }: { list: ListName }): React.ReactElement {
  const { controller } = useServices();
  const state = usePluginState((plugin) => plugin.lists[list]);
  useEffect(() => {
    void controller.loadList(list);
  }, [controller, list]);

  if (!state || (state.status === 'loading' && state.items.length === 0)) {
    return (
      <div aria-busy="true" aria-label="Loading">
        {[0, 1, 2].map((row) => (
          <div key={row} className="glb-skeleton" />
        ))}
      </div>
    );
  }
  if (state.status === 'error' && state.items.length === 0) {
    return (
      <div role="status" className="glb-empty">
        {`Could not load this list: ${state.error ?? 'unknown error'}`}
      </div>
    );
  }
  if (state.items.length === 0) return <div className="glb-empty">{EMPTY[list]}</div>;
  return (
    <ul role="list" className="glb-list">
      {state.items.map((item) =>
        list === 'todos' ? (
          <TodoRow key={`${(item as WorkTodo).instance ?? ''}:${(item as WorkTodo).id}`} todo={item as WorkTodo} />
        ) : (
          <WorkItemRow key={(item as WorkItem).url} item={item as WorkItem} />
        ),
      )}
    </ul>
  );
}
