-- Personal direct messages: one row per (user, logical notification), so a
-- review request reported by a project hook, a group hook and a polled to-do
-- is sent once. Whichever replica claims a row (FOR UPDATE SKIP LOCKED) sends it.
CREATE TABLE direct_outbox (
  id                 bigserial PRIMARY KEY,
  mattermost_user_id text NOT NULL,
  notification_key   text NOT NULL,
  -- Notifications another path reports under a different key (a failed
  -- pipeline and GitLab's "build failed" to-do): a recent one of the family
  -- makes the other unnecessary.
  family             text,
  kind               text NOT NULL,         -- rules/personal-kinds.ts
  thread_key         text,                  -- the MR or issue; DMs about it thread under the first
  -- What to ask GitLab, as the recipient, before sending: the project (or the
  -- item) must be visible to them. Null when the project is public, or the
  -- message came from their own to-do list.
  access_probe       text,
  message            text NOT NULL,
  state              text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'skipped', 'failed')),
  attempts           integer NOT NULL DEFAULT 0,
  next_attempt_at    timestamptz NOT NULL DEFAULT now(),
  -- Set before each CreatePost: with no post_id it means the outcome is unknown
  -- and the DM channel is searched before posting again.
  attempt_started_at timestamptz,
  post_id            text,
  last_error         text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  sent_at            timestamptz,
  UNIQUE (mattermost_user_id, notification_key)
);
CREATE INDEX direct_outbox_pending ON direct_outbox (next_attempt_at) WHERE state = 'pending';
CREATE INDEX direct_outbox_family ON direct_outbox (mattermost_user_id, family, created_at) WHERE family IS NOT NULL;
CREATE TRIGGER direct_outbox_notify AFTER INSERT ON direct_outbox
  FOR EACH STATEMENT EXECUTE FUNCTION gitlab_bridge_notify('gitlab_bridge_direct');

-- The first DM about each MR or issue, per user: later ones reply to it.
CREATE TABLE direct_threads (
  mattermost_user_id text NOT NULL,
  thread_key         text NOT NULL,
  root_post_id       text NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (mattermost_user_id, thread_key)
);

-- People who commented on an MR or issue ("threads they took part in"), and
-- each MR's author (pipeline hooks name the MR but not its author).
CREATE TABLE thread_participants (
  thread_key     text NOT NULL,
  gitlab_user_id bigint NOT NULL,
  role           text NOT NULL CHECK (role IN ('author', 'commenter')),
  seen_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (thread_key, gitlab_user_id, role)
);

-- Whether a GitLab user could see a project or item when last asked, so a
-- burst of DMs about one private project costs one API call per person.
CREATE TABLE gitlab_access_cache (
  gitlab_user_id bigint NOT NULL,
  probe          text NOT NULL,
  visible        boolean NOT NULL,
  checked_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (gitlab_user_id, probe)
);

-- What each user has on their plate as of the last poll (the reminder and
-- the webapp read it), and the last reminder sent.
CREATE TABLE work_snapshots (
  mattermost_user_id text PRIMARY KEY,
  snapshot           jsonb NOT NULL,
  polled_at          timestamptz NOT NULL DEFAULT now(),
  reminder_digest    text,
  reminded_at        timestamptz
);

-- Seen in Mattermost (a command, the webapp): active users are polled more often.
ALTER TABLE gitlab_accounts ADD COLUMN last_active_at timestamptz;

-- `subscriptions add --poll`: poll the project even if a webhook exists.
ALTER TABLE subscriptions ADD COLUMN poll boolean NOT NULL DEFAULT false;
