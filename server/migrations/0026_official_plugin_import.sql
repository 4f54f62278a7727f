-- What `gitlab-bridge import official-plugin --apply` did, so that running it again neither brings back
-- a subscription a channel has removed since nor asks anyone a second time to connect.

-- One row per channel and path the import handled: 'created' (subscription_id is the subscription made,
-- NULL once the channel removed it), or 'pending' (not made: nobody has shown access to a project that is
-- not public, or the bot cannot post in the channel; the channel or its subscriber was told what to run).
CREATE TABLE official_plugin_imports (
  instance        text NOT NULL DEFAULT 'default',
  channel_id      text NOT NULL,
  target_kind     text NOT NULL CHECK (target_kind IN ('project', 'group')),
  target_path     text NOT NULL CHECK (target_path = lower(target_path)),
  outcome         text NOT NULL CHECK (outcome IN ('created', 'pending')),
  subscription_id bigint REFERENCES subscriptions (id) ON DELETE SET NULL,
  imported_by     text NOT NULL,            -- the Mattermost user whose admin token ran the import
  imported_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (instance, channel_id, target_kind, target_path)
);

-- People the import asked by direct message to connect their GitLab account (the plugin's tokens do not
-- carry over): asked once per instance.
CREATE TABLE official_plugin_connect_asks (
  instance           text NOT NULL DEFAULT 'default',
  mattermost_user_id text NOT NULL,
  asked_at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (instance, mattermost_user_id)
);
