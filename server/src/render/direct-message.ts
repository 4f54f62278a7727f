/**
 * The text of a personal direct message (pure). One line saying what happened
 * to you and where, then the comment or commit that did it when there is one.
 * GitLab text goes through the same neutralisers as channel posts.
 */
import type { GitLabEvent } from '../gitlab/events/event.js';
import type { WorkTodo } from '../gitlab/work-query.js';
import type { NoticeReason } from '../rules/personal-notifications.js';
import { actorLink, link, projectLink, targetLink, targetNoun } from './links.js';
import type { RenderContext } from './parts.js';
import { excerpt, inline, quote } from './text.js';

const EXCERPT = { maxChars: 400, maxLines: 6 };

export function renderDirectMessage(event: GitLabEvent, reason: NoticeReason, context: RenderContext): string {
  const who = actorLink(event.actor, context);
  const where = projectLink(event.project, context);
  const item = event.target ? `${targetNoun(event.target)} ${targetLink(event.target)}` : null;
  const yourItem = event.target ? `your ${targetNoun(event.target)} ${targetLink(event.target)}` : null;
  switch (reason) {
    case 'review_requested':
      return `:eyes: ${who} requested your review on ${item} in ${where}`;
    case 'assigned':
      return `:bust_in_silhouette: ${who} assigned you to ${item} in ${where}`;
    case 'mentioned':
      return withBody(`:speech_balloon: ${who} mentioned you ${mentionPlace(event, context)} in ${where}`, mentionText(event));
    case 'commented':
      return withBody(`:speech_balloon: ${who} commented on ${item} in ${where}`, event.details.kind === 'note' ? event.details.body : '', event.details.kind === 'note' ? event.details.url : null);
    case 'approved':
      return `:white_check_mark: ${who} approved ${yourItem} in ${where}`;
    case 'unapproved':
      return `:leftwards_arrow_with_hook: ${who} revoked their approval of ${yourItem} in ${where}`;
    case 'merged':
      return `:tada: ${who} merged ${yourItem} in ${where}`;
    case 'closed':
      return `:no_entry_sign: ${who} closed ${yourItem} in ${where}`;
    case 'conflicts':
      return `:warning: ${yourItem} in ${where} has merge conflicts`;
    case 'pipeline_failed':
    case 'pipeline_fixed':
      return pipelineMessage(event, reason, context);
  }
}

function withBody(headline: string, body: string, url: string | null = null): string {
  const shown = excerpt(body, EXCERPT);
  if (!shown) return headline;
  return `${headline}\n${quote(shown)}${url ? `\n${link('Open the comment', url)}` : ''}`;
}

function mentionPlace(event: GitLabEvent, context: RenderContext): string {
  const details = event.details;
  if (details.kind === 'note') {
    if (event.target) return `in a comment on ${targetNoun(event.target)} ${targetLink(event.target, details.url ?? event.target.url)}`;
    if (details.commit) return `in a comment on commit ${link(inline(`${details.commit.sha.slice(0, 8)} ${details.commit.title}`, 120), details.url ?? details.commit.url)}`;
    return link('in a comment', details.url);
  }
  if (details.kind === 'push') return `in a commit pushed to ${link(inline(event.ref ?? 'a branch', 100), details.branchUrl)}`;
  if (event.target) return `in ${targetNoun(event.target)} ${targetLink(event.target)}`;
  return `in ${projectLink(event.project, context)}`;
}

function mentionText(event: GitLabEvent): string {
  const details = event.details;
  if (details.kind === 'note') return details.body;
  if (details.kind === 'push') return details.commits.map((commit) => commit.message).find((message) => message.includes('@')) ?? '';
  if (details.kind === 'merge_request' || details.kind === 'issue') return details.description;
  return '';
}

function pipelineMessage(event: GitLabEvent, reason: 'pipeline_failed' | 'pipeline_fixed', context: RenderContext): string {
  if (event.details.kind !== 'pipeline') return '';
  const details = event.details;
  const pipeline = link(`pipeline #${details.id}`, details.url);
  const ref = event.ref ? ` on ${inline(event.ref, 100)}` : '';
  const forItem = event.target ? ` for ${targetNoun(event.target)} ${targetLink(event.target)}` : '';
  if (reason === 'pipeline_fixed') return `:white_check_mark: ${pipeline}${ref}${forItem} in ${projectLink(event.project, context)} passed again`;
  const jobs = details.failedJobs.slice(0, 5).map((job) => link(inline(job.name, 80), job.url));
  return `:x: ${pipeline}${ref}${forItem} in ${projectLink(event.project, context)} failed${jobs.length > 0 ? ` (${jobs.join(', ')})` : ''}`;
}

const TODO_WORDS: Record<string, string> = {
  review_requested: ':eyes: %s requested your review on',
  assigned: ':bust_in_silhouette: %s assigned you to',
  mentioned: ':speech_balloon: %s mentioned you on',
  directly_addressed: ':speech_balloon: %s mentioned you on',
  build_failed: ':x: A pipeline failed for',
  unmergeable: ':warning: Could not merge',
  approval_required: ':eyes: %s set you as an approver for',
  marked: ':pushpin: %s added a to-do for you on',
  review_submitted: ':memo: %s reviewed',
  member_access_requested: ':key: %s requested access to',
};

/** A new GitLab to-do found by polling. */
export function renderTodoMessage(todo: WorkTodo, context: RenderContext): string {
  const author = todo.author ? actorLink({ id: todo.author.id, username: todo.author.username, name: todo.author.name }, context) : 'Someone';
  const sentence = (TODO_WORDS[todo.action] ?? ':pushpin: New to-do from %s on').replace('%s', author);
  const reference = todo.targetIid !== null ? `${todo.targetType === 'merge_request' ? '!' : '#'}${todo.targetIid} ` : '';
  const target = link(inline(`${reference}${todo.targetTitle}`.trim() || 'an item', 200), todo.url);
  const where = todo.projectPath ? ` in ${link(inline(todo.projectPath, 120), context.gitlabUrl ? `${context.gitlabUrl}/${todo.projectPath}` : null)}` : '';
  const headline = `${sentence} ${target}${where}`;
  const body = todo.action === 'mentioned' || todo.action === 'directly_addressed' ? excerpt(todo.body, EXCERPT) : '';
  return body ? `${headline}\n${quote(body)}` : headline;
}
