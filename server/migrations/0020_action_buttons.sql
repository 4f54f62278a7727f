-- Buttons on posts and direct messages (merge request, issue, pipeline, job and
-- deployment actions, run as the person who presses them).

-- A channel may turn its subscription's buttons off (`--buttons off`).
ALTER TABLE subscriptions ADD COLUMN buttons boolean NOT NULL DEFAULT true;
-- A person may turn the buttons on their direct messages off (`/gitlab settings`).
ALTER TABLE notification_settings ADD COLUMN buttons boolean NOT NULL DEFAULT true;

-- What a queued post's buttons are about, unsigned (actions/button-spec.ts): the
-- buttons are signed when the post is made, so their expiry counts from then.
-- `buttons`: the post's own (a failed pipeline's Retry); `thread_buttons`: the
-- merge request's or issue's, for the thread's first post or, on a reply, for
-- the thread's first post to be updated to.
ALTER TABLE channel_outbox ADD COLUMN buttons jsonb, ADD COLUMN thread_buttons jsonb;
ALTER TABLE direct_outbox ADD COLUMN buttons jsonb;

-- A press (or dialog submission) seen recently: pressing twice does one thing.
-- `answer` is null while the first press is still at work; `answered_at` says
-- since when a later press is told that answer instead of acting again.
CREATE TABLE action_presses (
  press_key text PRIMARY KEY,
  answer text,
  pressed_at timestamptz NOT NULL DEFAULT now(),
  answered_at timestamptz
);
