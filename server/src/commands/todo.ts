/** `/gitlab todo`: what waits for you in GitLab, from four reads made in parallel with your token. */
import type { GitLabConnections } from '../accounts/gitlab-connections.js';
import { gitlabApi, gitlabRefusal, type GitLabApi } from '../gitlab/api.js';
import { humanise, plural } from '../render/format.js';
import { link } from '../render/links.js';
import { inline } from '../render/text.js';
import type { Subcommand } from './command-router.js';

export interface TodoDeps {
  connections: GitLabConnections | null;
  gitlabUrl: string;
}

/** Per section; the rest is counted and linked. */
const SHOWN = 10;

interface Item {
  title: string;
  web_url: string;
  references?: { full?: string };
  author?: { name?: string; username?: string };
  draft?: boolean;
}
interface Todo {
  action_name: string;
  target_type: string;
  target_url: string;
  target?: Item | null;
  body?: string;
  author?: { name?: string; username?: string };
  project?: { path_with_namespace?: string } | null;
}
export interface Section<T> {
  items: T[];
  total: number;
}
export interface TodoLists {
  reviews: Section<Item>;
  mergeRequests: Section<Item>;
  issues: Section<Item>;
  todos: Section<Todo>;
}

export const todoCommand: Subcommand<TodoDeps> = {
  name: 'todo',
  summary: 'what waits for you in GitLab: reviews requested, your assigned merge requests and issues, your to-dos',
  usage: 'todo',
  async run(call, { positionals }, deps) {
    if (positionals.length > 0) return `\`todo\` takes nothing more. Usage: \`/${call.trigger} todo\``;
    const caller = deps.connections ? await deps.connections.callerFor(call.userId) : null;
    if (!caller) return `Your to-dos come from your GitLab account: \`/${call.trigger} connect\` first.`;
    try {
      return renderTodoLists(await readTodoLists(gitlabApi(deps.gitlabUrl, caller.token), caller.gitlabUserId), deps.gitlabUrl, caller.gitlabUsername);
    } catch (error) {
      const refusal = gitlabRefusal(error);
      if (!refusal) throw error;
      return `GitLab answered ${refusal.status} when asked for your to-dos: ${refusal.message}`;
    }
  },
};

async function readTodoLists(api: GitLabApi, gitlabUserId: number): Promise<TodoLists> {
  const page = { perPage: SHOWN, maxPages: 1, showExpanded: true } as const;
  const section = <T>(read: Promise<unknown>): Promise<Section<T>> =>
    read.then((answer) => {
      const { data, paginationInfo } = answer as { data: T[]; paginationInfo: { total: number } };
      // GitLab leaves out the total beyond 10,000 results (then NaN here): count what came.
      return { items: data, total: Number.isFinite(paginationInfo.total) ? paginationInfo.total : data.length };
    });
  const [reviews, mergeRequests, issues, todos] = await Promise.all([
    section<Item>(api.MergeRequests.all({ scope: 'all', state: 'opened', reviewerId: gitlabUserId, ...page })),
    section<Item>(api.MergeRequests.all({ scope: 'assigned_to_me', state: 'opened', ...page })),
    section<Item>(api.Issues.all({ scope: 'assigned_to_me', state: 'opened', ...page })),
    section<Todo>(api.TodoLists.all({ state: 'pending', ...page })),
  ]);
  return { reviews, mergeRequests, issues, todos };
}

export function renderTodoLists(lists: TodoLists, gitlabUrl: string, gitlabUsername: string): string {
  const base = gitlabUrl.replace(/\/+$/, '');
  const itemLine = (item: Item) =>
    `- ${link(inline(`${item.references?.full ?? ''} ${item.title}`.trim()), item.web_url)}${item.draft && !/^\W*draft\b/i.test(item.title) ? ' · draft' : ''}${item.author?.name ? ` · by ${inline(item.author.name, 80)}` : ''}`;
  const todoLine = (todo: Todo) => {
    const what = todo.target ? `${todo.target.references?.full ?? ''} ${todo.target.title}`.trim() : humanise(todo.target_type);
    return `- ${humanise(todo.action_name)}: ${link(inline(what), todo.target_url)}${todo.author?.name ? ` · from ${inline(todo.author.name, 80)}` : ''}`;
  };
  const block = <T>(title: string, section: Section<T>, line: (item: T) => string, more: string) =>
    section.total === 0 ? [] : [`**${title} (${section.total})**`, ...section.items.map(line), ...(section.total > section.items.length ? [`- … ${link(`${section.total - section.items.length} more in GitLab`, more)}`] : [])];
  const lines = [
    ...block('Reviews requested from you', lists.reviews, itemLine, `${base}/dashboard/merge_requests?reviewer_username=${encodeURIComponent(gitlabUsername)}`),
    ...block('Merge requests assigned to you', lists.mergeRequests, itemLine, `${base}/dashboard/merge_requests`),
    ...block('Issues assigned to you', lists.issues, itemLine, `${base}/dashboard/issues`),
    ...block('To-dos', lists.todos, todoLine, `${base}/dashboard/todos`),
  ];
  if (lines.length === 0) return 'Nothing waits for you in GitLab: no review requests, no assigned merge requests or issues, no to-dos.';
  const total = lists.reviews.total + lists.mergeRequests.total + lists.issues.total + lists.todos.total;
  return [`#### Your GitLab to-do list: ${plural(total, 'item')}`, ...lines].join('\n');
}
