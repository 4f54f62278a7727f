-- A user's personal notification choices (`/gitlab settings`). No row means
-- the defaults: every kind on, a daily reminder at 09:00 in the user's
-- Mattermost timezone.
CREATE TABLE notification_settings (
  mattermost_user_id         text PRIMARY KEY,
  -- Master switch for personal direct messages.
  enabled                    boolean NOT NULL DEFAULT true,
  -- Kinds switched off (rules/personal-kinds.ts names them); a list of what is
  -- off, so that kinds added later start on.
  disabled_kinds             text[] NOT NULL DEFAULT '{}',
  reminder_enabled           boolean NOT NULL DEFAULT true,
  reminder_time              time NOT NULL DEFAULT '09:00',
  reminder_only_when_changed boolean NOT NULL DEFAULT false,
  updated_at                 timestamptz NOT NULL DEFAULT now()
);

-- GitLab users whose actions never cause a direct message to this user.
CREATE TABLE gitlab_mutes (
  mattermost_user_id text NOT NULL,
  -- GitLab's id, which survives a rename; the username as it was when muted, for display.
  gitlab_user_id     bigint NOT NULL,
  gitlab_username    text NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (mattermost_user_id, gitlab_user_id)
);

-- The last direct message the bot sent (or failed to send) to each user: what
-- `/gitlab me` shows to answer "why am I not getting DMs?".
CREATE TABLE direct_message_log (
  mattermost_user_id text PRIMARY KEY,
  last_sent_at       timestamptz,
  last_sent_summary  text,
  last_failed_at     timestamptz,
  last_failure       text
);
