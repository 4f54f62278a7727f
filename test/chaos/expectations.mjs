// What each thing the chaos suite does must make arrive, and how it is recognised when it does.
// Pure, but for collectDirectMessages, which reads the fake Mattermost.
// - Every webhook: one post in its project's channel, in its thread (webhook-threads.mjs).
// - Issue events that concern the assignee, a connected user: opening (they are assigned) and each
//   comment (on an issue they are assigned to) make one DM to them; closing and reopening none.
// - Merge request events: opening makes one DM to the reviewer (a review request); each comment one
//   more (on a merge request they review); approving and merging concern the author, not connected.
// - Every review request made in GitLab (polling finds it in the reviewer's to-dos): one DM.
// (docs/personal-notifications.md, "What sends a direct message".)
const DM_ACTIONS = { issue: new Set(['open', 'note']), merge_request: new Set(['open', 'note']) };

/** The DMs the run must have made: { key, user (index), sentAt, phase }. */
export function* directExpectations(threads, events, reviews) {
  for (const event of events) {
    const thread = threads[event.n];
    if (DM_ACTIONS[thread.kind].has(event.action)) yield { key: `t:${event.n}.${event.step}`, user: thread.recipient.index ?? thread.recipient, sentAt: event.sentAt, phase: event.phase };
  }
  for (const review of reviews) yield { key: `r:${review.k}`, user: review.user, sentAt: review.at, phase: review.phase };
}

const EVENT_IN_DM = /Chaos actor (\d+)\.(\d+)/;
const REVIEW_IN_DM = /Chaos review (\d+)(?!\d)/;

/** What a DM is about: `t:<thread>.<step>` (a webhook's event), `r:<k>` (a polled review request), or null. */
export function directKey(message) {
  const event = EVENT_IN_DM.exec(message);
  if (event) return `t:${event[1]}.${event[2]}`;
  const review = REVIEW_IN_DM.exec(message);
  return review ? `r:${review[1]}` : null;
}

/** The bot's DMs to each user, by what they are about: key → [{ user, id, create_at }]; unrecognised ones under ''. */
export function collectDirectMessages(mattermost, bot, users) {
  const found = new Map();
  for (const user of users) {
    for (const post of mattermost.directMessagesTo(user.mattermostId)) {
      if (post.user_id !== bot.id || post.delete_at > 0) continue;
      const key = directKey(post.message) ?? '';
      if (!found.has(key)) found.set(key, []);
      found.get(key).push({ user: user.index, id: post.id, create_at: post.create_at, message: key === '' ? post.message.slice(0, 200) : undefined });
    }
  }
  return found;
}
