/**
 * Links to GitLab pages. URLs come from payloads, so only http(s) URLs are
 * linked, and the characters that could end a Markdown link early are encoded.
 */
import type { Actor, GroupRef, ProjectRef, TargetRef } from '../gitlab/events/event.js';
import type { RenderContext } from './parts.js';
import { inline } from './text.js';

/**
 * An http(s) URL made safe inside `[text](url)`, or null. Characters that could
 * end the link early are percent-encoded, and so is `@`, so that no `@name`
 * appears in the message even inside a URL (GitLab web URLs carry no user info).
 */
export function safeUrl(url: string | null | undefined): string | null {
  if (!url || !/^https?:\/\//i.test(url.trim())) return null;
  return url.trim().replace(/[\s()<>[\]"`\\@]/g, (char) => (char.charCodeAt(0) < 0x80 ? `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}` : encodeURIComponent(char)));
}

/** `label` (already Markdown) linked to `url`, or just the label when the URL is unusable. */
export function link(label: string, url: string | null | undefined): string {
  const safe = safeUrl(url);
  return safe ? `[${label}](${safe})` : label;
}

/** A person by display name, linked to their profile: never `@username`, which would ping them. */
export function actorLink(actor: Actor | null, context: RenderContext): string {
  if (!actor) return 'Someone';
  const name = actor.name || actor.username || 'Someone';
  const url = actor.url ?? (actor.username && context.gitlabUrl ? `${context.gitlabUrl}/${encodeURIComponent(actor.username)}` : null);
  return link(inline(name, 80), url);
}

export function projectLink(project: ProjectRef | null, context: RenderContext): string {
  if (!project) return 'an unknown project';
  const url = project.url || (context.gitlabUrl ? `${context.gitlabUrl}/${project.path}` : null);
  return link(inline(project.path, 120), url);
}

export function groupLink(group: GroupRef | null, context: RenderContext): string {
  if (!group) return 'an unknown group';
  const url = group.url ?? (context.gitlabUrl ? `${context.gitlabUrl}/${group.path}` : null);
  return link(inline(group.path, 120), url);
}

/** `[!12 Title](url)`: the reference and title together, as GitLab shows them. */
export function targetLink(target: TargetRef, url: string | null = target.url): string {
  return link(inline(`${target.reference} ${target.title}`.trim()), url);
}

/** `merge request` / `issue`, for sentences. */
export function targetNoun(target: TargetRef): string {
  return target.type === 'merge_request' ? 'merge request' : 'issue';
}
