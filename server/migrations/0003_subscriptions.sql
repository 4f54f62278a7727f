-- A channel's subscription to a GitLab project or group. A group subscription
-- covers every project in the group and its subgroups; matching looks up the
-- project's path and each of its namespace prefixes by index (target_path).
CREATE TABLE subscriptions (
  id              bigserial PRIMARY KEY,
  channel_id      text NOT NULL,
  team_id         text,
  target_kind     text NOT NULL CHECK (target_kind IN ('project', 'group')),
  target_path     text NOT NULL CHECK (target_path = lower(target_path)),  -- GitLab paths are case-insensitive
  target_id       bigint,                   -- GitLab project or group id, when known
  filters         jsonb NOT NULL DEFAULT '{}',
  style           text NOT NULL DEFAULT 'full' CHECK (style IN ('full', 'compact', 'title')),
  threads         boolean NOT NULL DEFAULT true,
  -- Opted in to confidential issues, confidential and internal notes; only private channels may.
  confidential    boolean NOT NULL DEFAULT false,
  -- The creator had at least Reporter access to the (non-public) target when subscribing,
  -- so events of private and internal projects may reach this channel.
  private_access  boolean NOT NULL DEFAULT false,
  creator_id      text NOT NULL,            -- Mattermost user id
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  last_failure    text,                     -- the last permanent delivery failure, shown to users
  last_failure_at timestamptz,
  UNIQUE (channel_id, target_kind, target_path)
);
CREATE INDEX subscriptions_target_path ON subscriptions (target_path);
CREATE INDEX subscriptions_target_id ON subscriptions (target_kind, target_id) WHERE target_id IS NOT NULL;
