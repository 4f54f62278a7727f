/**
 * Tag Push Hook payloads from a polled tag push event (`pushed new`, `pushed
 * to` or `deleted` on a tag). The event gives the refs and who pushed; a tag
 * created or moved is read once more (GET …/repository/tags/:name) for its
 * message and commit, which the hook carries (Git::TagHooksService: the
 * message only while the tag still points where the push left it).
 */
import { commitAttributes, pusherAttributes, pushOf } from './push-hook.js';
import { projectAttributes, repositoryAttributes, type HookPayload } from './hook-attributes.js';
import type { RestEvent, RestProject, RestPushData, RestTag } from './rest-shapes.js';

const ZERO_SHA = '0'.repeat(40);

/** The push data of a tag push the fallback handles, else null. */
export function tagPush(event: RestEvent): RestPushData | null {
  return pushOf(event, 'tag');
}

/** The tag to read, or null for a deleted tag (the event says all there is). */
export function tagLookup(data: RestPushData): string | null {
  return data.commit_to ? data.ref : null;
}

/**
 * `tag`: GET …/repository/tags/:name, null when it is gone (deleted since). A tag that points
 * elsewhere now was moved again since: its message and commit are not this push's.
 */
export function tagPushHook(event: RestEvent, data: RestPushData, project: RestProject, tag: RestTag | null): HookPayload {
  const after = data.commit_to ?? ZERO_SHA;
  const current = tag && tag.name === data.ref && tag.target === data.commit_to ? tag : null;
  const commits = current?.commit ? [commitAttributes(current.commit)] : [];
  return {
    object_kind: 'tag_push',
    event_name: 'tag_push',
    before: data.commit_from ?? ZERO_SHA,
    after,
    ref: `refs/tags/${data.ref}`,
    ...(current?.protected === undefined ? {} : { ref_protected: current.protected }),
    checkout_sha: data.commit_to ? (current?.commit?.id ?? data.commit_to) : null,
    message: current?.message || null,
    ...pusherAttributes(event),
    project_id: project.id,
    project: projectAttributes(project),
    commits,
    total_commits_count: commits.length,
    push_options: {},
    repository: repositoryAttributes(project),
  };
}
