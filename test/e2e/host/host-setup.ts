/**
 * What the stand-in Mattermost page starts with: the data Mattermost's webapp
 * would have loaded from its server by the time plugins initialise. The test
 * fills it from the fake Mattermost; the page reads it from `window.__hostSetup`.
 */
export interface HostUser {
  id: string;
  username: string;
  first_name: string;
  last_name: string;
  is_bot?: boolean;
}

export interface HostTeam {
  id: string;
  name: string;
  display_name: string;
}

export interface HostChannel {
  id: string;
  team_id: string;
  name: string;
  display_name: string;
  type: 'O' | 'P';
}

export interface HostPost {
  id: string;
  channel_id: string;
  user_id: string;
  message: string;
  create_at: number;
  root_id: string;
  /** As Mattermost sends them to clients: message attachments without their actions' `integration`. */
  props?: Record<string, unknown>;
  /** '' for a post, 'system_ephemeral' for what only the current user sees. */
  type?: string;
  /** What Mattermost's server adds: `embeds` holds at most the first link's (app/post_metadata.go getEmbedForPost). */
  metadata?: { embeds?: { type: string; url: string; data?: unknown }[] };
}

export type HostThemeName = 'denim' | 'onyx';

export interface HostSetup {
  /** Mattermost's SiteURL: the page's own origin. */
  siteUrl: string;
  currentUserId: string;
  users: HostUser[];
  teams: HostTeam[];
  currentTeamId: string;
  channels: HostChannel[];
  currentChannelId: string;
  /** Oldest first. */
  posts: HostPost[];
  /** One of Mattermost's built-in themes: Denim (light) or Onyx (dark). */
  theme: HostThemeName;
}
