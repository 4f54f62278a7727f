/**
 * The daily reminder: a direct message listing what waits for a user in GitLab
 * (review requests, assigned merge requests and issues, pending to-dos), and a
 * digest of it so "only when changed" can tell whether anything did (pure).
 * A person connected to several GitLab instances gets one reminder: each
 * section lists every instance's items, each item with its instance's label
 * when the bridge has several.
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
  return renderCombinedReminder([{ instance: DEFAULT_PART, label: null, snapshot, gitlabUrl: options.gitlabUrl, username: options.username }], options);
}

/** One GitLab instance's share of a reminder. */
export interface ReminderPart {
  /** The instance's name (config.gitlabInstances[].name). */
  instance: string;
  /** Shown beside each of its items; null when the bridge has one GitLab (nothing to tell apart). */
  label: string | null;
  snapshot: WorkSnapshot;
  /** The instance's base URL, for its dashboard links. */
  gitlabUrl: string;
  /** The person's username there, for the dashboard filters. */
  username: string;
  /** When it was read; a part read long before `now` says so (that GitLab's polls are failing). */
  polledAt?: Date;
}

const DEFAULT_PART = 'default';
/** A part read longer ago than this is marked as old in the reminder. */
const STALE_MS = 2 * 60 * 60_000;

/** One reminder listing every part (in the order given); null when none has anything waiting. */
export function renderCombinedReminder(parts: readonly ReminderPart[], options: Pick<ReminderOptions, 'now' | 'trigger'>): string | null {
  const onWhich = (part: ReminderPart) => (part.label ? ` · on ${inline(part.label, 80)}` : '');
  const itemLine = (item: WorkItem, part: ReminderPart) => {
    const draft = item.draft && !/^\W*draft\b/i.test(item.title) ? ' · draft' : '';
    const author = item.author?.name ? ` · by ${inline(item.author.name, 80)}` : '';
    return `- ${link(inline(`${item.reference} ${item.title}`.trim()), item.url)}${onWhich(part)}${draft}${author}${age('opened', item.createdAt, options.now)}`;
  };
  const todoLine = (todo: WorkTodo, part: ReminderPart) => {
    const said = QUOTED_ACTIONS.has(todo.action) && todo.body.trim() ? `: “${inline(todo.body, 120)}”` : '';
    const from = todo.author?.name ? ` · from ${inline(todo.author.name, 80)}` : '';
    return `- ${humanise(todo.action)}: ${link(inline(todoWhat(todo)), todo.url)}${onWhich(part)}${from}${said}${age('', todo.createdAt, options.now)}`;
  };
  const dashboard = (part: ReminderPart, path: string) => `${part.gitlabUrl.replace(/\/+$/, '')}/dashboard/${path.replace('{me}', encodeURIComponent(part.username))}`;
  const sections = [
    section('Reviews requested from you', parts, (part) => ({ list: part.snapshot.reviews, more: false, dashboard: dashboard(part, 'merge_requests?reviewer_username={me}') }), itemLine, byUpdate),
    section('Merge requests assigned to you', parts, (part) => ({ list: part.snapshot.assignedMergeRequests, more: false, dashboard: dashboard(part, 'merge_requests?assignee_username={me}') }), itemLine, byUpdate),
    section('Issues assigned to you', parts, (part) => ({ list: part.snapshot.assignedIssues, more: false, dashboard: dashboard(part, 'issues?assignee_username={me}') }), itemLine, byUpdate),
    section('To-dos', parts, (part) => ({ list: part.snapshot.todos, more: part.snapshot.moreTodos, dashboard: dashboard(part, 'todos') }), todoLine, byCreation),
  ].filter((found): found is Section => found !== null);
  if (sections.length === 0) return null;
  const total = sections.reduce((sum, found) => sum + found.count, 0);
  const atLeast = sections.some((found) => found.atLeast);
  const trigger = options.trigger ?? 'gitlab';
  // A part its GitLab has not answered for a while is listed as it was, and says so.
  const stale = parts.filter((part) => part.polledAt && options.now.getTime() - part.polledAt.getTime() > STALE_MS);
  return [
    `#### Your GitLab day: ${atLeast ? `${total}+ items` : plural(total, 'item')} waiting`,
    ...sections.flatMap((found) => found.lines),
    ...stale.map((part) => `_What is listed from ${part.label ? inline(part.label, 80) : 'GitLab'} was read ${ago(part.polledAt!, options.now)}: it could not be asked since._`),
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

interface PartList<T> {
  list: WorkList<T>;
  /** GitLab had more than one page (the count is then a lower bound). */
  more: boolean;
  dashboard: string;
}

/**
 * One section over every part: the counts added up, at most REMINDER_SHOWN items, taken newest first
 * across the parts while each part keeps GitLab's own order, and what is left counted and linked per part.
 */
function section<T>(
  title: string,
  parts: readonly ReminderPart[],
  listOf: (part: ReminderPart) => PartList<T>,
  line: (item: T, part: ReminderPart) => string,
  newer: (a: T, b: T) => boolean,
): Section | null {
  const lists = parts.map((part) => {
    const found = listOf(part);
    return { part, ...found, count: Math.max(found.list.total, found.list.items.length), shown: 0 };
  });
  const count = lists.reduce((sum, found) => sum + found.count, 0);
  if (count === 0) return null;
  const partAtLeast = (found: (typeof lists)[number]) => found.more && found.count <= found.list.items.length;
  const atLeast = lists.some(partAtLeast);
  const lines: string[] = [];
  while (lines.length < REMINDER_SHOWN) {
    const next = lists
      .filter((found) => found.shown < found.list.items.length)
      .reduce<(typeof lists)[number] | null>((best, found) => (!best || newer(found.list.items[found.shown]!, best.list.items[best.shown]!) ? found : best), null);
    if (!next) break;
    lines.push(line(next.list.items[next.shown]!, next.part));
    next.shown += 1;
  }
  const tail = lists.flatMap((found) => {
    const rest = found.count - found.shown;
    const where = found.part.label ? `on ${inline(found.part.label, 80)}` : 'in GitLab';
    if (rest > 0) return [`- … ${link(`and ${partAtLeast(found) ? `${rest}+` : rest} more ${where}`, found.dashboard)}`];
    return partAtLeast(found) ? [`- … ${link(`and more ${where}`, found.dashboard)}`] : [];
  });
  return { count, atLeast, lines: [`**${title} (${count}${atLeast ? '+' : ''})**`, ...lines, ...tail] };
}

const byUpdate = (a: WorkItem, b: WorkItem) => a.updatedAt > b.updatedAt;
const byCreation = (a: WorkTodo, b: WorkTodo) => a.createdAt > b.createdAt;

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

/**
 * The digest of a reminder made of several parts: with only the default instance's it is that
 * snapshot's digest as before several instances, so "only when changed" carries over an upgrade.
 */
export function combinedReminderDigest(parts: readonly Pick<ReminderPart, 'instance' | 'snapshot'>[]): string {
  const [only] = parts;
  if (parts.length === 1 && only!.instance === DEFAULT_PART) return reminderDigest(only!.snapshot);
  const listed = parts.map((part) => [part.instance, reminderDigest(part.snapshot)]).sort(([a], [b]) => compare(a!, b!));
  return createHash('sha256').update(JSON.stringify(listed)).digest('hex');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
