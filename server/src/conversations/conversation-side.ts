/**
 * One GitLab instance as replies and reactions use it. The listener is one
 * (Mattermost's), but a thread is about an object on one instance (its key's
 * `corp~` prefix, thread-target.ts): its replies become comments there, as the
 * replier's account there, never with a token of another instance.
 */
import type { GitLabCaller } from '../accounts/gitlab-connections.js';
import type { ScopeSetting } from '../accounts/write-access.js';
import type { GitLabAsUser } from '../actions/gitlab-as-user.js';

export interface ConversationSide {
  /** The instance's name (`default` for GITLAB_URL's). */
  name: string;
  /** The person's connection to this instance, or null when they have none. */
  callerFor(userId: string): Promise<GitLabCaller | null>;
  /** This instance's REST API as the token's owner. */
  gitlab(token: string): GitLabAsUser;
  /** Its GITLAB_OAUTH_SCOPES (or GITLAB_<NAME>_OAUTH_SCOPES): read_api means nothing is written. */
  scopeSetting: ScopeSetting;
  /** A single-use link that connects the person to this instance, or null when accounts cannot be connected. */
  connectLink(userId: string): Promise<string | null>;
}

/** A configured instance's side by name; null for one the bridge no longer has (a thread from before it was removed). */
export type ConversationSides = (instance: string) => ConversationSide | null;
