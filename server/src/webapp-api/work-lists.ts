/** The webapp's lists, read from a work snapshot (pure). */
import type { WorkItem, WorkList, WorkSnapshot, WorkTodo } from '../gitlab/work-query.js';

export const LIST_NAMES = ['reviews', 'assigned_mrs', 'my_mrs', 'assigned_issues', 'todos'] as const;
export type ListName = (typeof LIST_NAMES)[number];

export type ListedItem = WorkItem & { projectPath: string | null };
export type ListedTodo = WorkTodo;

export function isListName(value: string): value is ListName {
  return (LIST_NAMES as readonly string[]).includes(value);
}

/** One list with every item's project path (merge requests and issues carry only their reference). */
export function readList(snapshot: WorkSnapshot, list: ListName, gitlabUrl: string): WorkList<ListedItem> | WorkList<ListedTodo> {
  if (list === 'todos') {
    return { total: snapshot.todos.total, items: snapshot.todos.items.map((todo) => ({ ...todo, projectPath: todo.projectPath ?? projectPathOfUrl(todo.url, gitlabUrl) })) };
  }
  const found = { reviews: snapshot.reviews, assigned_mrs: snapshot.assignedMergeRequests, my_mrs: snapshot.myMergeRequests, assigned_issues: snapshot.assignedIssues }[list];
  return { total: found.total, items: found.items.map((item) => ({ ...item, projectPath: projectPathOfReference(item.reference) ?? projectPathOfUrl(item.url, gitlabUrl) })) };
}

/** `group/sub/project!12` or `group/sub/project#34` → `group/sub/project`; null for a short reference (`!12`). */
export function projectPathOfReference(reference: string): string | null {
  const match = /^(.+?)[!#]\d+$/.exec(reference);
  return match ? match[1]! : null;
}

/** `https://gitlab/group/sub/project/-/issues/3` → `group/sub/project`, GitLab's own path prefix (`/gitlab`) left out. */
export function projectPathOfUrl(url: string | null, gitlabUrl: string): string | null {
  if (!url) return null;
  try {
    const prefix = new URL(gitlabUrl).pathname.replace(/\/+$/, '');
    let { pathname } = new URL(url);
    if (prefix && pathname.startsWith(`${prefix}/`)) pathname = pathname.slice(prefix.length);
    const cut = pathname.indexOf('/-/');
    return cut > 1 ? decodeURIComponent(pathname.slice(1, cut)) : null;
  } catch {
    return null;
  }
}

/** The snapshot without one to-do; null when it held no such to-do. */
export function withoutTodo(snapshot: WorkSnapshot, todoId: number): WorkSnapshot | null {
  const items = snapshot.todos.items.filter((todo) => todo.id !== todoId);
  if (items.length === snapshot.todos.items.length) return null;
  return { ...snapshot, todos: { total: Math.max(0, snapshot.todos.total - 1), items } };
}

/**
 * Several instances' lists as one: totals added up, items newest first by `at` while each list keeps
 * its own order (GitLab's), so no instance's items are pushed behind another's wholesale.
 */
export function mergeLists<T>(lists: readonly WorkList<T>[], at: (item: T) => string): WorkList<T> {
  const heads = lists.map(() => 0);
  const items: T[] = [];
  for (;;) {
    let pick = -1;
    lists.forEach((list, index) => {
      const head = list.items[heads[index]!];
      if (head !== undefined && (pick < 0 || at(head) > at(lists[pick]!.items[heads[pick]!]!))) pick = index;
    });
    if (pick < 0) break;
    items.push(lists[pick]!.items[heads[pick]!]!);
    heads[pick]! += 1;
  }
  return { total: lists.reduce((sum, list) => sum + list.total, 0), items };
}
