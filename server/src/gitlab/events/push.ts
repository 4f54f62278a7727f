/** Push Hook (and the system hook's `push`): commits pushed to a branch, or a branch created or deleted. */
import type { CommitSummary } from './details.js';
import type { ParseResult } from './event.js';
import { firstLine, gitlabBase, isZeroSha, keyPart, projectPage, readFlatUser, readProject, shortRef } from './common.js';
import { checkObjectKind, ignore, makeEvent } from './envelope.js';
import { fields, number, records, text, type Fields } from './payload.js';

export function parsePush(payload: Fields): ParseResult {
  const wrongKind = checkObjectKind(payload, ['push']);
  if (wrongKind) return wrongKind;
  const ref = text(payload.ref);
  const after = text(payload.after);
  if (!ref || ref.startsWith('refs/tags/')) return ignore('push without a branch ref');
  if (!after) return ignore('push without an `after` commit');
  const before = text(payload.before);

  const project = readProject(payload);
  const branch = shortRef(ref);
  const deleted = isZeroSha(after);
  const created = !deleted && before !== null && isZeroSha(before);
  const commits = records(payload.commits).flatMap(readCommit);
  return makeEvent({
    kind: 'push',
    action: deleted ? 'branch_deleted' : created ? 'branch_created' : 'pushed',
    key: `push:${keyPart(project?.id ?? project?.path)}:${ref}:${keyPart(before)}:${after}`,
    project,
    actor: readFlatUser(payload, gitlabBase(project)),
    ref: branch,
    details: {
      kind: 'push',
      before: before ?? '',
      after,
      compareUrl: !deleted && !created && before ? projectPage(project, 'compare', `${before}...${after}`) : null,
      branchUrl: deleted ? null : projectPage(project, 'tree', branch),
      commits,
      totalCommits: Math.max(number(payload.total_commits_count) ?? 0, commits.length),
    },
  });
}

export function readCommit(value: Fields): CommitSummary[] {
  const sha = text(value.id);
  if (!sha) return [];
  return [
    {
      sha,
      title: firstLine(text(value.message) ?? text(value.title) ?? ''),
      message: text(value.message) ?? text(value.title) ?? '',
      url: text(value.url),
      authorName: text(fields(value.author).name) ?? text(value.author_name),
    },
  ];
}
