/**
 * The kinds of personal direct message a user can switch on and off with
 * `/gitlab settings`. Stored by name, so the names are part of the schema.
 */
export const PERSONAL_KINDS = {
  reviews: 'your review is requested',
  assignments: 'you are assigned a merge request or an issue',
  mentions: 'you are @-mentioned in a description, comment or commit',
  comments: 'someone comments on a merge request or issue you author, are assigned to, review or took part in',
  merge_requests: 'your merge request is approved, unapproved, merged, closed or gets conflicts',
  pipelines: 'a pipeline fails for your merge request or push, and when it is fixed',
  todos: 'other new GitLab to-dos',
} as const;

export type PersonalKind = keyof typeof PERSONAL_KINDS;

/** The kind a user typed (`merge-requests`, `MRs`, `review`…), or undefined. */
export function personalKind(word: string): PersonalKind | undefined {
  const normal = word.toLowerCase().replace(/-/g, '_');
  const aliases: Record<string, PersonalKind> = {
    review: 'reviews',
    review_requests: 'reviews',
    assigned: 'assignments',
    assignment: 'assignments',
    mention: 'mentions',
    comment: 'comments',
    notes: 'comments',
    merge_request: 'merge_requests',
    mr: 'merge_requests',
    mrs: 'merge_requests',
    pipeline: 'pipelines',
    todo: 'todos',
    to_dos: 'todos',
  };
  return normal in PERSONAL_KINDS ? (normal as PersonalKind) : aliases[normal];
}
