/**
 * Release Hook payloads from polled releases (GET /projects/:id/releases), and
 * which listed releases are new or changed since the last poll. Pure.
 *
 * The Releases API gives no release id and no `updated_at`, so a release is
 * known by its tag and its content: a fingerprint of name, description and
 * release date, the fields an update (Releases::UpdateService) changes and
 * the Release Hook's key is made of. A release created after the newest one
 * seen is `create`; a known one whose fingerprint changed is `update`. One
 * never seen that is older (listed because it changed, or because an older
 * GitLab ignores `updated_after`, or because a newer one was deleted) is only
 * remembered: it cannot be told from one that did not change, and a post that
 * says "updated" for nothing is worse than one missed. A deleted release
 * leaves no trace in the list, so polling cannot report deletions.
 */
import { fingerprint } from '../gitlab/events/common.js';
import { commitAttributes } from './push-hook.js';
import { projectAttributes, utcSeconds, type HookPayload } from './hook-attributes.js';
import type { RestProject, RestRelease } from './rest-shapes.js';

/** How many releases (the newest created) are remembered between polls. */
export const REMEMBERED_RELEASES = 100;

/** What a poll remembers of a project's releases. */
export interface ReleaseMemory {
  /** The newest `created_at` seen (or GitLab's time when there were none): a release created later is new. */
  createdAfter: string;
  /** By tag: when the release was created, and its fingerprint. */
  known: Record<string, [createdAt: string, fingerprint: string]>;
}

export type ReleaseHookAction = 'create' | 'update';

/** The same parts the Release Hook's event key takes (gitlab/events/release.ts). */
export function releaseFingerprint(release: RestRelease): string {
  const tag = release.tag_name ?? '';
  return fingerprint(release.name ?? tag, release.description ?? '', utcSeconds(release.released_at));
}

/** The first poll: every listed release is known, none is new. `gitlabNow`: GitLab's clock at the answer, when known. */
export function rememberReleases(listed: readonly RestRelease[], gitlabNow: string): ReleaseMemory {
  return noteReleases({ createdAfter: gitlabNow, known: {} }, listed).memory;
}

/** The releases that are new or changed since `memory`, oldest first, and the memory after them. */
export function releaseChanges(memory: ReleaseMemory, listed: readonly RestRelease[]): { changes: Array<{ release: RestRelease; action: ReleaseHookAction }>; memory: ReleaseMemory } {
  const changes: Array<{ release: RestRelease; action: ReleaseHookAction }> = [];
  for (const release of oldestFirst(listed)) {
    const tag = release.tag_name;
    if (!tag) continue;
    const known = memory.known[tag];
    if (Date.parse(release.created_at) > Date.parse(memory.createdAfter) && known?.[0] !== release.created_at) changes.push({ release, action: 'create' });
    else if (known && known[1] !== releaseFingerprint(release)) changes.push({ release, action: 'update' });
  }
  return { changes, memory: noteReleases(memory, listed).memory };
}

function noteReleases(memory: ReleaseMemory, listed: readonly RestRelease[]): { memory: ReleaseMemory } {
  const known = { ...memory.known };
  let createdAfter = memory.createdAfter;
  for (const release of listed) {
    if (!release.tag_name) continue;
    known[release.tag_name] = [release.created_at, releaseFingerprint(release)];
    if (Date.parse(release.created_at) > Date.parse(createdAfter)) createdAfter = release.created_at;
  }
  const kept = Object.entries(known)
    .sort(([, a], [, b]) => Date.parse(b[0]) - Date.parse(a[0]))
    .slice(0, REMEMBERED_RELEASES);
  return { memory: { createdAfter, known: Object.fromEntries(kept) } };
}

function oldestFirst(listed: readonly RestRelease[]): RestRelease[] {
  return [...listed].sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
}

/**
 * The Release Hook (Gitlab::HookData::ReleaseBuilder) for a listed release, or null without a tag
 * (the API leaves it out for callers who may not read the code). Like the webhook it names no user,
 * and has no id (the API gives none).
 */
export function hookFromRelease(release: RestRelease, project: RestProject, action: ReleaseHookAction): { event: 'Release Hook'; payload: HookPayload } | null {
  const tag = release.tag_name;
  if (!tag) return null;
  const assets = release.assets ?? {};
  return {
    event: 'Release Hook',
    payload: {
      object_kind: 'release',
      created_at: utcSeconds(release.created_at),
      description: release.description ?? '',
      name: release.name ?? tag,
      released_at: utcSeconds(release.released_at),
      tag,
      project: projectAttributes(project),
      url: release._links?.self ?? `${project.web_url}/-/releases/${encodeURIComponent(tag)}`,
      action,
      assets: {
        count: assets.count ?? (assets.links?.length ?? 0) + (assets.sources?.length ?? 0),
        links: (assets.links ?? []).map((link) => ({ id: link.id, external: link.external ?? true, link_type: link.link_type ?? 'other', name: link.name, url: link.url })),
        sources: (assets.sources ?? []).map((source) => ({ format: source.format, url: source.url })),
      },
      commit: release.commit ? commitAttributes(release.commit) : null,
    },
  };
}
