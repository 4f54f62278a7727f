/**
 * The daily reminder: a direct message listing what waits for a user in GitLab
 * (review requests, assigned merge requests and issues, pending to-dos), and a
 * digest of it so "only when changed" can tell whether anything did (pure).
 */
import { createHash } from 'node:crypto';
import type { WorkItem, WorkList, WorkSnapshot, WorkTodo } from '../gitlab/work-query.js';
import { ago, humanise, plural } from './format.js';
import { link } from './links.js';
import { inline } from './text.js';

export interface ReminderOptions {
  /** GitLab base URL, for the dashboard links. */
  gitlabUrl: string;
  /** The user's GitLab username, for the dashboard filters. */
  username: string;
  /** When the reminder is sent, for the items' ages. */
  now: Date;
  /** The slash command's trigger word, for the footer. */
  trigger?: string;
}

/** Per section; the rest is counted and linked. */
export const REMINDER_SHOWN = 10;

/** To-dos whose body is what someone wrote to the user, worth quoting. */
const QUOTED_ACTIONS = new Set(['mentioned', 'directly_addressed']);

/** The direct message, or null when there is nothing to remind of. */
export function renderReminder(snapshot: WorkSnapshot, options: ReminderOptions): string | null {
  const base = options.gitlabUrl.replace(/\/+$/, '');
  const me = encodeURIComponent(options.username);
  const itemLine = (item: WorkItem) => {
    const draft = item.draft && !/^\W*draft\b/i.test(item.title) ? ' · draft' : '';
    const author = item.author?.name ? ` · by ${inline(item.author.name, 80)}` : '';
    return `- ${link(inline(`${item.reference} ${item.title}`.trim()), item.url)}${draft}${author}${age('opened', item.createdAt, options.now)}`;
  };
  const todoLine = (todo: WorkTodo) => {
    const said = QUOTED_ACTIONS.has(todo.action) && todo.body.trim() ? `: “${inline(todo.body, 120)}”` : '';
    const from = todo.author?.name ? ` · from ${inline(todo.author.name, 80)}` : '';
    return `- ${humanise(todo.action)}: ${link(inline(todoWhat(todo)), todo.url)}${from}${said}${age('', todo.createdAt, options.now)}`;
  };
  const sections = [
    section('Reviews requested from you', snapshot.reviews, false, itemLine, `${base}/dashboard/merge_requests?reviewer_username=${me}`),
    section('Merge requests assigned to you', snapshot.assignedMergeRequests, false, itemLine, `${base}/dashboard/merge_requests?assignee_username=${me}`),
    section('Issues assigned to you', snapshot.assignedIssues, false, itemLine, `${base}/dashboard/issues?assignee_username=${me}`),
    section('To-dos', snapshot.todos, snapshot.moreTodos, todoLine, `${base}/dashboard/todos`),
  ].filter((found): found is Section => found !== null);
  if (sections.length === 0) return null;
  const total = sections.reduce((sum, found) => sum + found.count, 0);
  const atLeast = sections.some((found) => found.atLeast);
  const trigger = options.trigger ?? 'gitlab';
  return [
    `#### Your GitLab day: ${atLeast ? `${total}+ items` : plural(total, 'item')} waiting`,
    ...sections.flatMap((found) => found.lines),
    '',
    `_\`/${trigger} settings reminder HH:MM\` moves this message, \`/${trigger} settings reminder off\` stops it._`,
  ].join('\n');
}

interface Section {
  count: number;
  /** The count is a lower bound: GitLab had more than one page. */
  atLeast: boolean;
  lines: string[];
}

function section<T>(title: string, list: WorkList<T>, more: boolean, line: (item: T) => string, dashboard: string): Section | null {
  const count = Math.max(list.total, list.items.length);
  if (count === 0) return null;
  const atLeast = more && count <= list.items.length;
  const shown = list.items.slice(0, REMINDER_SHOWN);
  const rest = count - shown.length;
  const tail = rest > 0 ? [`- … ${link(`and ${atLeast ? `${rest}+` : rest} more in GitLab`, dashboard)}`] : atLeast ? [`- … ${link('and more in GitLab', dashboard)}`] : [];
  return { count, atLeast, lines: [`**${title} (${count}${atLeast ? '+' : ''})**`, ...shown.map(line), ...tail] };
}

/** `group/project!12 Title`, or what GitLab says the target is when it has no title. */
function todoWhat(todo: WorkTodo): string {
  const sigil = todo.targetType === 'merge_request' ? '!' : todo.targetType === 'issue' ? '#' : null;
  const reference = todo.projectPath && sigil && todo.targetIid !== null ? `${todo.projectPath}${sigil}${todo.targetIid}` : (todo.projectPath ?? '');
  const what = `${reference} ${todo.targetTitle}`.trim();
  return what || humanise(todo.targetType);
}

function age(verb: string, iso: string, now: Date): string {
  const then = new Date(iso);
  if (Number.isNaN(then.getTime())) return '';
  return ` · ${verb ? `${verb} ` : ''}${ago(then, now)}`;
}

/**
 * A sha256 of what the reminder lists: each list's total, its items' references
 * and titles and the to-dos' ids, in a fixed order, so that items reordered by
 * activity or changed `updatedAt` stamps do not count as a change.
 */
export function reminderDigest(snapshot: WorkSnapshot): string {
  const items = (list: WorkList<WorkItem>) => ({
    total: list.total,
    items: list.items.map((item) => [item.reference, item.title]).sort(([a], [b]) => compare(a!, b!)),
  });
  const listed = {
    reviews: items(snapshot.reviews),
    assignedMergeRequests: items(snapshot.assignedMergeRequests),
    assignedIssues: items(snapshot.assignedIssues),
    todos: { total: snapshot.todos.total, more: snapshot.moreTodos, ids: snapshot.todos.items.map((todo) => todo.id).sort((a, b) => a - b) },
  };
  return createHash('sha256').update(JSON.stringify(listed)).digest('hex');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
