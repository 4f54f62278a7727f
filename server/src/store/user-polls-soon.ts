/** Brings the polls of connected users forward (migration 0010's poll_jobs): their lists changed in GitLab. */
import { DEFAULT_INSTANCE } from '../config.js';
import type { Queryable } from './queryable.js';

/**
 * Makes the user jobs of these GitLab people due now. A job being polled
 * right now (leased) is marked too: its next run then lies after the moment
 * it was claimed, which finishJob keeps when it is sooner than the schedule the
 * run asks for, as the run may have read GitLab before the change. The wall clock, not the
 * transaction's start, so the mark is later than any claim before it.
 * Only on `instance`, the one the webhook came from: GitLab ids and usernames
 * are that instance's, and another's lists did not change. How many jobs moved.
 */
export async function pollUsersSoon(db: Queryable, people: { ids: number[]; usernames: string[] }, instance: string = DEFAULT_INSTANCE): Promise<number> {
  if (people.ids.length === 0 && people.usernames.length === 0) return 0;
  const result = await db.query({
    // Named: run for most webhooks that name people.
    name: 'poll-users-soon',
    text: `UPDATE poll_jobs SET next_run_at = clock_timestamp()
           WHERE kind = 'user' AND instance = $3 AND (next_run_at > clock_timestamp() OR lease_until > clock_timestamp()) AND subject IN (
             SELECT mattermost_user_id FROM gitlab_accounts
             WHERE disconnected_at IS NULL AND instance = $3 AND (gitlab_user_id = ANY($1::bigint[]) OR lower(gitlab_username) = ANY($2::text[]))
           )`,
    values: [people.ids, people.usernames.map((name) => name.toLowerCase()), instance],
  });
  return result.rowCount ?? 0;
}
