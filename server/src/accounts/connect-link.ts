/** A single-use link that connects the person's GitLab account (10 minutes, opened in a browser signed in to Mattermost as them). */
import { DEFAULT_INSTANCE } from '../config.js';
import { createConnectLink } from '../store/gitlab-accounts.js';
import type { Queryable } from '../store/queryable.js';

/** Null when the bridge has no public address to send people to. `instance`: which GitLab the link connects to. */
export async function connectUrl(db: Queryable, publicUrl: string | undefined, userId: string, instance: string = DEFAULT_INSTANCE): Promise<string | null> {
  if (!publicUrl) return null;
  const link = await createConnectLink(db, userId, instance);
  return `${publicUrl.replace(/\/+$/, '')}/oauth/connect?link=${link}`;
}
