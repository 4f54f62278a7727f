/** What the webapp shows of a work snapshot, and whether a new poll changed it (pure). */
import { createHash } from 'node:crypto';
import type { WorkSnapshot } from '../gitlab/work-query.js';

export interface WorkCounts {
  reviews: number;
  assigned_mrs: number;
  my_mrs: number;
  assigned_issues: number;
  todos: number;
}

export function workCounts(snapshot: WorkSnapshot): WorkCounts {
  return {
    reviews: snapshot.reviews.total,
    assigned_mrs: snapshot.assignedMergeRequests.total,
    my_mrs: snapshot.myMergeRequests.total,
    assigned_issues: snapshot.assignedIssues.total,
    todos: snapshot.todos.total,
  };
}

/** What the sidebar counts for a person connected to several instances: each instance's counts added up. */
export function combinedCounts(snapshots: readonly WorkSnapshot[]): WorkCounts {
  const sum: WorkCounts = { reviews: 0, assigned_mrs: 0, my_mrs: 0, assigned_issues: 0, todos: 0 };
  for (const counts of snapshots.map(workCounts)) {
    for (const list of Object.keys(sum) as (keyof WorkCounts)[]) sum[list] += counts[list];
  }
  return sum;
}

/**
 * A fingerprint of everything in a snapshot: a poll whose answer has the same one found nothing new
 * and writes nothing. Snapshots read from GitLab have their keys in one order (readWork builds
 * them); one read back from the database does not (jsonb orders keys its own way), so only fresh
 * snapshots are fingerprinted.
 */
export function workDigest(snapshot: WorkSnapshot): string {
  return createHash('sha256').update(JSON.stringify(snapshot)).digest('base64url');
}
