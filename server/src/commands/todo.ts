/**
 * `/gitlab todo`: what waits for you in GitLab, from four reads made in parallel with your token; with
 * several GitLabs, of each one you are connected to (with that GitLab's token), in one answer where
 * every item says which GitLab it is on.
 */
import type { GitLabConnections } from '../accounts/gitlab-connections.js';
import { DEFAULT_INSTANCE, type GitLabInstances } from '../gitlab/instances.js';
import { gitlabApi, gitlabRefusal, type GitLabApi } from '../gitlab/api.js';
import { humanise, plural } from '../render/format.js';
import { link } from '../render/links.js';
import { inline } from '../render/text.js';
import type { AccountInstance } from './account.js';
import type { Subcommand } from './command-router.js';

export interface TodoDeps {
  /** The default instance's. */
  connections: GitLabConnections | null;
  gitlabUrl: string;
  /** Every configured GitLab; absent, only the default one above. */
  instances?: GitLabInstances;
  accountInstance?(name: string): Pick<AccountInstance, 'name' | 'url' | 'connections'> | undefined;
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

/** One GitLab's lists of a person. */
export interface TodoPart {
  /** Shown beside each item; null when the bridge has one GitLab. */
  label: string | null;
  gitlabUrl: string;
  gitlabUsername: string;
  lists: TodoLists;
}

export const todoCommand: Subcommand<TodoDeps> = {
  name: 'todo',
  summary: 'what waits for you in GitLab: reviews requested, your assigned merge requests and issues, your to-dos (of every GitLab you are connected to)',
  usage: 'todo',
  async run(call, { positionals }, deps) {
    if (positionals.length > 0) return `\`todo\` takes nothing more. Usage: \`/${call.trigger} todo\``;
    const instances = deps.instances && deps.accountInstance ? deps.instances.all.flatMap((configured) => deps.accountInstance!(configured.name) ?? []) : [{ name: DEFAULT_INSTANCE, url: deps.gitlabUrl, connections: deps.connections }];
    const label = (name: string) => (deps.instances?.several ? deps.instances.label(name) : null);
    const answers = await Promise.all(
      instances.map(async (instance) => {
        const caller = instance.connections ? await instance.connections.callerFor(call.userId) : null;
        if (!caller) return null;
        try {
          const lists = await readTodoLists(gitlabApi(instance.url, caller.token), caller.gitlabUserId);
          return { label: label(instance.name), gitlabUrl: instance.url, gitlabUsername: caller.gitlabUsername, lists } satisfies TodoPart;
        } catch (error) {
          const refusal = gitlabRefusal(error);
          if (!refusal) throw error;
          const where = label(instance.name);
          return `GitLab${where ? ` (${where})` : ''} answered ${refusal.status} when asked for your to-dos: ${refusal.message}`;
        }
      }),
    );
    const parts = answers.filter((answer): answer is TodoPart => answer !== null && typeof answer !== 'string');
    const refusals = answers.filter((answer): answer is string => typeof answer === 'string');
    if (parts.length === 0 && refusals.length === 0) return `Your to-dos come from your GitLab account: \`/${call.trigger} connect\` first.`;
    if (parts.length === 0) return refusals.join('\n');
    return [renderTodoParts(parts), ...refusals.map((refusal) => `_${refusal}_`)].join('\n');
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
  return renderTodoParts([{ label: null, gitlabUrl, gitlabUsername, lists }]);
}

/**
 * Every part's lists in one answer: each section adds the parts' totals up and shows at most SHOWN
 * items, taken from the parts in turn; what is left is counted and linked per part.
 */
export function renderTodoParts(parts: readonly TodoPart[]): string {
  const onWhich = (part: TodoPart) => (part.label ? ` · on ${inline(part.label, 80)}` : '');
  const itemLine = (item: Item, part: TodoPart) =>
    `- ${link(inline(`${item.references?.full ?? ''} ${item.title}`.trim()), item.web_url)}${onWhich(part)}${item.draft && !/^\W*draft\b/i.test(item.title) ? ' · draft' : ''}${item.author?.name ? ` · by ${inline(item.author.name, 80)}` : ''}`;
  const todoLine = (todo: Todo, part: TodoPart) => {
    const what = todo.target ? `${todo.target.references?.full ?? ''} ${todo.target.title}`.trim() : humanise(todo.target_type);
    return `- ${humanise(todo.action_name)}: ${link(inline(what), todo.target_url)}${onWhich(part)}${todo.author?.name ? ` · from ${inline(todo.author.name, 80)}` : ''}`;
  };
  const base = (part: TodoPart) => part.gitlabUrl.replace(/\/+$/, '');
  const block = <T>(title: string, sectionOf: (lists: TodoLists) => Section<T>, line: (item: T, part: TodoPart) => string, more: (part: TodoPart) => string) => {
    const found = parts.map((part) => ({ part, section: sectionOf(part.lists), shown: 0 }));
    const total = found.reduce((sum, { section }) => sum + section.total, 0);
    if (total === 0) return [];
    const lines: string[] = [];
    // In turn, so that one GitLab's long list does not hide the other's.
    while (lines.length < SHOWN && found.some((entry) => entry.shown < entry.section.items.length)) {
      for (const entry of found) {
        if (lines.length < SHOWN && entry.shown < entry.section.items.length) lines.push(line(entry.section.items[entry.shown++]!, entry.part));
      }
    }
    const tail = found.flatMap(({ part, section, shown }) =>
      section.total > shown ? [`- … ${link(`${section.total - shown} more ${part.label ? `on ${inline(part.label, 80)}` : 'in GitLab'}`, more(part))}`] : [],
    );
    return [`**${title} (${total})**`, ...lines, ...tail];
  };
  const lines = [
    ...block('Reviews requested from you', (lists) => lists.reviews, itemLine, (part) => `${base(part)}/dashboard/merge_requests?reviewer_username=${encodeURIComponent(part.gitlabUsername)}`),
    ...block('Merge requests assigned to you', (lists) => lists.mergeRequests, itemLine, (part) => `${base(part)}/dashboard/merge_requests`),
    ...block('Issues assigned to you', (lists) => lists.issues, itemLine, (part) => `${base(part)}/dashboard/issues`),
    ...block('To-dos', (lists) => lists.todos, todoLine, (part) => `${base(part)}/dashboard/todos`),
  ];
  if (lines.length === 0) return 'Nothing waits for you in GitLab: no review requests, no assigned merge requests or issues, no to-dos.';
  const total = parts.reduce((sum, { lists }) => sum + lists.reviews.total + lists.mergeRequests.total + lists.issues.total + lists.todos.total, 0);
  return [`#### Your GitLab to-do list: ${plural(total, 'item')}`, ...lines].join('\n');
}
