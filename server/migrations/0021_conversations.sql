-- Conversations both ways: replies in a bridge thread become GitLab comments,
-- reactions on a thread's root become award emoji, code links get previews.

-- A channel may send its threads' replies to GitLab (`--sync-replies`); new
-- subscriptions in private channels start with it on (decided when added),
-- subscriptions made before this change stay off: nobody publishes by surprise.
ALTER TABLE subscriptions ADD COLUMN sync_replies boolean NOT NULL DEFAULT false;
-- A person may keep their replies in Mattermost (`/gitlab settings replies off`).
ALTER TABLE notification_settings ADD COLUMN sync_replies boolean NOT NULL DEFAULT true;
-- Whether the post's subscription sends replies: a thread's first post then says so.
ALTER TABLE channel_outbox ADD COLUMN sync_replies boolean NOT NULL DEFAULT false;
-- Since when the root has said that replies go to GitLab (null: it does not say
-- so, and no reply in the thread is sent), and the subscription that said it.
ALTER TABLE channel_threads
  ADD COLUMN replies_since timestamptz,
  ADD COLUMN subscription_id bigint REFERENCES subscriptions (id) ON DELETE SET NULL;
CREATE INDEX channel_threads_root_post ON channel_threads (root_post_id);

-- A direct message about a comment or award emoji that a reply or reaction in a
-- channel made: its recipient saw it there already if they are a member.
ALTER TABLE direct_outbox ADD COLUMN seen_in_channel text;

-- A reply seen in a bridge thread, and what became of it in GitLab. One row per
-- Mattermost post, so a reply seen twice (socket and catch-up) is sent once.
-- `attempt_started_at` without `note_id`: the answer to the last create was lost,
-- and GitLab is searched for the note (its footer names the post) before retrying.
CREATE TABLE chat_replies (
  post_id            text PRIMARY KEY,
  channel_id         text NOT NULL,
  root_post_id       text NOT NULL,
  thread_key         text NOT NULL,
  mattermost_user_id text NOT NULL,
  message            text NOT NULL,
  file_names         jsonb NOT NULL DEFAULT '[]',
  posted_at          timestamptz NOT NULL,          -- Mattermost's create_at
  state              text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'skipped', 'failed', 'deleted')),
  change             text CHECK (change IN ('edit', 'delete')),  -- to apply to the sent note
  gitlab_user_id     bigint,
  note_id            bigint,
  attempt_started_at timestamptz,
  attempts           integer NOT NULL DEFAULT 0,
  next_attempt_at    timestamptz NOT NULL DEFAULT now(),
  reason             text,                          -- why skipped or failed, for logs and support
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX chat_replies_note ON chat_replies (note_id) WHERE note_id IS NOT NULL;
CREATE INDEX chat_replies_due ON chat_replies (next_attempt_at) WHERE state = 'pending' OR change IS NOT NULL;
CREATE INDEX chat_replies_updated ON chat_replies (updated_at);

-- A reaction on a thread's root, and the award emoji it became.
CREATE TABLE chat_reactions (
  post_id            text NOT NULL,
  mattermost_user_id text NOT NULL,
  emoji_name         text NOT NULL,                 -- Mattermost's name
  channel_id         text NOT NULL,
  thread_key         text NOT NULL,
  award_name         text NOT NULL,                 -- GitLab's name for it
  state              text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'awarded', 'removing', 'removed', 'skipped', 'failed')),
  gitlab_user_id     bigint,
  award_id           bigint,
  attempts           integer NOT NULL DEFAULT 0,
  next_attempt_at    timestamptz NOT NULL DEFAULT now(),
  reason             text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (post_id, mattermost_user_id, emoji_name)
);
CREATE INDEX chat_reactions_due ON chat_reactions (next_attempt_at) WHERE state IN ('pending', 'removing');
CREATE INDEX chat_reactions_award ON chat_reactions (thread_key, gitlab_user_id, award_name);
CREATE INDEX chat_reactions_updated ON chat_reactions (updated_at);

-- Things the bot tells a person once (how to connect, to send replies to GitLab).
CREATE TABLE chat_notices (
  mattermost_user_id text NOT NULL,
  kind               text NOT NULL,
  sent_at            timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (mattermost_user_id, kind)
);

-- How far the listener has read each channel (Mattermost's update_at, ms): after
-- a gap it asks for the posts changed since then.
CREATE TABLE stream_cursors (
  channel_id text PRIMARY KEY,
  seen_until bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Per-channel choices that are not about one subscription.
CREATE TABLE channel_settings (
  channel_id    text PRIMARY KEY,
  code_previews boolean NOT NULL DEFAULT false,   -- the bot replies with the code of GitLab code links
  updated_by    text,
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- A code link the bot answered with a preview (once per post).
CREATE TABLE code_preview_replies (
  post_id       text PRIMARY KEY,
  reply_post_id text,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX code_preview_replies_created ON code_preview_replies (created_at);
